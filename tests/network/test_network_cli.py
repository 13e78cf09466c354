"""`relay relays add | list | tree` and `relay broadcast status ID --tree` through the real Typer app:
the network as a tree, and one broadcast's acknowledged / pending / escalated nodes with times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from typer.testing import CliRunner

from relay.networks import escalation
from relay.inbound import handling as inbound
from relay.app.cli import app
from relay.core.models import Delivery
from relay.networks.models import RelayAck, RelayNode
from tests.network.support import import_rows, sms


def run(config, *args):
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    return result


def test_relays_add_list_tree_and_broadcast_tree(database, settings, tmp_path):
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n')
    with database.sessions.begin() as session:
        ids = import_rows(session, ["Hub,+12025550700,,,en,east,coordinator",
                                    "Rosa,+12025550701,,,es,east,contributor",
                                    "Tom,+12025550702,,,en,east,contributor",
                                    "Una,+12025550703,,,en,east/hill,contributor",
                                    "Otto,+12025550704,,,en,east/hill,observer"])
    observer = run(config, "relays", "add", str(ids["Otto"]), "--community", "Hill", "--region", "east/hill")
    assert observer.exit_code != 0 and "is an observer; relays are contributors" in str(observer.exception)
    assert run(config, "relays", "add", str(ids["Hub"]), "--community", "East hub", "--region", "east").exit_code == 0
    added = run(config, "relays", "add", str(ids["Rosa"]), "--community", "Hill", "--region", "east/hill",
                "--hub", "East hub", "--backups", str(ids["Una"]), "--size", "120", "--languages", "es;en")
    assert added.exit_code == 0, added.output
    assert run(config, "relays", "add", str(ids["Tom"]), "--community", "Lake", "--region", "east/lake",
               "--hub", "East hub").exit_code == 0
    bad = run(config, "relays", "add", str(ids["Tom"]), "--community", "Bay", "--region", "east/bay", "--hub", "Nowhere")
    assert bad.exit_code != 0 and "no relay node for the hub community 'Nowhere'" in str(bad.exception)

    listed = json.loads(run(config, "relays", "list", "--json").output)
    assert [(n["community"], n["hub"], n["backups"]) for n in listed] == [
        ("East hub", None, []), ("Hill", "East hub", ["Una"]), ("Lake", "East hub", [])]
    tree = run(config, "relays", "tree").output
    assert "East hub (east) relay Hub" in tree and "  Hill (east/hill) relay Rosa" in tree

    sent = run(config, "broadcast", "send", "Storm tonight", "--kind", "crisis", "--severity", "Extreme",
               "--region", "east", "--json")
    assert sent.exit_code == 0, sent.output
    broadcast_id = json.loads(sent.output)["id"]
    with database.sessions() as session:
        codes = {session.get(RelayNode, a.node_id).community: a for a in session.scalars(select(RelayAck))}
    with database.sessions.begin() as session:
        inbound.handle(session, sms("+12025550701", f"ACK {codes['Hill'].code}"), settings)
        escalation.escalate_due(session, codes["Lake"].asked_at + timedelta(minutes=10), settings.network,
                                {"sms": ["+12015550100"]})

    nodes = json.loads(run(config, "broadcast", "status", str(broadcast_id), "--tree", "--json").output)
    hub = nodes[0]
    assert hub["community"] == "East hub" and hub["step"] == "backups"  # Extreme: 10 minutes, hub silent too
    states = {c["community"]: c for c in hub["children"]}
    assert states["Hill"]["acked_at"] and states["Hill"]["state"].startswith("acknowledged")
    assert states["Lake"]["step"] == "backups" and states["Lake"]["state"].startswith("escalated to backups")
    text = run(config, "broadcast", "status", str(broadcast_id), "--tree").output
    assert f"Hill (east/hill) relay Rosa [{codes['Hill'].code}]: acknowledged" in text
    assert "Lake (east/lake) relay Tom" in text and "escalated to backups" in text


def test_status_shows_which_channel_finally_reached_whom(database, settings, tmp_path):
    from relay.networks import failover

    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n')
    with database.sessions.begin() as session:
        ids = import_rows(session, ["Ana,+12025550801,6801,,en,west,observer"])
    assert run(config, "failover", "order", str(ids["Ana"]), "telegram", "sms").exit_code == 0
    missing = run(config, "failover", "order", str(ids["Ana"]), "matrix")
    assert "has no endpoint on matrix (has: sms, telegram)" in str(missing.exception)
    sent = run(config, "broadcast", "send", "Road closed", "--json")
    broadcast_id = json.loads(sent.output)["id"]
    senders = {"sms": ["+12015550100"], "telegram": ["7000000001"]}
    with database.sessions.begin() as session:
        first = session.scalar(select(Delivery).where(Delivery.broadcast_id == broadcast_id))
        assert first.channel == "telegram"
        first.status, first.last_error = "failed", "Forbidden: bot was blocked by the user (code 403)"
    with database.sessions.begin() as session:
        carried = failover.fail_over_due(session, datetime.now(timezone.utc), senders)
        session.get(Delivery, carried[0].next_delivery_id).status = "delivered"
    text = run(config, "broadcast", "status", str(broadcast_id)).output
    assert "telegram -> sms" in text and "delivered" in text
