"""Citizen reports end to end inside the relay's core, on SQLite and PostgreSQL: people write through
`inbound.handle` (what every channel calls), the report service is stepped with a controlled clock, and
the tests read what the outbox queued for each person or room."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from conftest import add_person
from relay.reports import service as report_service
from relay.reports import translators
from relay.core.models import AuditEntry, Endpoint, TranslationMemoryEntry
from relay.core.permissions import PermissionDenied
from relay.reports.models import Report, TranslationOffer
from support import queued, sms, telegram

CREOLE = "Nou bezwen dlo ak manje nan katye Delmas 33, tanpri ede nou"
CREOLE_EN = "We need water and food in Delmas 33, please help us"
CITIZEN = "+50937001234"


def later(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def only_report(session) -> Report:
    return session.scalars(select(Report)).one()


def test_a_creole_sms_is_stored_and_acknowledged_in_creole_and_a_replay_changes_nothing(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        first = sms(session, settings, CITIZEN, CREOLE, sid="SM" + "1" * 32)
    with db.sessions.begin() as session:
        again = sms(session, settings, CITIZEN, CREOLE, sid="SM" + "1" * 32)
        report = only_report(session)
        assert report.language == "ht" and report.status == "received" and report.text == CREOLE
    assert first.reply == (f"Nou resevwa mesaj ou, referans ou se {report.reference}. "
                           f"Reponn CANCEL {report.reference} si ou pa bezwen ed anko.")
    assert again.duplicate and again.reply == first.reply


def test_resent_and_near_identical_reports_are_linked_not_multiplied(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        add_person(session, "telegram", "501")
        translators.register(session, session.scalars(select(Endpoint)).one(), ["ht"], "en", actor="cli",
                             languages=settings.languages)
        sms(session, settings, CITIZEN, CREOLE)
        resent = sms(session, settings, CITIZEN, CREOLE + "!")  # the same person, again
        other = sms(session, settings, "+50937009999", CREOLE.lower())  # someone else, the same text
    with db.sessions.begin() as session:
        reports = session.scalars(select(Report).order_by(Report.id)).all()
        assert len(reports) == 2
        primary, linked = reports
        assert primary.reference in resent.reply and primary.resends == 1
        assert linked.status == "linked" and linked.duplicate_of == primary.id and linked.reference in other.reply
        assert report_service.step(session, settings, later(1)) == {"offered": 1}  # one offer, not two
    with db.sessions.begin() as session:
        telegram(session, settings, 501, f"/tr {primary.reference} {CREOLE_EN}")
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(2)) == {"routed": 1}
        assert queued(session, "telegram", "-1003") == [  # logistics got it once
            f"Report {primary.reference} [request, water, food, shelter]\n{CREOLE_EN}\nTake it: /claim {primary.reference}"]
        telegram(session, settings, 77, f"/done {primary.reference}", group=-1003)
    with db.sessions.begin() as session:
        assert queued(session, "sms", CITIZEN)[-1].startswith(f"Yo okipe rapo {primary.reference} ou a.")
        assert queued(session, "sms", "+50937009999")[-1].startswith(f"Yo okipe rapo {linked.reference} ou a.")
        assert {r.status for r in session.scalars(select(Report))} == {"resolved"}


def test_cancel_with_a_reference_cancels_that_report_and_cancel_alone_stays_stop(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        sms(session, settings, CITIZEN, CREOLE)
    with db.sessions.begin() as session:
        reference = only_report(session).reference
        stranger = sms(session, settings, "+50937005555", f"CANCEL {reference}")
        assert "Pa gen rapo" in stranger.reply or "No open report" in stranger.reply
        assert only_report(session).status == "received"
        mine = sms(session, settings, CITIZEN, f"cancel {reference}")
        assert mine.reply == f"Rapo {reference} anile. Mesi paske ou di nou sa."
        assert only_report(session).status == "cancelled"
    with db.sessions.begin() as session:
        sms(session, settings, CITIZEN, "CANCEL")
        endpoint = session.scalars(select(Endpoint).where(Endpoint.address == CITIZEN)).one()
        assert endpoint.opted_out


def test_a_translator_who_never_answers_is_passed_over_at_the_configured_time(relay_db):
    settings, db = relay_db
    settings.reports.translators_per_round = 1
    with db.sessions.begin() as session:
        for user in (601, 602):
            endpoint = add_person(session, "telegram", str(user))
            translators.register(session, endpoint, ["ht", "fr"], "en", actor="cli", languages=settings.languages)
        sms(session, settings, CITIZEN, CREOLE)
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1)) == {"offered": 1}
        reference = only_report(session).reference
        assert len(queued(session, "telegram", "601")) == 1 and queued(session, "telegram", "602") == []
        assert CREOLE in queued(session, "telegram", "601")[0]
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(10.5)) == {}  # not yet: 10 minutes from the offer
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(11.5)) == {"offered_again": 1}
        assert len(queued(session, "telegram", "602")) == 1
    with db.sessions.begin() as session:
        answer = telegram(session, settings, 602, f"/tr {reference} {CREOLE_EN}")
        assert answer.reply.startswith(f"Thank you: report {reference} is translated")
    with db.sessions.begin() as session:
        late = telegram(session, settings, 601, f"/tr {reference} Water please")
        assert "already translated" in late.reply
        report = only_report(session)
        assert report.english == CREOLE_EN and report.translated_by == "telegram:602"
        offers = {o.translator_id: o for o in session.scalars(select(TranslationOffer))}
        assert sum(o.accepted for o in offers.values()) == 1 and all(o.text for o in offers.values())
        memory = session.scalars(select(TranslationMemoryEntry)).one()
        assert (memory.source, memory.target, memory.engine, memory.text) == ("ht", "en", "human", CREOLE_EN)


def test_a_remembered_translation_is_not_asked_again(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        endpoint = add_person(session, "telegram", "701")
        translators.register(session, endpoint, ["ht"], "en", actor="cli", languages=settings.languages)
        sms(session, settings, CITIZEN, CREOLE)
    with db.sessions.begin() as session:
        report_service.step(session, settings, later(1))
        first = only_report(session)
        telegram(session, settings, 701, f"/tr {first.reference} {CREOLE_EN}")
        assert report_service.step(session, settings, later(1)) == {"routed": 1}
        telegram(session, settings, 5, f"/done {first.reference}", group=-1003)
    with db.sessions.begin() as session:
        sms(session, settings, "+50937002222", CREOLE)  # the first is resolved: a new report, same text
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(2)) == {"from_memory": 1, "routed": 1}
        second = session.scalars(select(Report).order_by(Report.id.desc())).first()
        assert second.english == CREOLE_EN and second.translated_by == "translation memory"
        assert len(queued(session, "telegram", "701")) == 1  # asked once, for the first report only


def test_english_reports_go_straight_to_triage_and_unclaimed_urgent_ones_escalate(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        sms(session, settings, CITIZEN, "My mother is injured and needs a doctor urgently, we are in Leogane")
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1)) == {"routed": 1}
        report = only_report(session)
        assert "medical_help" in report.categories and report.urgent and report.english_origin == "original"
        assert queued(session, "telegram", "-1001")  # the medical room
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(20)) == {}
        assert report_service.step(session, settings, later(32)) == {"escalated": 1}
        assert queued(session, "telegram", "-1009")[0].startswith("UNCLAIMED for 30 min - Report")
        assert report_service.step(session, settings, later(90)) == {}  # once


def test_personal_details_reach_only_the_responder_who_claims_and_every_showing_is_audited(relay_db):
    settings, db = relay_db
    text = "My name is Marie Joseph, we need water for 40 people in Carrefour, call 3712 4567"
    with db.sessions.begin() as session:
        sms(session, settings, CITIZEN, text)
    with db.sessions.begin() as session:
        report_service.step(session, settings, later(1))
        report = only_report(session)
        room_text = queued(session, "telegram", "-1003")[0]
        assert "Marie" not in room_text and "3712" not in room_text and CITIZEN not in room_text
        assert "[name]" in room_text and "[phone]" in room_text
        refused = telegram(session, settings, 88, f"/claim {report.reference}", group=-1004)  # not its room
        assert "was not sent to this room" in refused.reply
        telegram(session, settings, 99, f"/claim {report.reference}", group=-1003)
    with db.sessions.begin() as session:
        private = queued(session, "telegram", "99")[0]
        assert text in private and f"Contact: sms {CITIZEN}" in private
        seen = [(e.details["to"], e.details["what"]) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.shown").order_by(AuditEntry.id))]
        assert seen == [("telegram:-1003", "masked"), ("telegram:-1003:99", "original+contact")]  # user 99 in room -1003
        refusals = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "permission.refused"))
        assert refusals == 1


def test_only_contributors_and_above_may_translate(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        endpoint = add_person(session, "telegram", "801", tier="observer")
        with pytest.raises(PermissionDenied, match="contributor"):
            translators.register(session, endpoint, ["ht"], "en", actor="cli", languages=settings.languages)


def test_report_keyword_and_group_chatter(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        empty = sms(session, settings, CITIZEN, "REPORT")
        assert empty.reply.startswith("Write what you need after REPORT")
        sms(session, settings, CITIZEN, "REPORT bridge collapsed on route de Delmas")
        chatter = telegram(session, settings, 42, "on our way to Delmas", group=-1003)  # a responder room
        assert chatter.reply is None
    with db.sessions.begin() as session:
        assert only_report(session).text == "bridge collapsed on route de Delmas"


def test_reports_routed_in_one_pass_reach_a_room_as_one_message(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        sms(session, settings, "+50937000001", "We have no water at all in Petion-Ville since Tuesday")
        sms(session, settings, "+50937000002", "No drinking water for 300 people at the camp in Carrefour")
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1)) == {"routed": 2}
        first, second = session.scalars(select(Report).order_by(Report.id)).all()
        [digest] = queued(session, "telegram", "-1003")
        assert f"Report {first.reference} [" in digest and f"Report {second.reference} [" in digest


def test_a_machine_draft_goes_to_the_translator_to_correct_or_straight_to_triage(relay_db):
    settings, db = relay_db

    def engine(text: str, source: str, target: str):  # an engine that serves es and ht into English
        return ({"es": "We need water in the street", "ht": "We need water"}[source], "test-engine")

    with db.sessions.begin() as session:
        translator = add_person(session, "telegram", "901")
        translators.register(session, translator, ["ht"], "en", actor="cli", languages=settings.languages)
        sms(session, settings, "+50937000010", "Necesitamos agua en la calle, por favor ayudenos")
        sms(session, settings, CITIZEN, CREOLE)
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1), engine) == {"machine": 1, "offered": 1, "routed": 1}
        spanish, creole = session.scalars(select(Report).order_by(Report.id)).all()
        assert (spanish.english, spanish.english_origin, spanish.translated_by) == (
            "We need water in the street", "machine", "test-engine")
        assert creole.status == "translating"  # Creole is a review language: a person checks the draft
        assert queued(session, "telegram", "901")[0].endswith("\nMachine draft to correct: We need water")


def test_a_direct_chat_message_is_a_report_too(relay_db):
    settings, db = relay_db
    with db.sessions.begin() as session:
        answer = telegram(session, settings, 3003, CREOLE)
        report = only_report(session)
        assert (report.channel, report.sender, report.language) == ("telegram", "3003", "ht")
        assert answer.reply.startswith(f"Nou resevwa mesaj ou, referans ou se {report.reference}.")


def test_a_broadcast_text_no_engine_translates_goes_to_volunteers_and_follows_the_original(relay_db):
    from relay.delivery import outbox
    from relay.core.channels import planned_senders

    settings, db = relay_db
    with db.sessions.begin() as session:
        add_person(session, "sms", "+50937004444", language="ht")  # a subscriber who reads Creole
        for user in ("951", "952"):
            volunteer = add_person(session, "telegram", user)
            translators.register(session, volunteer, ["en"], "ht", actor="cli", languages=settings.languages)
    planned = outbox.plan_broadcast(db.sessions, outbox.BroadcastRequest(
        kind="crisis", body="Water distribution at the Delmas 33 school from 10:00.", source_language="en",
        sender="test"), senders=planned_senders(settings), actor="test")
    assert planned.languages["ht"] == "untranslated"  # no engine: the original goes out with a note
    with db.sessions.begin() as session:
        assert report_service.step(session, settings, later(1)) == {"broadcast_offered": 1}
        assert report_service.step(session, settings, later(2)) == {}  # offered once
        [offer] = [t for t in queued(session, "telegram", "951") if t.startswith("Please translate")]
        assert offer.startswith(f"Please translate broadcast {planned.id} (en -> ht). Reply: /tr B{planned.id}")
        first = telegram(session, settings, 951, f"/tr B{planned.id} Distribisyon dlo nan lekol Delmas 33 a 10:00.")
        assert first.reply == f"Thank you: your ht text of B{planned.id} now goes to its 1 recipient(s)."
    with db.sessions.begin() as session:
        second = telegram(session, settings, 952, f"/tr B{planned.id} Dlo nan lekol la")
        assert "already translated" in second.reply
        texts = queued(session, "sms", "+50937004444")
        assert len(texts) == 2 and texts[1] == "Distribisyon dlo nan lekol Delmas 33 a 10:00."
        memory = session.scalars(select(TranslationMemoryEntry)).one()
        assert (memory.source, memory.target, memory.engine) == ("en", "ht", "human")


def test_a_reporter_is_no_subscriber_until_they_join(relay_db):
    from relay.core.models import Subscriber

    settings, db = relay_db
    with db.sessions.begin() as session:
        sms(session, settings, CITIZEN, CREOLE)
        person = session.scalars(select(Subscriber)).one()
        assert not (person.consent_crisis or person.consent_webinar or person.consent_notice)
        sms(session, settings, CITIZEN, "JOIN ht")
        assert person.consent_crisis and person.consent_notice and person.language == "ht"


def test_a_bad_room_in_the_routes_is_a_config_error(tmp_path):
    from relay.core.config import ConfigError
    from conftest import report_settings

    with pytest.raises(ConfigError, match="must be \"channel:address\""):
        report_settings(tmp_path, routes={"water": ["-1001234"]})
    with pytest.raises(ConfigError, match="unknown categories"):
        report_settings(tmp_path, routes={"cholera": ["telegram:-1"]})
