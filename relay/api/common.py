"""What every router shares: the running relay's parts (settings, database, hooks) and error answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Awaitable, Callable

from fastapi import Path, Request

from relay.core.config import Settings
from relay.core.db import Database

# Declared on every route so the OpenAPI spec says what a client can get back (schemathesis checks it).
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API token, or an unknown or revoked one"},
    403: {"description": "The token's tier may not do this (the message says which tier is needed)"},
    404: {"description": "No such resource"},
    413: {"description": "Request body too large"},
    422: {"description": "Invalid input; each error names its field"},
}

# Path ids: bounded so a huge number is a 422, not an integer overflow in the database.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@dataclass
class Relay:
    settings: Settings
    database: Database
    extras: dict = field(default_factory=dict)

    async def wake_dispatcher(self) -> None:
        wake: Callable[[], Awaitable[None]] | None = self.extras.get("wake_dispatcher")
        if wake is not None:
            await wake()


def relay(request: Request) -> Relay:
    return request.app.state.relay


def iso(moment) -> str:
    return moment.isoformat() if moment is not None else ""
