"""`relay crisis | webinar | cap` as a coordinator uses them: real processes, exit codes, files."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.conftest import DATA
from tests.test_cli import relay

CONFIG = """
[alerts.crisis]
contacts = { party = ["+12015550201"] }
"""


def test_crisis_timeline_export_and_verification_from_the_command_line(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    with (tmp_path / "relay.toml").open("a") as handle:
        handle.write(CONFIG)
    activated = relay(tmp_path, "crisis", "activate", "--title", "Flooding", "--region", "north", "--json")
    assert activated.returncode == 0, activated.stderr
    crisis_id = json.loads(activated.stdout)["id"]
    assert relay(tmp_path, "crisis", "note", str(crisis_id), "Shelter opened at the school").returncode == 0
    assert relay(tmp_path, "crisis", "done", str(crisis_id), "response").returncode == 0
    wrong = relay(tmp_path, "crisis", "done", str(crisis_id), "lunch")
    assert wrong.returncode == 2 and "milestone 'lunch'" in wrong.stderr
    again = relay(tmp_path, "crisis", "done", str(crisis_id), "response")
    assert again.returncode == 2 and "already marked done" in again.stderr
    assert relay(tmp_path, "crisis", "timeline", str(crisis_id), "--export", "json", "--out", "t.json").returncode == 0
    markdown = relay(tmp_path, "crisis", "timeline", str(crisis_id), "--export", "md")
    assert "Shelter opened at the school" in markdown.stdout and "| 3 |" in markdown.stdout
    assert relay(tmp_path, "crisis", "verify", "t.json").returncode == 0
    document = json.loads((tmp_path / "t.json").read_text())
    document["entries"][1]["actor"] = "someone else"
    (tmp_path / "t.json").write_text(json.dumps(document))
    tampered = relay(tmp_path, "crisis", "verify", "t.json")
    assert tampered.returncode == 2 and "entry 2" in tampered.stderr and "altered" in tampered.stderr
    assert relay(tmp_path, "crisis", "close", str(crisis_id)).returncode == 0
    closed = relay(tmp_path, "crisis", "done", str(crisis_id), "assessment")
    assert closed.returncode == 2 and "closed" in closed.stderr
    bad = relay(tmp_path, "crisis", "activate", "--title", "x", "--region", "north", "--severity", "Huge")
    assert bad.returncode == 2 and "severity 'Huge'" in bad.stderr


def test_webinar_and_cap_commands(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    first = date.today() + timedelta(days=14)
    first += timedelta(days=(3 - first.weekday()) % 7)  # a Thursday two or three weeks ahead
    added = relay(tmp_path, "webinar", "add", "--topic", "Water safety", "--rrule", "FREQ=WEEKLY;BYDAY=TH;COUNT=3",
                  "--start", f"{first}T18:00", "--tz", "Europe/Paris", "--link", "https://meet.example.org/w")
    assert added.returncode == 0 and "3 session(s)" in added.stdout, added.stderr
    sessions = json.loads(relay(tmp_path, "webinar", "list", "--json").stdout)
    assert [s["local"] for s in sessions] == [f"{first + timedelta(days=7 * i)}T18:00" for i in range(3)]
    moved = relay(tmp_path, "webinar", "move", str(sessions[0]["session"]), "--to", f"{first}T19:30")
    assert moved.returncode == 0, moved.stderr
    ics = relay(tmp_path, "webinar", "ics", str(sessions[0]["session"]))
    assert ics.returncode == 0 and "BEGIN:VEVENT" in ics.stdout and "SUMMARY:Water safety" in ics.stdout
    assert "URL:https://meet.example.org/w" in ics.stdout
    assert relay(tmp_path, "webinar", "cancel", str(sessions[1]["session"])).returncode == 0
    twice = relay(tmp_path, "webinar", "cancel", str(sessions[1]["session"]))
    assert twice.returncode == 2 and "already cancelled" in twice.stderr
    bad = relay(tmp_path, "webinar", "add", "--topic", "x", "--rrule", "WEEKLY", "--start", "2030-01-03T18:00",
                "--tz", "Europe/Paris", "--link", "https://x.org")
    assert bad.returncode == 2 and "RRULE" in bad.stderr
    imported = relay(tmp_path, "cap", "import", str(DATA / "cap" / "oasis-cap12-amber-alert-example.xml"), "--json")
    assert imported.returncode == 0, imported.stderr
    broadcast_id = json.loads(imported.stdout)["id"]
    exported = relay(tmp_path, "cap", "export", str(broadcast_id), "--out", "out.xml")
    assert exported.returncode == 0 and b"<headline>Alerta Amber" in (tmp_path / "out.xml").read_bytes()
    (tmp_path / "evil.xml").write_text('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><alert>&x;</alert>')
    evil = relay(tmp_path, "cap", "import", "evil.xml")
    assert evil.returncode == 2 and "DOCTYPE" in evil.stderr
