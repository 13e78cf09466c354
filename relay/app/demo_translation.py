"""The demo's translation story: Spanish by Apertium, Swahili held by the quality gate, Haitian Creole by
a volunteer translator.

No engine on a stock machine serves Swahili, so the demo adds a stand-in that fails open (it returns the
English unchanged, as a broken engine does) and says so: that is the text the gate must hold. Everything
else is the relay's own path: the protected engine chain, the gate, the outbox, the volunteer offer and
`/tr`, and the follow-up to exactly the people who got the original.
"""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta

from channels.base import Inbound
from relay.inbound import handling as inbound
from relay.reports import service as report_service
from relay.reports import translators
from relay.core.config import Settings
from relay.core.models import BroadcastText, Endpoint, Subscriber
from relay.delivery.outbox import MachineTranslate
from relay.delivery.translation_hooks import gated_machine
from translation.factory import build_protected, build_translator
from translation.fail_open import FailOpenEngine
from translation.gate_factory import build_gate

VOLUNTEER = "+12015557001"  # an en->ht volunteer translator, on SMS
# Written for the demo by the project team (not a professional translation).
CRISIS_HT = ("AVÈTISMAN INONDASYON: rivyè a pral debòde aswè a. Monte sou tè ki pi wo kounye a. "
             "Abri nan lekòl Wout 3 la apati 18:00. Rele 114 pou èd.")
_ids = itertools.count(1)


def apertium_advice() -> str | None:
    """None when Apertium can translate here; else how to install it."""
    if shutil.which("lt-proc") and shutil.which("apertium"):
        return None
    return ("Apertium is not installed, so Spanish goes out as the original with a note. Install it with "
            "`sudo bash scripts/ensure-system-packages.sh` (Debian: apt-get install apertium apertium-eng-spa) "
            "and run the demo again.")


def demo_machine(settings: Settings) -> MachineTranslate:
    """The configured engines plus the Swahili stand-in, protected and gated as the relay's own are."""
    chain = build_translator(settings.translation)
    chain.backends.append(FailOpenEngine("sw", name="demo-fail-open"))  # the Swahili stand-in
    protected = build_protected(settings.translation, chain)
    return gated_machine(protected, build_gate(settings.translation, protected))


def add_volunteer(session, settings: Settings) -> None:
    subscriber = Subscriber(language="en", tier="contributor")
    endpoint = Endpoint(channel="sms", address=VOLUNTEER)
    subscriber.endpoints.append(endpoint)
    session.add(subscriber)
    session.flush()
    translators.register(session, endpoint, ["en"], "ht", actor="demo", languages=settings.languages)


def texts_table(session, broadcast_id: int) -> list[tuple[str, str, str, str]]:
    """(language, origin, status, gate) per text, for the demo's printout."""
    rows = session.query(BroadcastText).filter(BroadcastText.broadcast_id == broadcast_id)
    from relay.broadcasts.cli import gate_summary

    return [(t.language, t.origin, t.status, gate_summary(t) or "-") for t in sorted(rows, key=lambda t: t.language)]


def volunteer_answers(session, settings: Settings, broadcast_id: int, relay_number: str) -> tuple[str, str]:
    """The offer pass, then the volunteer's `/tr` reply; returns (the offer, the relay's thanks)."""
    now = datetime.now(UTC)
    report_service.step(session, settings, now + timedelta(seconds=1))
    offer = session.execute(
        BroadcastText.__table__.select().where(BroadcastText.broadcast_id == broadcast_id,
                                               BroadcastText.language == "ht")).first()
    message = Inbound("sms", f"SMdemo{next(_ids):026d}", VOLUNTEER, relay_number,
                      f"/tr B{broadcast_id} {CRISIS_HT}", now)
    result = inbound.handle(session, message, settings)
    deadline = offer.offer_deadline.strftime("%H:%M UTC") if offer and offer.offer_deadline else "-"
    return f"offered to the en->ht volunteer, deadline {deadline}", result.reply or ""
