"""Telegram updates as `Inbound`: the webhook's secret check and the JSON parsing, which need no aiogram
(the webhook path and the polling loop share them; `channels/telegram.py` holds every aiogram call)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from channels.base import Inbound, InvalidSignature
from channels.telegram_settings import SECRET_HEADER, TelegramSettings
from channels.telegram_text import MAX_MESSAGE_UNITS

CHANNEL = "telegram"


def verify_webhook(secret_header: str | None, settings: TelegramSettings) -> None:
    """Raise `InvalidSignature` unless the X-Telegram-Bot-Api-Secret-Token header is our secret."""
    if settings.webhook_secret is None:
        raise InvalidSignature("no telegram.webhook_secret is configured: refusing every webhook request")
    expected = settings.webhook_secret.get_secret_value().encode()
    if not secret_header or not hmac.compare_digest(secret_header.encode(), expected):
        raise InvalidSignature(f"{SECRET_HEADER} is missing or wrong")


def parse_webhook(secret_header: str | None, body: bytes | str, settings: TelegramSettings) -> Inbound | None:
    """A webhook request, checked and parsed: `InvalidSignature` first, then `ValueError` for bad JSON."""
    verify_webhook(secret_header, settings)
    try:
        update = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"Telegram webhook body is not JSON: {exc}") from None
    except RecursionError:  # no update Telegram sends is nested more than a few levels
        raise ValueError("Telegram webhook body is nested too deeply") from None
    return parse_update(update, recipient=settings.bot_id)


def parse_update(update: Mapping[str, Any], recipient: str = "") -> Inbound | None:
    """A Bot API update as an `Inbound`, or None when it carries no text (or location) message for the relay.

    `provider_message_id` is the update_id, so a redelivered update is recognised. `sender` is the
    chat id for a private chat, and `"chat_id:user_id"` in a group: the group is where replies and
    broadcasts go, the user is who speaks (and whose tier counts for `/broadcast`). Edits come through
    with `raw["edited"] == "true"` and the id of the edited message in `raw["message_id"]`.
    """
    if not isinstance(update, Mapping) or not isinstance(update.get("update_id"), int):
        raise ValueError("a Telegram update must be a JSON object with an integer update_id")
    edited = "edited_message" in update
    message = update.get("edited_message") if edited else update.get("message")
    if not isinstance(message, Mapping):
        return None
    text = message.get("text", message.get("caption"))
    chat, user = message.get("chat"), message.get("from")
    location = _location(message.get("location"))
    if text is None and location is not None:
        text = ""  # a shared location is a message without words
    if not isinstance(text, str) or not isinstance(chat, Mapping) or not isinstance(chat.get("id"), int):
        return None
    if "\x00" in text or len(text) > 2 * MAX_MESSAGE_UNITS:
        raise ValueError("message text has a NUL character or is longer than Telegram allows")
    if not all(abs(v) < 2**63 for v in (update["update_id"], chat["id"], *(
            [user["id"]] if isinstance(user, Mapping) and isinstance(user.get("id"), int) else []))):
        raise ValueError("an id in the update is outside Telegram's 64-bit range")
    user = user if isinstance(user, Mapping) else {}
    chat_type = str(chat.get("type", "private"))
    chat_id, user_id = chat["id"], user.get("id")
    sender = str(chat_id) if chat_type == "private" or user_id is None else f"{chat_id}:{user_id}"
    stamp = message.get("edit_date") if edited else message.get("date")
    name = " ".join(str(part) for part in (user.get("first_name"), user.get("last_name")) if part)
    raw = {
        "update_id": str(update["update_id"]),
        "message_id": str(message.get("message_id", "")),
        "chat_id": str(chat_id),
        "chat_type": chat_type,
        "chat_title": str(chat.get("title", "")),
        "user_id": "" if user_id is None else str(user_id),
        "username": str(user.get("username", "")),
        "display_name": name or str(chat.get("title", "")),
        "language_code": str(user.get("language_code", "")),
        "edited": "true" if edited else "false",
    }
    replied = message.get("reply_to_message")
    return Inbound(
        channel=CHANNEL,
        provider_message_id=str(update["update_id"]),
        sender=sender,
        recipient=recipient,
        text=text,
        received_at=_timestamp(stamp),
        raw=raw,
        person=str(chat_id) if chat_type == "private" or user_id is None else str(user_id),
        conversation=str(chat_id),
        group=chat_type in ("group", "supergroup"),
        kind="edit" if edited else "message",
        message_key=f"{chat_id}:{message.get('message_id', update['update_id'])}",
        reply_to=str(replied["message_id"]) if isinstance(replied, Mapping) and "message_id" in replied else None,
        display_name=name or str(user.get("username", "")) or str(chat.get("title", "")),
        conversation_name=str(chat.get("title", "")),
        language_hint=str(user.get("language_code", "")),
        location=location,
    )


def _location(value: object) -> tuple[float, float] | None:
    """A Bot API `Location` ({"latitude", "longitude"}) as (lat, lon); a malformed one is a bad update."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("message.location must be an object")
    lat, lon = value.get("latitude"), value.get("longitude")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
        raise ValueError("message.location needs numeric latitude and longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"message.location {lat},{lon} is outside the range of latitudes and longitudes")
    return float(lat), float(lon)


def _timestamp(value: object) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # a time no clock shows: take the time it arrived
            return datetime.now(timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.now(timezone.utc)
