"""The simulator's messages: Twilio's Message resource in memory and an append-only JSONL on disk.

The JSONL is the ground truth for tests that kill the relay (or the simulator) with SIGKILL and then
count what was really sent, so every accepted message is written before its 201 is answered, as one
`os.write` of one complete line on an O_APPEND descriptor. That is a page-cache write of a few hundred
bytes, not a disk sync: it survives the process being killed (not a power cut), costs microseconds, and
needs no thread hop, which is why it runs on the event loop. Readers should still ignore an unterminated
last line: the kernel may cut a multi-page write short if the process dies inside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from channels.sandbox.jsonl import JsonlLog

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits, random even when the simulator is seeded."""
    return prefix + os.urandom(16).hex()


@dataclass(slots=True)
class SimMessage:
    """One message as the simulator tracks it (slots: a benchmark may hold hundreds of thousands)."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    segments: int
    direction: str  # "outbound-api" (REST) or "outbound-reply" (TwiML answer to an inbound webhook)
    created: datetime
    updated: datetime
    status: str = "queued"
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    sent: datetime | None = None
    content_sid: str | None = None  # WhatsApp: the template sent instead of a free-form body
    content_variables: str | None = None
    fail_with: tuple[int, str] | None = None  # WhatsApp: the error its first callback reports (63016, 63018)
    read: bool = False  # WhatsApp: the person's app reports "read" after "delivered"

    def set_status(self, status: str, error_code: int | None = None, error_message: str | None = None) -> None:
        self.status = status
        self.updated = datetime.now(timezone.utc)
        if status == "sent":
            self.sent = self.updated
        if error_code is not None:
            self.error_code, self.error_message = error_code, error_message

    def resource(self) -> dict[str, object]:
        """The JSON Twilio answers for this Message (field names and string types as the real API)."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": format_datetime(self.created),
            "date_sent": format_datetime(self.sent) if self.sent else None,
            "date_updated": format_datetime(self.updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }


class MessageLog(JsonlLog):
    """`sms.jsonl`: one JSON object per accepted message, written whole before the API answers."""

    def append(self, message: SimMessage) -> None:  # type: ignore[override]
        super().append({
            "sid": message.sid,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "segments": message.segments,
            "direction": message.direction,
            "at": message.created.isoformat(),
            **({"content_sid": message.content_sid, "content_variables": message.content_variables}
               if message.content_sid else {}),
        })
