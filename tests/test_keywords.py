"""SMS keyword commands: a table of what people actually type."""

import pytest

from relay.keywords import Command, parse


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
    from relay.keywords import Spec, define

    with pytest.raises(ValueError, match="already taken by stop"):
        define(Spec("halt", frozenset({"STOP"})))
