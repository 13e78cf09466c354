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
    language: str = ""  # the language of `text` (WhatsApp picks the approved template of that language)
    attempt: int = 1  # how many times this delivery was claimed so far, this one included (voice: busy retries)
    # A recording of this message in `language`, to play instead of speaking `text` (voice): its path under
    # the relay's public URL (channels/voice_media.py), or "" for none. Channels that cannot play one ignore it.
    audio: str = ""


@dataclass(frozen=True)
class Receipt:
    """The provider accepted the message; what it told us back."""

    provider_message_id: str
    status: str = "sent"  # the provider's own word, e.g. Twilio's "queued"


@dataclass(frozen=True)
class Inbound:
    """A message a person sent to the relay, already authenticated by the adapter.

    The adapter states the provider facts the relay acts on in typed fields, so that no module past
    `channels/` reads `raw` (kept for the record and for the adapter's own use): who speaks (`person`),
    where an answer or a group's broadcast goes (`conversation`), whether that is a group or shared room
    (`group`), and whether this is a new message, an edit or a redaction of `message_key`.
    """

    channel: str
    provider_message_id: str  # the provider's id: the key that makes a replayed webhook a no-op
    sender: str  # the sender as the provider names it (E.164 number, chat id or "chat:user", Matrix user id)
    recipient: str  # our address that received it (our number, bot, room)
    text: str
    received_at: datetime
    raw: Mapping[str, str] = field(default_factory=dict)
    person: str = ""  # the speaker's own endpoint address; "" means `sender`
    conversation: str = ""  # where replies go (a chat, a room); "" means `sender`
    group: bool = False  # said in a group chat or a shared room (not a private chat or an SMS)
    kind: str = "message"  # message | edit | redaction
    message_key: str = ""  # the message's identity in its conversation (what an edit refers to); "" means the id
    reply_to: str | None = None  # the provider id of the message this one answers, when the provider says
    display_name: str = ""  # the speaker's name as the provider shows it
    conversation_name: str = ""  # a group's or room's title, when it has one
    language_hint: str = ""  # the language the speaker's app is set to, when the provider tells
    location: tuple[float, float] | None = None  # (lat, lon) the person shared (a Telegram location message)

    @property
    def speaker(self) -> str:
        return self.person or self.sender

    @property
    def where(self) -> str:
        return self.conversation or self.sender

    @property
    def key(self) -> str:
        return self.message_key or self.provider_message_id


@dataclass(frozen=True)
class Batch:
    """What a pulled inbound source (long polling, a sync loop) returned for one position."""

    messages: Sequence[Inbound]
    position: str | None  # the resume point to store once every message of the batch is handled


@runtime_checkable
class InboundSource(Protocol):
    """A channel whose inbound is pulled: how to fetch a batch from a stored position (the relay stores
    the position after handling the batch, under `state_key`)."""

    channel: "Channel"
    state_key: str

    async def fetch(self, position: str | None) -> Batch: ...


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt pushed by the provider after the send call returned."""

    channel: str
    provider_message_id: str
    status: str  # one of: "sent", "delivered", "undelivered", "failed" (or a channel's own word, see RECEIPT_STATUS)
    error_code: str | None = None
    # The provider's answer means "try this message again later" (a busy line, a call nobody answered): the
    # delivery goes back to pending for this many seconds instead of failing. The adapter decides from its
    # own retry schedule; once that is used up it reports a plain failure, and failover takes over.
    retry_after: float | None = None


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


class QuotaExhausted(TransientError):
    """A quota over a long window has no room for this message now (WhatsApp's messaging limit: so many
    unique people per rolling 24 h). The dispatcher holds this one delivery until `retry_after` seconds
    from now, costs it no attempt, and goes on with the sender's other deliveries: nothing was sent."""

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
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
    # provider's current status of one message, asked when its receipt never came (relay/delivery/receipt_lookup.py).

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

    # Optional, where the spec's capabilities say `edits`: `async change(conversation, provider_message_id,
    # text | None)` edits a sent message, or removes it (a redaction, a deletion) when `text` is None.
