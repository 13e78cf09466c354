"""What the relay knows of a channel: one `ChannelSpec` per provider, declared beside its adapter and
listed once in `channels/registry.py`.

Everything the relay used to branch on by channel name is data here: the config section and its
secrets, how to build the adapter, the address rules, what the provider can do (edits, receipts), its
webhooks, its pulled inbound, its sandbox, and what it keeps between runs. The relay iterates the
registry; a new channel is its module, its simulator and one line in the registry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Literal, Mapping, Sequence

from pydantic import BaseModel

from channels.base import Channel, Inbound, InboundSource, StatusUpdate

Put = Callable[[str, str], Awaitable[None]]  # stores one key of the channel's state (relay's database)


def lazy(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, imported on its first call: a spec is read by config, the CLI and the web server,
    which must not pay for (or need) a provider's SDK that only the adapter module imports."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = f"{module}.{name}"
    return call


@dataclass(frozen=True)
class Capabilities:
    edits: bool = False  # a sent message can be edited or removed (`Channel.change`)
    delivery_receipts: bool = False  # the provider pushes a receipt after the send (SMS status callbacks)
    read_receipts: bool = False
    max_length: int = 0  # characters of one message the provider accepts (0: no stated limit)
    # Free-form text only within this many hours of the person's last inbound message; outside it the
    # adapter sends an approved template (WhatsApp: 24). 0: no such rule. The relay gives such an adapter
    # `last_inbound` (address -> when that person last wrote) and the compose preview counts the templates.
    reply_window_hours: float = 0.0


@dataclass(frozen=True)
class WebhookCall:
    """A provider's HTTP request, as the relay's web server read it (nothing stored yet)."""

    settings: Any  # the channel's config section
    url: str  # the public URL the provider called (what it signed)
    headers: Mapping[str, str]  # lower-case names
    form: Mapping[str, str]  # empty unless the body is form data
    body: bytes


@dataclass(frozen=True)
class Answer:
    """A webhook's whole HTTP answer, rendered by the channel, with nothing for the relay to store or act on
    (the TwiML a call fetches, "say it again" on a keypad)."""

    content_type: str
    body: str


@dataclass(frozen=True)
class Webhook:
    """One route a provider posts to. `parse` raises `InvalidSignature` (403, nothing stored) or
    `ValueError` (400); it returns None for an update that carries nothing for the relay."""

    path: str
    kind: Literal["inbound", "status"]
    parse: Callable[[WebhookCall], "Inbound | StatusUpdate | Answer | None"]
    # Inbound only: the reply rendered in the HTTP answer itself (SMS's TwiML), as (content type, body).
    # None: the channel's inbound loop handles the message and sends replies as messages (Telegram).
    answer: Callable[[str | None], tuple[str, str]] | None = None
    # Inbound only, instead of `answer` when rendering needs the message too (a call says the reply in the
    # voice and language of that call): (the parsed Inbound, the reply) -> (content type, body).
    answer_to: Callable[[Inbound, str | None], tuple[str, str]] | None = None


@dataclass(frozen=True)
class Sandbox:
    """A local simulator standing in for the provider (`relay run --sandbox`)."""

    # (sandbox settings, data dir, public url of the relay) -> (a started simulator, the section that
    # points the adapter at it)
    start: Callable[[Any, Path, str], Awaitable[tuple[Any, BaseModel]]]
    senders: Callable[[Any], Sequence[str]]  # the senders it plans with, from the sandbox settings alone


@dataclass(frozen=True)
class ChannelSpec:
    name: str  # the channel's key everywhere: endpoints, deliveries, config section, CLI prefixes
    label: str  # how people read it ("Ana (Telegram):")
    settings: type[BaseModel]  # its config section
    build: Callable[..., Channel]  # (section, **options from `restore`) -> the adapter, not started
    normalise: Callable[[str, "str | None"], str]  # (address, default region) -> canonical, or ValueError
    contact_column: str  # its column in the subscriber CSV and the API ("phone" for SMS)
    senders: Callable[[Any], Sequence[str]]  # (section) -> the senders new deliveries are spread over
    secret_keys: tuple[str, ...] = ()  # keys refused in the config file (environment or secrets file only)
    capabilities: Capabilities = Capabilities()
    webhooks: tuple[Webhook, ...] = ()
    # (adapter, section) -> its pulled inbound (polling, a sync loop), or None.
    inbound_source: Callable[[Channel, Any], InboundSource | None] | None = None
    polls: Callable[[Any], bool] = lambda section: True  # whether the source is polled (else webhooks feed it)
    sandbox: Sandbox | None = None
    # (section, public url) -> the section with what the relay's address implies (a status callback URL).
    prepare: Callable[[Any, str], Any] = lambda section, public_url: section
    # After the adapter started (and the web side is up): Telegram registers or removes its webhook.
    on_start: Callable[[Channel, Any, str], Awaitable[None]] | None = None
    # What it keeps between runs in the relay's database, under `state_prefix(section)`:
    state_prefix: Callable[[Any], str] | None = None
    # (section, stored values, put) -> (section, keyword arguments for `build`)
    restore: Callable[[Any, Mapping[str, str], Put], tuple[Any, dict[str, Any]]] | None = None
    # (started adapter, section, put): keep what the adapter obtained (a token from a password login)
    persist: Callable[[Channel, Any, Put], Awaitable[None]] | None = None
    describe: Callable[[Any], str] = lambda section: "configured"  # for `relay check-config`
    # Cost units per second one sender may send, from its section (or the sandbox settings without one);
    # 0 means no stated limit. The compose preview's time estimate.
    rate: Callable[[Any, Any], float] = lambda section, sandbox: 0.0
    # What one text costs on this channel: {"units": n, ...} (SMS: segments, with encoding and length).
    text_units: Callable[[str], dict] = lambda text: {"units": 1}
