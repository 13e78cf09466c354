"""`TelegramSettings` refuses what would fail later, naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels.telegram import TelegramSettings
from tests.channels.telegram.support import TOKEN


def test_good_settings_and_the_bot_id():
    settings = TelegramSettings(token=TOKEN, api_base_url="http://127.0.0.1:8081/")
    assert settings.bot_id == "123456789"
    assert settings.api_base_url == "http://127.0.0.1:8081"
    assert TOKEN not in repr(settings)  # the token is a secret


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "token is empty"),
        ("123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "placeholder"),  # the token in Telegram's docs
        ("123456789:your-bot-token-goes-here-now", "placeholder"),
        ("123456789:CHANGEME_changeme_changeme", "placeholder"),
        ("<bot token>", "placeholder"),
        ("123456789:aaaaaaaaaaaaaaaaaaaaaaaa", "placeholder"),
        ("abc:AAFq3bX9_kLmNoPqRsTuVwXyZ0123456789", "does not look like a bot token"),
        ("123456789:short", "does not look like a bot token"),
        ("123456789 AAFq3bX9_kLmNoPqRsTuVwXyZ0123456789", "does not look like a bot token"),
    ],
)
def test_bad_tokens_are_refused_naming_the_field(token, words):
    with pytest.raises(ValidationError, match=words) as caught:
        TelegramSettings(token=token)
    assert caught.value.errors()[0]["loc"] == ("token",)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"inbound": "webhook"}, "webhook_secret is required"),
        ({"webhook_secret": "has spaces in it"}, "webhook_secret must be"),
        ({"api_base_url": "127.0.0.1:8081"}, "api_base_url must be an http"),
        ({"messages_per_second": -1}, "messages_per_second must be >= 0"),
        ({"per_group_per_minute": -0.5}, "per_group_per_minute must be >= 0"),
        ({"timeout_seconds": 0}, "timeout_seconds must be > 0"),
        ({"inbound": "carrier-pigeon"}, "inbound"),
    ],
)
def test_bad_settings_say_what_is_wrong(overrides, words):
    with pytest.raises(ValidationError, match=words):
        TelegramSettings(token=TOKEN, **overrides)


async def test_using_the_channel_before_start_is_a_clear_error():
    from channels.base import Outbound
    from channels.telegram import TelegramChannel

    channel = TelegramChannel(TelegramSettings(token=TOKEN))
    with pytest.raises(RuntimeError, match="before start"):
        await channel.send(Outbound(1, channel.bot_id, "1", "x"))
