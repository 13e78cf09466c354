"""What a call says, as TwiML, and the call's state as it travels in the URLs Twilio calls back.

A call's state (which delivery, the text or the recording's path, its language, the ACK code, which
attempt) is carried, compressed, in the query of the TwiML and keypad URLs the relay gives Twilio, rather
than kept in one process's memory: `relay serve` and `relay worker` may be different processes (or
several), and any of them can answer any callback. Twilio signs every request with the account's auth
token over the full URL, query included, and the relay checks that signature before reading the state, so
nobody without the token can make a call say anything (channels/voice.py).
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from channels import voice_media
from channels.sms import voice_response
from channels.voice_settings import VoiceSettings

TWIML_PATH = "/webhooks/voice/twiml"
GATHER_PATH = "/webhooks/voice/gather"
STATUS_PATH = "/webhooks/voice/status"
MAX_URL = 4000  # Twilio refuses a longer Url parameter
# A relay node's header says "reply ACK 4F2" in every language (relay/networks/relays.py): on a call the
# node presses 1 instead, and the relay receives that ACK command.
ACK_CODE = re.compile(r"\bACK ([2-9A-HJKMNP-Z]{3})\b")
ACK_DIGIT, REPEAT_DIGIT = "1", "9"


@dataclass(frozen=True)
class CallState:
    delivery: int
    text: str
    language: str  # the key of the voice table the call speaks in
    attempt: int = 1
    ack: str = ""  # the relay node's ACK code, when the text asks for one
    round: int = 0  # how many keypad answers came before (each is a message of its own)
    # A volunteer's recording to <Play> instead of saying `text` (its path on the relay, signed when the TwiML
    # is served); with one, `language` may be one no Twilio voice speaks (Haitian Creole).
    audio: str = ""

    def encode(self) -> str:
        packed = json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(zlib.compress(packed, 9)).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> CallState:
        try:
            raw = zlib.decompress(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), bufsize=8192)
            fields = json.loads(raw)
            return cls(delivery=int(fields["delivery"]), text=str(fields["text"]), language=str(fields["language"]),
                       attempt=int(fields.get("attempt", 1)), ack=str(fields.get("ack", "")),
                       round=int(fields.get("round", 0)), audio=str(fields.get("audio", "")))
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            raise ValueError(f"the call state in the URL is unreadable ({type(exc).__name__})") from None

    def next_round(self) -> CallState:
        return CallState(self.delivery, self.text, self.language, self.attempt, self.ack, self.round + 1, self.audio)


def state_of(url: str) -> CallState:
    values = parse_qs(urlsplit(url).query).get("s")
    if not values:
        raise ValueError("the URL carries no call state (?s=)")
    return CallState.decode(values[0])


def url(settings: VoiceSettings, path: str, state: CallState) -> str:
    return f"{settings.webhook_url}{path}?{urlencode({'s': state.encode()})}"


def ack_code(text: str) -> str:
    found = ACK_CODE.search(text)
    return found.group(1) if found else ""


def message(settings: VoiceSettings, state: CallState, *, machine: bool) -> str:
    """The call's TwiML: the message and the keypad menu for a person, the message alone for a machine (Twilio
    fetches it after the greeting's beep when machine detection waits for the message end). The message is
    the volunteer's recording when the call carries one (<Play>), else the text said in the language's voice;
    the prompts around it are said only where a voice speaks the language (a recording in Creole is played
    with no prompt in another tongue: 9 still repeats it, 1 still acknowledges)."""
    found = settings.voice_for(state.language)
    response = voice_response()
    if found is None and not state.audio:  # the adapter never calls so; a changed config meanwhile ends the call
        response.hangup()
        return str(response)
    say = {"voice": found[1].voice, "language": found[1].language} if found is not None else None
    prompts = found[2] if found is not None else None

    def the_message(verb) -> None:
        if state.audio:
            verb.play(play_url(settings, state.audio))
        else:
            verb.say(state.text, **say)

    if machine:
        the_message(response)
        response.hangup()
        return str(response)
    gather = response.gather(num_digits=1, action=url(settings, GATHER_PATH, state), method="POST",
                             timeout=settings.gather_seconds)
    the_message(gather)
    if say is not None and prompts is not None:
        if state.ack:
            gather.say(prompts.ack, **say)
        gather.say(prompts.menu, **say)
        response.say(prompts.goodbye, **say)
    response.hangup()
    return str(response)


def play_url(settings: VoiceSettings, audio: str, now: float | None = None) -> str:
    """The recording's signed link, valid for `recording_link_seconds` from now (the TwiML is fetched when
    the call is answered, and again on each repeat, so every <Play> gets a fresh one)."""
    if settings.webhook_url is None:
        raise ValueError("[voice] needs the relay's public URL (webhook_url) to link a recording")
    expires = int(now if now is not None else time.time()) + settings.recording_link_seconds
    return voice_media.signed_url(str(settings.webhook_url), settings.auth_token.get_secret_value(), audio, expires)


def reply(voice: str, language: str, text: str, goodbye: str) -> str:
    """The relay's answer to a keypad press, said in the call's voice, then goodbye."""
    response = voice_response()
    if voice and text:
        response.say(text, voice=voice, language=language)
        if goodbye:
            response.say(goodbye, voice=voice, language=language)
    response.hangup()
    return str(response)
