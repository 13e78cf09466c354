"""An engine that fails open: it serves English to one language and gives the English back unchanged,
as a broken engine does. No engine on a stock machine serves Swahili or Haitian Creole, so the demo
(relay/app/demo_translation.py) and the tests show with it what the quality gate must hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FailOpenEngine:
    target: str
    name: str = "fail-open"

    def pairs(self) -> set[tuple[str, str]]:
        return {("en", self.target)}

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return list(texts)
