"""SMS encoding and segment counts: the exact boundaries carriers bill by, and real crisis messages."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from channels.sms_text import SmsEncoding, analyse, segment_count

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "crisis_sms_sample.csv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsEncoding("GSM-7", 0, 1)),
        ("a" * 160, SmsEncoding("GSM-7", 160, 1)),
        ("a" * 161, SmsEncoding("GSM-7", 161, 2)),
        ("a" * 153 * 2, SmsEncoding("GSM-7", 306, 2)),
        ("a" * (153 * 2 + 1), SmsEncoding("GSM-7", 307, 3)),
        ("€" * 80, SmsEncoding("GSM-7", 160, 1)),  # each extension character is two septets
        ("€" * 81, SmsEncoding("GSM-7", 162, 2)),
        ("a" * 159 + "€", SmsEncoding("GSM-7", 161, 2)),
        ("ж" * 70, SmsEncoding("UCS-2", 70, 1)),
        ("ж" * 71, SmsEncoding("UCS-2", 71, 2)),
        ("ж" * 67 * 2, SmsEncoding("UCS-2", 134, 2)),
        ("ж" * (67 * 2 + 1), SmsEncoding("UCS-2", 135, 3)),
        ("😀" * 35, SmsEncoding("UCS-2", 70, 1)),  # an emoji is a surrogate pair: two UTF-16 units
        ("😀" * 36, SmsEncoding("UCS-2", 72, 2)),
    ],
)
def test_exact_boundaries(text, expected):
    assert analyse(text) == expected
    assert segment_count(text) == expected.segments


def test_an_escape_pair_at_a_segment_boundary_moves_whole_to_the_next_segment():
    # 152 septets, then € needs 2: it cannot straddle the 153-septet boundary, so segment two starts
    # with it. Dividing 306 septets by 153 would say 2 segments; a handset sends 3.
    text = "a" * 152 + "€" + "a" * 152
    assert analyse(text) == SmsEncoding("GSM-7", 306, 3)
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2  # the same pair, just fitting


def test_a_surrogate_pair_at_a_segment_boundary_moves_whole_to_the_next_segment():
    text = "ж" * 66 + "😀" + "ж" * 66  # 134 units, but the emoji cannot be split after unit 67
    assert analyse(text) == SmsEncoding("UCS-2", 134, 3)
    assert segment_count("ж" * 65 + "😀" + "ж" * 67) == 2


def test_every_extension_character_counts_two():
    assert analyse("^{}\\[~]|€\f") == SmsEncoding("GSM-7", 20, 1)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Nou bezwen dlo nan Pòtoprens, tanpri vini vit", "GSM-7"),  # ò is in the GSM alphabet
        ("Lapli ap tonbe. Ale lekòl la: abri a ouvè depi 6è", "GSM-7"),  # è too
        ("À la fenêtre", "UCS-2"),  # À and ê are not (only à is)
        ("Ça va", "GSM-7"),  # capital Ç is in the alphabet
        ("ça va", "UCS-2"),  # small ç is not
        ("Tsunami: évacuez la côte", "UCS-2"),  # ô
        ("Use `code`", "UCS-2"),  # the backtick is not GSM either
        ("ΔΦΓΛΩΠΨΣΘΞ", "GSM-7"),  # Greek capitals in the GSM alphabet
    ],
)
def test_accented_text_chooses_the_right_encoding(text, encoding):
    assert analyse(text).encoding == encoding


def test_one_foreign_character_turns_the_whole_message_to_ucs2():
    assert analyse("a" * 100).segments == 1
    assert analyse("a" * 100 + "ê") == SmsEncoding("UCS-2", 101, 2)


def test_non_text_is_refused_clearly():
    with pytest.raises(TypeError, match="must be str"):
        analyse(b"bytes")  # type: ignore[arg-type]


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", sample_rows(), ids=lambda row: f"{row['source']}-{row['id']}")
def test_real_crisis_messages(row):
    """Hand-labelled encodings of real messages (Haiti 2010 SMS, crisis tweets in several languages).

    For texts with no extension characters or emoji, segments follow the simple formula, which is an
    independent check on the walking count."""
    result = analyse(row["text"])
    assert result.encoding == row["expected_encoding"]
    simple = not any(ch in "^{}\\[~]|€\f" or ord(ch) > 0xFFFF for ch in row["text"])
    if simple:
        single, multi = (160, 153) if result.encoding == "GSM-7" else (70, 67)
        length = len(row["text"])
        assert result.units == length
        assert result.segments == (1 if length <= single else math.ceil(length / multi))


def test_the_sample_covers_both_encodings_and_multi_segment_messages():
    results = [analyse(row["text"]) for row in sample_rows()]
    assert len(results) >= 20
    assert {r.encoding for r in results} == {"GSM-7", "UCS-2"}
    assert any(r.segments > 1 for r in results if r.encoding == "GSM-7")
    assert any(r.segments > 1 for r in results if r.encoding == "UCS-2")
