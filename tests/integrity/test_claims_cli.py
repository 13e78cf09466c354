"""`relay claims add|import|list` and `relay flags list|vote` as an operator uses them: bad input is
refused with a message that says what is wrong, re-importing changes nothing, permissions hold."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from relay.app.cli import app
from relay.core.cli_context import UsageError
from relay.core.db import Database
from relay.integrity import claims as claim_store
from relay.core.models import AuditEntry


@pytest.fixture
def config(tmp_path, database_url):
    path = tmp_path / "relay.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\ndatabase_url = "{database_url}"\n'
                    '[translation]\nengines = ["apertium"]\n')
    assert CliRunner().invoke(app, ["--config", str(path), "db", "upgrade"]).exit_code == 0
    return path


def run(config, *args):
    return CliRunner().invoke(app, ["--config", str(config), *args])


def test_import_csv_and_claimreview_json_reports_bad_rows_and_is_idempotent(config, tmp_path):
    csv_file = tmp_path / "claims.csv"
    csv_file.write_text("text,language,verdict,correction,source\n"
                        "The dam upstream has broken,en,false,The dam is holding.,https://fact.example.org/1\n"
                        ",en,false,,\n"
                        "Un tsunami llegara esta noche,es,falso,No hay alerta.,\n"
                        "Shark in the street,en,maybe,,\n", encoding="utf-8")
    first = run(config, "claims", "import", str(csv_file))
    assert first.exit_code == 2  # some rows were refused: the good ones are in
    assert "row 2: the claim text is empty" in first.output and "row 4: verdict 'maybe'" in first.output
    assert "2 claims added, 0 already known, 2 rejected" in first.output
    again = run(config, "claims", "import", str(csv_file))
    assert "0 claims added, 2 already known" in again.output

    review = tmp_path / "review.json"
    review.write_text(json.dumps([{"@type": "ClaimReview", "claimReviewed": "Drinking salt water cures cholera",
                                   "inLanguage": "en", "reviewRating": {"alternateName": "False"},
                                   "url": "https://fact.example.org/cholera", "reviewBody": "It does not."}]))
    assert "1 claims added" in run(config, "claims", "import", str(review)).output
    listed = json.loads(run(config, "claims", "list", "--json").output)
    assert [(c["language"], c["verdict"]) for c in listed] == [("en", "false"), ("es", "false"), ("en", "false")]
    assert listed[2]["source"] == "https://fact.example.org/cholera" and listed[2]["correction"] == "It does not."

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert isinstance(run(config, "claims", "import", str(broken)).exception, UsageError)


def test_claims_add_refuses_unknown_languages_and_flags_vote_needs_a_real_decision(config):
    bad = run(config, "claims", "add", "Something", "--lang", "xx")
    assert isinstance(bad.exception, UsageError) and "language 'xx'" in str(bad.exception)
    assert "claim 1 added" in run(config, "claims", "add", "The bridge collapsed", "--lang", "en").output
    assert "already holds this text" in run(config, "claims", "add", "the bridge  COLLAPSED!", "--lang", "en").output
    assert isinstance(run(config, "flags", "vote", "7", "false", "--by", "ana").exception, UsageError)
    wrong = run(config, "flags", "vote", "7", "perhaps", "--by", "ana")
    assert "expected release, warn or false" in str(wrong.exception)
    listed = run(config, "flags", "list", "--json")
    assert json.loads(listed.output) == [], (listed.output, listed.exception)


def test_a_claim_is_stored_with_what_the_index_needs(tmp_path, database_url):
    from relay.app.settings import load_settings

    settings = load_settings(None, overrides={"data_dir": str(tmp_path / "d"), "database_url": database_url,
                                              "translation": {"engines": ["apertium"]}})
    database = Database.open(settings, upgrade=True)
    try:
        with database.sessions.begin() as session:
            added = claim_store.add_claim(session, text="El puente principal se derrumbo.", language="es",
                                          settings=settings, added_by="t", correction="El puente esta abierto.")
            assert added.claim.pivot_text.startswith("the main bridge")  # through Apertium
            assert "bridge" in added.claim.correction_pivot and len(added.claim.signature) == 64 * 8
            assert session.scalar(select(AuditEntry.action).where(AuditEntry.subject == f"claim:{added.claim.id}")) \
                == "claims.add"
    finally:
        database.close()


def test_the_operator_is_who_they_say_refusals_are_audited_and_votes_count_per_person(config, tmp_path, database_url):
    for phone, tier in (("+12015559301", "observer"), ("+12015559302", "moderator")):
        assert run(config, "subscribers", "add", "--phone", phone, "--language", "en", "--tier", tier).exit_code == 0
    refused = run(config, "--as", "sms:+12015559301", "claims", "add", "The bridge collapsed", "--lang", "en")
    assert "claims.manage needs the tier coordinator or moderator; you are observer" in str(refused.exception)
    assert isinstance(run(config, "--as", "sms:+12015559301", "flags", "list").exception, UsageError)
    assert "claim 1 added" in run(config, "--as", "sms:+12015559302", "claims", "add", "The bridge collapsed").output
    from relay.app.settings import load_settings

    settings = load_settings(config)
    database = Database.open(settings)
    try:
        with database.sessions() as session:
            refusals = session.scalars(select(AuditEntry).where(AuditEntry.action == "permission.refused")).all()
            assert [(r.details["action"], r.details["tier"]) for r in refusals] == [("claims.manage", "observer"),
                                                                                   ("flags.review", "observer")]
            added_by = session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "claims.add"))
            assert added_by.startswith("subscriber:")
    finally:
        database.close()
    nameless = run(config, "flags", "vote", "1", "false")
    assert "say who votes: --by NAME" in str(nameless.exception)
