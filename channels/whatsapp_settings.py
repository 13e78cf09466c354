"""The [whatsapp] section: a Twilio account, its WhatsApp senders, Meta's limits and the coordinator's
approved templates. Apart from the adapter so that reading the configuration never imports twilio."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from channels.phone import distinct_numbers
from channels.settings_rules import BaseUrl, HttpUrl, Positive, Rate
from channels.sms_settings import TwilioAccount

CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")  # a Content Template's SID, from Twilio's Content API
MESSAGING_LIMITS = (250, 1_000, 10_000, 100_000, 0)  # Meta's tiers: unique people per rolling 24 h (250: unverified); 0 unlimited
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class WhatsAppSettings(TwilioAccount):
    """One Twilio account's WhatsApp senders and what Meta allows them."""

    senders: list[str]  # the WhatsApp-enabled numbers (E.164; the adapter adds "whatsapp:")
    # Meta's messaging limit: unique people a business may open conversations with (templates outside the
    # 24-hour window) in a rolling 24 h, across its senders. One of 1000, 10000, 100000; 0 = unlimited.
    messaging_limit: int = 1_000
    messages_per_second: Rate = 80.0  # Twilio's default per WhatsApp sender
    # Messages a sender may send at once after a pause (the dispatcher catches up after each claim): Twilio
    # queues a WhatsApp sender's excess rather than refusing it, so a few at once cost nothing.
    burst: Positive = 4.0
    # Language -> approved Content Template SID ("HX" + 32 hex); its variable {{1}} carries the message.
    templates: dict[str, str] = Field(default_factory=dict)
    # The template for a language that has none of its own; None: such a person fails over instead.
    default_template_language: str | None = None
    variable_max_chars: int = Field(1024, gt=0)  # a template parameter's limit; longer texts send their title
    # Free-form text only this far inside the 24-hour window: a message may wait in a queue before it goes.
    window_margin_seconds: float = Field(300.0, ge=0)
    api_base_url: BaseUrl | None = None  # None = the real Twilio; the simulator's "http://127.0.0.1:PORT"
    status_callback_url: HttpUrl | None = None  # the public URL of the relay's WhatsApp status webhook
    timeout_seconds: Positive = 10.0

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        return distinct_numbers(value, "senders", "WhatsApp-enabled Twilio number", prefix="whatsapp:")

    @field_validator("messaging_limit")
    @classmethod
    def _tier(cls, value: int) -> int:
        if value not in MESSAGING_LIMITS:
            raise ValueError(f"messaging_limit {value} is not a WhatsApp tier: one of 250, 1000, 10000, 100000, "
                             "or 0 for unlimited")
        return value

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for language, sid in value.items():
            if not _LANGUAGE.match(language):
                raise ValueError(f"templates: {language!r} is not a language code such as 'en' or 'ht'")
            if not CONTENT_SID.match(sid.strip()):
                raise ValueError(f"templates.{language}: {sid!r} is not a Content Template SID ('HX' and 32 hex "
                                 "digits, from Twilio's Content Template Builder)")
        return {language: sid.strip() for language, sid in value.items()}

    @model_validator(mode="after")
    def _default_template(self) -> WhatsAppSettings:
        if self.default_template_language is not None and self.default_template_language not in self.templates:
            raise ValueError(f"default_template_language {self.default_template_language!r} has no entry in "
                             f"templates (has: {', '.join(sorted(self.templates)) or 'none'})")
        return self

    def template_for(self, language: str) -> str | None:
        """The approved template for a language (its base language, then the default), or None."""
        for key in (language, language.split("-")[0].split("_")[0], self.default_template_language):
            if key and key in self.templates:
                return self.templates[key]
        return None
