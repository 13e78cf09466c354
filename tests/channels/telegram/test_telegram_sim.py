"""The Bot API simulator on the wire: shapes, errors and limits exactly as a Bot API client sees them."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from pydantic import ValidationError

from channels.sandbox.telegram_html import HtmlError, parse_html
from channels.sandbox.telegram_limits import FloodControl
from channels.sandbox.telegram_sim import SimGroup, SimUser, TelegramSimSettings
from tests.channels.telegram.support import ANA, BEN, GROUP, TOKEN


async def call(sim, method: str, *, token: str = TOKEN, json_body=None, form=None, query=None, multipart=None):
    url = f"{sim.base_url}/bot{token}/{method}"
    async with aiohttp.ClientSession() as session:
        if multipart is not None:
            data = aiohttp.FormData()
            for key, value in multipart.items():
                data.add_field(key, value, content_type="text/plain")  # a content type forces multipart
            request = session.post(url, data=data)
        elif json_body is not None:
            request = session.post(url, json=json_body)
        elif form is not None:
            request = session.post(url, data=form)
        else:
            request = session.get(url, params=query)
        async with request as response:
            return response.status, await response.json()


async def test_get_me_and_auth_and_unknown_methods(start_telegram_sim):
    sim = await start_telegram_sim()
    status, body = await call(sim, "getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == 123456789 and body["result"]["is_bot"] is True
    assert await call(sim, "getMe", token="123456789:wrong") == (
        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    assert await call(sim, "sendSticker") == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert (await call(sim, "getme"))[0] == 200  # method names are case-insensitive, as in Telegram


async def test_send_message_accepts_json_form_query_and_multipart(start_telegram_sim):
    sim = await start_telegram_sim()
    bodies = [
        {"json_body": {"chat_id": ANA, "text": "json"}},
        {"form": {"chat_id": str(ANA), "text": "form"}},
        {"query": {"chat_id": str(ANA), "text": "query"}},
        {"multipart": {"chat_id": str(ANA), "text": "multipart"}},
    ]
    for index, body in enumerate(bodies, start=1):
        status, answer = await call(sim, "sendMessage", **body)
        assert status == 200, answer
        message = answer["result"]
        assert message["message_id"] == index and message["chat"] == {
            "id": ANA, "type": "private", "first_name": "Ana", "last_name": "Lima", "username": "ana"
        }
        assert message["from"]["is_bot"] is True and isinstance(message["date"], int)
    assert [m.text for m in sim.sent(ANA)] == ["json", "form", "query", "multipart"]
    group = (await call(sim, "sendMessage", json_body={"chat_id": GROUP, "text": "hi"}))[1]["result"]
    assert group["chat"] == {"id": GROUP, "type": "group", "title": "Riverside mutual aid"}


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": ANA, "text": "<b>bold", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"'),
        ({"chat_id": ANA, "text": "a < b", "parse_mode": "HTML"},
         "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2"),
        ({"chat_id": ANA, "text": "é<blink>x</blink>", "parse_mode": "HTML"},
         "Bad Request: can't parse entities: Unsupported start tag \"blink\" at byte offset 2"),
        ({"chat_id": ANA, "text": "<b><i>x</b></i>", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ({"chat_id": ANA, "text": "x</b>", "parse_mode": "HTML"},
         "Bad Request: can't parse entities: Unexpected end tag at byte offset 1"),
        ({"chat_id": ANA, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": ANA, "text": "<b> </b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        ({"chat_id": ANA, "text": "x" * 4097}, "Bad Request: message is too long"),
        ({"chat_id": ANA, "text": "🌊" * 4097}, "Bad Request: message is too long"),  # 4097 code points
        ({"chat_id": ANA, "text": "x", "parse_mode": "BBCode"}, "Bad Request: unsupported parse_mode"),
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 777, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": "@nobody", "text": "x"}, "Bad Request: chat not found"),
    ],
)  # fmt: skip
async def test_send_message_rejections_use_telegram_wording(start_telegram_sim, params, description):
    sim = await start_telegram_sim()
    status, body = await call(sim, "sendMessage", json_body=params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert sim.stats["rejected"] == 1 and sim.stats["accepted"] == 0
    assert not sim.jsonl_path.read_text()


async def test_exactly_4096_units_and_escaped_markup_are_accepted(start_telegram_sim):
    sim = await start_telegram_sim()
    assert (await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": "x" * 4096}))[0] == 200
    escaped = "&lt;b&gt; &amp; " + "y" * 4090  # 4096 visible characters once the entities are decoded
    status, body = await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": escaped, "parse_mode": "HTML"})
    assert status == 200 and body["result"]["text"].startswith("<b> & y")


async def test_blocked_and_deactivated_users_are_forbidden(start_telegram_sim):
    sim = await start_telegram_sim()
    sim.set_user(BEN, blocked=True)
    assert await call(sim, "sendMessage", json_body={"chat_id": BEN, "text": "x"}) == (
        403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    )
    sim.set_user(BEN, blocked=False, deactivated=True)
    assert (await call(sim, "sendMessage", json_body={"chat_id": BEN, "text": "x"}))[1]["description"] == (
        "Forbidden: user is deactivated"
    )


async def test_writing_to_the_bot_undoes_a_block(start_telegram_sim):
    sim = await start_telegram_sim()
    sim.set_user(BEN, blocked=True)
    sim.inject_message(BEN, "/start")
    assert (await call(sim, "sendMessage", json_body={"chat_id": BEN, "text": "welcome back"}))[0] == 200


async def test_flood_control_answers_429_with_retry_after(start_telegram_sim):
    sim = await start_telegram_sim(per_chat_per_second=0.5, burst_tolerance=0)
    assert (await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": "1"}))[0] == 200
    status, body = await call(sim, "sendMessage", json_body={"chat_id": ANA, "text": "2"})
    assert status == 429
    assert body == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2},
    }  # fmt: skip
    assert sim.stats["rate_limited_chat"] == 1 and sim.stats["rejected"] == 0
    assert [r["text"] for r in map(json.loads, sim.jsonl_path.read_text().splitlines())] == ["1"]


def test_flood_control_paces_with_a_burst_tolerance():
    flood = FloodControl(per_chat_per_second=1, per_group_per_minute=20, per_second=30, tolerance=2)
    now = 1000.0
    assert [flood.admit(1, False, now) for _ in range(3)] == [None, None, None]  # a burst of 1 + 2
    kind, wait = flood.admit(1, False, now)
    assert kind == "chat" and wait == pytest.approx(1.0)
    assert flood.admit(1, False, now + 1.0) is None  # exactly at the pace: admitted
    assert flood.admit(2, False, now + 1.0) is None  # another chat has its own pace
    group = [flood.admit(-5, True, now + 2 + i * 3.0) for i in range(10)]  # 20/min is one per 3 s
    assert group == [None] * 10
    burst = [flood.admit(-5, True, now + 29) for _ in range(3)]  # the 10th paced one was at now + 29
    assert burst[:2] == [None, None] and burst[2] == ("group", pytest.approx(3.0))


def test_bot_wide_limit_holds_across_chats():
    flood = FloodControl(per_chat_per_second=1, per_group_per_minute=20, per_second=30, tolerance=2)
    answers = [flood.admit(chat, False, 0.0) for chat in range(10)]
    assert answers[:3] == [None, None, None] and answers[3][0] == "global"
    # Paced at exactly 30/s, a thousand different chats all pass.
    assert all(flood.admit(chat, False, 1.0 + chat / 30) is None for chat in range(100, 1100))


def test_a_refused_message_is_not_charged():
    flood = FloodControl(per_chat_per_second=1, per_group_per_minute=20, per_second=1, tolerance=0)
    assert flood.admit(1, False, 0.0) is None
    assert flood.admit(1, False, 0.5) is not None  # chat refuses
    assert flood.admit(2, False, 1.0) is None  # so the bot-wide pace still has room at t=1


async def test_get_updates_confirms_below_offset_and_supports_negative_offsets(start_telegram_sim):
    sim = await start_telegram_sim()
    for text in ("a", "b", "c"):
        sim.inject_message(ANA, text)
    _, body = await call(sim, "getUpdates", query={"limit": "2"})
    assert [u["update_id"] for u in body["result"]] == [1, 2]
    _, body = await call(sim, "getUpdates", query={"offset": "2"})
    assert [u["message"]["text"] for u in body["result"]] == ["b", "c"]
    _, body = await call(sim, "getUpdates", query={"offset": "-1"})
    assert [u["update_id"] for u in body["result"]] == [3]
    _, body = await call(sim, "getUpdates", query={"offset": "4"})
    assert body["result"] == []


async def test_allowed_updates_persist_and_filter(start_telegram_sim):
    sim = await start_telegram_sim()
    await call(sim, "getUpdates", form={"allowed_updates": '["message"]'})
    update = sim.inject_message(ANA, "hi")
    sim.inject_edit(ANA, update["message"]["message_id"], "hi there")
    _, body = await call(sim, "getUpdates")
    assert [list(u)[1] for u in body["result"]] == ["message"]
    assert sim.stats["updates_filtered"] == 1


async def test_a_second_poller_ends_the_first_with_409(start_telegram_sim):
    sim = await start_telegram_sim()
    first = asyncio.ensure_future(call(sim, "getUpdates", query={"timeout": "20"}))
    while not sim.updates.long_polling:
        await asyncio.sleep(0.01)
    second = asyncio.ensure_future(call(sim, "getUpdates", query={"timeout": "20"}))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    sim.inject_message(ANA, "for the survivor")
    assert (await asyncio.wait_for(second, 5))[1]["result"][0]["message"]["text"] == "for the survivor"


async def test_set_webhook_validates_the_secret_and_reports_itself(start_telegram_sim):
    sim = await start_telegram_sim()
    bad = await call(sim, "setWebhook", form={"url": "http://127.0.0.1:9/hook", "secret_token": "no spaces!"})
    assert bad[0] == 400 and bad[1]["description"] == "Bad Request: secret token contains unallowed characters"
    assert (await call(sim, "setWebhook", form={"url": "ftp://x"}))[0] == 400
    ok = await call(sim, "setWebhook", form={"url": "http://127.0.0.1:9/hook", "secret_token": "abc"})
    assert ok == (200, {"ok": True, "result": True, "description": "Webhook was set"})
    info = (await call(sim, "getWebhookInfo"))[1]["result"]
    assert info["url"] == "http://127.0.0.1:9/hook"
    assert (await call(sim, "deleteWebhook"))[1]["description"] == "Webhook was deleted"
    assert (await call(sim, "deleteWebhook"))[1]["description"] == "Webhook is already deleted"


async def test_unreachable_webhook_is_retried_then_dropped(start_telegram_sim):
    sim = await start_telegram_sim(webhook_max_attempts=3)
    await call(sim, "setWebhook", form={"url": "http://127.0.0.1:9/nothing-listens"})
    sim.inject_message(ANA, "lost")
    while sim.stats["webhook_dropped"] < 1:
        await asyncio.sleep(0.01)
    assert sim.stats["webhook_failures"] == 3
    info = (await call(sim, "getWebhookInfo"))[1]["result"]
    assert info["pending_update_count"] == 0 and info["last_error_message"].startswith("Connection failed")


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>bold</b> and <i>it</i>", "bold and it",
         [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 9, "length": 2}]),
        ("🌊<u>x</u>", "🌊x", [{"type": "underline", "offset": 2, "length": 1}]),  # offsets in UTF-16 units
        ('<a href="https://ex.org/?a=1&amp;b=2">map</a>', "map",
         [{"type": "text_link", "offset": 0, "length": 3, "url": "https://ex.org/?a=1&b=2"}]),
        ("&lt;&gt;&amp;&quot;&#65;&#x42; & alone &nbsp;", '<>&"AB & alone &nbsp;', []),
        ('<span class="tg-spoiler">s</span>', "s", [{"type": "spoiler", "offset": 0, "length": 1}]),
        ("<b><i>bi</i></b>", "bi",
         [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 0, "length": 2}]),
    ],
)  # fmt: skip
def test_html_parser(html, text, entities):
    if html.startswith("<a"):
        html = html.replace("&amp;", "&")  # attribute values are taken as written
    assert parse_html(html) == (text, entities)


@pytest.mark.parametrize("html", ["<b", "<span>x</span>", "</", "<b>x</b", "&#0;"])
def test_html_parser_refuses_broken_markup(html):
    with pytest.raises(HtmlError):
        parse_html(html)


def test_simulator_settings_are_checked():
    with pytest.raises(ValidationError, match="not in users"):
        TelegramSimSettings(
            token=TOKEN, users=[SimUser(id=1, first_name="A")], groups=[SimGroup(id=-1, title="g", members=[2])]
        )
    with pytest.raises(ValidationError, match="positive"):
        SimUser(id=-1, first_name="A")
    with pytest.raises(ValidationError, match="negative"):
        SimGroup(id=5, title="g")
    with pytest.raises(ValidationError, match="per_chat_per_second must be >= 0"):
        TelegramSimSettings(token=TOKEN, per_chat_per_second=-1)
    with pytest.raises(ValidationError, match="token must look like"):
        TelegramSimSettings(token="nope")
