"""End to end on the sandbox: 200 real Mission 4636 SMS arrive as signed Twilio webhooks; each is stored
and acknowledged in the sender's language; those needing a translation go to volunteer translators on
Telegram (played by this test with the English translations volunteers made in 2010, one translator who
never answers); each report lands in the responder rooms (Telegram groups) of its categories, once;
responders claim and resolve some, and their senders are told by SMS in their language.

Everything goes through the real parts: the twilio client and signed webhooks against the Twilio
simulator, aiogram against the Telegram simulator (long polling for the translators' and responders'
messages), the outbox and the dispatcher for every message the relay sends.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from channels.sandbox.telegram_settings import SimGroup, SimUser
from conftest import HAITI_200, add_person
from relay.reports import translators
from relay.app.settings import load_settings
from relay.app.program import Program
from relay.inbound.replies import reply
from relay.core.models import Endpoint
from relay.reports.models import Report, TranslationOffer, Translator
from relay.reports.service import build
from relay.reports.triage.categories import labels

pytestmark = pytest.mark.slow

NUMBER = "+12015550100"
ROOMS = {"medical": -2001, "rescue": -2002, "logistics": -2003, "security": -2004, "infrastructure": -2005,
         "coordination": -2006}  # the last takes reports with no routed category (request / other only)
ROUTES = {
    "medical_help": ["telegram:-2001"], "search_and_rescue": ["telegram:-2002"],
    "missing_people": ["telegram:-2002"], "water": ["telegram:-2003"], "food": ["telegram:-2003"],
    "shelter": ["telegram:-2003"], "security": ["telegram:-2004"], "infrastructure": ["telegram:-2005"],
}
TRANSLATORS = (9101, 9102, 9103, 9104, 9105, 9106, 9107, 9108)
SILENT = 9109  # registered, never answers
RESPONDER = 9201
_REFERENCE = re.compile(r"Please translate report (\d+) ")
_ROUTED = re.compile(r"^Report (\d+) \[", re.M)


async def wait_until(predicate, timeout: float, what: str):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.2)


def sms_records(program: Program) -> list[dict]:
    path = program.settings.data_dir / "sandbox" / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _register_translators(session, settings) -> None:
    for user in (*TRANSLATORS, SILENT):
        endpoint = add_person(session, "telegram", str(user), tier="contributor")
        translators.register(session, endpoint, ["ht", "fr"], "en", actor="test", languages=settings.languages)


def _reports(session) -> list[Report]:
    reports = list(session.scalars(select(Report).order_by(Report.id)))
    session.expunge_all()
    return reports


async def test_two_hundred_haiti_messages_from_sms_to_responders_and_back(tmp_path):
    with HAITI_200.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    settings = load_settings(None, overrides={
        "data_dir": str(tmp_path / "data"), "http": {"port": 0},
        "sandbox": {"sms_numbers": [NUMBER], "segments_per_second": 0, "telegram_groups": list(ROOMS.values())},
        # one pass every 3 s: at most 20 digests a minute per room, Telegram's limit for a bot in a group
        "reports": {"routes": ROUTES, "default_rooms": ["telegram:-2006"], "translators_per_round": 1,
                    "translator_timeout_minutes": 1.0, "check_seconds": 3},
    })
    program = Program(settings, sandbox=True, upgrade=True, services=[build(settings)])
    await program.start()
    try:
        tg = program.simulators["telegram"]
        for room in ROOMS.values():
            tg.add_group(SimGroup(id=room, title=f"responders {room}", members=[RESPONDER]))
        for user in (*TRANSLATORS, SILENT, RESPONDER):
            tg.add_user(SimUser(id=user, first_name=f"volunteer{user}"))
        await program.database.run(_register_translators, program.settings)

        senders = [f"+509370{i:05d}" for i in range(len(rows))]
        row_of = dict(zip(senders, rows))  # the 2010 translation and labels of each sender's message
        for i, (sender, row) in enumerate(zip(senders, rows)):
            await program.simulators["sms"].inject_inbound(sender, NUMBER, row["original"], message_sid=f"SM{i:032d}")

        # Everything is stored, once, and every sender got one acknowledgement in their language.
        reports = await program.database.run(_reports)
        assert len(reports) == 200 and {r.sender for r in reports} == set(senders)
        acks = [m for m in sms_records(program) if m["direction"] == "outbound-reply"]
        assert Counter(m["to"] for m in acks) == Counter(senders)
        by_sender = {r.sender: r for r in reports}
        languages = Counter()
        for ack in acks:
            report = by_sender[ack["to"]]
            language = report.language if report.language in ("ht", "fr", "es") else "en"
            languages[language] += 1
            assert ack["body"] == reply("report_received", language, reference=report.reference)
        assert languages["ht"] >= 150
        # Twilio retrying five webhooks (same MessageSid): the same answers, no new report.
        first_answer = {m["to"]: m["body"] for m in acks}
        for i in range(5):
            await program.simulators["sms"].inject_inbound(senders[i], NUMBER, rows[i]["original"], message_sid=f"SM{i:032d}")
        again = [m for m in sms_records(program) if m["direction"] == "outbound-reply"][len(acks):]
        assert [(m["to"], m["body"]) for m in again] == [(s, first_answer[s]) for s in senders[:5]]
        assert len(await program.database.run(_reports)) == 200

        # Volunteers translate what they are offered; one of them never answers.
        answered: set[tuple[int, str]] = set()
        english = {r.reference: row_of[r.sender]["message"].strip() for r in reports}

        async def translate_offers() -> bool:
            for user in TRANSLATORS:
                for message in tg.sent(user):
                    found = _REFERENCE.match(message.text)
                    if found and (user, found.group(1)) not in answered:
                        answered.add((user, found.group(1)))
                        tg.inject_message(user, f"/tr {found.group(1)} {english[found.group(1)]}")

            def waiting(session) -> int:
                return len(list(session.scalars(select(Report.id).where(
                    Report.status.in_(["received", "translating", "translated"])))))

            return await program.database.run(waiting) == 0

        await wait_until(translate_offers, 240, "every report translated and routed")
        reports = await program.database.run(_reports)
        creole = [r for r in reports if r.language == "ht" and r.status == "routed"]
        wrong = [(r.reference, r.english_origin, r.translated_by, r.english, english[r.reference]) for r in creole
                 if r.english_origin != "human" or r.english != english[r.reference]]
        assert creole and not wrong, wrong[:5]
        def offers_of(session) -> list[tuple[str, int, bool, bool]]:
            return [(r.reference, o.translator_id, o.accepted, o.answered_at is not None) for o, r in session.execute(
                select(TranslationOffer, Report).join(Report, Report.id == TranslationOffer.report_id))]

        offers = await program.database.run(offers_of)
        silent_ids = set(await program.database.run(lambda s: list(s.scalars(
            select(Translator.id).join(Endpoint, Endpoint.id == Translator.endpoint_id)
            .where(Endpoint.address == str(SILENT))))))
        passed_over = {ref for ref, translator, _, _ in offers if translator in silent_ids}
        assert passed_over and not any(answered for _, t, _, answered in offers if t in silent_ids)
        # every report the silent translator was given moved on to another translator, who translated it
        assert all(any(ref == p and accepted for p, _, accepted, _ in offers) for ref in passed_over)
        assert all(r.translated_by.startswith("telegram:91") for r in creole)

        # Each routed report is in exactly the rooms of its categories, once each; no other room has it.
        def room_references(room: int) -> Counter:
            return Counter(ref for m in tg.sent(room) for ref in _ROUTED.findall(m.text))

        routed = [r for r in reports if r.status == "routed"]
        expected = defaultdict(Counter)
        for r in routed:
            assert r.rooms == program.settings.reports.rooms_for(r.categories)
            for room in r.rooms:
                expected[int(room.partition(":")[2])][r.reference] += 1

        async def all_delivered() -> bool:
            return all(room_references(room) == expected[room] for room in ROOMS.values())

        await wait_until(all_delivered, 120, "every room has its reports")
        linked = [r for r in reports if r.status == "linked"]
        assert len(routed) + len(linked) == 200 and all(r.rooms for r in routed)

        # How often the rooms chosen match the rooms of the categories responders gave in 2010 (printed).
        hits = sum(set(r.rooms) == set(program.settings.reports.rooms_for(sorted(labels(row_of[r.sender]))))
                   for r in routed)
        print(f"\n200 reports: {len(routed)} routed, {len(linked)} linked duplicates; "
              f"acknowledgements {dict(languages)}; messages per room "
              f"{ {name: len(tg.sent(room)) for name, room in ROOMS.items()} }; "
              f"rooms equal to those of the 2010 labels for {hits}/{len(routed)}")

        # Responders claim and resolve ten reports in their rooms; each sender is told once, in their language.
        to_resolve = routed[:10]
        for r in to_resolve:
            room = int(r.rooms[0].partition(":")[2])
            tg.inject_message(RESPONDER, f"/claim {r.reference}", chat_id=room)
            tg.inject_message(RESPONDER, f"/done {r.reference}", chat_id=room)

        async def told() -> bool:
            sent = [m for m in sms_records(program) if m["direction"] == "outbound-api"]
            return len(sent) >= len(to_resolve) and sent

        await wait_until(told, 60, "senders told their reports are handled")
        await asyncio.sleep(1.0)  # anything sent twice would show up now
        notices = [m for m in sms_records(program) if m["direction"] == "outbound-api"]
        assert Counter(m["to"] for m in notices) == Counter(r.sender for r in to_resolve)
        for r in to_resolve:
            language = r.language if r.language in ("ht", "fr", "es") else "en"
            [notice] = [m for m in notices if m["to"] == r.sender]
            assert notice["body"] == reply("report_resolved", language, reference=r.reference)
        async def details_sent() -> bool:
            return len(tg.sent(RESPONDER)) >= len(to_resolve)

        await wait_until(details_sent, 60, "the claiming responder got each report's details")
        private = [m.text for m in tg.sent(RESPONDER)]
        assert len(private) == len(to_resolve) and all("Contact: sms +509370" in text for text in private)
    finally:
        await program.stop()
