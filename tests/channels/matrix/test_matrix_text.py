"""Matrix text rules as plain functions: HTML escaping, message content, reply fallbacks, `!` commands."""

from __future__ import annotations

import pytest

from channels.matrix_text import (
    Command,
    CommandError,
    after_own_join,
    display_names,
    edit_content,
    format_html,
    message_content,
    parse_command,
    parse_event,
    strip_reply_fallback,
)
from tests.channels.chat_command_cases import PARSED, REFUSED, in_syntax


def test_html_typed_by_a_person_is_shown_as_text_and_line_breaks_survive():
    assert format_html("<script>alert(1)</script> & <b>") == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"
    assert format_html("line one\nline two\r\nline three") == "line one<br>line two<br>line three"


def test_message_content_carries_the_plain_body_and_the_html_rendering():
    assert message_content("Tom & Jerry <3") == {
        "msgtype": "m.text",
        "body": "Tom & Jerry <3",
        "format": "org.matrix.custom.html",
        "formatted_body": "Tom &amp; Jerry &lt;3",
    }


@pytest.mark.parametrize(("text", "reason"), [("", "empty"), (" \n ", "empty"), ("é" * 13_000, "bytes")])
def test_message_content_refuses_what_matrix_cannot_carry(text, reason):
    with pytest.raises(ValueError, match=reason):
        message_content(text)


def test_an_edit_replaces_the_original_and_keeps_a_fallback_for_old_clients():
    content = edit_content("$original", "Shelter <moved>")
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$original"}
    assert content["m.new_content"]["body"] == "Shelter <moved>"
    assert content["m.new_content"]["formatted_body"] == "Shelter &lt;moved&gt;"
    assert content["body"] == "* Shelter <moved>"


def test_a_replys_quoted_fallback_is_removed_and_plain_quotes_are_kept():
    reply = "> <@ana:hs> Shelter open\n> at the school\n\n!ack A7K2"
    assert strip_reply_fallback(reply) == "!ack A7K2"
    assert strip_reply_fallback("no quote here\n> not leading") == "no quote here\n> not leading"


@pytest.mark.parametrize(
    ("text", "expected"),
    in_syntax("!", PARSED) + [("> <@ana:hs> Alert\n\n!ack A7K2", Command("ack", "A7K2"))],  # after a reply's quote
)
def test_commands_are_recognised_with_their_arguments(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["hello", "start", "/start", "! start", "!start-now", "wow!start", ""])
def test_ordinary_text_is_not_a_command(text):
    assert parse_command(text) is None


@pytest.mark.parametrize(("text", "message"), in_syntax("!", REFUSED))
def test_unusable_commands_get_a_reply_saying_what_was_wrong(text, message):
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert message in str(caught.value)


# -- timeline events as Inbound ----------------------------------------------------------------------

BOT = "@relay:hs"


def _event(**fields: object) -> dict[str, object]:
    return {"type": "m.room.message", "event_id": "$e1", "sender": "@ana:hs", "origin_server_ts": 1_700_000_000_000,
            "content": {"msgtype": "m.text", "body": "hi"}, **fields}  # fmt: skip


def test_a_text_message_becomes_an_inbound_with_its_time_and_name():
    inbound = parse_event(_event(), "!room:hs", BOT, "Ana")
    assert inbound is not None
    assert (inbound.channel, inbound.sender, inbound.recipient, inbound.text) == ("matrix", "@ana:hs", "!room:hs", "hi")
    assert inbound.received_at.timestamp() == 1_700_000_000
    assert inbound.raw["display_name"] == "Ana"
    assert parse_event(_event(), "!room:hs", BOT).raw["display_name"] == "ana"  # no name known: the localpart


@pytest.mark.parametrize(
    "event",
    [
        _event(sender=BOT),  # our own
        _event(content={"msgtype": "m.notice", "body": "another bot"}),
        _event(content={"msgtype": "m.image", "body": "photo.jpg", "url": "mxc://hs/x"}),
        _event(content={}),  # already redacted
        _event(type="m.reaction", content={"m.relates_to": {"rel_type": "m.annotation", "key": "👍"}}),
        _event(type="m.room.redaction", sender=BOT, redacts="$x", content={"redacts": "$x"}),
    ],
)
def test_events_that_are_no_persons_message_are_not_reported(event):
    assert parse_event(event, "!room:hs", BOT) is None


def test_only_what_follows_our_own_join_counts():
    before, after = _event(event_id="$before"), _event(event_id="$after")
    join = {"type": "m.room.member", "state_key": BOT, "sender": BOT, "content": {"membership": "join"},
            "unsigned": {"prev_content": {"membership": "invite"}}}  # fmt: skip
    rename = {**join, "unsigned": {"prev_content": {"membership": "join"}}}
    assert after_own_join([before, join, after], BOT) == [after]
    assert after_own_join([before, rename, after], BOT) == [before, rename, after]
    assert display_names([{"type": "m.room.member", "state_key": "@ana:hs", "content": {"displayname": "Ana M"}}]) == {
        "@ana:hs": "Ana M"
    }
