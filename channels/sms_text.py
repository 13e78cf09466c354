"""How much an SMS costs: GSM-7 or UCS-2, and how many segments.

A segment is what a carrier bills and what Twilio's per-number throughput counts, so the dispatcher
paces senders in segments, not messages. One character outside the GSM 03.38 alphabet switches the
whole message to UCS-2 and cuts a segment from 160 to 70 characters, which is why translations into
accented languages can double or triple a broadcast's cost.

Segments are counted by walking the text's grapheme clusters, not by dividing, as Twilio's segment
calculator does: a concatenated segment never splits what a reader sees as one character (a ZWJ emoji
family, a letter with combining accents, a keycap, a flag, CR LF) nor an extension character's escape
pair (GSM-7) or a surrogate pair (UCS-2); a cluster that would straddle a boundary moves whole to the
next segment. Clusters are Unicode's extended grapheme clusters, as the `regex` module's X escape finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

# GSM 03.38 default alphabet (the escape 0x1B itself is left out: it is never text on its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (ESC + the character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160  # septets in a message that fits one segment
GSM7_MULTI = 153  # septets per segment once a user data header (UDH) is needed
UCS2_SINGLE = 70  # UTF-16 code units in one segment
UCS2_MULTI = 67


@dataclass(frozen=True)
class SmsEncoding:
    """The encoding a phone will use for a text, its length in that encoding's units, and its segments."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (extension characters count two) or UTF-16 code units (an emoji counts two)
    segments: int


_CLUSTER = regex.compile(r"\X")


def _clusters(text: str) -> list[str]:
    return _CLUSTER.findall(text)


def _gsm7_char(char: str) -> int | None:
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return None


def _gsm7_costs(text: str) -> list[list[int]] | None:
    """Septets per character of each grapheme cluster, or None as soon as one character is not in GSM-7."""
    costs: list[list[int]] = []
    for cluster in _clusters(text):
        septets = [_gsm7_char(char) for char in cluster]
        if None in septets:
            return None
        costs.append(septets)  # type: ignore[arg-type]
    return costs


def _ucs2_costs(text: str) -> list[list[int]]:
    """UTF-16 code units per character of each grapheme cluster (two beyond the Basic Multilingual Plane)."""
    return [[2 if ord(char) > 0xFFFF else 1 for char in cluster] for cluster in _clusters(text)]


def _walk(clusters: list[list[int]], single: int, multi: int) -> tuple[int, int]:
    """Total units and segments, moving a grapheme cluster whole into the next segment. A cluster longer
    than a whole segment (a letter under dozens of combining marks) cannot stay whole anywhere: it is cut
    between its characters, never inside one."""
    total = sum(sum(cluster) for cluster in clusters)
    if total <= single:
        return total, 1
    segments, used = 1, 0
    for cluster in clusters:
        pieces = [sum(cluster)] if sum(cluster) <= multi else cluster
        for cost in pieces:
            if used + cost > multi:
                segments += 1
                used = 0
            used += cost
    return total, segments


def analyse(text: str) -> SmsEncoding:
    """Encode as GSM-7 when every character allows it, else UCS-2, the way handsets and Twilio do."""
    if not isinstance(text, str):
        raise TypeError(f"SMS text must be str, got {type(text).__name__}")
    costs = _gsm7_costs(text)
    if costs is not None:
        units, segments = _walk(costs, GSM7_SINGLE, GSM7_MULTI)
        return SmsEncoding("GSM-7", units, segments)
    units, segments = _walk(_ucs2_costs(text), UCS2_SINGLE, UCS2_MULTI)
    return SmsEncoding("UCS-2", units, segments)


def segment_count(text: str) -> int:
    """The number of SMS segments `text` is billed and rate limited as (an empty text is one)."""
    return analyse(text).segments
