"""Translation memory: a broadcast costs one engine call per language, never one per recipient."""

from __future__ import annotations

import itertools
import threading
from typing import Sequence

from tests.translation.conftest import ARGOS_TARGETS
from translation.chain import ChainTranslator
from translation.contract import Translator
from translation.glossary import Glossary
from translation.memory import InMemoryStore, MemoryKey, MemoryTranslator
from translation.protect import ProtectingTranslator

ALERT = ("Flash flood warning until 6 PM EST: move to higher ground now. Shelter at Staten Island, "
         "call +1 212-555-0100. Reply STOP to end.")


class Counting:
    """Wraps a real backend and counts the calls that reach it."""

    def __init__(self, inner: Translator, version: str = "1") -> None:
        self.inner = inner
        self.name = inner.name
        self.version = version
        self.calls = 0

    def pairs(self) -> set[tuple[str, str]]:
        return self.inner.pairs()

    def engine_id(self, source: str, target: str) -> str:
        engine_id = getattr(self.inner, "engine_id", None)
        return engine_id(source, target) if engine_id else f"{self.name}@{self.version}"

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls += 1
        return self.inner.translate(texts, source, target)


class Echo:
    """A backend for seven fake languages that tags its output."""

    name = "echo"
    languages = ("l1", "l2", "l3", "l4", "l5", "l6", "l7")

    def pairs(self) -> set[tuple[str, str]]:
        return {("en", t) for t in self.languages}

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return [f"[{target}] {t}" for t in texts]


def _recipients(languages: Sequence[str], count: int = 10_000) -> list[str]:
    return list(itertools.islice(itertools.cycle(languages), count))


def test_10000_recipients_in_8_languages_cost_8_engine_calls_with_real_engines(apertium, argos_home) -> None:
    apertium_counted, argos_counted = Counting(apertium), Counting(argos_home.translator)
    chain = ChainTranslator([apertium_counted, argos_counted])
    protected = ProtectingTranslator(chain, Glossary.load("config/glossary"))
    memory = MemoryTranslator(protected, InMemoryStore())
    sent: dict[str, set[str]] = {}
    for language in _recipients(ARGOS_TARGETS):
        (text,) = memory.translate([ALERT], "en", language)
        sent.setdefault(language, set()).add(text)
    assert memory.engine_calls == 8
    assert apertium_counted.calls == 1 and argos_counted.calls == 7  # es by Apertium, 7 by argos
    assert all(len(texts) == 1 for texts in sent.values())
    (spanish,) = sent["es"]
    assert spanish.startswith("Aviso de inundación") or "refugio" in spanish.lower()
    assert "+1 212-555-0100" in spanish and "6 PM EST" in spanish and "STOP" in spanish


def test_counting_backend_and_engine_versions_in_keys() -> None:
    echo = Counting(Echo())  # type: ignore[arg-type]
    store = InMemoryStore()
    memory = MemoryTranslator(ChainTranslator([echo]), store)
    for language in _recipients(("en",) + Echo.languages):
        memory.translate([ALERT], "en", language)
    assert memory.engine_calls == 7  # English recipients get the original, no engine at all
    assert echo.calls == 7
    key = MemoryKey.of(ALERT, "en", "l3", "echo@1")
    assert store.get(key) == f"[l3] {ALERT}"
    assert store.get(MemoryKey.of(ALERT, "en", "l3", "echo@2")) is None  # a new model version misses


def test_only_unseen_texts_reach_the_engine_and_duplicates_once() -> None:
    echo = Counting(Echo())  # type: ignore[arg-type]
    memory = MemoryTranslator(ChainTranslator([echo]), InMemoryStore())
    assert memory.translate(["a", "b", "a"], "en", "l1") == ["[l1] a", "[l1] b", "[l1] a"]
    assert memory.translate(["b", "c"], "en", "l1") == ["[l1] b", "[l1] c"]
    assert memory.engine_calls == 2


def test_concurrent_workers_share_one_engine_call() -> None:
    echo = Counting(Echo())  # type: ignore[arg-type]
    memory = MemoryTranslator(ChainTranslator([echo]), InMemoryStore())
    threads = [threading.Thread(target=memory.translate, args=([ALERT], "en", "l1")) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert memory.engine_calls == 1 and echo.calls == 1
