"""The moderation queue on SQLite and PostgreSQL: a quorum of distinct moderators decides; release hands
the message to its relaying feature; "confirmed false" adds the claim; every vote and decision audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import dataclasses
from contextlib import contextmanager

from relay.core import hooks
from relay.integrity import claims, moderation, screen
from relay.integrity.models import Claim, Flag
from relay.core.models import AuditEntry

RUMOUR = "The tap water in Port-au-Prince is poisoned, do not drink it!"
CLAIM_ES = "El agua del grifo en Puerto Principe esta envenenada, no la beban."


@contextmanager
def release_handler(kind, handler):
    """A relaying feature of kind `kind` beside the installed ones (as a Feature's release_handlers)."""
    before = hooks.installed()
    hooks.install(dataclasses.replace(before, release_handlers={**before.release_handlers, kind: handler}))
    try:
        yield
    finally:
        hooks.install(before)


@pytest.fixture
def released():
    calls: list[tuple[str, str | None]] = []
    with release_handler("testkind", lambda session, origin, warning, settings: calls.append((origin, warning))):
        yield calls


def _held(db, settings, origin="testkind:1", text=RUMOUR) -> int:
    with db.sessions.begin() as session:
        claims.add_claim(session, text=CLAIM_ES, language="es", settings=settings, added_by="test")
        verdict = screen(session, text=text, language="en", channel="telegram", sender="telegram:-100:7",
                         origin=origin, settings=settings)
    assert verdict.action == "hold"
    return verdict.flag_id


def _vote(db, settings, flag_id, who, decision, **extra):
    with db.sessions.begin() as session:
        return moderation.vote(session, flag_id, moderator=who, decision=decision, settings=settings, **extra)


def test_one_moderator_voting_twice_is_not_a_quorum_two_distinct_are(db, integrity_settings, released):
    flag_id = _held(db, integrity_settings)
    assert _vote(db, integrity_settings, flag_id, "ana", "release").decided is None
    assert _vote(db, integrity_settings, flag_id, "ana", "release", reason="changed my mind?").decided is None
    assert released == []
    result = _vote(db, integrity_settings, flag_id, "ben", "release", reason="checked with the water board")
    assert result.decided == "release" and result.released
    assert released == [("testkind:1", None)]
    with pytest.raises(moderation.ModerationError, match="already decided"):
        _vote(db, integrity_settings, flag_id, "cy", "false")
    with db.sessions() as session:
        actions = [(a.actor, a.action) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
                   if a.action.startswith("flags.")]
        assert actions == [("integrity", "flags.hold"), ("ana", "flags.vote"), ("ana", "flags.vote"),
                           ("ben", "flags.vote"), ("integrity", "flags.released"), ("ana,ben", "flags.decide")]
        decision = session.scalars(select(AuditEntry).where(AuditEntry.action == "flags.decide")).one()
        assert decision.details["reasons"] == ["changed my mind?", "checked with the water board"]


def test_split_votes_decide_nothing_and_release_with_warning_passes_the_warning(db, integrity_settings, released):
    flag_id = _held(db, integrity_settings)
    assert _vote(db, integrity_settings, flag_id, "ana", "release").decided is None
    assert _vote(db, integrity_settings, flag_id, "ben", "warn").decided is None
    assert _vote(db, integrity_settings, flag_id, "cy", "warn").decided == "release_warning"
    [(origin, warning)] = released
    assert origin == "testkind:1" and warning.startswith("[Caution]")


def test_confirmed_false_adds_a_claim_and_relays_nothing(db, integrity_settings, released):
    flag_id = _held(db, integrity_settings, text="URGENT: the government says the Peligre dam broke, run to the hills. "
                      "Forward to everyone bit.ly/peligre")
    _vote(db, integrity_settings, flag_id, "ana", "false", correction="The Peligre dam is intact.")
    result = _vote(db, integrity_settings, flag_id, "ben", "false")
    assert result.decided == "confirm_false" and result.corrections == () and released == []
    with db.sessions() as session:
        claim = session.get(Claim, result.claim_id)
        assert claim.language == "en" and "Peligre" in claim.text and claim.correction == "The Peligre dam is intact."
        assert claim.added_by == "moderators:ana,ben"
        assert session.get(Flag, flag_id).status == "confirmed_false"
    with db.sessions.begin() as session:  # the next copy of it is held as a known claim
        again = screen(session, text="the government says the Peligre dam broke!! run to the hills", language="en", channel="sms",
                       sender="sms:+50937000001", origin="testkind:2", settings=integrity_settings)
    assert again.action == "hold" and f"claim:{result.claim_id}" in " ".join(again.reasons)


def test_a_decision_taken_where_no_relaying_feature_runs_is_handed_over_later(db, integrity_settings):
    flag_id = _held(db, integrity_settings, origin="laterkind:5")
    _vote(db, integrity_settings, flag_id, "ana", "release")
    assert not _vote(db, integrity_settings, flag_id, "ben", "release").released
    with db.sessions() as session:
        assert session.get(Flag, flag_id).release_pending
    calls = []
    with release_handler("laterkind", lambda session, origin, warning, settings: calls.append(origin)):
        with db.sessions.begin() as session:
            assert moderation.release_pending(session, integrity_settings) == 1
        with db.sessions.begin() as session:
            assert moderation.release_pending(session, integrity_settings) == 0
    assert calls == ["laterkind:5"]


def test_bad_votes_are_refused_with_a_reason(db, integrity_settings):
    flag_id = _held(db, integrity_settings)
    with pytest.raises(moderation.ModerationError, match="expected release, warn or false"):
        _vote(db, integrity_settings, flag_id, "ana", "maybe")
    with pytest.raises(moderation.ModerationError, match="no flag 999"):
        _vote(db, integrity_settings, 999, "ana", "false")
