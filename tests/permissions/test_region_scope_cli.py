"""The CLI reads broadcasts and reports by the same region rule as the API (relay/core/scope.py): with
`--as`, a partner sees the broadcasts and reports of their regions, never who was not reached, and reveals
only the senders of their own regions; the local operator (no --as) sees everything, as before."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from relay.core.models import AuditEntry


def run(cwd, *args):
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_a_partner_at_the_command_line_sees_only_their_regions(tmp_path):
    from channels.base import Inbound
    from relay.app.settings import load_settings
    from relay.inbound import handling as inbound

    assert run(tmp_path, "init").returncode == 0
    people = [("partner", "+12025550901", "north"), ("observer", "+12025550902", "north"),
              ("observer", "+12025550903", "south")]
    for tier, phone, region in people:
        assert run(tmp_path, "subscribers", "add", "-l", "en", "--phone", phone, "--regions", region,
                   "--tier", tier).returncode == 0
    sent = {}
    for key, region in (("own", "north"), ("other", "south"), ("none", "")):
        made = run(tmp_path, "broadcast", "send", f"Boil water marker-{key}", "--region", region, "--json")
        assert made.returncode == 0, made.stderr
        sent[key] = json.loads(made.stdout)["id"]
    settings = load_settings(tmp_path / "relay.toml")
    engine = create_engine(settings.resolved_database_url)
    with Session(engine) as session, session.begin():
        for sid, phone in (("SM1", "+12025550902"), ("SM2", "+12025550903"), ("SM3", "+50937001234")):
            inbound.handle(session, Inbound("sms", sid, phone, "+12015550100", f"No water here, from {phone}",
                                            datetime.now(timezone.utc)), settings)
    partner = ["--as", "sms:+12025550901"]

    assert run(tmp_path, "broadcast", "cancel", str(sent["own"])).returncode == 0  # now "not reached"
    local = run(tmp_path, "broadcast", "status", str(sent["own"]))
    assert local.returncode == 0 and "+12025550902" in local.stdout  # the local operator sees who was not reached
    own = run(tmp_path, *partner, "broadcast", "status", str(sent["own"]))
    assert own.returncode == 0, own.stderr
    assert "+12025550902" not in own.stdout and "(hidden)" in own.stdout
    assert run(tmp_path, *partner, "broadcast", "status", str(sent["none"])).returncode == 0
    for command in ("status", "texts"):
        other = run(tmp_path, *partner, "broadcast", command, str(sent["other"]))
        assert other.returncode == 2 and f"no broadcast {sent['other']}" in other.stderr
        assert "marker-other" not in other.stdout
    observer = run(tmp_path, "--as", "sms:+12025550902", "broadcast", "status", str(sent["own"]))
    assert observer.returncode == 2 and "needs the tier" in observer.stderr

    from relay.reports.models import Report

    with Session(engine) as session:
        by_sender = dict(session.execute(select(Report.sender, Report.reference)).all())
    listed = {r["reference"] for r in json.loads(run(tmp_path, *partner, "reports", "list", "--json").stdout)}
    assert listed == {by_sender["+12025550902"], by_sender["+50937001234"]}  # north's, and one of no region
    assert len(json.loads(run(tmp_path, "reports", "list", "--json").stdout)) == 3
    shown = run(tmp_path, *partner, "reports", "show", by_sender["+12025550902"], "--reveal")
    assert shown.returncode == 0 and json.loads(shown.stdout)["sender"] == "+12025550902"
    hidden = run(tmp_path, *partner, "reports", "show", by_sender["+12025550903"])
    assert hidden.returncode == 2 and "no report" in hidden.stderr
    unplaced = run(tmp_path, *partner, "reports", "show", by_sender["+50937001234"], "--reveal")
    assert unplaced.returncode == 2 and "needs the tier coordinator" in unplaced.stderr
    assert "+50937001234" not in unplaced.stdout
    export = run(tmp_path, *partner, "reports", "export", "--reveal")
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert export.returncode == 0 and sorted(r["sender"] for r in rows) == ["'+12025550902", "(hidden)"]  # CSV-safe
    assert "stay masked" in export.stderr
    with Session(engine) as session:
        refused = session.scalars(select(AuditEntry.subject).where(AuditEntry.action == "scope.refused")).all()
        assert f"broadcast:{sent['other']}" in refused and f"report:{by_sender['+12025550903']}" in refused
