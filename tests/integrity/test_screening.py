"""Screening on SQLite and PostgreSQL: known claims across languages, manipulation signs, the bands."""

from __future__ import annotations

from sqlalchemy import func, select

from relay.integrity import claims, screen
from relay.integrity.models import Flag, ScreenedMessage
from relay.core.models import AuditEntry

CLAIM_ES = "El agua del grifo en Puerto Principe esta envenenada, no la beban."


def _screen(session, settings, text, language=None, sender="telegram:-100:7", origin="bridge:1:message:1"):
    return screen(session, text=text, language=language, channel="telegram", sender=sender, origin=origin,
                  settings=settings)


def test_a_rumour_matching_a_claim_written_in_another_language_is_held_and_queued(db, integrity_settings):
    with db.sessions.begin() as session:
        claims.add_claim(session, text=CLAIM_ES, language="es", settings=integrity_settings, added_by="test")
    with db.sessions.begin() as session:
        verdict = _screen(session, integrity_settings,
                          "The tap water in Port-au-Prince is poisoned, do not drink it!", language="en")
        assert verdict.action == "hold" and verdict.flag_id is not None
        assert any(r.startswith("claim:") for r in verdict.reasons)
    with db.sessions() as session:
        flag = session.get(Flag, verdict.flag_id)
        screened = session.get(ScreenedMessage, flag.screening_id)
        assert (flag.state, flag.status, screened.origin) == ("held", "open", "bridge:1:message:1")
        assert screened.reasons == list(verdict.reasons)
        assert session.scalar(select(func.count()).where(AuditEntry.action == "flags.hold")) == 1


def test_everyday_chatter_and_true_news_on_the_same_topic_relay(db, integrity_settings):
    with db.sessions.begin() as session:
        claims.add_claim(session, text=CLAIM_ES, language="es", settings=integrity_settings, added_by="test")
        for text in ("Water distribution at the church in Delmas tomorrow at 9.",
                     "Thanks everyone, we got home safe.",
                     "Is the road to Jacmel open?"):
            verdict = _screen(session, integrity_settings, text, language="en")
            assert (verdict.action, verdict.flag_id, verdict.warning) == ("relay", None, None), (text, verdict)


def test_manipulation_signs_alone_warn_with_a_warning_line(db, integrity_settings):
    with db.sessions.begin() as session:
        verdict = _screen(session, integrity_settings,
                          "URGENT!!! The government says the dam will break tonight. Forward to everyone "
                          "before they delete it: bit.ly/xyz", language="en")
    assert verdict.action == "hold" or verdict.action == "warn"
    assert {"forward_to_everyone", "urgency", "official_without_code", "link_shortener:bit.ly"} <= set(verdict.reasons)
    with db.sessions.begin() as session:
        mild = _screen(session, integrity_settings, "Please share this: the clinic on Rue 5 opens at 8.",
                       language="en", origin="bridge:1:message:2")
    assert mild.action == "relay" and mild.reasons == ("forward_to_everyone",)


def test_the_warn_band_relays_with_the_warning_and_queues_nothing(db, integrity_settings):
    with db.sessions.begin() as session:
        verdict = _screen(session, integrity_settings,
                          "Official: the ministry of health says to share this with everyone now.", language="en")
        assert verdict.action == "warn" and verdict.flag_id is None
        assert verdict.warning.startswith("[Caution]")
        assert session.scalar(select(func.count()).select_from(Flag)) == 0


def test_the_same_text_from_many_senders_within_minutes_is_a_sign(db, integrity_settings):
    text = "Bridge on route 2 collapsed, take the coast road"
    reasons = []
    with db.sessions.begin() as session:
        for n in range(3):
            reasons.append(_screen(session, integrity_settings, text, language="en", sender=f"sms:+5093700000{n}",
                                   origin=f"bridge:1:message:{n}").reasons)
    assert not any(r.startswith("burst") for r in reasons[0] + reasons[1])
    assert "burst:3_senders" in reasons[2]


def test_a_sender_whose_messages_are_held_repeatedly_is_rate_limited_not_banned(db, integrity_settings):
    sender = "telegram:-100:99"
    with db.sessions.begin() as session:
        claims.add_claim(session, text=CLAIM_ES, language="es", settings=integrity_settings, added_by="test")
        for n in range(3):
            held = _screen(session, integrity_settings, f"The tap water in Port-au-Prince is poisoned, do not drink it! ({n})",
                           language="en", sender=sender, origin=f"bridge:1:message:{n}")
            assert held.action == "hold"
        first = _screen(session, integrity_settings, "Water truck at the school now", language="en",
                        sender=sender, origin="bridge:1:message:10")
        second = _screen(session, integrity_settings, "Second truck at noon", language="en",
                         sender=sender, origin="bridge:1:message:11")
    assert first.action == "relay"  # still heard
    assert second.action == "hold" and "sender_rate_limited" in second.reasons and second.flag_id is not None


def test_screening_off_relays_everything_and_records_nothing(tmp_path, database_url):
    from relay.app.settings import load_settings
    from relay.core.db import Database

    settings = load_settings(None, overrides={"data_dir": str(tmp_path / "d"), "database_url": database_url,
                                              "integrity": {"enabled": False}})
    database = Database.open(settings, upgrade=True)
    try:
        with database.sessions.begin() as session:
            verdict = _screen(session, settings, "Forward to everyone: URGENT official news", language="en")
            assert verdict.action == "relay" and session.scalar(select(func.count()).select_from(ScreenedMessage)) == 0
    finally:
        database.close()


def test_a_forwarded_official_message_is_checked_against_its_verification_code(db, integrity_settings):
    from relay.integrity import verification
    from relay.core.models import Broadcast, BroadcastText

    ring = verification.keyring(integrity_settings)
    body = "Official: schools reopen on Monday at 8:00. The shelter at the stadium stays open."
    with db.sessions.begin() as session:
        broadcast = Broadcast(kind="notice", source_language="en", body=body, sender="Ministry", priority=5,
                              texts=[BroadcastText(language="es", origin="human", text="Oficial: las escuelas "
                                                   "reabren el lunes a las 8:00. El refugio del estadio sigue abierto.")])
        session.add(broadcast)
        session.flush()
        code = verification.display(verification.stamp(session, broadcast, ring))
    cases = {
        "genuine": f"{body}\nVerify: {code}",
        "genuine_es": f"Oficial: las escuelas reabren el lunes a las 8:00. El refugio del estadio sigue abierto.\n"
                      f"Verify: {code}",
        "altered": f"Official: schools stay closed all month. The stadium shelter is closed.\nVerify: {code}",
        "forged": f"{body}\nVerify: ZZZ-ZZ9",
        "missing": body,
    }
    with db.sessions.begin() as session:
        got = {name: _screen(session, integrity_settings, text, language="en", origin=f"bridge:1:message:{name}")
               for name, text in cases.items()}
    assert got["genuine"].action == "relay" and got["genuine"].score == 0
    assert got["genuine"].reasons == (f"verified_official:{broadcast.id}",)
    assert got["genuine_es"].reasons == (f"verified_official:{broadcast.id}",)
    assert got["altered"].action != "relay" and f"altered_official_text:{broadcast.id}" in got["altered"].reasons
    assert got["forged"].action != "relay" and "forged_code:ZZZ-ZZ9" in got["forged"].reasons
    assert got["missing"].action == "warn" and got["missing"].reasons == ("official_without_code",)


def test_what_the_sender_of_a_held_message_can_be_told():
    from relay.integrity import held_text

    assert held_text("fr").startswith("Votre message attend les moderateurs")
    assert "one message every 10 minutes" in held_text("en", ("claim:1", "sender_rate_limited"), 10.0)
    assert held_text("sw") == held_text("en")  # no human text in that language: English
