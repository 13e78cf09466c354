"""MatrixSettings: typed validation, placeholders refused with a message naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels.base import SenderLimit
from channels.matrix import MatrixChannel, MatrixSettings

GOOD = {"homeserver": "https://matrix.relay.test", "user_id": "@relay:relay.test", "access_token": "syt_cmVsYXk_abcDEF123"}


def settings(**changes: object) -> MatrixSettings:
    return MatrixSettings(**{**GOOD, **changes})


def test_good_settings_and_the_limits_they_declare():
    channel = MatrixChannel(settings(messages_per_second=0.5, burst=4))
    assert channel.name == "matrix"
    assert channel.senders() == ["@relay:relay.test"]
    assert channel.limit("@relay:relay.test") == SenderLimit(rate=0.5, burst=4)
    assert channel.cost("any text at all") == 1
    assert MatrixChannel(settings()).limit("@relay:relay.test") == SenderLimit(rate=0.2, burst=10)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"homeserver": "https://matrix.example.org"}, "homeserver", "placeholder"),
        ({"homeserver": "matrix.org"}, "homeserver", "http(s) URL"),
        ({"user_id": "@bot:example.com"}, "user_id", "placeholder"),
        ({"user_id": "bot"}, "user_id", "@bot:server"),
        ({"access_token": "CHANGEME"}, "access_token", "placeholder"),
        ({"access_token": "<your access token>"}, "access_token", "placeholder"),
        ({"access_token": None, "password": "your-password"}, "password", "placeholder"),
        ({"access_token": None}, "access_token", "give access_token, or password"),
        ({"device_id": " "}, "device_id", "empty or a placeholder"),
        ({"allowed_inviters": ["ana"]}, "allowed_inviters", "neither a user id"),
        ({"messages_per_second": -1}, "messages_per_second", ">= 0"),
        ({"burst": 0}, "burst", "> 0"),
        ({"sync_timeout_ms": -5}, "sync_timeout_ms", "between 0 and 600000"),
        ({"token": "syt_abc"}, "token", "Extra inputs are not permitted"),
    ],
)
def test_bad_values_are_refused_naming_the_field(changes, field, words):
    with pytest.raises(ValidationError) as caught:
        settings(**changes)
    text = str(caught.value)
    assert field in text and words in text


def test_invites_are_allowed_by_user_or_by_server():
    rules = settings(allowed_inviters=["@ana:relay.test", ":partner.org"])
    assert rules.inviter_allowed("@ana:relay.test")
    assert rules.inviter_allowed("@anyone:partner.org")
    assert not rules.inviter_allowed("@ben:relay.test")
    assert not rules.inviter_allowed("@eve:evilpartner.org")
    assert not settings().inviter_allowed("@ana:relay.test")


def test_secrets_do_not_show_in_reprs():
    text = repr(settings(password="correct horse battery"))
    assert "syt_cmVsYXk_abcDEF123" not in text and "correct horse" not in text
