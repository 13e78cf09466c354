"""normalise_e164: one spelling per number, and errors a coordinator can act on."""

from __future__ import annotations

import pytest

from channels.phone import normalise_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+509 3700 1234", None, "+50937001234"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("  +14155552671  ", None, "+14155552671"),
        ("3700-1234", "HT", "+50937001234"),
        ("(415) 555-2671", "us", "+14155552671"),  # region codes are case-insensitive
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0033 6 12 34 56 78", "FR", "+33612345678"),  # international prefix from France
        ("+33 6 12 34 56 78", "US", "+33612345678"),  # an explicit country code wins over the region
        ("tel:+14155552671", None, "+14155552671"),
    ],
)
def test_normalises_to_e164(raw, region, expected):
    assert normalise_e164(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("", None, "not a phone number"),
        ("   ", None, "not a phone number"),
        ("call me", None, "not a phone number"),
        ("4155552671", None, "missing country code: write \\+<country code>"),
        ("+999 1234567", None, "unknown country code"),
        ("+1 200 555 0100", None, "invalid number for region US"),
        ("+509 1234", None, "invalid number for region HT"),
        ("123", "US", "invalid number for region US"),
        ("+1 415 555 2671 ext. 12", None, "has an extension"),
        ("+1 415 555 2671", "XX", "unknown default region 'XX'"),
    ],
)
def test_says_what_is_wrong(raw, region, message):
    with pytest.raises(ValueError, match=message):
        normalise_e164(raw, region)


def test_too_long_is_named():
    with pytest.raises(ValueError, match="too long"):
        normalise_e164("+1 415 555 2671 1234567890123")
