"""`relay translators ...` and `relay reports ...` as an operator uses them: real processes, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from relay.core.models import AuditEntry


def relay(cwd, *args):
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_translators_need_a_tier_and_reports_are_masked_unless_revealed(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    relay(tmp_path, "subscribers", "add", "--language", "ht", "--telegram", "4001", "--tier", "observer")
    refused = relay(tmp_path, "translators", "add", "--telegram", "4001", "-l", "ht")
    assert refused.returncode == 2 and "needs the tier contributor" in refused.stderr
    relay(tmp_path, "subscribers", "add", "--language", "ht", "--telegram", "4002", "--tier", "contributor")
    added = relay(tmp_path, "translators", "add", "--telegram", "4002", "-l", "ht,fr")
    assert added.returncode == 0 and "ht->en, fr->en" in added.stdout
    assert relay(tmp_path, "translators", "add", "--telegram", "4002", "-l", "xx").returncode == 2
    assert relay(tmp_path, "translators", "add", "--telegram", "9999", "-l", "ht").returncode == 2
    listed = json.loads(relay(tmp_path, "translators", "list", "--json").stdout)
    assert [row["pair"] for row in listed] == ["ht->en", "fr->en"]

    # a report, stored the way the webhook stores it
    from channels.base import Inbound
    from datetime import datetime, timezone
    from relay.inbound import handling as inbound
    from relay.app.settings import load_settings

    settings = load_settings(tmp_path / "relay.toml")
    engine = create_engine(settings.resolved_database_url)
    with Session(engine) as session, session.begin():
        inbound.handle(session, Inbound("sms", "SM1", "+50937001234", "+12015550100",
                                        "mwen rele Marie Claire, nou bezwen dlo, rele m 3712 4567",
                                        datetime.now(timezone.utc)), settings)
    shown = json.loads(relay(tmp_path, "reports", "list", "--json").stdout)[0]
    assert "Marie" not in shown["text"] and "3712" not in shown["text"] and shown["sender"] == "(hidden)"
    reference = shown["reference"]
    revealed = json.loads(relay(tmp_path, "reports", "show", reference, "--reveal", "--purpose", "callback").stdout)
    assert "Marie Claire" in revealed["text"] and revealed["sender"] == "+50937001234"
    exported = list(csv.DictReader(io.StringIO(relay(tmp_path, "reports", "export").stdout)))
    assert [row["reference"] for row in exported] == [reference] and "3712" not in exported[0]["text"]
    assert relay(tmp_path, "reports", "show", "0000").returncode == 2
    with Session(engine) as session:
        seen = [e.details for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "report.shown"))]
    assert [(d["what"], d["purpose"]) for d in seen] == [("original+contact", "callback")]
    engine.dispose()
