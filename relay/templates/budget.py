"""A template's SMS budget per language: encoding, segments and cost at the longest field values.

Segments come from channels/sms_text.py, the same count the dispatcher paces by and the Twilio
simulator bills, measured on the text as it will leave: filled, with the lines features add under every
official text (the verification code) appended. Each field is filled with its declared maximum length
of a GSM-7 letter; a value outside GSM-7 can turn a text UCS-2, which is why a send measures its real
values again (`over_budget`) before anything is queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from channels.sms_text import analyse
from relay.templates.fields import fill

SAMPLE_CHARACTER = "X"


@dataclass(frozen=True)
class LanguageBudget:
    language: str
    encoding: str
    characters: int  # septets (GSM-7) or UTF-16 units (UCS-2)
    segments: int
    cost: float

    def as_json(self) -> dict:
        return {"language": self.language, "encoding": self.encoding, "characters": self.characters,
                "segments": self.segments, "cost": self.cost}


def longest_values(declared: Mapping[str, int]) -> dict[str, str]:
    return {name: SAMPLE_CHARACTER * length for name, length in declared.items()}


def as_sent(text: str, footer: str) -> str:
    """What the SMS carries: the text, then the features' lines on their own line (deliveries.texts_for)."""
    return f"{text}\n{footer}" if footer else text


def measure(language: str, filled: str, footer: str, price: float) -> LanguageBudget:
    encoding = analyse(as_sent(filled, footer))
    return LanguageBudget(language, encoding.encoding, encoding.units, encoding.segments,
                          round(encoding.segments * price, 4))


def budgets(texts: Mapping[str, str], declared: Mapping[str, int], footer: str, price: float) -> list[LanguageBudget]:
    """Each human-written language at the longest values its fields may take."""
    values = longest_values(declared)
    return [measure(language, fill(text, values), footer, price) for language, text in sorted(texts.items())]


def over_budget(measured: list[LanguageBudget], max_segments: int) -> list[LanguageBudget]:
    return [b for b in measured if b.segments > max_segments]


def refusal(over: list[LanguageBudget], max_segments: int, what: str) -> str:
    """The message naming every language over the budget and by how much."""
    parts = [f"{b.language} is {b.segments} segments ({b.encoding}, {b.characters} characters)" for b in over]
    return f"{what} exceeds the budget of {max_segments} SMS segment(s): " + "; ".join(parts)
