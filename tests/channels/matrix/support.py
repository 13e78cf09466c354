"""Test helpers: a person on the homeserver played by a plain nio client, never by our adapter."""

from __future__ import annotations

import itertools
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    MessageDirection,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from channels.base import Outbound
from tests.channels.matrix.synapse_server import User

_delivery_ids = itertools.count(1)


def outbound(sender: str, to: str, text: str, delivery_id: int | None = None) -> Outbound:
    return Outbound(delivery_id=next(_delivery_ids) if delivery_id is None else delivery_id, sender=sender, to=to, text=text)


class Person:
    """Someone using a Matrix client: creates rooms, invites, writes, reads the room's history."""

    def __init__(self, url: str, user: User) -> None:
        self.user = user
        self.user_id = user.user_id
        self.client = AsyncClient(url, user.user_id, device_id=user.device_id,
                                  config=AsyncClientConfig(encryption_enabled=False))  # fmt: skip
        self.client.access_token = user.access_token
        self.client.user_id = user.user_id

    async def close(self) -> None:
        await self.client.close()

    async def create_room(self, invite: list[str] = [], name: str = "room") -> str:  # noqa: B006
        answer = await self.client.room_create(name=name, invite=invite, preset=RoomPreset.private_chat)
        assert isinstance(answer, RoomCreateResponse), answer
        return answer.room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        answer = await self.client.room_invite(room_id, user_id)
        assert not hasattr(answer, "status_code"), answer

    async def join(self, room_id: str) -> None:
        answer = await self.client.join(room_id)
        assert isinstance(answer, JoinResponse), answer

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        answer = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text, **extra})
        assert isinstance(answer, RoomSendResponse), answer
        return answer.event_id

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        answer = await self.client.room_send(room_id, event_type, content)
        assert isinstance(answer, RoomSendResponse), answer
        return answer.event_id

    async def redact(self, room_id: str, event_id: str) -> str:
        answer = await self.client.room_redact(room_id, event_id)
        assert hasattr(answer, "event_id"), answer
        return answer.event_id

    async def set_display_name(self, name: str) -> None:
        await self.client.set_displayname(name)

    async def messages(self, room_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The room's `m.room.message` events as the person's client shows them, oldest first."""
        answer = await self.client.room_messages(room_id, direction=MessageDirection.back, limit=limit)
        assert isinstance(answer, RoomMessagesResponse), answer
        events = [event.source for event in answer.chunk if event.source.get("type") == "m.room.message"]
        return list(reversed(events))

    async def pending_invites(self) -> dict[str, dict[str, Any]]:
        """Rooms the person is invited to, with the content of their own invite membership event."""
        answer = await self.client.sync(timeout=1)
        assert isinstance(answer, SyncResponse), answer
        invites: dict[str, dict[str, Any]] = {}
        for room_id, info in answer.rooms.invite.items():
            for event in info.invite_state:  # nio keeps the content as an attribute, not in `source`
                if getattr(event, "state_key", None) == self.user_id and getattr(event, "membership", None) == "invite":
                    invites[room_id] = {"sender": event.sender, **(event.content or {})}
        return invites
