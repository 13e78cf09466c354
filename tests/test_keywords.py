"""SMS keyword commands: a table of what people actually type."""

import pytest

from relay.inbound.keywords import Command, parse


@pytest.mark.parametrize("text, expected", [
    ("STOP", Command("stop")),
    ("stop", Command("stop")),
    (" Stop. ", Command("stop")),
    ("STOPALL", Command("stop")),
    ("unsubscribe", Command("stop")),
    ("Cancel", Command("stop")),
    ("END", Command("stop")),
    ("quit", Command("stop")),
    ("START", Command("start")),
    ("help", Command("help")),
    ("JOIN", Command("join")),
    ("join ES", Command("join", "ES")),
    ("LANG ht", Command("lang", "ht")),
    ("lang", Command("lang")),
    ("lang es fr", None),
    ("/lang es", Command("lang", "es")),
    ("!lang es", Command("lang", "es")),
    ("/start@relay_bot fr", Command("start", "fr")),
    ("/STOP", Command("stop")),
    ("/weather tomorrow", Command("unknown", "tomorrow")),
    ("http://example.org/stop", None),
    ("stop sending me the flood alerts please", None),
    ("Nou bezwen dlo nan katye a", None),
    ("", None),
])
def test_parse(text, expected):
    assert parse(text) == expected


def test_chat_commands_keep_their_free_text():
    command = parse("/help   me now")
    assert command.prefixed and command.rest == "me now"


def test_a_word_belongs_to_one_command():
    from relay.inbound.keywords import Spec, define

    with pytest.raises(ValueError, match="already taken by stop"):
        define(Spec("halt", frozenset({"STOP"})))


@pytest.mark.parametrize("text, expected", [
    ("CANCEL", Command("stop")),  # CANCEL alone stays a carrier STOP word
    ("cancel.", Command("stop")),
    ("CANCEL 4821", Command("cancel_report", "4821")),
    ("cancel 4821", Command("cancel_report", "4821")),
    ("/cancel", Command("stop")),
    ("/cancel 4821", Command("cancel_report", "4821")),
    ("CANCEL 4821 please", None),  # more words than either command takes: a message
    ("STOP 4821", None),
])
def test_one_word_two_commands_by_word_count(text, expected):
    from relay.app import features

    features.install()  # the citizen-report commands (CANCEL <ref>) come with the reports feature
    assert parse(text) == expected


def test_word_count_ranges_of_one_word_may_not_overlap(monkeypatch):
    from relay.inbound import keywords
    from relay.inbound.keywords import Spec, define

    monkeypatch.setattr(keywords, "_BY_WORD", {w: list(s) for w, s in keywords._BY_WORD.items()})
    monkeypatch.setattr(keywords, "_VOCABULARY", dict(keywords._VOCABULARY))

    with pytest.raises(ValueError, match="already taken by stop"):
        define(Spec("cancel_all", frozenset({"CANCEL"}), max_words=2))
    define(Spec("stop_in", frozenset({"QUIT"}), min_words=3, max_words=3))  # disjoint from STOP's 0..0
    assert parse("quit in 5 minutes") == Command("stop_in", "in")
    assert parse("quit") == Command("stop")
