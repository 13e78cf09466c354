"""Each tier tries each privileged command on each channel and on the CLI: exactly the allowed ones
succeed, every refusal says what tier is needed and is in the audit log (SQLite and PostgreSQL).

Chat messages are built by each channel's own parser (Twilio webhook params, a Telegram update, a Matrix
event) and go through the one inbound path; CLI commands run through the real Typer app with
`--as subscriber:ID`. The expected outcomes are written out here, not read from the permission table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from relay.inbound import handling as inbound, keywords
from relay.delivery import outbox
from relay.networks import polls
from relay.app.cli import app
from relay.core.models import AuditEntry, Broadcast, BroadcastText, Delivery
from relay.networks.models import PollAnswer, RelayAck, RelayNode
from relay.delivery.outbox import Audience, BroadcastRequest
from tests.conftest import ROOT
from tests.network.support import import_rows, matrix, sms, telegram

TIERS = ("observer", "contributor", "partner", "coordinator", "moderator")
SENDERS = {"sms": ["+12015550100"], "telegram": ["7000000001"], "matrix": ["@relay:example.org"]}
CHANNELS = ("sms", "telegram", "matrix")

# command -> the tiers that may use it (what the issue asks: contributors relay and answer polls, full
# partners broadcast to their own audience, coordinators to everyone, moderators review flags)
CHAT_ALLOWED = {
    "ack": {"contributor", "partner", "coordinator", "moderator"},
    "poll answer": set(TIERS),
    "broadcast": {"partner", "coordinator"},  # a partner: to its own regions
    "flags": {"moderator", "coordinator"},
}
CLI_ALLOWED = {
    "broadcast send to everyone": {"coordinator"},
    "broadcast send to own region": {"partner", "coordinator"},
    "broadcast cancel": {"coordinator"},
    "broadcast approve": {"coordinator", "moderator"},
    "relays add": {"coordinator"},
    "poll results": {"coordinator"},
    "failover order": {"coordinator"},
    "flags list": {"moderator", "coordinator"},
    "tokens create": {"coordinator"},  # a token acts with its subscriber's tier: minting one is a coordinator's act
}


def person(i: int, tier: str) -> dict:
    return {"tier": tier, "phone": f"+1202555060{i}", "telegram": 6200 + i, "matrix": f"@{tier}:example.org"}


@pytest.fixture
def world(database):
    people = {tier: person(i, tier) for i, tier in enumerate(TIERS)}
    with database.sessions.begin() as session:
        ids = import_rows(session, [f"{t},{p['phone']},{p['telegram']},{p['matrix']},en,north,{t}"
                                    for t, p in people.items()])
        for tier in TIERS:
            people[tier]["id"] = ids[tier]
            session.add(RelayNode(subscriber_id=ids[tier], community=f"Community of {tier}", region=f"north/{tier}",
                                  languages=["en"]))
    north = Audience(regions=("north",))
    # One relay request per channel, so that each channel's ACK has an open code to acknowledge.
    acks = {}
    for channel in CHANNELS:
        planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
            kind="notice", body=f"Drill on {channel}", source_language="en", sender="t", audience=north),
            senders=SENDERS, actor="t")
        with database.sessions() as session:
            for ack, node in session.execute(select(RelayAck, RelayNode).join(RelayNode)
                                             .where(RelayAck.broadcast_id == planned.id)):
                acks[(channel, session.get(RelayNode, node.id).subscriber_id)] = ack.code
    poll = outbox.plan_broadcast(database.sessions, BroadcastRequest(
        kind="crisis", body="Reply 1 if safe, 2 if you need help", source_language="en", sender="t",
        audience=north, extras={"poll": {"options": polls.parse_options(["safe", "help"])}}),
        senders=SENDERS, actor="t")
    return {"people": people, "acks": acks, "poll": poll.id}


def refusals(database, actor: str, action: str) -> int:
    with database.sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "permission.refused",
                                                        AuditEntry.actor == actor)).all()
    return sum(1 for row in rows if row.details.get("action") == action)


def say(database, settings, channel: str, who: dict, text: str) -> tuple[str, str]:
    message = {"sms": lambda: sms(who["phone"], text), "telegram": lambda: telegram(who["telegram"], text),
               "matrix": lambda: matrix(who["matrix"], text)}[channel]()
    with database.sessions.begin() as session:
        reply = inbound.handle(session, message, settings).reply or ""
    return reply, f"{message.channel}:{message.sender}"


def chat_text(command: str, channel: str, code: str | None) -> str | None:
    prefix = {"sms": "", "telegram": "/", "matrix": "!"}[channel]
    if command == "ack":
        return f"{prefix or ''}{'ACK' if channel == 'sms' else 'ack'} {code}"
    if command == "poll answer":
        return "1"
    if channel == "sms":
        return None  # /broadcast and /flags are chat commands: on SMS the same words are a plain message
    return {"broadcast": f"{prefix}broadcast notice Water at the school", "flags": f"{prefix}flags"}[command]


ACTION = {"ack": "relay.ack", "poll answer": "poll.answer", "flags": "flags.review"}


def test_each_tier_each_chat_command_each_channel(database, settings, world):
    available = [c for c in CHAT_ALLOWED if c == "poll answer" or c in keywords.vocabulary()]
    assert {"ack", "poll answer"} <= set(available)
    outcomes = {}
    for tier in TIERS:
        who = world["people"][tier]
        for channel in CHANNELS:
            for command in available:
                text = chat_text(command, channel, world["acks"][(channel, who["id"])])
                if text is None:
                    continue
                action = ACTION.get(command) or ("broadcast.own_audience" if tier != "coordinator" else
                                                 "broadcast.everyone")
                actor = {"sms": f"sms:{who['phone']}", "telegram": f"telegram:{who['telegram']}",
                         "matrix": f"matrix:{who['matrix']}"}[channel]
                before = refusals(database, actor, action)
                reply, _ = say(database, settings, channel, who, text)
                refused = refusals(database, actor, action) - before
                assert refused in (0, 1)
                if refused:
                    assert reply.startswith("Not allowed") and "needs the tier" in reply, reply
                else:
                    assert not reply.startswith("Not allowed"), (tier, channel, command, reply)
                outcomes[(tier, channel, command)] = not refused
    for (tier, channel, command), succeeded in outcomes.items():
        assert succeeded == (tier in CHAT_ALLOWED[command]), (tier, channel, command)
    # What succeeded had its effect: the acknowledgements and the answers are recorded...
    with database.sessions() as session:
        acked_by = sorted(a.acked_by.partition(":")[0] for a in session.scalars(
            select(RelayAck).where(RelayAck.acked_at.is_not(None))))
        assert acked_by == sorted(list(CHANNELS) * len(CHAT_ALLOWED["ack"]))
        # one answer per person (the last one counts), from every tier
        assert len(session.scalars(select(PollAnswer)).all()) == len(TIERS)
        # ...and a broadcast was queued only for the tiers allowed to broadcast, once per chat channel.
        if "broadcast" in available:
            chat_broadcasts = session.scalars(select(Broadcast).where(Broadcast.body == "Water at the school")).all()
            assert len(chat_broadcasts) == 2 * len(CHAT_ALLOWED["broadcast"])


def cli(config: Path, args: list[str], operator: str | None):
    runner = CliRunner()
    prefix = ["--config", str(config)] + (["--as", operator] if operator else [])
    return runner.invoke(app, prefix + args)


def test_each_tier_each_privileged_cli_command(database, settings, world, tmp_path):
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n')
    targets = {}
    with database.sessions.begin() as session:
        for tier in TIERS:  # a broadcast each tier may try to cancel, and one with a Spanish text waiting
            for what in ("cancel", "approve"):
                broadcast = Broadcast(kind="notice", source_language="en", body=f"{what} {tier}", sender="t",
                                      texts=[BroadcastText(language="es", text="orig", origin="untranslated",
                                                           status="pending_approval", draft="Texto")])
                session.add(broadcast)
                session.flush()
                targets[(what, tier)] = broadcast.id
    commands = {
        "broadcast send to everyone": lambda t, w: ["broadcast", "send", f"Everyone from {t}"],
        "broadcast send to own region": lambda t, w: ["broadcast", "send", f"North from {t}", "--region", "north"],
        "broadcast cancel": lambda t, w: ["broadcast", "cancel", str(targets[("cancel", t)])],
        "broadcast approve": lambda t, w: ["broadcast", "approve", str(targets[("approve", t)]), "--lang", "es"],
        "relays add": lambda t, w: ["relays", "add", str(w["id"]), "--community", f"CLI {t}", "--region", "cli"],
        "poll results": lambda t, w: ["poll", "results", str(world["poll"])],
        "failover order": lambda t, w: ["failover", "order", str(w["id"]), "telegram", "sms"],
        "flags list": lambda t, w: ["flags", "list"],
        "tokens create": lambda t, w: ["tokens", "create", "--subscriber", str(world["people"]["coordinator"]["id"]),
                                       "--name", f"minted by {t}"],
    }
    action = {"broadcast send to everyone": "broadcast.everyone", "broadcast send to own region": None,
              "broadcast cancel": "broadcast.cancel", "broadcast approve": "translation.approve",
              "relays add": "relays.manage", "poll results": "poll.results", "failover order": "subscribers.manage",
              "flags list": "flags.review", "tokens create": "tokens.manage"}
    for tier in TIERS:
        who = world["people"][tier]
        actor = f"subscriber:{who['id']}"
        for name, build in commands.items():
            wanted = action[name] or ("broadcast.own_audience" if tier != "coordinator" else "broadcast.everyone")
            before = refusals(database, actor, wanted)
            result = cli(config, build(tier, who), f"subscriber:{who['id']}")
            refused = refusals(database, actor, wanted) - before
            succeeded = result.exit_code == 0 and result.exception is None
            assert succeeded != bool(refused), (tier, name, result.output, result.exception)
            assert succeeded == (tier in CLI_ALLOWED[name]), (tier, name, result.output, result.exception)
            if refused:
                assert "needs the tier" in str(result.exception)
    # The effects are there for the allowed ones only.
    with database.sessions() as session:
        cancelled = {t for t in TIERS if session.get(Broadcast, targets[("cancel", t)]).status == "cancelled"}
        approved = {t for t in TIERS
                    if session.get(BroadcastText, (targets[("approve", t)], "es")).status == "approved"}
        sent = set(session.scalars(select(Broadcast.sender).where(Broadcast.body.like("% from %"))))
    assert cancelled == {"coordinator"} and approved == {"coordinator", "moderator"}
    ids = {world["people"][t]["id"]: t for t in TIERS}
    assert {ids[int(s.partition(":")[2])] for s in sent} == {"partner", "coordinator"}
    # Without --as the CLI is the local operator, a coordinator: existing usage keeps working.
    result = cli(config, ["broadcast", "send", "Local operator drill", "--json"], None)
    assert result.exit_code == 0, result.output


def test_a_refused_cli_command_exits_2_with_the_tier_needed(database, settings, world, tmp_path):
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n')
    observer = world["people"]["observer"]
    done = subprocess.run([sys.executable, "-m", "relay.app.cli", "--config", str(config), "--as",
                           f"sms:{observer['phone']}", "broadcast", "send", "Everyone!"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert "broadcast.everyone needs the tier coordinator; you are observer" in done.stderr
    assert refusals(database, f"subscriber:{observer['id']}", "broadcast.everyone") == 1
    with database.sessions() as session:
        assert not session.scalars(select(Broadcast).where(Broadcast.body == "Everyone!")).all()
        assert session.scalar(select(Delivery.id).limit(1)) is not None  # the world's own broadcasts
