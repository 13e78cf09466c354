"""Verification codes for official broadcasts: `Verify: K7P-2QX`, an HMAC of the broadcast id and text.

The code is short enough for an SMS (six Crockford base-32 characters, 30 bits) and survives translation
because it is added on its own line after the text is chosen (`relay.delivery.deliveries.texts_for`) and the
translation protector keeps `VERIFY` codes anyway. A code is looked up by its value and checked by
recomputing the HMAC over the broadcast as stored, with the key named on the code's row: a forged or
mistyped code finds nothing, and an edited broadcast no longer matches its code. Keys rotate: new codes
use the active key, older codes keep verifying while their key is listed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay.integrity.models import VerificationCode
from relay.core.models import Broadcast, BroadcastKind

if TYPE_CHECKING:
    from relay.core.config import Settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_RE = re.compile(r"\bVERIFY\s*:?\s*([0-9A-Z]{3})[\s-]?([0-9A-Z]{3})\b", re.IGNORECASE)
LOCAL_KEY_FILE = "verification.key"
# Bridged chat traffic is people's words, not ours: it never carries a code.
OFFICIAL_KINDS = frozenset(k.value for k in BroadcastKind)


def code_for(key: bytes, broadcast_id: int, text: str) -> str:
    """The six-character code (no dash) of broadcast `broadcast_id` with body `text` under `key`."""
    mac = hmac.new(key, f"relay-verify/1\n{broadcast_id}\n{text}".encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(mac[:4], "big") >> 2  # 30 bits
    chars = []
    for _ in range(6):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def display(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def line(code: str) -> str:
    """The line appended under an official broadcast's text, in every language."""
    return f"Verify: {display(code)}"


def normalise(typed: str) -> str | None:
    """What a person typed ("k7p 2qx", "K7P-2QX", "VERIFY: K7P2QX") as a code, or None if it is none."""
    cleaned = re.sub(r"[\s\-:.]", "", typed.upper()).removeprefix("VERIFY").translate(_READ_AS)
    if len(cleaned) != 6 or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def codes_in(text: str) -> list[str]:
    """Every `Verify: XXX-XXX` written in a message (normalised)."""
    found = []
    for match in CODE_RE.finditer(text):
        code = normalise(match.group(1) + match.group(2))
        if code is not None:
            found.append(code)
    return found


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes]
    active: str

    def code(self, broadcast_id: int, text: str) -> tuple[str, str]:
        """(key id, code) for a new broadcast."""
        return self.active, code_for(self.keys[self.active], broadcast_id, text)

    def matches(self, key_id: str, broadcast_id: int, text: str, code: str) -> bool:
        key = self.keys.get(key_id)
        return key is not None and hmac.compare_digest(code_for(key, broadcast_id, text), code)


def _local_key(data_dir: Path) -> bytes:
    """A key made once for this installation when none is configured, kept beside the database (0600)."""
    path = data_dir / LOCAL_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def keyring(settings: "Settings") -> Keyring:
    configured = settings.integrity.verification_keys
    if not configured:
        return Keyring({"local": _local_key(settings.data_dir)}, "local")
    keys = {key_id: secret.get_secret_value().encode() for key_id, secret in configured.items()}
    return Keyring(keys, settings.integrity.active_key or list(keys)[-1])


def stamp(session: Session, broadcast: Broadcast, ring: Keyring) -> str:
    """Give a flushed broadcast its code (in the caller's transaction); returns the code."""
    key_id, code = ring.code(broadcast.id, broadcast.body)
    session.add(VerificationCode(broadcast_id=broadcast.id, code=code, key_id=key_id))
    return code


def stamper(settings: "Settings"):
    """The `stamp` hook `relay.delivery.outbox.plan_broadcast` takes: codes every official broadcast."""
    ring = keyring(settings)

    def hook(session: Session, broadcast: Broadcast) -> None:
        if broadcast.kind in OFFICIAL_KINDS:
            stamp(session, broadcast, ring)

    return hook


def lines_for(session: Session, broadcast_ids) -> dict[int, str]:
    """broadcast id -> its `Verify:` line, for those that have a code (the dispatcher's text selection)."""
    rows = session.execute(select(VerificationCode.broadcast_id, VerificationCode.code)
                           .where(VerificationCode.broadcast_id.in_(list(broadcast_ids))))
    return {broadcast_id: line(code) for broadcast_id, code in rows}


@dataclass(frozen=True)
class Verdict:
    """What a code someone typed turned out to be: made by our keys for `broadcast`, or not (mistyped or
    forged; then no broadcast)."""

    code: str
    authentic: bool
    broadcast: Broadcast | None = None


def verify(session: Session, ring: Keyring, typed: str) -> Verdict | None:
    """Check a code someone received. None when what they typed is not shaped like a code at all."""
    code = normalise(typed)
    if code is None:
        return None
    rows = session.scalars(select(VerificationCode).where(VerificationCode.code == code)
                           .order_by(VerificationCode.broadcast_id.desc())).all()
    for row in rows:  # 30 bits: two broadcasts may share a code; each is checked on its own
        broadcast = session.get(Broadcast, row.broadcast_id)
        if broadcast is not None and ring.matches(row.key_id, broadcast.id, broadcast.body, code):
            return Verdict(code, True, broadcast)
    return Verdict(code, False)
