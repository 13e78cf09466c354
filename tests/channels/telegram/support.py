"""Shared constants of the Telegram tests: the simulated bot, its people and groups."""

from __future__ import annotations

from channels.sandbox.telegram_sim import SimGroup, SimUser

TOKEN = "123456789:AAFq3bX9_kLmNoPqRsTuVwXyZ0123456789"
BOT_ID = "123456789"
SECRET = "s3cret-Token_for-tests"
ANA, BEN, BLOCKER, GONE, STRANGER = 11, 12, 13, 14, 15
GROUP, KICKED_GROUP = -100, -200

USERS = [
    SimUser(id=ANA, first_name="Ana", last_name="Lima", username="ana", language_code="pt-br"),
    SimUser(id=BEN, first_name="Ben", language_code="en"),
    SimUser(id=BLOCKER, first_name="Bo", blocked=True),
    SimUser(id=GONE, first_name="Gil", deactivated=True),
    SimUser(id=STRANGER, first_name="Sam", started=False),
]
GROUPS = [
    SimGroup(id=GROUP, title="Riverside mutual aid", members=[ANA, BEN]),
    SimGroup(id=KICKED_GROUP, title="Old group", members=[BEN], bot_is_member=False),
]
