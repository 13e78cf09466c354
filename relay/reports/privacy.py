"""Personal details in citizen reports: who may see them, and a record of everyone who did.

Responder rooms get a report's text with phone numbers and self-introduced names masked; the one
responder who claims it gets the full text and the sender's contact privately, and a translator gets the
original (translating needs it). Each of these showings is an audit entry ("report.shown"), so the log
answers "who saw what".

Masking is best effort and says so: phone numbers are found by libphonenumber (any region's format) and
by digit runs of seven or more; names only where the sender introduces themselves ("my name is",
"mwen rele", "je m'appelle", "me llamo"...). A name written elsewhere in the text is not found.
"""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy.orm import Session

from relay.core import audit

PHONE = "[phone]"
NAME = "[name]"
_DIGITS = re.compile(r"\+?\d[\d\s.\-()]{5,}\d")
_INTRO = re.compile(
    r"(?i)\b(my name is|name is|i am called|mwen rele|m rele|non mwen se|non m se|"
    r"je m'appelle|je m appelle|me llamo|mi nombre es)\s+"
    r"((?:[^\W\d_][\w'\-]*)(?:\s+(?!(?:from|in|at|of|and|nan|depi|ki|a|de|en|et|y)\b)[^\W\d_][\w'\-]*){0,2})"
)


def mask(text: str, region: str | None = "HT") -> str:
    """`text` with phone numbers and self-introduced names replaced by placeholders."""
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region or "HT")]
    masked, last = [], 0
    for start, end in sorted(spans):
        masked += [text[last:start], PHONE]
        last = end
    masked.append(text[last:])
    out = _DIGITS.sub(lambda m: PHONE if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), "".join(masked))
    return _INTRO.sub(lambda m: f"{m.group(1)} {NAME}", out)


def shown(session: Session, *, actor: str, report_reference: str, to: str, what: str, purpose: str) -> None:
    """Record that `to` was shown `what` (masked | original | contact) of a report, and why."""
    audit.record(session, actor, "report.shown", f"report:{report_reference}", to=to, what=what, purpose=purpose)
