"""Voice calls through Twilio (Calls resource + TwiML): a broadcast said aloud in the person's language.

The twilio SDK stays in `channels/sms.py`: this adapter takes its client, its error classification, its
webhook signature check and TwiML's builder from there, as the WhatsApp adapter does. What is a call's own:

- `send` places one call whose TwiML URL carries the message (channels/voice_twiml.py), or the path of a
  volunteer's recording of it (`Outbound.audio`, played with `<Play>` through a signed link:
  channels/voice_media.py); a language without a Twilio voice and without a recording raises a permanent
  error at once, so failover takes the message to the person's next channel instead of calling them in a
  language they may not understand;
- the TwiML answer: the message and a keypad menu for a person, the message alone for an answering machine
  (with machine detection Twilio fetches it after the beep);
- a keypad press: 1 from a relay node is its ACK command, another digit goes to the relay as that digit (a
  poll answer), 9 says the message again;
- status callbacks: completed (a person, or voicemail), busy and no-answer (called again on the configured
  schedule, then failed), failed and canceled.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit
from datetime import datetime, timezone
from typing import Any

from channels.base import (Inbound, Outbound, PermanentError, Receipt, RecipientUnreachable, SenderLimit,
                           StatusUpdate)
from channels.sms import TwilioChannel, require_fields, typed_errors, verify_signature
from channels.spec import Answer, WebhookCall
from channels.voice_settings import VoiceSettings
from channels import voice_media, voice_twiml
from channels.voice_twiml import ACK_DIGIT, MAX_URL, REPEAT_DIGIT, STATUS_PATH, TWIML_PATH, CallState, state_of

NAME = "voice"
XML = "application/xml"
CALL_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer",
                           "failed", "canceled"})
_UNREACHABLE = {"21217", "21214", "13224"}  # not a valid phone number / cannot be reached by voice
_EVENTS = ["initiated", "ringing", "answered", "completed"]


class VoiceChannel(TwilioChannel):
    """Twilio Programmable Voice as a `Channel`: one account, its calling numbers, one CPS for them all."""

    name = NAME
    resource = "calls"
    senders_are = "calling numbers"

    def __init__(self, settings: VoiceSettings) -> None:
        if settings.webhook_url is None:
            raise ValueError("[voice] needs the relay's public URL (webhook_url, or [http] public_url)")
        # Twilio counts calls per second per account: the dispatcher paces each number on its own, so each
        # gets its share (one number, the usual case, gets the whole CPS).
        super().__init__(settings, settings.numbers,
                         SenderLimit(rate=settings.calls_per_second / len(settings.numbers), burst=1.0))

    def cost(self, text: str) -> int:
        return 1  # one call

    async def send(self, message: Outbound) -> Receipt:
        calls = self._sending(message)
        found = self.settings.voice_for(message.language)
        if message.audio:  # a volunteer's recording: played in any language, a voice or not
            try:
                voice_media.parse(message.audio)
            except ValueError as exc:
                raise PermanentError(str(exc), code="voice-audio") from None
            state = CallState(delivery=message.delivery_id, text="", language=found[0] if found else message.language,
                              attempt=message.attempt, ack=voice_twiml.ack_code(message.text), audio=message.audio)
        elif found is None:
            raise PermanentError(f"no Twilio voice for language {message.language!r} ([voice] voices has "
                                 f"{', '.join(sorted(self.settings.voice_table()))}) and no recording of this "
                                 "message in it: failing over to the person's next channel", code="voice-language")
        else:
            state = CallState(delivery=message.delivery_id, text=message.text, language=found[0],
                              attempt=message.attempt, ack=voice_twiml.ack_code(message.text))
        twiml_url = voice_twiml.url(self.settings, TWIML_PATH, state)
        if len(twiml_url) > MAX_URL:
            raise PermanentError(f"the message is too long for a call ({len(message.text)} characters)",
                                 code="21205")
        fields: dict[str, Any] = {
            "to": message.to, "from_": message.sender, "url": twiml_url, "method": "POST",
            "status_callback": f"{self.settings.webhook_url}{STATUS_PATH}?n={message.attempt}",
            "status_callback_event": _EVENTS, "status_callback_method": "POST",
            "timeout": self.settings.ring_seconds,
        }
        if self.settings.machine_detection:
            fields["machine_detection"] = "DetectMessageEnd"  # the TwiML is fetched after the beep
        try:
            with typed_errors(self.settings.timeout_seconds):
                created = await calls.create_async(**fields)
        except PermanentError as exc:
            if exc.code in _UNREACHABLE:
                raise RecipientUnreachable(str(exc), code=exc.code) from None
            raise
        return Receipt(provider_message_id=str(created.sid), status=str(created.status or "queued"))

    async def fetch_status(self, provider_message_id: str) -> StatusUpdate:
        """The call's status as Twilio has it now, for a delivery whose status callback never came."""
        calls = self._started("fetch_status")
        with typed_errors(self.settings.timeout_seconds):
            call = await calls(provider_message_id).fetch_async()
        status = str(call.status or "").strip().lower()
        answered_by = str(getattr(call, "answered_by", "") or "")
        return StatusUpdate(channel=NAME, provider_message_id=provider_message_id,
                            status=_final_word(status, answered_by))


def _signed(call: WebhookCall) -> None:
    verify_signature(call.settings.auth_token.get_secret_value(), call.url, call.form,
                     call.headers.get("x-twilio-signature"))


def _machine(answered_by: str) -> bool:
    return answered_by.startswith("machine") or answered_by == "fax"


def _final_word(status: str, answered_by: str) -> str:
    if status == "completed":
        return "voicemail" if _machine(answered_by) else "delivered"
    return "failed" if status == "canceled" else status


def parse_twiml(call: WebhookCall) -> Answer:
    """Twilio fetching what the call says (after the beep, for a machine)."""
    _signed(call)
    require_fields(call.form, "CallSid")
    state = state_of(call.url)
    return Answer(XML, voice_twiml.message(call.settings, state, machine=_machine(call.form.get("AnsweredBy", ""))))


def parse_gather(call: WebhookCall) -> Inbound | Answer:
    """A keypad press: 1 from a relay node is its ACK, 9 repeats, another digit goes to the relay as is."""
    _signed(call)
    require_fields(call.form, "CallSid", "To", "From")
    state = state_of(call.url)
    digits = call.form.get("Digits", "").strip()
    if digits == REPEAT_DIGIT or not digits.isdigit() or len(digits) != 1 or digits == "0":
        return Answer(XML, voice_twiml.message(call.settings, state.next_round(), machine=False))
    text = f"ACK {state.ack}" if digits == ACK_DIGIT and state.ack else digits
    form = call.form
    return Inbound(
        channel=NAME,
        provider_message_id=f"{form['CallSid'][:40]}:{state.round}",
        sender=form["To"][:64],  # an outbound call: the person is the number called
        recipient=form["From"][:64],
        text=text,
        received_at=datetime.now(timezone.utc),
        raw={**{key: form[key] for key in form}, **_voice_fields(call.settings, state.language)},
        language_hint=state.language,
    )


def _voice_fields(settings: VoiceSettings, language: str) -> dict[str, str]:
    found = settings.voice_for(language)
    if found is None:
        return {}
    _, voice, prompts = found
    return {"VoiceName": voice.voice, "VoiceCode": voice.language, "VoiceThanks": prompts.thanks,
            "VoiceGoodbye": prompts.goodbye}


def answer_gather(message: Inbound, reply: str | None) -> tuple[str, str]:
    """The relay's reply to a keypad press, said in the call's voice (chosen when the press was parsed)."""
    raw = message.raw
    return XML, voice_twiml.reply(raw.get("VoiceName", ""), raw.get("VoiceCode", ""), reply or raw.get("VoiceThanks", ""),
                                  raw.get("VoiceGoodbye", ""))


def parse_status(call: WebhookCall) -> StatusUpdate:
    """A call's status callback; busy and no-answer carry `retry_after` while the schedule has room."""
    _signed(call)
    form = call.form
    require_fields(form, "CallSid", "CallStatus")
    status = form["CallStatus"].strip().lower()
    if status not in CALL_STATUSES or len(form["CallSid"]) > 64:
        raise ValueError(f"CallStatus {form['CallStatus'][:32]!r} is not a Twilio call status")
    word = _final_word(status, form.get("AnsweredBy", ""))
    retry_after = None
    if word in ("busy", "no-answer"):
        attempt = _attempt(call.url)
        schedule: Sequence[float] = call.settings.retry_minutes
        if attempt <= len(schedule):
            retry_after = schedule[attempt - 1] * 60
    return StatusUpdate(channel=NAME, provider_message_id=form["CallSid"], status=word,
                        error_code=form.get("ErrorCode") or form.get("SipResponseCode") or None,
                        retry_after=retry_after)


def _attempt(url: str) -> int:
    value = parse_qs(urlsplit(url).query).get("n", ["1"])[0]
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise ValueError(f"the status callback URL's attempt {value[:10]!r} is not a number")
    return int(value)
