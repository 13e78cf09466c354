"""Assemble the chain from what is actually installed: a missing engine is reported, never fatal.

An SMS-only relay without argostranslate, or a machine without Apertium, still starts; the broadcast then
goes out translated where an engine exists and as original + note elsewhere.
"""

from __future__ import annotations

import logging

from translation.apertium import ApertiumTranslator
from translation.apertium import missing_reason as apertium_missing
from translation.argos import ArgosTranslator
from translation.argos import missing_reason as argos_missing
from translation.chain import ChainTranslator
from translation.config import TranslationSettings
from translation.contract import Translator
from translation.errors import TranslationError
from translation.glossary import Glossary
from translation.nllb import NllbTranslator
from translation.nllb import missing_reason as nllb_missing
from translation.protect import ProtectingTranslator, Protector
from translation.ranking import load_ranking

log = logging.getLogger(__name__)


def build_translator(settings: TranslationSettings) -> ChainTranslator:
    """The engines of `settings.engines` that can run here, in that order; `chain.unavailable` says why not."""
    backends: list[Translator] = []
    unavailable: dict[str, str] = {}
    for engine in settings.engines:
        if engine == "apertium":
            reason = apertium_missing(settings.apertium_modes_dir)
            if reason is None:
                backends.append(ApertiumTranslator(settings.apertium_modes_dir, settings.apertium_timeout_seconds))
        elif engine == "nllb":
            reason = nllb_missing(settings.nllb)
            if reason is None:
                backends.append(NllbTranslator(settings.nllb))
        else:
            reason = argos_missing()
            if reason is None:
                backends.append(ArgosTranslator(settings.argos_package_dir))
        if reason is not None:
            unavailable[engine] = reason
            log.warning("translation engine %s unavailable: %s", engine, reason)
    ranking: dict[tuple[str, str], list[str]] = {}
    if settings.ranking_file is not None:
        try:
            ranking = load_ranking(settings.ranking_file)
        except TranslationError as exc:  # a broken ranking file costs the measured order, never an alert
            unavailable["ranking_file"] = str(exc)
            log.warning("translation ranking ignored: %s", exc)
    return ChainTranslator(backends, unavailable, pivots=settings.pivot_languages, ranking=ranking)


def build_protected(settings: TranslationSettings, chain: ChainTranslator | None = None) -> ProtectingTranslator:
    """The chain behind protection with the configured glossary, keywords and phone region."""
    protector = Protector(Glossary.load(settings.glossary_dir), settings.keywords, settings.phone_region)
    return ProtectingTranslator(chain if chain is not None else build_translator(settings), protector)
