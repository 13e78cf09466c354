"""WhatsApp through Twilio as the relay sees it (the adapter is `channels/whatsapp.py`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Mapping

from channels.phone import normalise_e164
from channels import twilio_spec
from channels.spec import Put, Sandbox
from channels.whatsapp_settings import WhatsAppSettings

SANDBOX_ACCOUNT_SID = "AC" + "3a" * 16
SANDBOX_SENDER = "+14155238886"  # the number of Twilio's own WhatsApp sandbox
SANDBOX_MESSAGES_PER_SECOND = 80.0
# The sandbox's approved templates: one per language the demo and the tests use, English for the rest.
SANDBOX_TEMPLATES = {language: "HX" + f"{index:02x}" * 16
                     for index, language in enumerate(("en", "fr", "es", "ht", "ar", "pt", "sw"), start=1)}
INBOUND_PATH = "/webhooks/whatsapp/inbound"
STATUS_PATH = "/webhooks/whatsapp/status"


def _normalise(value: str, default_region: str | None = None) -> str:
    return normalise_e164(value.strip().removeprefix("whatsapp:"), default_region)


def sandbox_settings(sandbox: Any, public_url: str, auth_token: str | None = None):
    """The WhatsApp sender of the Twilio simulator, as the sandbox runs it."""
    from channels.sandbox.twilio_sim import TwilioSimSettings
    from channels.sandbox.twilio_whatsapp import WhatsAppSimSettings

    return TwilioSimSettings(
        account_sid=SANDBOX_ACCOUNT_SID, auth_token=auth_token or secrets.token_hex(16), numbers=[],
        segments_per_second=0, latency_ms=sandbox.latency_ms, error_rate=sandbox.error_rate,
        delivered_after_ms=sandbox.delivered_after_ms, seed=sandbox.seed, log_name="whatsapp.jsonl",
        whatsapp=WhatsAppSimSettings(senders=[SANDBOX_SENDER], messages_per_second=SANDBOX_MESSAGES_PER_SECOND,
                                     templates=sorted(SANDBOX_TEMPLATES.values()),
                                     inbound_webhook_url=f"{public_url}{INBOUND_PATH}"),
    )


async def _start_sandbox(sandbox: Any, data_dir: Path, public_url: str):
    from channels.sandbox.twilio_sim import TwilioSimulator

    sim = sandbox_settings(sandbox, public_url)
    simulator = TwilioSimulator(sim, data_dir)
    await simulator.start()
    section = WhatsAppSettings(account_sid=sim.account_sid, auth_token=sim.auth_token, senders=[SANDBOX_SENDER],
                               templates=SANDBOX_TEMPLATES, default_template_language="en",
                               api_base_url=simulator.base_url, status_callback_url=f"{public_url}{STATUS_PATH}")
    return simulator, section


def _restore(section: WhatsAppSettings, stored: Mapping[str, str], put: Put) -> tuple[WhatsAppSettings, dict]:
    """The people counted against the messaging limit in the last 24 h, kept between runs."""
    return section, {"opened": dict(stored), "put": put}


def _describe(section: WhatsAppSettings) -> str:
    limit = f"{section.messaging_limit} people/24 h" if section.messaging_limit else "no messaging limit"
    languages = ", ".join(sorted(section.templates)) or "none (outside the 24-hour window nothing can go)"
    return f"senders {', '.join(section.senders)}; {limit}; templates for {languages}"


SPEC = twilio_spec.messaging(
    # A reply to a message is inside that person's window by definition: TwiML, as for SMS.
    "channels.whatsapp", "WhatsAppChannel", INBOUND_PATH, STATUS_PATH,
    name="whatsapp", label="WhatsApp", settings=WhatsAppSettings,
    contact_column="whatsapp", normalise=_normalise,
    senders=lambda section: list(section.senders),
    capabilities=twilio_spec.capabilities(read_receipts=True, reply_window_hours=24),
    sandbox=Sandbox(start=_start_sandbox, senders=lambda sandbox: [SANDBOX_SENDER]),
    state_prefix=lambda section: f"whatsapp:{section.account_sid}:conversation:",
    restore=_restore,
    describe=_describe,
    rate=lambda section, sandbox: section.messages_per_second if section else SANDBOX_MESSAGES_PER_SECOND,
)
