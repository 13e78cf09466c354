"""Broadcasts in each recipient's language through the real engines: once per language, protected tokens
intact, remembered in the database, never silence when an engine is missing or broken, and a human
approval step for severe crisis texts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from relay.delivery import approvals, deliveries, outbox, reach
from relay.app.settings import Settings, load_settings
from relay.core.db import Database
from relay.core.models import Broadcast, BroadcastText, Delivery, Subscriber, TranslationMemoryEntry
from relay.delivery.outbox import BroadcastError, BroadcastRequest
from relay.delivery.translation_hooks import approval_policy, machine_translator, untranslated_note
from tests.relay.conftest import bulk_people
from translation.fallback import NOTES

pytestmark = pytest.mark.skipif(shutil.which("lt-proc") is None, reason="Apertium not installed "
                                "(make test installs it: scripts/system-packages.d/apertium.sh)")

SENDERS = {"sms": ["+12015550100"]}
LANGUAGES = ["en", "es", "ht", "sw", "fr", "ar", "pt", "de"]
BODY = ("Flood warning for Port-au-Prince: move to higher ground before 18:00 on 12/01/2026. "
        "Call +1 202 555 0100 or see https://example.org/flood. Reply STOP to unsubscribe.")
PROTECTED = ["18:00", "12/01/2026", "+1 202 555 0100", "https://example.org/flood", "STOP"]


def crowd(database: Database, per_language: int) -> None:
    bulk_people(database, LANGUAGES, per_language, first_address=2000000)


# Only Apertium here: argos reads its directories once per process at import, and tests/translation owns
# that import (its fixture installs the test packages first).
APERTIUM_ONLY = {"engines": ["apertium"]}


@contextmanager
def opened(tmp_path, **translation) -> Iterator[tuple[Settings, Database]]:
    """Settings (Apertium only, plus `translation`) and their migrated database, closed after the block."""
    settings = load_settings(None, overrides={"data_dir": str(tmp_path),
                                              "translation": {**APERTIUM_ONLY, **translation}})
    with closing(Database.open(settings, upgrade=True)) as db:
        yield settings, db


@pytest.fixture
def database(tmp_path):
    with opened(tmp_path) as settings_and_db:
        yield settings_and_db


def plan(settings, db, body=BODY, **kwargs):
    request = BroadcastRequest(kind="crisis", body=body, source_language="en", sender="t", **kwargs)
    return outbox.plan_broadcast(db.sessions, request, senders=SENDERS, machine=machine_translator(settings, db.sessions),
                                 note=untranslated_note, approval=approval_policy(settings), actor="t")


def texts(db, broadcast_id) -> dict[str, BroadcastText]:
    with db.sessions() as session:
        return {t.language: t for t in session.get(Broadcast, broadcast_id).texts}


def plan_counting(settings, db, calls: list[str]):
    """Plan the crisis broadcast (BODY) with the configured machine translator, noting in `calls` each
    language the translator is asked for."""
    machine = machine_translator(settings, db.sessions)

    def counting(body, source, target):
        calls.append(target)
        return machine(body, source, target)

    return outbox.plan_broadcast(db.sessions, BroadcastRequest(kind="crisis", body=BODY, source_language="en",
                                 sender="t"), senders=SENDERS, machine=counting, note=untranslated_note, actor="t")


def test_ten_thousand_recipients_in_eight_languages_cost_one_translation_per_language(database):
    settings, db = database
    crowd(db, 1250)
    calls: list[str] = []
    planned = plan_counting(settings, db, calls)
    assert planned.deliveries == 10_000
    assert sorted(calls) == sorted(set(LANGUAGES) - {"en"})  # once per language, never per recipient
    by_language = texts(db, planned.id)
    spanish = by_language["es"]
    assert spanish.origin == "machine" and spanish.engine.startswith("apertium/eng-spa")
    assert spanish.text != BODY and all(token in spanish.text for token in PROTECTED)
    assert "Port-au-Prince" in spanish.text  # a glossary place name, kept as it is
    for language in ("fr", "pt"):  # no Debian en-fr or en-pt pair: Apertium through Spanish
        pivoted = by_language[language]
        assert pivoted.origin == "machine" and pivoted.engine.startswith("apertium+apertium via es (")
        assert pivoted.text != BODY and all(token in pivoted.text for token in PROTECTED)
    for language in ("ht", "sw", "ar", "de"):  # no engine here: the original and a note
        assert by_language[language].origin == "untranslated"
        assert by_language[language].text == f"{NOTES[language]}\n{BODY}"
    with db.sessions() as session:
        per_language = dict(session.execute(select(Delivery.language, func.count()).group_by(Delivery.language)).all())
    assert per_language == {language: 1250 for language in LANGUAGES}


def test_translation_memory_in_the_database_serves_the_next_broadcast(database):
    settings, db = database
    crowd(db, 2)
    first = plan(settings, db)
    with db.sessions() as session:
        stored = session.scalars(select(TranslationMemoryEntry)).all()
    assert sorted((e.source, e.target) for e in stored) == [("en", "es"), ("en", "fr"), ("en", "pt")]
    from relay.delivery.translation_hooks import engine_calls

    before = engine_calls(settings, db.sessions)
    second = plan(settings, db)
    assert engine_calls(settings, db.sessions) == before  # served from memory
    assert texts(db, second.id)["es"].text == texts(db, first.id)["es"].text


def test_a_broken_engine_never_silences_a_language(tmp_path):
    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "eng-spa.mode").write_text(f"lt-proc '{tmp_path}/missing.automorf.bin'\n")
    with opened(tmp_path, apertium_modes_dir=str(modes)) as (settings, db):
        crowd(db, 3)
        planned = plan(settings, db)
        assert planned.deliveries == 24
        spanish = texts(db, planned.id)["es"]
        assert spanish.origin == "untranslated" and spanish.text == f"{NOTES['es']}\n{BODY}"


def test_severe_crisis_text_held_until_a_person_approves_it(tmp_path):
    with opened(tmp_path, require_approval=["es"], send_original_while_pending=False) as (settings, db):
        crowd(db, 2)
        planned = plan(settings, db, severity="Extreme")
        assert planned.pending_approval == ("es",)
        with db.sessions() as session:
            assert reach.report(session, planned.id).by_language["es"] == {"held": 2}
            claimed = deliveries.claim(session, "+12015550100", "w", 100, datetime.now(timezone.utc))
            assert len(claimed) == 14 and all(c.language != "es" for c in claimed)  # held ones are not sent
            session.rollback()
        with db.sessions.begin() as session:
            with pytest.raises(BroadcastError, match="no fr text waiting"):
                approvals.approve(session, planned.id, "fr", text=None, actor="ana")
            result = approvals.approve(session, planned.id, "es", text="Alerta de inundación: suba ahora.",
                                       actor="ana")
        assert result.released == 2 and result.follow_up is None
        spanish = texts(db, planned.id)["es"]
        assert (spanish.status, spanish.origin, spanish.approved_by) == ("approved", "human", "ana")
        with db.sessions() as session:
            assert reach.report(session, planned.id).by_language["es"] == {"pending": 2}
        # A moderate alert does not wait.
        assert plan(settings, db, severity="Moderate").pending_approval == ()


def test_original_goes_first_and_the_approved_text_follows_to_the_same_people(tmp_path):
    with opened(tmp_path, require_approval=["es"], send_original_while_pending=True) as (settings, db):
        crowd(db, 3)
        planned = plan(settings, db, severity="Severe")
        spanish = texts(db, planned.id)["es"]
        assert spanish.status == "pending_approval" and spanish.text == f"{NOTES['es']}\n{BODY}"
        assert spanish.draft and "+1 202 555 0100" in spanish.draft
        with db.sessions.begin() as session:
            result = approvals.approve(session, planned.id, "es", text=None, actor="ana")
        assert result.follow_up is not None and result.follow_up_deliveries == 3
        with db.sessions() as session:
            original = set(session.scalars(select(Delivery.endpoint_id).where(
                Delivery.broadcast_id == planned.id, Delivery.language == "es")))
            follow = set(session.scalars(select(Delivery.endpoint_id).where(Delivery.broadcast_id == result.follow_up)))
            follow_text = session.get(BroadcastText, (result.follow_up, "es")).text
            assert session.get(Broadcast, result.follow_up).references_id == planned.id
        assert follow == original and follow_text == spanish.draft


def test_an_unknown_language_code_gets_the_original_and_the_others_still_translate(database):
    settings, db = database
    crowd(db, 1)
    with db.engine.begin() as connection:  # a code no engine or catalogue knows
        connection.execute(Subscriber.__table__.update().where(Subscriber.id == 3).values(language="zz"))
    planned = plan(settings, db)
    by_language = texts(db, planned.id)
    assert by_language["zz"].origin == "untranslated" and by_language["zz"].text == BODY  # no note for zz
    assert by_language["es"].origin == "machine"
    assert planned.deliveries == 8
