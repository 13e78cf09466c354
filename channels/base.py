"""The channel contract: the only thing the relay core knows about a provider.

A channel adapter turns one provider's API into these frozen types and typed errors. It never retries,
never sleeps and never touches the database: the dispatcher decides what happens after an error, so
that retry policy lives in exactly one place (see STYLE.md, "Retry in exactly one place").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class Outbound:
    """One message to one endpoint, as handed to an adapter by the dispatcher."""

    delivery_id: int
    sender: str  # the sender key: a phone number, a bot token's id, a Matrix user id
    to: str  # the endpoint address on this channel
    text: str


@dataclass(frozen=True)
class Receipt:
    """The provider accepted the message; what it told us back."""

    provider_message_id: str
    status: str = "sent"  # the provider's own word, e.g. Twilio's "queued"


@dataclass(frozen=True)
class Inbound:
    """A message a person sent to the relay, already authenticated by the adapter."""

    channel: str
    provider_message_id: str  # the provider's id: the key that makes a replayed webhook a no-op
    sender: str  # the person's address on this channel (E.164 number, chat id, Matrix user id)
    recipient: str  # our address that received it (our number, bot, room)
    text: str
    received_at: datetime
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt pushed by the provider after the send call returned."""

    channel: str
    provider_message_id: str
    status: str  # one of: "sent", "delivered", "undelivered", "failed"
    error_code: str | None = None


@dataclass(frozen=True)
class SenderLimit:
    """A provider's published throughput for one sender, in cost units (an SMS segment, a message).

    Declared by the adapter (Apprise-style: limits are data), enforced by the dispatcher.
    """

    rate: float  # cost units per second; 0 means unlimited
    burst: float = 1.0  # how many units may go at once after an idle period


class ChannelError(Exception):
    """Base of every error an adapter raises; nothing past the adapter sees an SDK exception."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientError(ChannelError):
    """Timeouts, connection failures, 5xx: the same message may succeed later."""

    retryable = True


class RateLimited(TransientError):
    """The provider refused for throughput; `retry_after` seconds is its own advice when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class RecipientMoved(TransientError):
    """The chat lives at another address now (a Telegram group upgraded to a supergroup answers every
    send with `migrate_to_chat_id`): move the endpoint to `new_address` and send the same message there.
    Nothing is lost and no attempt is used up."""

    def __init__(self, message: str, *, new_address: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.new_address = new_address


class PermanentError(ChannelError):
    """The provider will never accept this message (bad number, body too long...): fail at once."""


class RecipientUnreachable(PermanentError):
    """The endpoint itself is gone or has opted out at the provider: stop sending to it at all.

    `opted_out` distinguishes a person's own unsubscribe (Twilio 21610) from a dead address.
    """

    def __init__(self, message: str, *, code: str | None = None, opted_out: bool = False) -> None:
        super().__init__(message, code=code)
        self.opted_out = opted_out


class InvalidSignature(Exception):
    """An inbound request whose signature or secret does not check out: answer 403, store nothing."""


@runtime_checkable
class Channel(Protocol):
    """What the dispatcher drives. One instance per provider account; it may own several senders."""

    name: str
    # Whether the provider later pushes a delivery receipt (Twilio's status callbacks). When it does not
    # (Telegram, Matrix), a send the provider accepted is final: the dispatcher records it as delivered.
    reports_delivery: bool

    # Optional: `recipient_limit(to) -> SenderLimit | None`, a limit per recipient on top of the sender's
    # (Telegram: one message per second per private chat, twenty per minute per group).
    # Optional, where `reports_delivery`: `async fetch_status(provider_message_id) -> StatusUpdate`, the
    # provider's current status of one message, asked when its receipt never came (relay/receipt_lookup.py).

    def senders(self) -> Sequence[str]:
        """The sender keys this channel can send from (each is rate limited on its own)."""

    def limit(self, sender: str) -> SenderLimit:
        """The throughput the provider allows for one sender."""

    def cost(self, text: str) -> int:
        """What one message costs against the sender's limit (SMS: its segment count)."""

    async def start(self) -> None:
        """Open clients and sessions; called inside the running event loop."""

    async def stop(self) -> None:
        """Close everything `start` opened."""

    async def send(self, message: Outbound) -> Receipt:
        """Hand one message to the provider, or raise a `ChannelError`."""
