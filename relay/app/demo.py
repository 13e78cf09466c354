"""`relay demo`: the whole path on embedded defaults, in a temporary data directory.

SQLite, the local Twilio simulator at Twilio's real pace (1 segment per second per number, a pool of
ten numbers) and the Telegram Bot API simulator (users and a group), a crisis alert and a webinar
notice, two citizens texting keywords meanwhile, and the delivery report. Nothing leaves this machine.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule

from relay.delivery import outbox, reach
from relay.core import subscribers
from relay.core.channels import planned_senders
from relay.broadcasts.cli import print_report
from relay.core.cli_context import console
from relay.app.settings import Settings, load_settings
from relay.core.models import Broadcast
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.app import demo_translation, modes
from relay.app.program import Program
from relay.delivery.translation_hooks import approval_policy, untranslated_note

DEMO_CSV = Path(__file__).with_name("demo_data") / "subscribers.csv"
DEMO_NUMBERS = [f"+120155501{i:02d}" for i in range(10)]

CRISIS = ("FLOOD WARNING: the river will overflow tonight. Move to higher ground now. "
          "Shelter at the school on Route 3 from 18:00. Call 114 for help.")
CRISIS_FR = ("ALERTE INONDATION : la riviere va deborder cette nuit. Montez sur les hauteurs maintenant. "
             "Abri a l'ecole de la Route 3 des 18h00. Appelez le 114.")
WEBINAR = "Webinar on Thursday 15:00 UTC: water purification at home. Reply STOP to unsubscribe."


def demo_settings(data_dir: Path) -> Settings:
    return load_settings(None, overrides={
        "data_dir": str(data_dir),
        "http": {"port": 0},
        "sandbox": {"sms_numbers": DEMO_NUMBERS, "segments_per_second": 1.0, "telegram_groups": [-1009001]},
    })


async def _follow(program: Program, ids: dict[str, int]) -> None:
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console) as progress:
        tasks = {name: progress.add_task(name, total=None, detail="") for name in ids}
        while True:
            reports = {name: await program.database.run(lambda s, i=i: reach.report(s, i)) for name, i in ids.items()}
            for name, report in reports.items():
                detail = " ".join(f"{k}={v}" for k, v in sorted(report.by_status.items()))
                progress.update(tasks[name], total=report.total, completed=report.final, detail=detail)
            if all(r.done for r in reports.values()):
                return
            await asyncio.sleep(0.3)


async def _demo(settings: Settings) -> int:
    program = modes.build("demo", settings)
    await program.start()
    try:
        sessions = program.database.sessions
        console.print(Rule("1. import subscribers"))
        with DEMO_CSV.open(encoding="utf-8") as handle:
            report = await program.database.run(lambda s: subscribers.import_csv(
                s, handle, actor="demo", default_region=None, default_timezone="UTC"))
        console.print(f"imported {report.created}; rejected {len(report.errors)}:")
        for line, reason in report.errors:
            console.print(f"  line {line}: {reason}", highlight=False)

        console.print(Rule("2. a coordinator sends a crisis alert: es by Apertium, fr by a person, sw through "
                           "the quality gate, ht by a volunteer"))
        advice = demo_translation.apertium_advice()
        if advice:
            console.print(advice, markup=False, highlight=False)
        senders = planned_senders(program.settings)
        await program.database.run(lambda s: demo_translation.add_volunteer(s, program.settings))
        console.print("loading the translation engines and the quality gate's model...")
        machine = await asyncio.to_thread(demo_translation.demo_machine, program.settings)
        console.print("sw has no engine here: a stand-in that fails open (returns the English) shows the gate at work")
        crisis = await asyncio.to_thread(outbox.plan_broadcast, sessions, BroadcastRequest(
            kind="crisis", body=CRISIS, source_language="en", sender="demo-coordinator",
            severity="Extreme", urgency="Immediate", certainty="Observed",
            expires_at=datetime.now(timezone.utc) + timedelta(hours=6),
            human_texts={"fr": CRISIS_FR},
        ), senders=senders, machine=machine, note=untranslated_note, approval=approval_policy(program.settings),
            actor="demo-coordinator")
        console.print(f"crisis broadcast {crisis.id}: {crisis.deliveries} deliveries; texts: {crisis.languages}")
        for row in await program.database.run(lambda s: demo_translation.texts_table(s, crisis.id)):
            console.print("  {}: origin {}, status {}, gate {}".format(*row), markup=False, highlight=False)
        offer, thanks = await program.database.run(lambda s: demo_translation.volunteer_answers(
            s, program.settings, crisis.id, program.settings.sandbox.sms_numbers[0]))
        console.print(f"  ht: {offer}; the volunteer replies with a Creole text; the relay: {thanks}",
                      markup=False, highlight=False)

        console.print(Rule("3. meanwhile citizens text the relay"))
        number = program.settings.sandbox.sms_numbers[0]
        for sender, text in (("+12015559001", "JOIN es"), ("+12015552001", "STOP")):
            twiml = await program.simulators["sms"].inject_inbound(sender, number, text)
            answer = " ".join(re.findall(r"<Message>(.*?)</Message>", twiml, re.S))
            console.print(f"  {sender} texts {text!r}; the relay answers: {answer}", highlight=False)

        console.print(Rule("4. a webinar notice to subscribers of the 'webinars' topic"))
        webinar = await asyncio.to_thread(outbox.plan_broadcast, sessions, BroadcastRequest(
            kind="webinar", body=WEBINAR, source_language="en", sender="demo-coordinator",
            audience=Audience(topics=("webinars",)),
        ), senders=senders, machine=machine, note=untranslated_note, actor="demo-coordinator")
        console.print(f"webinar broadcast {webinar.id}: {webinar.deliveries} deliveries")
        program.dispatcher.wake()

        console.print(Rule("5. delivery, at 1 SMS segment per second per number (10 numbers)"))
        follow_up = await program.database.run(lambda s: s.scalar(
            select(Broadcast.id).where(Broadcast.references_id == crisis.id)))
        ids = {"crisis": crisis.id, "webinar": webinar.id, **({"ht text": follow_up} if follow_up else {})}
        await _follow(program, ids)
        await asyncio.sleep(0.5)  # the last status callbacks
        for broadcast_id in ids.values():
            print_report(await program.database.run(lambda s, b=broadcast_id: reach.report(s, b)))
        log = program.simulators["sms"].jsonl_path
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        console.print(f"the SMS simulator accepted {len(lines)} messages ({log}); the first three:")
        for line in lines[:3]:
            console.print(f"  {line['from']} -> {line['to']}: {line['body'][:70]}", highlight=False)
        log = program.simulators["telegram"].jsonl_path
        chats = [json.loads(line) for line in log.read_text().splitlines()]
        console.print(f"the Telegram simulator accepted {len(chats)} messages ({log}); the first two:")
        for line in chats[:2]:
            console.print(f"  chat {line['chat_id']}: {line['text'][:70]}", highlight=False)
        failures = program.dispatcher.failures
        return 1 if failures else 0
    finally:
        await program.stop()


def run_demo(*, keep: bool = False) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="relay-demo-"))
    try:
        code = asyncio.run(_demo(demo_settings(data_dir)))
    finally:
        if keep:
            console.print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if code:
        raise SystemExit(code)
