"""The [voice] section: a Twilio account's calling numbers, its calls-per-second, the text-to-speech voice
per language, the keypad prompts, the busy/no-answer retry schedule, and the limits of recorded audio. Apart from the adapter so that
reading the configuration never imports twilio."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from channels.phone import distinct_numbers
from channels.settings_rules import BaseUrl, HttpUrl, Positive, Rate
from channels.sms_settings import TwilioAccount

_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_VOICE = re.compile(r"^(alice|man|woman|(Polly|Google)\.[A-Za-z0-9.\-]+)$")  # Twilio's <Say voice=...> forms


class Voice(BaseModel):
    """A voice Twilio offers for `<Say>`: its name ("Polly.Lea-Neural") and the language code it speaks."""

    model_config = ConfigDict(extra="forbid")

    voice: str
    language: str  # Twilio's <Say language=...>: "fr-FR", "es-US", "arb"

    @field_validator("voice")
    @classmethod
    def _voice(cls, value: str) -> str:
        if not _VOICE.match(value.strip()):
            raise ValueError(f"voice {value!r} is not a Twilio <Say> voice (Polly.<Name>, Google.<name>, alice, "
                             "man or woman)")
        return value.strip()


class Prompts(BaseModel):
    """What a call says around the message, in one language."""

    model_config = ConfigDict(extra="forbid")

    ack: str  # a relay node: confirm you will pass it on
    menu: str  # press 9 to hear it again
    thanks: str
    goodbye: str


# Voices Twilio documents for <Say> (Amazon Polly neural voices). Haitian Creole, Swahili and others have
# none: a person in such a language is failed over to their next channel, never called in another tongue.
DEFAULT_VOICES = {
    "en": Voice(voice="Polly.Joanna-Neural", language="en-US"),
    "es": Voice(voice="Polly.Lupe-Neural", language="es-US"),
    "fr": Voice(voice="Polly.Lea-Neural", language="fr-FR"),
    "pt": Voice(voice="Polly.Camila-Neural", language="pt-BR"),
}
DEFAULT_PROMPTS = {
    "en": Prompts(ack="Press 1 to confirm you will pass this on.", menu="Press 9 to hear this message again.",
                  thanks="Thank you.", goodbye="Goodbye."),
    "es": Prompts(ack="Pulse 1 para confirmar que lo transmitirá.", menu="Pulse 9 para escuchar el mensaje otra vez.",
                  thanks="Gracias.", goodbye="Adiós."),
    "fr": Prompts(ack="Appuyez sur 1 pour confirmer que vous transmettrez ce message.",
                  menu="Appuyez sur 9 pour réécouter ce message.", thanks="Merci.", goodbye="Au revoir."),
    "pt": Prompts(ack="Pressione 1 para confirmar que vai repassar esta mensagem.",
                  menu="Pressione 9 para ouvir a mensagem de novo.", thanks="Obrigado.", goodbye="Até logo."),
}


class VoiceSettings(TwilioAccount):
    """One Twilio account's calling numbers and how its calls sound."""

    numbers: list[str]  # the voice-enabled numbers calls come from (E.164)
    # Twilio's calls-per-second for the account (1 unless Twilio raised it); shared by all its numbers.
    calls_per_second: Rate = 1.0
    # Language -> voice; added to (and overriding) DEFAULT_VOICES. A language with none is failed over.
    voices: dict[str, Voice] = Field(default_factory=dict)
    prompts: dict[str, Prompts] = Field(default_factory=dict)  # added to DEFAULT_PROMPTS
    # Busy or not answered: call again after each of these minutes, then fail (and fail over).
    retry_minutes: list[float] = Field(default_factory=lambda: [2.0, 10.0])
    machine_detection: bool = True  # answering machines: the message is left after the beep (voicemail)
    ring_seconds: int = Field(30, ge=5, le=600)  # Twilio's Timeout: how long a call rings before no-answer
    gather_seconds: int = Field(6, ge=1, le=60)  # how long a keypad answer is waited for
    # Volunteers' recordings (`relay voice upload`, POST /api/broadcasts/{id}/audio/{lang}): the largest file
    # accepted, and how long the signed link a call's <Play> fetches it through stays valid after the call's
    # TwiML is fetched (each fetch, a repeat included, gets a fresh link).
    recording_max_mb: float = Field(5.0, gt=0, le=100)
    recording_link_seconds: int = Field(600, ge=30, le=86400)
    api_base_url: BaseUrl | None = None  # None = the real Twilio; the simulator's "http://127.0.0.1:PORT"
    webhook_url: HttpUrl | None = None  # the relay's public URL (TwiML, keypad, status); default [http]'s
    timeout_seconds: Positive = 10.0

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return distinct_numbers(value, "numbers", "voice-enabled Twilio number to call from")

    @field_validator("voices", "prompts")
    @classmethod
    def _languages(cls, value: dict) -> dict:
        for language in value:
            if not _LANGUAGE.match(language):
                raise ValueError(f"{language!r} is not a language code such as 'en' or 'fr'")
        return value

    @field_validator("retry_minutes")
    @classmethod
    def _schedule(cls, value: list[float]) -> list[float]:
        if any(minutes <= 0 for minutes in value) or len(value) > 10:
            raise ValueError(f"retry_minutes must be at most 10 positive numbers of minutes, got {value}")
        return value

    @model_validator(mode="after")
    def _prompt_per_voice(self) -> VoiceSettings:
        missing = sorted(set(self.voice_table()) - set(self.prompt_table()))
        if missing:
            raise ValueError(f"voices {missing} have no prompts: add [voice.prompts.<language>] with ack, menu, "
                             "thanks and goodbye in that language")
        return self

    def voice_table(self) -> dict[str, Voice]:
        return {**DEFAULT_VOICES, **self.voices}

    def prompt_table(self) -> dict[str, Prompts]:
        return {**DEFAULT_PROMPTS, **self.prompts}

    def voice_for(self, language: str) -> tuple[str, Voice, Prompts] | None:
        """The (language key, voice, prompts) a call in `language` uses: its own, then its base language."""
        voices, prompts = self.voice_table(), self.prompt_table()
        for key in (language, language.split("-")[0].split("_")[0]):
            if key in voices:
                return key, voices[key], prompts[key]
        return None
