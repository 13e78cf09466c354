"""Fixtures shared by the channel tests: one real Synapse per test session (rate limits raised), accounts,
the bot and people (the Matrix tests and the contract test over every adapter use them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from channels.matrix import MatrixChannel, MatrixSettings
from tests.channels.matrix.support import Person
from tests.channels.matrix.synapse_server import RAISED_LIMITS, SynapseServer, User, launch_or_skip


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = launch_or_skip(tmp_path_factory.mktemp("synapse"), RAISED_LIMITS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def new_user(synapse: SynapseServer) -> Callable[[str], User]:
    """Register a fresh account; names are unique so tests never see each other's rooms."""

    def register(prefix: str) -> User:
        return synapse.register(f"{prefix}-{uuid.uuid4().hex[:8]}")

    return register


@pytest.fixture
async def make_bot(synapse: SynapseServer, new_user: Callable[[str], User]) -> AsyncIterator[Callable[..., Awaitable[MatrixChannel]]]:
    """Start a `MatrixChannel`; `user=` reuses an account (a restart), settings and options as keywords."""
    started: list[MatrixChannel] = []

    async def make(user: User | None = None, *, allowed_inviters: list[str] = [], **options: Any) -> MatrixChannel:  # noqa: B006
        user = user or new_user("bot")
        settings = MatrixSettings(
            homeserver=synapse.url, user_id=user.user_id, access_token=user.access_token,
            allowed_inviters=allowed_inviters, sync_timeout_ms=options.pop("sync_timeout_ms", 200),
        )  # fmt: skip
        channel = MatrixChannel(settings, **options)
        await channel.start()
        started.append(channel)
        return channel

    yield make
    for channel in started:
        await channel.stop()


@pytest.fixture
async def make_person(synapse: SynapseServer, new_user: Callable[[str], User]) -> AsyncIterator[Callable[[], Person]]:
    people: list[Person] = []

    def make(prefix: str = "person") -> Person:
        person = Person(synapse.url, new_user(prefix))
        people.append(person)
        return person

    yield make
    for person in people:
        await person.close()
