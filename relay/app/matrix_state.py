"""What the Matrix account keeps in the database between runs: the access token obtained by a password
login (so the password is used once, and Synapse's login limit is never hit by restarts) and the direct
room opened for each person (so a restart does not open a second one)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from relay.core import channel_state
from relay.app.settings import Settings
from relay.core.db import Database


def _prefix(settings: Settings) -> str:
    return f"matrix:{settings.matrix.user_id}:"


def restore(settings: Settings, database: Database) -> tuple[Settings, dict[str, Any]]:
    """Settings with the stored token filled in, and the channel's keyword arguments."""
    if settings.matrix is None:
        return settings, {}
    prefix = _prefix(settings)
    with database.sessions() as session:
        token = channel_state.get(session, prefix + "access_token")
        rooms = channel_state.with_prefix(session, prefix + "direct:")
    if settings.matrix.access_token is None and token:
        matrix = settings.matrix.model_copy(update={"access_token": SecretStr(token)})
        settings = settings.model_copy(update={"matrix": matrix})

    async def remember(user_id: str, room_id: str) -> None:
        await database.run(channel_state.put, f"{prefix}direct:{user_id}", room_id)

    return settings, {"direct_rooms": rooms, "on_direct_room": remember}


async def store_token(settings: Settings, database: Database, token: str | None) -> None:
    """Keep a token the channel obtained by logging in with the password."""
    if settings.matrix is None or token is None or settings.matrix.access_token is not None:
        return
    await database.run(channel_state.put, _prefix(settings) + "access_token", token)
