"""How the outbox gets its translations: protected, through the engine chain, remembered in the database.

Built once per process. A pair no engine serves, or an engine that fails, gives `None`: the outbox then
sends the original with a one-line note in the recipient's language. A translation problem never
silences a recipient, and never stops the other languages.
"""

from __future__ import annotations

import logging
import os

from sqlalchemy.orm import Session, sessionmaker

from relay.core.config import Settings
from relay.delivery.outbox import ApprovalPolicy, MachineTranslate
from relay.delivery.translation_memory import DatabaseMemory, SessionMemory
from translation.errors import TranslationError, UnknownLanguage, UnsupportedPair
from translation.factory import build_protected
from translation.fallback import untranslated_note  # the outbox's note hook, re-exported
from translation.gate import QualityGate, Verdict
from translation.gate_factory import build_gate
from translation.contract import EngineReporting
from translation.memory import MemoryTranslator

__all__ = ["GatedText", "approval_policy", "engine_calls", "gate", "gated_machine", "machine_translator", "session_translator",
           "untranslated_note"]

log = logging.getLogger("relay.translation")


_TRANSLATORS: dict[sessionmaker, MemoryTranslator] = {}
_CHAINS: dict[str, object] = {}


def _chain(settings: Settings):
    """The protected engine chain, built once per configuration per process: Apertium pipelines and
    argos models are started once."""
    key = settings.translation.model_dump_json()
    if key not in _CHAINS:
        # argos's default threading is ~20x slower on small machines (measured on 2 cores); one intra-op
        # thread per translation is what it needs here. argos reads this once, at import.
        os.environ.setdefault("ARGOS_INTRA_THREADS", "1")
        _CHAINS[key] = build_protected(settings.translation)
    return _CHAINS[key]


def _translator(settings: Settings, sessions: sessionmaker[Session]) -> MemoryTranslator:
    """One per database per process."""
    if sessions not in _TRANSLATORS:
        _TRANSLATORS[sessions] = MemoryTranslator(_chain(settings), DatabaseMemory(sessions))
    return _TRANSLATORS[sessions]


class GatedText(tuple):
    """(text, engine), as every caller unpacks it, carrying the quality gate's verdict as `.verdict`."""

    verdict: Verdict | None

    def __new__(cls, text: str, engine: str, verdict: Verdict | None) -> "GatedText":
        made = super().__new__(cls, (text, engine))
        made.verdict = verdict
        return made


def gate(settings: Settings) -> QualityGate:
    """The quality gate of this configuration, with the engine chain for back-translation."""
    return build_gate(settings.translation, _chain(settings))


def gated_machine(translator: EngineReporting, quality: QualityGate | None = None) -> MachineTranslate:
    """The outbox's translate hook over any engine chain: None where no engine serves the pair or the
    engine failed, else the text and engine with the gate's verdict (`GatedText.verdict`)."""
    def translate(body: str, source: str, target: str) -> tuple[str, str] | None:
        try:
            texts, engine = translator.translate_with_engine([body], source, target)
        except (UnsupportedPair, UnknownLanguage) as exc:  # expected for languages no engine covers
            log.info("no machine translation %s -> %s: %s", source, target, exc)
            return None
        except TranslationError as exc:  # an engine that should work did not: say so loudly
            log.warning("machine translation %s -> %s failed: %s", source, target, exc)
            return None
        verdict = quality.check(body, texts[0], source, target) if quality is not None else None
        if verdict is not None and not verdict.passed:
            log.warning("machine text %s -> %s failed the quality gate (%s)", source, target, verdict.summary())
        return GatedText(texts[0], engine, verdict)

    return translate


def machine_translator(settings: Settings, sessions: sessionmaker[Session]) -> MachineTranslate:
    return gated_machine(_translator(settings, sessions), gate(settings))


def session_translator(settings: Settings, session: Session) -> MachineTranslate:
    """The same translations for work done inside an open transaction: the memory is read and written
    in that transaction (see `SessionMemory`)."""
    return gated_machine(MemoryTranslator(_chain(settings), SessionMemory(session)), gate(settings))


def engine_calls(settings: Settings, sessions: sessionmaker[Session]) -> int:
    """How many times the engines were called in this process (the rest came from memory)."""
    return _translator(settings, sessions).engine_calls


def approval_policy(settings: Settings) -> ApprovalPolicy:
    return ApprovalPolicy(frozenset(settings.translation.require_approval),
                          settings.translation.send_original_while_pending,
                          gate_on_fail=settings.translation.gate.on_fail,
                          gate_severe_on_fail=settings.translation.gate.severe_on_fail)
