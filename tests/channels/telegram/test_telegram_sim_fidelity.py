"""The Bot API simulator against Telegram's own behaviour (issue 17, item 10): a basic group upgraded to
a supergroup answers with `migrate_to_chat_id`; the 4,096 limit counts code points after entity parsing
(tdlib's utf8_length), not UTF-16 units; the HTML parser refuses what tdlib refuses, with tdlib's words
(the expected descriptions are the ones in tdlib's own MessageEntities test)."""

from __future__ import annotations

import pytest

from channels.sandbox.telegram_html import HtmlError, parse_html
from tests.channels.telegram.support import ANA, GROUP
from tests.channels.telegram.test_telegram_sim import call

SUPERGROUP = -1001234567890


async def test_an_upgraded_group_answers_with_migrate_to_chat_id(start_telegram_sim):
    sim = await start_telegram_sim()
    sim.upgrade_group(GROUP, SUPERGROUP)
    status, body = await call(sim, "sendMessage", json_body={"chat_id": GROUP, "text": "hello"})
    assert (status, body) == (400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                                    "parameters": {"migrate_to_chat_id": SUPERGROUP}})
    status, body = await call(sim, "sendMessage", json_body={"chat_id": SUPERGROUP, "text": "hello"})
    assert status == 200 and body["result"]["chat"]["id"] == SUPERGROUP
    assert body["result"]["chat"]["type"] == "supergroup"


async def test_the_limit_is_4096_code_points_not_utf16_units(start_telegram_sim):
    sim = await start_telegram_sim()
    emoji = "\U0001F30A" * 4096  # 4,096 code points, 8,192 UTF-16 units: Telegram takes it
    assert (await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": emoji}))[0] == 200
    status, body = await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": emoji + "x"})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    marked = "<b>" + "\U0001F30A" * 4096 + "</b>"  # the markup is not counted
    assert (await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": marked, "parse_mode": "HTML"}))[0] == 200


@pytest.mark.parametrize("html, description", [
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba>", 'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    ("<a href=https://ex.org/map>map</a>", "Unexpected end of name token at byte offset 8"),
])  # fmt: skip
def test_html_attributes_as_tdlib_reads_them(html, description):
    with pytest.raises(HtmlError) as refused:
        parse_html(html)
    assert str(refused.value) == description


def test_an_unquoted_name_token_is_still_taken_lower_cased():
    assert parse_html("<span class=TG-Spoiler>s</span>") == ("s", [{"type": "spoiler", "offset": 0, "length": 1}])
