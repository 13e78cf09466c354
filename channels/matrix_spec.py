"""Matrix as the relay sees it (the adapter, with every nio call, is `channels/matrix.py`). Matrix has no
sandbox: only a configured account sends."""

from __future__ import annotations

import re
from typing import Any, Mapping

from pydantic import SecretStr

from channels.matrix_settings import MatrixSettings
from channels.spec import Capabilities, ChannelSpec, Put, lazy

_ADDRESS = re.compile(r"^(?:[@#][^:\s]+:[A-Za-z0-9.\-]+(:\d+)?|![^\s]+)$")


def _normalise(value: str, default_region: str | None = None) -> str:
    if not _ADDRESS.match(value):
        raise ValueError("expected a Matrix user id such as @name:example.org or a room id (!room)")
    return value


def _source(channel, section: MatrixSettings):
    from channels.matrix_sync import MatrixSource

    return MatrixSource(channel)


def _restore(section: MatrixSettings, stored: Mapping[str, str], put: Put) -> tuple[MatrixSettings, dict[str, Any]]:
    """The access token a password login obtained earlier (so the password is used once, and Synapse's
    login limit is never hit by restarts) and the direct room opened for each person (so a restart does
    not open a second one)."""
    token = stored.get("access_token")
    if section.access_token is None and token:
        section = section.model_copy(update={"access_token": SecretStr(token)})
    rooms = {key.removeprefix("direct:"): value for key, value in stored.items() if key.startswith("direct:")}

    async def remember(user_id: str, room_id: str) -> None:
        await put(f"direct:{user_id}", room_id)

    return section, {"direct_rooms": rooms, "on_direct_room": remember}


async def _persist(channel, section: MatrixSettings, put: Put) -> None:
    """Keep a token the channel obtained by logging in with the password."""
    if section.access_token is None and channel.access_token is not None:
        await put("access_token", channel.access_token)


SPEC = ChannelSpec(
    name="matrix", label="Matrix",
    settings=MatrixSettings, build=lazy("channels.matrix", "MatrixChannel"),
    contact_column="matrix", normalise=_normalise,
    senders=lambda section: [section.user_id],
    secret_keys=("access_token", "password"),
    capabilities=Capabilities(edits=True, max_length=32_000),
    inbound_source=_source,
    state_prefix=lambda section: f"matrix:{section.user_id}:",
    restore=_restore,
    persist=_persist,
    describe=lambda section: f"{section.user_id} on {section.homeserver}",
    rate=lambda section, sandbox: section.messages_per_second if section else 0.0,
)
