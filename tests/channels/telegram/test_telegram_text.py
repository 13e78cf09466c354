"""Telegram's text rules as plain functions: escaping, the 4096 split, chat commands."""

from __future__ import annotations

import pytest

from channels.telegram_text import Command, CommandError, escape_html, parse_command, split_text, utf16_len
from tests.channels.chat_command_cases import PARSED, REFUSED, in_syntax


def test_escape_html_keeps_user_markup_literal():
    assert escape_html("<b>bold</b> & 1 < 2 > 0") == "&lt;b&gt;bold&lt;/b&gt; &amp; 1 &lt; 2 &gt; 0"
    assert escape_html('say "hi"') == 'say "hi"'


def test_short_text_is_one_part_and_blank_text_is_none():
    assert split_text("  Shelter open.  ") == ["Shelter open."]
    assert split_text("   \n ") == []


def test_long_text_splits_at_sentence_ends_in_order():
    sentences = [f"Sentence {i:04d} says the river is rising near gate {i}." for i in range(300)]
    text = " ".join(sentences)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert all(part.endswith(".") for part in parts)  # never cut inside a sentence
    assert " ".join(parts) == text  # nothing lost, nothing reordered


def test_paragraph_breaks_are_sentence_boundaries():
    text = "Heading without a full stop\n" + "word " * 900 + "end."
    parts = split_text(text, limit=100)
    assert parts[0] == "Heading without a full stop"


def test_a_sentence_longer_than_a_part_splits_between_words():
    text = "alpha " * 2000  # 12000 characters, no sentence end
    parts = split_text(text)
    assert len(parts) == 3
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert all(word == "alpha" for part in parts for word in part.split(" "))


def test_a_word_longer_than_a_part_is_cut_hard():
    assert split_text("x" * 10, limit=4) == ["xxxx", "xxxx", "xx"]


def test_length_counts_utf16_units_and_never_splits_an_emoji():
    parts = split_text("🌊" * 5, limit=4)  # each wave is two UTF-16 units
    assert parts == ["🌊🌊", "🌊🌊", "🌊"]
    assert utf16_len("a🌊") == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    in_syntax("/", PARSED) + [
        ("/START@relay_sandbox_bot fr", Command("start", "fr")),
        ("/start@other_bot", None),  # addressed to another bot in the group
        ("hello /start", None),
        ("just text", None),
        ("/", None),
        ("/start-now", None),
    ],
)  # fmt: skip
def test_parse_command(text, expected):
    assert parse_command(text, bot_username="relay_sandbox_bot") == expected


@pytest.mark.parametrize(("text", "message"), in_syntax("/", REFUSED))
def test_bad_commands_explain_what_was_wrong(text, message):
    with pytest.raises(CommandError, match=message):
        parse_command(text)


def test_addressed_command_is_accepted_when_the_bot_name_is_unknown():
    assert parse_command("/help@whatever_bot") == Command("help", "")
