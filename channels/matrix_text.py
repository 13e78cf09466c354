"""Matrix's wire format without nio: message content, HTML escaping, events as `Inbound`, `!` commands.

Kept apart from `channels/matrix.py` so the relay core and the bridge can use them without importing
the SDK, and so they can be tested as plain functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from channels.base import Inbound
from channels.chat_commands import COMMANDS, Command, CommandError, checked  # noqa: F401 (re-exported)

CHANNEL = "matrix"

HTML_FORMAT = "org.matrix.custom.html"
# The spec caps a whole event at 65536 bytes of canonical JSON; the text travels twice (body and
# formatted_body), escaped, inside an envelope of ids and signatures. This leaves room for all of it.
MAX_TEXT_BYTES = 24_000

_REPLY_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n?", re.MULTILINE)


def format_html(text: str) -> str:
    """User text as `formatted_body`: `<b>` typed by a person shows as `<b>`, and line breaks survive.

    Clients render `formatted_body` as HTML and collapse plain newlines, so each one becomes `<br>`.
    """
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def message_content(text: str, msgtype: str = "m.text") -> dict[str, str]:
    """The `m.room.message` content for `text`: the plain `body` plus the escaped HTML rendering.

    Raises ValueError for an empty text or one too large for a Matrix event.
    """
    if not text.strip():
        raise ValueError("message text is empty: Matrix clients show nothing for an empty body")
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ValueError(f"message text is {size} bytes; a Matrix event carries at most {MAX_TEXT_BYTES}")
    return {"msgtype": msgtype, "body": text, "format": HTML_FORMAT, "formatted_body": format_html(text)}


def edit_content(event_id: str, text: str) -> dict[str, object]:
    """The content that replaces the text of `event_id` (an `m.replace` relation).

    Clients that understand edits show `m.new_content`; older ones show the `* text` fallback.
    """
    new = message_content(text)
    fallback = message_content(f"* {text}")
    return {**fallback, "m.new_content": new, "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}}


def strip_reply_fallback(body: str) -> str:
    """The person's own words of a reply: clients prefix replies with the quoted original (`> ...`).

    Only the leading block of `>` lines and the blank line after it are removed.
    """
    return _REPLY_FALLBACK.sub("", body, count=1) if body.startswith(">") else body


# -- timeline events as Inbound ----------------------------------------------------------------------


def parse_event(source: Mapping[str, Any], room_id: str, own_user_id: str, display_name: str | None = None) -> Inbound | None:
    """A raw timeline event as `Inbound`, or None when it is not a person's message.

    Reported: `m.text` and `m.emote` messages (an edit carries `raw["edit_of"]` and the new text, a
    reply `raw["in_reply_to"]` and the text without its quoted fallback) and redactions (empty text,
    `raw["redacts"]`). Never reported: our own events, `m.notice` (by Matrix convention what bots
    send, so bots do not answer each other), media, and messages already redacted.
    """
    sender = source.get("sender")
    event_id = source.get("event_id")
    if not isinstance(sender, str) or not isinstance(event_id, str) or sender == own_user_id:
        return None
    content = source.get("content")
    content = content if isinstance(content, Mapping) else {}
    raw = {"room_id": room_id, "event_id": event_id, "display_name": display_name or _localpart(sender)}
    kind = source.get("type")
    if kind == "m.room.redaction":
        target = content.get("redacts") or source.get("redacts")
        if not isinstance(target, str):
            return None
        text = ""
        raw.update(kind="redaction", redacts=target)
    elif kind == "m.room.message":
        relates = content.get("m.relates_to")
        relates = relates if isinstance(relates, Mapping) else {}
        msgtype = content.get("msgtype")
        if relates.get("rel_type") == "m.replace" and isinstance(content.get("m.new_content"), Mapping):
            content = content["m.new_content"]
            msgtype = content.get("msgtype", msgtype)
            raw.update(kind="edit", edit_of=str(relates.get("event_id", "")))
        else:
            raw["kind"] = "message"
        body = content.get("body")
        if msgtype not in ("m.text", "m.emote") or not isinstance(body, str):
            return None
        reply = relates.get("m.in_reply_to")
        if isinstance(reply, Mapping) and isinstance(reply.get("event_id"), str):
            raw["in_reply_to"] = reply["event_id"]
            body = strip_reply_fallback(body)
        text = body
        raw["msgtype"] = msgtype
    else:
        return None
    kind = raw.get("kind", "message")
    return Inbound(
        channel=CHANNEL,
        provider_message_id=event_id,
        sender=sender,
        recipient=room_id,
        text=text,
        received_at=_timestamp(source.get("origin_server_ts")),
        raw=raw,
        person=sender,
        conversation=room_id,
        kind=kind,
        message_key={"edit": raw.get("edit_of"), "redaction": raw.get("redacts")}.get(kind) or event_id,
        reply_to=raw.get("in_reply_to"),
        display_name=raw["display_name"],
    )


def after_own_join(events: Sequence[Mapping[str, Any]], own_user_id: str) -> Sequence[Mapping[str, Any]]:
    """The events after our latest join in this list (all of them when we did not join in it)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("type") == "m.room.member" and event.get("state_key") == own_user_id:
            content = event.get("content") or {}
            previous = (event.get("unsigned") or {}).get("prev_content") or {}
            if content.get("membership") == "join" and previous.get("membership") != "join":
                return events[index + 1 :]
    return events


def display_names(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """User id → display name from the `m.room.member` events among `events` (later ones win)."""
    names: dict[str, str] = {}
    for event in events:
        if event.get("type") == "m.room.member" and isinstance(event.get("state_key"), str):
            name = (event.get("content") or {}).get("displayname")
            if isinstance(name, str) and name.strip():
                names[event["state_key"]] = name
    return names


def _localpart(user_id: str) -> str:
    return user_id[1:].partition(":")[0] if user_id.startswith("@") else user_id


def _timestamp(value: object) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # a time no clock shows: take the time it arrived
            return datetime.now(timezone.utc)
    return datetime.now(timezone.utc)


# -- chat commands -------------------------------------------------------------------------------------

_COMMAND = re.compile(r"^!([A-Za-z0-9_]{1,32})(?=\s|$)(.*)$", re.DOTALL)


def parse_command(text: str) -> Command | None:
    """`!lang es` → `Command("lang", "es")`; None when the text is no `!` command.

    A reply's quoted fallback is ignored, so replying `!ack A7K2` to an alert works. Arguments are
    checked for the commands that take them, raising `CommandError` with a reply-ready message: `!lang`
    needs a language code, `!ack` and `!verify` a code, `!broadcast` a text; `!start` accepts an
    optional language code. Language codes come back lower case with `-` (`pt_BR` → `pt-br`). An
    unknown `!word` also raises `CommandError`, pointing at `!help`.
    """
    match = _COMMAND.match(strip_reply_fallback(text).strip())
    if match is None:
        return None
    name, rest = match.group(1).lower(), match.group(2).strip()
    return checked("!", name, rest)
