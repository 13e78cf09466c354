"""Voice calls through Twilio as the relay sees it (the adapter is `channels/voice.py`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from channels.phone import normalise_e164
from channels import twilio_spec
from channels.spec import ChannelSpec, Sandbox, Webhook, lazy
from channels.voice_settings import VoiceSettings

SANDBOX_ACCOUNT_SID = "AC" + "7c" * 16
SANDBOX_NUMBER = "+12015550190"
SANDBOX_CALLS_PER_SECOND = 1.0
TWIML_PATH = "/webhooks/voice/twiml"  # the same paths as channels/voice_twiml.py (kept free of twilio here)
GATHER_PATH = "/webhooks/voice/gather"
STATUS_PATH = "/webhooks/voice/status"
_answer_to = lazy("channels.voice", "answer_gather")  # a reply is said in the call's voice and language


def sandbox_settings(sandbox: Any, public_url: str, auth_token: str | None = None):
    """The Twilio voice simulator as the sandbox runs it (people are scripted by a test or the demo)."""
    from channels.sandbox.twilio_voice import VoiceSimSettings

    return VoiceSimSettings(account_sid=SANDBOX_ACCOUNT_SID, auth_token=auth_token or secrets.token_hex(16),
                            numbers=[SANDBOX_NUMBER], calls_per_second=SANDBOX_CALLS_PER_SECOND)


async def _start_sandbox(sandbox: Any, data_dir: Path, public_url: str):
    from channels.sandbox.twilio_voice import VoiceSimulator

    sim = sandbox_settings(sandbox, public_url)
    simulator = VoiceSimulator(sim, data_dir)
    await simulator.start()
    section = VoiceSettings(account_sid=sim.account_sid, auth_token=sim.auth_token, numbers=sim.numbers,
                            calls_per_second=sim.calls_per_second, api_base_url=simulator.base_url,
                            webhook_url=public_url)
    return simulator, section


def _prepare(section: VoiceSettings, public_url: str) -> VoiceSettings:
    if section.webhook_url is not None:
        return section
    return section.model_copy(update={"webhook_url": public_url})


def _describe(section: VoiceSettings) -> str:
    spoken = ", ".join(sorted(section.voice_table()))
    return (f"numbers {', '.join(section.numbers)}; {section.calls_per_second:g} calls/s; voices for {spoken}; "
            f"busy/no-answer retried after {', '.join(f'{m:g}' for m in section.retry_minutes) or 'never'} min")


SPEC = ChannelSpec(
    name="voice", label="Voice",
    settings=VoiceSettings, build=lazy("channels.voice", "VoiceChannel"),
    contact_column="voice", normalise=normalise_e164,
    senders=lambda section: list(section.numbers),
    secret_keys=twilio_spec.SECRET_KEYS,
    capabilities=twilio_spec.capabilities(),
    webhooks=(Webhook(TWIML_PATH, "inbound", lazy("channels.voice", "parse_twiml"), answer_to=_answer_to),
              Webhook(GATHER_PATH, "inbound", lazy("channels.voice", "parse_gather"), answer_to=_answer_to),
              Webhook(STATUS_PATH, "status", lazy("channels.voice", "parse_status"))),
    sandbox=Sandbox(start=_start_sandbox, senders=lambda sandbox: [SANDBOX_NUMBER]),
    prepare=_prepare,
    describe=_describe,
    # The account's calls per second, shared by its numbers: one call is one unit.
    rate=lambda section, sandbox: section.calls_per_second if section else SANDBOX_CALLS_PER_SECOND,
)
