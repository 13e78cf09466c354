"""The consent history as carriers ask for it: JOIN by SMS and STOP through the Twilio simulator (real
twilio client, signed webhooks), with time, channel and the words used; imports and erasure; and the
CLI and API that read it."""

from __future__ import annotations

import json

from sqlalchemy import select

from relay.core import subscribers
from relay.core.consent import ConsentEvent
from relay.core.models import Subscriber
from tests.conftest import DATA
from tests.relay.conftest import NUMBER, make_program
from tests.running import started
from tests.test_cli import relay


def _events(program) -> list[tuple]:
    with program.database.sessions() as session:
        return [(e.action, e.channel, e.source, e.words, e.subscriber_id is not None, e.at is not None)
                for e in session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))]


async def test_join_and_stop_by_sms_are_recorded_with_time_channel_and_words(tmp_path):
    async with started(make_program(tmp_path)) as program:
        sim = program.simulators["sms"]
        ana, stranger = "+50937001111", "+50937009999"
        await sim.inject_inbound(ana, NUMBER, "JOIN es")
        await sim.inject_inbound(ana, NUMBER, "Stop")
        await sim.inject_inbound(ana, NUMBER, "START")
        await sim.inject_inbound(stranger, NUMBER, "STOPALL")
        assert _events(program) == [
            ("opt_in", "sms", "sms", "JOIN es", True, True),
            ("opt_out", "sms", "sms", "Stop", True, True),
            ("opt_in", "sms", "sms", "START", True, True),
            ("opt_out", "sms", "sms", "STOPALL", False, True),  # a stranger: kept by address hash only
        ]
        before = _events(program)
        with program.database.sessions.begin() as session:
            person = session.scalar(select(Subscriber))
            assert person is not None
            subscribers.forget(session, person, actor="cli")
        after = _events(program)
        # erasure unlinks the history (the hash stays, as the STOP tombstone does) and says it happened
        assert [e[:4] for e in after[:4]] == [e[:4] for e in before]
        assert not any(linked for *_, linked, _ in after)
        assert after[-1][:3] == ("erased", "sms", "cli")


def test_imports_and_cli_adds_are_consent_in_the_operators_name_and_the_cli_exports_it(tmp_path):
    assert relay(tmp_path, "init").returncode == 0
    assert relay(tmp_path, "subscribers", "import", str(DATA / "subscribers_sample.csv")).returncode == 0
    added = relay(tmp_path, "subscribers", "add", "--phone", "+50937004321", "--language", "ht")
    assert added.returncode == 0, added.stderr
    exported = relay(tmp_path, "subscribers", "export", "--phone", "+50937004321")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert [(e["action"], e["source"], e["words"]) for e in document["records"]["consent_events"]] == [
        ("opt_in", "cli", "relay subscribers add")]
    listed = json.loads(relay(tmp_path, "subscribers", "list", "--json").stdout)
    first = listed[0]
    by_id = json.loads(relay(tmp_path, "subscribers", "export", "--id", str(first["id"])).stdout)
    assert by_id["records"]["consent_events"][0]["source"] == "csv"
    assert by_id["records"]["consent_events"][0]["words"].startswith("CSV import, line ")
    both = relay(tmp_path, "subscribers", "export", "--id", "1", "--phone", "+50937004321")
    assert both.returncode == 2 and "exactly one of" in both.stderr
    unknown = relay(tmp_path, "subscribers", "export", "--phone", "+50937000000")
    assert unknown.returncode == 2 and "nothing is held" in unknown.stderr
    refused = relay(tmp_path, "--as", f"subscriber:{first['id']}", "subscribers", "export", "--id", str(first["id"]))
    assert refused.returncode == 2 and "subscribers.export needs the tier coordinator" in refused.stderr
    status = relay(tmp_path, "retention", "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["enabled"] is False
    assert "retention is off" in relay(tmp_path, "retention", "status").stdout
    with (tmp_path / "relay.toml").open("a") as handle:
        handle.write("\n[retention]\ndeliveries_days = 90\nreports_days = 365\n")
    planned = json.loads(relay(tmp_path, "retention", "purge", "--dry-run", "--json").stdout)
    assert planned["dry_run"] and planned["kinds"]["deliveries"]["days"] == 90
    assert planned["kinds"]["inbound_bodies"]["cutoff"] is None and planned["kinds"]["reports"]["cutoff"]
    purged = json.loads(relay(tmp_path, "retention", "purge", "--json").stdout)
    assert purged["removed"] == {"deliveries": 0, "inbound_bodies": 0, "reports": 0}  # nothing is that old
