"""The text patterns that read every inbound message stay linear in the text (issue 17, item 1).

Each case is an adversarial shape that made a backtracking pattern quadratic ("a-a-a-…" 4,096 characters
cost 0.3 s in `normalise`; "--.--.…" in `signs.domains`; a long word without "@" in language detection),
blown up to a megabyte. A linear pattern reads a megabyte in milliseconds; the quadratic ones needed
hours, so on the old code these tests hang until pytest-timeout ends them. The assertions are on what the
functions return (the same answer as on the short form), never on the time taken.
"""

from __future__ import annotations

import pytest

from relay.integrity import signs
from relay.integrity import text as texts
from translation import detect

MEGABYTE = 1_000_000
pytestmark = pytest.mark.timeout(120)  # a hang detector: the linear code needs well under a second


@pytest.mark.parametrize("unit, expected_word", [("a-", "a"), ("a.", "a"), ("a_", "a"), ("--.", None)])
def test_normalise_a_megabyte_of_link_like_text(unit: str, expected_word: str | None) -> None:
    hostile = unit * (MEGABYTE // len(unit))
    words = texts.normalise(hostile).split()
    assert set(words) == ({expected_word} if expected_word else set())
    assert len(words) == (MEGABYTE // len(unit) if expected_word else 0)


@pytest.mark.parametrize("unit", ["--.", "a-", "a.", "a-a.", "0."])
def test_domains_in_a_megabyte_of_host_like_text(unit: str) -> None:
    """None of these is a host (no top-level domain of two letters); the answer is the empty list."""
    assert signs.domains(unit * (MEGABYTE // len(unit))) == []


def test_a_megabyte_of_labels_is_one_host() -> None:
    assert signs.domains("ab." * 300_000 + "org") == ["ab." * 300_000 + "org"]


def test_links_are_still_found() -> None:
    """The rewritten patterns find what the old ones found (checked equal on the 234,299 texts of the
    shared test data while rewriting; here the shapes people write)."""
    assert texts.normalise("See...example.com/x and http://foo.org/a, WWW.Bar.net now") == "see and now"
    assert texts.normalise("Verify: AB3-9KQ call 112") == "call 112"
    assert signs.domains("Visit example.com. Or WWW.Foo.org/x, bit.ly/abc and a@b.com") == [
        "example.com", "foo.org", "bit.ly"]
    assert signs.domains("-bar.net/path") == ["-bar.net"]


def test_language_detection_noise_on_a_megabyte_without_at_sign() -> None:
    hostile = "a_" * (MEGABYTE // 2)
    assert detect._WORD.findall(detect._NOISE.sub(" ", hostile)) == []
    assert detect._NOISE.sub(" ", "mail bob@example.org or @relay #flood 0800-123").split() == ["mail", "or"]
