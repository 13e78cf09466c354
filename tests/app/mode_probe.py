"""Starts one process mode as the CLI does (`relay.app.modes.build`) and prints, as JSON, what it
registered: its commands, its fallthrough handlers in order, its HTTP routes and what GET /api/crises
answers. Run in a fresh interpreter per mode, so that no mode sees another's registrations."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp

from relay.app import modes
from relay.app.settings import load_settings
from relay.inbound import commands
from relay.integrity import screening


def _paths(routes) -> set[str]:
    """Every path served, including those of included routers (FastAPI keeps an included router as one
    entry that points at the original)."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        found |= _paths(included.routes) if included is not None else {getattr(route, "path", "")}
    return found


async def probe(mode: str, config: Path) -> dict:
    program = modes.build(mode, load_settings(config), sandbox=True, upgrade=True)
    await program.start()
    try:
        names, fallthrough = commands.installed()
        found = {"commands": names, "fallthrough": fallthrough, "routes": None, "crises": None,
                 "services": sorted(service.name for service in program.services),
                 "screening_ready": screening.ready()}
        if program.server is not None:
            server = program.server.config.app
            paths = {*server.routes, *_paths(server.app.routes)}
            found["routes"] = sorted(path for path in paths if path)
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{program.settings.public_url}/api/crises") as answer:
                    found["crises"] = answer.status
        return found
    finally:
        await program.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], Path(sys.argv[2])))))
