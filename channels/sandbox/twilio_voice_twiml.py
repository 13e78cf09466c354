"""What the voice simulator checks in the TwiML the relay serves, as Twilio would: a well-formed
`<Response>` of known verbs, every `<Say>` with a voice Twilio offers for the language it names, every
`<Play>` an absolute URL (the simulator then fetches it: channels/sandbox/twilio_voice.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Voices Twilio documents for <Say>, with the language codes each speaks (a subset of the real table).
VOICES: dict[str, frozenset[str]] = {
    "Polly.Joanna-Neural": frozenset({"en-US"}), "Polly.Joanna": frozenset({"en-US"}),
    "Polly.Matthew-Neural": frozenset({"en-US"}), "Polly.Amy-Neural": frozenset({"en-GB"}),
    "Polly.Lupe-Neural": frozenset({"es-US"}), "Polly.Lucia-Neural": frozenset({"es-ES"}),
    "Polly.Mia-Neural": frozenset({"es-MX"}), "Polly.Lea-Neural": frozenset({"fr-FR"}),
    "Polly.Celine": frozenset({"fr-FR"}), "Polly.Gabrielle-Neural": frozenset({"fr-CA"}),
    "Polly.Camila-Neural": frozenset({"pt-BR"}), "Polly.Ines-Neural": frozenset({"pt-PT"}),
    "Polly.Zeina": frozenset({"arb"}), "Polly.Hala-Neural": frozenset({"ar-EG"}),
    "Polly.Vicki-Neural": frozenset({"de-DE"}), "Polly.Aditi": frozenset({"hi-IN", "en-IN"}),
    "alice": frozenset({"en-US", "en-GB", "es-ES", "es-MX", "fr-FR", "fr-CA", "pt-BR", "de-DE", "it-IT"}),
    "man": frozenset({"en-US", "en-GB", "es-ES", "fr-FR", "de-DE"}),
    "woman": frozenset({"en-US", "en-GB", "es-ES", "fr-FR", "de-DE"}),
}
_VERBS = {"Say", "Play", "Gather", "Pause", "Hangup", "Redirect"}
_IN_GATHER = {"Say", "Play", "Pause"}


# The audio types Twilio's <Play> accepts (its TwiML reference, "Supported audio file types").
PLAYABLE = frozenset({"audio/mpeg", "audio/wav", "audio/wave", "audio/x-wav", "audio/aiff", "audio/x-aifc",
                      "audio/x-aiff", "audio/x-gsm", "audio/gsm", "audio/ulaw"})


class InvalidTwiml(ValueError):
    """TwiML Twilio would refuse (error 12100 document parse failure, 13520 invalid Say voice; for a <Play>
    whose file cannot be fetched, 11200 HTTP retrieval failure, 13420 Play: Invalid Content-Type, 13325
    Gather->Play: Invalid Content-Type)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Document:
    """A checked TwiML document: what it says before a Gather, the Gather, and what it says after."""

    # {"voice", "language", "text"} for a <Say>, {"play": url, "in_gather": bool} for a <Play>, in order
    said: list[dict] = field(default_factory=list)
    gather_action: str | None = None
    said_after: list[dict] = field(default_factory=list)


def check(body: str) -> Document:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise InvalidTwiml(f"TwiML is not well-formed XML: {exc}", 12100) from None
    if root.tag != "Response":
        raise InvalidTwiml(f"TwiML's root is <{root.tag}>, not <Response>", 12100)
    document = Document()
    for verb in root:
        if verb.tag not in _VERBS:
            raise InvalidTwiml(f"<{verb.tag}> is not a TwiML voice verb", 12100)
        if verb.tag == "Gather":
            if document.gather_action is not None:
                raise InvalidTwiml("the simulator's callers answer one <Gather> per document", 12100)
            action = verb.get("action", "")
            if urlsplit(action).scheme not in ("http", "https"):
                raise InvalidTwiml(f"<Gather action={action[:60]!r}> is not an absolute URL", 12100)
            if not (verb.get("numDigits") or "1").isdigit():
                raise InvalidTwiml("<Gather numDigits> is not a number", 12100)
            document.gather_action = action
            for inner in verb:
                if inner.tag not in _IN_GATHER:
                    raise InvalidTwiml(f"<{inner.tag}> cannot be nested in <Gather>", 12100)
                if inner.tag == "Say":
                    document.said.append(_say(inner))
                elif inner.tag == "Play":
                    document.said.append(_play(inner, in_gather=True))
        elif verb.tag in ("Say", "Play"):
            heard = _say(verb) if verb.tag == "Say" else _play(verb, in_gather=False)
            (document.said if document.gather_action is None else document.said_after).append(heard)
    return document


def plays(document: Document) -> list[dict]:
    return [item for item in document.said + document.said_after if "play" in item]


def _play(element: ET.Element, *, in_gather: bool) -> dict:
    url = (element.text or "").strip()
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise InvalidTwiml(f"<Play>{url[:60]!r}</Play> is not an absolute URL", 12100)
    return {"play": url, "in_gather": in_gather}


def _say(element: ET.Element) -> dict:
    voice, language, text = element.get("voice", "man"), element.get("language", "en-US"), (element.text or "").strip()
    if voice not in VOICES:
        raise InvalidTwiml(f"<Say voice={voice!r}> is not a voice Twilio offers", 13520)
    if language not in VOICES[voice]:
        raise InvalidTwiml(f"<Say voice={voice!r}> does not speak language {language!r}", 13520)
    if not text:
        raise InvalidTwiml("<Say> has nothing to say", 12100)
    return {"voice": voice, "language": language, "text": text}
