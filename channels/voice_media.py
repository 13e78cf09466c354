"""The signed links a call's `<Play>` fetches a volunteer's recording through.

Twilio fetches a `<Play>` URL with a plain GET and no signature of its own ("Twilio does not send its
standard HTTP parameters when making requests to <Play> URLs"), so the relay signs these links itself: an
HMAC-SHA256 over the path and an expiry time, keyed from the account's auth token (a secret both the
channel, which writes the link into the TwiML, and the relay's route that serves the file already hold).
The key is derived with a label of its own, so a link's signature can never stand for a webhook's.

This module is the contract between the two sides and imports nothing but the standard library: the
voice adapter signs (channels/voice_twiml.py), the relay checks (relay/api/voice.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import urlencode

MEDIA_PREFIX = "/media/voice"
_PATH = re.compile(r"^/media/voice/(\d{1,10})/([a-z]{2,3})$")
_LABEL = b"relay voice recording link v1"


class BadLink(ValueError):
    """A link whose signature does not match, or whose time is up (the route answers 403)."""


def path(broadcast_id: int, language: str) -> str:
    """Where the relay serves the recording of one broadcast in one language (the current one: a
    re-recording uploaded while calls are under way is what the next call plays)."""
    found = f"{MEDIA_PREFIX}/{int(broadcast_id)}/{language}"
    if not _PATH.match(found):
        raise ValueError(f"language {language!r} is not a language code such as 'ht'")
    return found


def parse(media_path: str) -> tuple[int, str]:
    """(broadcast id, language) of a recording's path; ValueError for anything else."""
    found = _PATH.match(media_path)
    if found is None:
        raise ValueError(f"{media_path[:80]!r} is not a recording's path ({MEDIA_PREFIX}/<broadcast>/<lang>)")
    return int(found.group(1)), found.group(2)


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()


def signature(secret: str, media_path: str, expires: int) -> str:
    return hmac.new(_key(secret), f"{media_path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(base_url: str, secret: str, media_path: str, expires: int) -> str:
    """The absolute link for `<Play>`, good until `expires` (Unix seconds)."""
    parse(media_path)
    query = urlencode({"expires": expires, "sig": signature(secret, media_path, expires)})
    return f"{base_url.rstrip('/')}{media_path}?{query}"


def check(secret: str, media_path: str, expires: str | None, sig: str | None, now: float) -> None:
    """Return if the link is genuine and still valid; raise `BadLink` saying which it is not."""
    if not expires or not sig:
        raise BadLink("the link is not signed (expires and sig are required)")
    if not expires.isdigit() or len(expires) > 12:
        raise BadLink("the link's expiry is not a time")
    if not hmac.compare_digest(signature(secret, media_path, int(expires)), sig):
        raise BadLink("the link's signature does not match")
    if int(expires) < now:
        raise BadLink("the link has expired")
