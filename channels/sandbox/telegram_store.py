"""The simulated bot's memory: who exists, what was said in each chat, and `telegram.jsonl` on disk.

The JSONL is the ground truth for tests that kill the relay: every accepted `sendMessage`,
`editMessageText` and `deleteMessage` is one line (`"op"`: `"send"`, `"edit"`, `"delete"`), written
whole with one `os.write` on an O_APPEND descriptor before the API answers. Count deliveries with
`op == "send"`. Readers should ignore an unterminated last line (a process killed mid-write).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.sandbox.jsonl import JsonlLog
from channels.sandbox.telegram_settings import SimGroup, SimUser, TelegramSimSettings


@dataclass(slots=True)
class StoredMessage:
    """One message in a chat, from the bot (`from_id` = bot id) or from a person."""

    message_id: int
    from_id: int
    text: str  # the visible text, markup already parsed
    date: int
    entities: list[dict[str, object]] = field(default_factory=list)
    edit_date: int | None = None
    location: tuple[float, float] | None = None  # a shared location (lat, lon) instead of a text


class World:
    """Users, groups and the messages of every chat, as one bot sees them."""

    def __init__(self, settings: TelegramSimSettings) -> None:
        self.settings = settings
        self.users: dict[int, SimUser] = {user.id: user.model_copy() for user in settings.users}
        self.groups: dict[int, SimGroup] = {group.id: group.model_copy(deep=True) for group in settings.groups}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self._last_id: dict[int, int] = {}
        self.bot_user: dict[str, object] = {
            "id": settings.bot_id, "is_bot": True, "first_name": settings.bot_first_name,
            "username": settings.bot_username,
        }  # fmt: skip

    def user(self, user_id: int) -> SimUser | None:
        user = self.users.get(user_id)
        if user is None and self.settings.auto_users and user_id > 0:
            user = self.users[user_id] = SimUser(id=user_id, first_name=f"User {user_id}")
        return user

    def chat(self, chat_id: int) -> dict[str, object] | None:
        """The Bot API `Chat` object, or None for a chat the bot does not know."""
        if chat_id > 0:
            user = self.user(chat_id)
            if user is None:
                return None
            chat: dict[str, object] = {"id": user.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                chat["last_name"] = user.last_name
            if user.username:
                chat["username"] = user.username
            return chat
        group = self.groups.get(chat_id)
        if group is None:
            return None
        return {"id": group.id, "type": group.type, "title": group.title}

    def user_object(self, user: SimUser) -> dict[str, object]:
        """The Bot API `User` object of a person."""
        result: dict[str, object] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(user, key)
            if value:
                result[key] = value
        return result

    def add(self, chat_id: int, from_id: int, text: str, date: int, entities: list[dict[str, object]]) -> StoredMessage:
        """Store a new message with the chat's next message id (ids count per chat, as in Telegram)."""
        message_id = self._last_id.get(chat_id, 0) + 1
        self._last_id[chat_id] = message_id
        message = StoredMessage(message_id, from_id, text, date, entities)
        self.messages.setdefault(chat_id, {})[message_id] = message
        return message

    def find(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self.messages.get(chat_id, {}).get(message_id)

    def remove(self, chat_id: int, message_id: int) -> bool:
        return self.messages.get(chat_id, {}).pop(message_id, None) is not None

    def message_object(self, chat_id: int, message: StoredMessage) -> dict[str, object]:
        """The Bot API `Message` object."""
        if message.from_id == self.settings.bot_id:
            sender: dict[str, object] = self.bot_user
        else:
            user = self.user(message.from_id)
            sender = self.user_object(user) if user else {"id": message.from_id, "is_bot": False, "first_name": "?"}
        result: dict[str, object] = {
            "message_id": message.message_id, "from": sender, "chat": self.chat(chat_id),
            "date": message.date, "text": message.text,
        }  # fmt: skip
        if message.location is not None:
            del result["text"]
            result["location"] = {"latitude": message.location[0], "longitude": message.location[1]}
        if message.entities:
            result["entities"] = message.entities
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        return result


class MessageLog(JsonlLog):
    """`telegram.jsonl`: one JSON object per accepted outgoing operation, written before the answer."""
