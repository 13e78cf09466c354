"""The shape of a part of the relay that runs beside the dispatcher (the alerts scheduler, relay-network
escalation, report routing). Lives in the core so a feature implements it without importing the
application's lifecycle object; the app starts services after the channels and the web server and
stops them before."""

from __future__ import annotations

from typing import Any, Protocol


class Service(Protocol):
    """`start` gets the running program (settings, database, channels, the web server if any)."""

    name: str

    async def start(self, program: Any) -> None: ...

    async def stop(self) -> None: ...
