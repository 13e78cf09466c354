"""SMS segments counted by grapheme cluster, as Twilio's segment calculator counts them (issue 17, item 9).

A concatenated segment never splits what a reader sees as one character. Each row puts a cluster across
a 67-unit (UCS-2) or 153-septet (GSM-7) boundary, or at the 70/160 single-segment limits; the counts
are worked out by hand in the comments (the old count, which kept only surrogate pairs whole, was one
lower on every "straddles" row).
"""

from __future__ import annotations

import pytest

from channels.sms_text import SmsEncoding, analyse

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # 👨‍👩‍👧: 2 + 1 + 2 + 1 + 2 = 8 UTF-16 units
KEYCAP = "1\ufe0f\u20e3"  # 1️⃣: 3 units
E_ACUTE = "e\u0301"  # e + combining acute: 2 units, and not GSM-7
FLAG = "\U0001F1ED\U0001F1F9"  # 🇭🇹: two regional indicators, 4 units
ZH = "ж"


@pytest.mark.parametrize("text, expected", [
    # 64 + 8 = 72 > 67: the family starts segment 2 (8 + 60 = 68 > 67): 3 segments
    (ZH * 64 + FAMILY + ZH * 60, SmsEncoding("UCS-2", 132, 3)),
    (ZH * 64 + FAMILY + ZH * 59, SmsEncoding("UCS-2", 131, 2)),  # 8 + 59 = 67 fits
    (ZH * 59 + FAMILY + ZH * 67, SmsEncoding("UCS-2", 134, 2)),  # 59 + 8 = 67 exactly
    # a combining accent stays with its letter: 66 + 2 > 67, then 2 + 66 = 68 > 67
    (ZH * 66 + E_ACUTE + ZH * 66, SmsEncoding("UCS-2", 134, 3)),
    (ZH * 65 + E_ACUTE + ZH * 66, SmsEncoding("UCS-2", 133, 2)),
    # a keycap is three units kept together
    (ZH * 66 + KEYCAP + ZH * 65, SmsEncoding("UCS-2", 134, 3)),
    (ZH * 64 + KEYCAP + ZH * 67, SmsEncoding("UCS-2", 134, 2)),
    # a flag is two regional indicators kept together
    (ZH * 65 + FLAG + ZH * 65, SmsEncoding("UCS-2", 134, 3)),
    # the single-segment limit counts units, clusters or not: 70 fits, 71 does not
    (ZH * 67 + KEYCAP, SmsEncoding("UCS-2", 70, 1)),
    (ZH * 62 + FAMILY, SmsEncoding("UCS-2", 70, 1)),
    (ZH * 63 + FAMILY, SmsEncoding("UCS-2", 71, 2)),
    (FAMILY * 8 + ZH * 7, SmsEncoding("UCS-2", 71, 2)),  # 8 x 8 + 7 = 71: 8 families (64) + 3, then 4
    # GSM-7: CR LF is one cluster of two septets: 152 + 2 > 153, then 2 + 152 = 154 > 153
    ("a" * 152 + "\r\n" + "a" * 152, SmsEncoding("GSM-7", 306, 3)),
    ("a" * 151 + "\r\n" + "a" * 152, SmsEncoding("GSM-7", 305, 2)),
    ("a" * 158 + "\r\n", SmsEncoding("GSM-7", 160, 1)),
    ("a" * 159 + "\r\n", SmsEncoding("GSM-7", 161, 2)),
    # a cluster longer than a segment cannot stay whole: it is cut between its characters
    ("e" + "\u0301" * 100, SmsEncoding("UCS-2", 101, 2)),
])
def test_segments_never_split_a_grapheme_cluster(text, expected):
    assert analyse(text) == expected
