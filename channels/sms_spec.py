"""SMS through Twilio as the relay sees it (the adapter is `channels/sms.py`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from channels.phone import normalise_e164
from channels.sms_settings import SmsSettings
from channels.sms_text import analyse
from channels import twilio_spec
from channels.spec import Sandbox

SANDBOX_ACCOUNT_SID = "AC" + "5a" * 16
INBOUND_PATH = "/webhooks/sms/inbound"
STATUS_PATH = "/webhooks/sms/status"


def sandbox_settings(sandbox: Any, public_url: str, account_sid: str = SANDBOX_ACCOUNT_SID,
                     auth_token: str | None = None):
    """The SMS simulator as `[sandbox]` describes it (numbers, throughput, injected faults); a fresh random
    token unless the caller names one (`relay sandbox`, where the relay is configured separately)."""
    from channels.sandbox.twilio_sim import TwilioSimSettings

    return TwilioSimSettings(
        account_sid=account_sid, auth_token=auth_token or secrets.token_hex(16), numbers=sandbox.sms_numbers,
        segments_per_second=sandbox.segments_per_second, inbound_webhook_url=f"{public_url}{INBOUND_PATH}",
        **sandbox.faults(),
    )


async def _start_sandbox(sandbox: Any, data_dir: Path, public_url: str):
    from channels.sandbox.twilio_sim import TwilioSimulator

    sim = sandbox_settings(sandbox, public_url)
    simulator = TwilioSimulator(sim, data_dir)
    await simulator.start(port=sandbox.port)
    section = SmsSettings(account_sid=sim.account_sid, auth_token=sim.auth_token, numbers=sim.numbers,
                          segments_per_second=sandbox.segments_per_second, api_base_url=simulator.base_url,
                          status_callback_url=f"{public_url}{STATUS_PATH}")
    return simulator, section


def _text_units(text: str) -> dict:
    """Carriers bill per segment: GSM-7 or UCS-2, and how many segments the text takes."""
    sms = analyse(text)
    return {"units": sms.segments, "encoding": sms.encoding, "characters": sms.units, "segments": sms.segments}


SPEC = twilio_spec.messaging(
    "channels.sms", "SmsChannel", INBOUND_PATH, STATUS_PATH,
    name="sms", label="SMS", settings=SmsSettings,
    contact_column="phone", normalise=normalise_e164,
    senders=lambda section: list(section.numbers),
    sandbox=Sandbox(start=_start_sandbox, senders=lambda sandbox: list(sandbox.sms_numbers)),
    describe=lambda section: "numbers " + ", ".join(section.numbers),
    rate=lambda section, sandbox: (section or sandbox).segments_per_second,
    text_units=_text_units,
)
