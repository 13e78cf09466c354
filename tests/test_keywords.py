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
    ("join ES", Command("join", "es")),
    ("LANG ht", Command("lang", "ht")),
    ("lang", Command("lang")),
    ("stop sending me the flood alerts please", None),
    ("Nou bezwen dlo nan katye a", None),
    ("", None),
])
def test_parse(text, expected):
    assert parse(text) == expected
