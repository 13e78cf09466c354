"""Telegram inbound by webhook through `relay run`: Telegram (the simulator) posts updates to the relay
with the secret token; a request without it is refused with 403 and leaves nothing behind; an update
delivered twice is handled once."""

from __future__ import annotations

import json

import aiohttp
from sqlalchemy import func, select

from channels.sandbox.telegram_settings import SimUser, TelegramSimSettings
from channels.sandbox.telegram_sim import TelegramSimulator
from relay.app.settings import load_settings
from relay.core.models import Endpoint, InboundMessage
from relay.app.program import Program
from tests.relay.conftest import wait_for

TOKEN = "7000000077:" + "w" * 12 + "H" * 12 + "k2"
SECRET = "s3cret-for-the-webhook"


async def _post(url: str, body: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json", **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=json.dumps(body), headers=headers) as answer:
            return answer.status


async def test_webhook_updates_are_checked_and_handled_once(tmp_path):
    sim = TelegramSimulator(TelegramSimSettings(token=TOKEN, users=[SimUser(id=8401, first_name="Noor")]),
                            tmp_path / "sim")
    await sim.start()
    settings = load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"), "http": {"port": 0},
        "telegram": {"token": TOKEN, "api_base_url": sim.base_url, "inbound": "webhook", "webhook_secret": SECRET},
    })
    program = Program(settings, sandbox=False, upgrade=True)
    await program.start()
    url = f"{program.settings.public_url}/webhooks/telegram"
    try:
        update = sim.inject_message(8401, "/start es")  # posted by the simulator, with the secret

        def subscribed():
            with program.database.sessions() as session:
                endpoint = session.scalar(select(Endpoint).where(Endpoint.address == "8401"))
                return endpoint.subscriber.language if endpoint else None

        assert await wait_for(subscribed) == "es"
        await wait_for(lambda: any("espanol" in m.text.lower() for m in sim.sent(8401)))

        forged = {"update_id": 99, "message": {"message_id": 5, "date": 1, "text": "/start fr",
                                               "chat": {"id": 8402, "type": "private"}, "from": {"id": 8402}}}
        assert await _post(url, forged, None) == 403
        assert await _post(url, forged, "not-the-secret") == 403
        assert await _post(url, {"no": "update_id"}, SECRET) == 400
        assert await _post(url, update, SECRET) == 200  # the same update again: answered, not acted on twice
        with program.database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1
            assert session.scalar(select(Endpoint).where(Endpoint.address == "8402")) is None
        assert len([m for m in sim.sent(8401)]) == 1
    finally:
        await program.stop()
        await sim.stop()
