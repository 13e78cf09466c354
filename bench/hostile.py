"""Hostile input at every inbound door, at its maximum accepted size: how long each takes and how long it
blocks the relay's event loop, with /healthz polled throughout. Prints figures; never passes or fails.

Doors: the SMS webhook (signed, Body up to the parser's 10,000 characters), the Telegram webhook (a group
message of 4,096 characters, bridged to SMS so it is screened for misinformation), a Matrix message
(64 KB, the largest event Synapse passes on; through `inbound.handle` as the sync loop calls it), chat
commands (`/broadcast`, `/lang`, look-alike STOP, at 4,096 characters), a CAP import (1 MiB, the import
limit: an IPAWS alert with inline audio; and hostile XML), a CSV import (64 KB, the API's body limit).

Each input is an adversarial shape that made a pattern backtrack (`a-a-…`, `--.--.…`, `a_a_…`), or
look-alike / bidi / emoji text, repeated to the door's limit. Loop blocking: a ticker task on the relay's
loop sleeps 1 ms at a time; its largest late wake-up while the door runs is the block. /healthz is asked
every 5 ms from another thread; the slowest answer and any failure are counted. The idle baseline of both
is measured in the same run, before the doors.

Usage: .venv/bin/python bench/hostile.py [--rounds 2] [--postgres postgresql+psycopg://127.0.0.1:5432/test] [--doors screened]
(with --postgres the relay runs in a fresh schema of that database, dropped afterwards)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.base import Inbound  # noqa: E402
from channels.sandbox.telegram_settings import SimGroup, SimUser, TelegramSimSettings  # noqa: E402
from channels.sandbox.telegram_sim import TelegramSimulator  # noqa: E402
from channels.sandbox.twilio_sim import TwilioSimSettings, TwilioSimulator  # noqa: E402
from channels.sms import webhook_signature  # noqa: E402
from relay.core import subscribers  # noqa: E402
from relay.inbound import handling as inbound  # noqa: E402
sys.path.append(str(ROOT / "tests"))  # the helpers it shares with the tests (`tests` itself names a site package)
from pg_schema import fresh_schema  # noqa: E402
from threaded_relay import ThreadedRelay  # noqa: E402

TOKEN = "7000000077:" + "h" * 12 + "R" * 12 + "q9"
SECRET = "bench-hostile-secret"
AUTH, ACCOUNT = "h" * 32, "AC" + "5a" * 16
NUMBER, MEMBER_SMS = "+12015550100", "+12015557300"
GROUP, ANA = -1007300, 7300
LIMIT_MS = 50.0
UNITS = ["a-", "--.", "a_", "a.", "a-a.", "ＳＴＯＰ\u200b", "\u202eSTOP", "😀\u200d", "e\u0301", "verify ", "http://",
         "@a", "1 ", "<b>", "&amp;"]


def benign(size: int) -> list[str]:
    """An ordinary message of the same size: the door's own cost, the baseline of its hostile inputs."""
    words = "Water and food at the church until six tonight; the north road is closed, use the bridge. "
    return [(words * (size // len(words) + 1))[:size]]


def hostile(size: int, rng: random.Random) -> list[str]:
    """Each adversarial unit repeated to `size` characters, and one random mix of them."""
    texts = [(unit * (size // len(unit) + 1))[:size] for unit in UNITS]
    mix = "".join(rng.choice(UNITS) for _ in range(size))[:size]
    return texts + [mix]


class Relay(ThreadedRelay):
    """A sandboxed relay on its own event loop thread, in Telegram webhook mode, with a bridge between a
    Telegram group and an SMS number (so chat and SMS messages are screened before they are relayed).

    The Telegram and Twilio simulators run on a second loop: in production they are other machines, and
    their work (parsing the relay's HTML, counting segments) must not be counted as the relay's loop block."""

    timeout = 300.0

    def __init__(self, tmp: Path, database_url: str | None) -> None:
        super().__init__(tmp, database_url, own_simulator_loop=True)

    async def start_simulators(self) -> list:
        self.telegram = TelegramSimulator(TelegramSimSettings(token=TOKEN, messages_per_second=0, per_chat_per_second=0,
                                                              per_group_per_minute=0), self.tmp / "sim")
        await self.telegram.start()
        self.telegram.add_user(SimUser(id=ANA, first_name="Ana"))
        self.telegram.add_group(SimGroup(id=GROUP, title="Bench", members=[ANA]))
        self.twilio = TwilioSimulator(TwilioSimSettings(account_sid=ACCOUNT, auth_token=AUTH, numbers=[NUMBER],
                                                        segments_per_second=0), self.tmp / "twilio")
        await self.twilio.start()
        return [self.telegram, self.twilio]

    def channel_settings(self) -> dict:
        return {
            "sms": {"account_sid": ACCOUNT, "auth_token": AUTH, "numbers": [NUMBER], "segments_per_second": 0,
                    "api_base_url": self.twilio.base_url},
            "telegram": {"token": TOKEN, "api_base_url": self.telegram.base_url, "inbound": "webhook",
                         "webhook_secret": SECRET},
        }


class Watch:
    """Loop lag (a 1 ms ticker on the relay's loop) and /healthz latency (another thread) during a door."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def __enter__(self) -> "Watch":
        self.stopping = threading.Event()
        self.lag_ms = 0.0
        self.health_ms, self.health_failed, self.health_asked = 0.0, 0, 0
        self.ticker = asyncio.run_coroutine_threadsafe(self._tick(), self.relay.loop)
        self.poller = threading.Thread(target=self._poll, daemon=True)
        self.poller.start()
        time.sleep(0.02)
        return self

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self.stopping.is_set():
            await asyncio.sleep(0.001)
            now = loop.time()
            self.lag_ms = max(self.lag_ms, (now - last - 0.001) * 1000)
            last = now

    def _poll(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stopping.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(f"{self.relay.url}/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.health_ms = max(self.health_ms, (time.perf_counter() - started) * 1000)
                self.health_asked += 1
                self.health_failed += 0 if ok else 1
                time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        time.sleep(0.02)
        self.stopping.set()
        self.ticker.result(timeout=10)
        self.poller.join(timeout=10)


def sms_door(relay: Relay, counter) -> callable:
    url = f"{relay.url}/webhooks/sms/inbound"

    def send(text: str) -> int:
        params = {"MessageSid": f"SM{next(counter):032x}", "AccountSid": ACCOUNT, "From": MEMBER_SMS,
                  "To": NUMBER, "Body": text, "NumMedia": "0", "NumSegments": "1"}
        headers = {"X-Twilio-Signature": webhook_signature(AUTH, url, params)}
        return httpx.post(url, data=params, headers=headers, timeout=60).status_code

    return send


def telegram_door(relay: Relay, counter) -> callable:
    url = f"{relay.url}/webhooks/telegram"

    def send(text: str) -> int:
        n = next(counter)
        update = {"update_id": n, "message": {
            "message_id": n, "date": int(time.time()), "text": text,
            "chat": {"id": GROUP, "type": "group", "title": "Bench"},
            "from": {"id": ANA, "is_bot": False, "first_name": "Ana\u202e"}}}
        return httpx.post(url, content=json.dumps(update), timeout=60, headers={
            "content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}).status_code

    return send


def matrix_door(relay: Relay, counter) -> callable:
    program = relay.program

    async def handle(text: str) -> None:
        message = Inbound("matrix", f"$bench{next(counter)}", "@ana:bench.test", "!room:bench.test", text,
                          datetime.now(timezone.utc), conversation="!room:bench.test", group=True,
                          display_name="Ana\u202e")
        await program.database.run(inbound.handle, message, program.settings, {})

    return lambda text: relay.run(handle(text))


def cap_door(relay: Relay) -> callable:
    from alerts import cap
    from alerts.cap_parse import CapError, parse
    from alerts.sending import Sender

    program = relay.program
    sender = Sender(program.settings, program.database.sessions, translate=False)

    def work(session, data: bytes) -> str:
        try:
            document = parse(data)
            cap.import_alert(sender, session, document, default_language="en", actor="bench")
            return "imported"
        except CapError as exc:
            return f"refused ({str(exc)[:30]})"

    return lambda data: relay.run(program.database.run(work, data))


def cap_inputs() -> list[tuple[str, bytes]]:
    trimmed = (ROOT / "tests" / "data" / "cap" / "ipaws-482277582702553-trimmed.xml").read_bytes()
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0).isoformat().encode()
    out = []
    for i, fill in enumerate((700_000, 780_000)):
        audio = base64.encodebytes(random.Random(i).randbytes(fill))
        doc = trimmed.replace(b"JScpLC4w</derefUri>", b"JScpLC4w\n" + audio + b"</derefUri>")
        doc = doc.replace(b"482277582702553</identifier>", f"bench{i}</identifier>".encode())
        out.append((f"IPAWS with audio, {len(doc) // 1024} KB", doc.split(b"<expires>")[0] + b"<expires>" + tomorrow
                    + b"</expires>" + doc.split(b"</expires>", 1)[1]))
    out.append(("deep nesting, 1 MiB", (b"<a>" * 100_000 + b"</a>" * 100_000)[:1_048_576]))
    out.append(("one huge description, 1 MiB", trimmed.replace(b"<description>", b"<description>" + b"a-" * 520_000)))
    out.append(("many areas, 1 MiB", trimmed.replace(b"<area>", b"<area><areaDesc>x</areaDesc></area><area>" * 20_000)))
    return out


def csv_door(relay: Relay) -> callable:
    program = relay.program

    def work(session, data: str):
        return subscribers.import_csv(session, io.StringIO(data), actor="bench", default_region=None,
                                      default_timezone="UTC")

    return lambda data: relay.run(program.database.run(work, data))


def csv_inputs(rng: random.Random) -> list[tuple[str, str]]:
    header = "name,phone,telegram,language,timezone,regions,tier\n"
    rows = []
    for text in hostile(40, rng):
        rows.append(f'"={text[:20]}",+1201555{rng.randrange(10_000):04d},,en,UTC,"{text.replace(chr(34), "")}",observer\n')
    body = header + "".join(rows)
    out = [("hostile names and regions, 64 KB", (body * (65_536 // len(body) + 1))[:65_536])]
    out.append(("one 64 KB cell", header + '"' + "a-" * 32_000 + '",+12015550199,,en,UTC,north,observer\n'))
    out.append(("broken quoting, 64 KB", header + '"' * 65_000))
    return out


def measure(relay: Relay, name: str, size: str, inputs, door, rounds: int) -> dict:
    worst = {"door": name, "size": size, "wall_ms": 0.0, "lag_ms": 0.0, "health_ms": 0.0, "health_failed": 0,
             "asked": 0, "worst_input": ""}
    for _ in range(rounds):
        for label, payload in inputs:
            with Watch(relay) as watch:
                started = time.perf_counter()
                door(payload)
                wall = (time.perf_counter() - started) * 1000
            if watch.lag_ms > worst["lag_ms"]:
                worst["worst_input"] = label
            worst["wall_ms"] = max(worst["wall_ms"], wall)
            worst["lag_ms"] = max(worst["lag_ms"], watch.lag_ms)
            worst["health_ms"] = max(worst["health_ms"], watch.health_ms)
            worst["health_failed"] += watch.health_failed
            worst["asked"] += watch.health_asked
    return worst


def make_bridge(relay: Relay) -> None:
    from typer.testing import CliRunner

    from relay.app.cli import app

    config = relay.tmp / "relay.toml"
    lines = [f'data_dir = "{relay.settings.data_dir}"']
    if relay.database_url:
        lines.append(f'database_url = "{relay.database_url}"')
    config.write_text("\n".join(lines) + "\n")
    made = CliRunner().invoke(app, ["--config", str(config), "bridges", "add", "bench",
                                    "--telegram", f"{GROUP}=en", "--sms", f"{MEMBER_SMS}=en"])
    if made.exit_code != 0:
        raise SystemExit(f"could not make the bench bridge: {made.output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default=None, metavar="URL", help="run on PostgreSQL, in a fresh schema")
    parser.add_argument("--doors", default="", help="only the doors whose name contains this text")
    args = parser.parse_args()
    if args.postgres:
        with fresh_schema(args.postgres, "bench_hostile") as url:
            run(args, url)
    else:
        run(args, None)


def run(args, database_url: str | None) -> None:
    rng = random.Random(17)
    counter = iter(range(1, 10**9))
    with tempfile.TemporaryDirectory() as tmp:
        relay = Relay(Path(tmp), database_url).start()
        try:
            make_bridge(relay)
            labelled = lambda texts: [(repr(t[:12]), t) for t in texts]  # noqa: E731
            idle = measure(relay, "idle (baseline)", "-", [("sleep", 0.3)], time.sleep, args.rounds)
            doors = [
                ("SMS webhook, ordinary text", "10,000 chars", labelled(benign(10_000)), sms_door(relay, counter)),
                ("SMS webhook", "10,000 chars", labelled(hostile(10_000, rng)), sms_door(relay, counter)),
                ("Telegram webhook, ordinary text", "4,096 chars", labelled(benign(4096)), telegram_door(relay, counter)),
                ("Telegram webhook (bridged, screened)", "4,096 chars", labelled(hostile(4096, rng)),
                 telegram_door(relay, counter)),
                ("Matrix message, ordinary text", "64 KB", labelled(benign(65_000)), matrix_door(relay, counter)),
                ("Matrix message", "64 KB", labelled(hostile(65_000, rng)), matrix_door(relay, counter)),
                ("chat commands", "4,096 chars",
                 labelled([p + t for p in ("/broadcast ", "/lang ", "ＳＴＯＰ ", "/start@x ") for t in hostile(4080, rng)[:6]]),
                 telegram_door(relay, counter)),
                ("CAP import", "1 MiB", cap_inputs(), cap_door(relay)),
                ("CSV import", "64 KB", csv_inputs(rng), csv_door(relay)),
            ]
            rows = [idle] + [measure(relay, name, size, inputs, door, args.rounds) for name, size, inputs, door in doors
                             if args.doors in name]
        finally:
            relay.stop()
    print(f"hostile inputs, {args.rounds} round(s), database: {'PostgreSQL' if database_url else 'SQLite'}")
    print(f"{'door':38} {'max size':>12} {'worst ms':>9} {'loop block ms':>14} {'x idle':>7} {'/healthz max ms':>16} "
          f"{'failed/asked':>13}  {'<= 50 ms':>8}  worst input")
    for row in rows:
        ratio = row["lag_ms"] / idle["lag_ms"] if idle["lag_ms"] > 0 else float("nan")
        verdict = "-" if row is idle else ("yes" if row["lag_ms"] <= LIMIT_MS else "NO")
        print(f"{row['door']:38} {row['size']:>12} {row['wall_ms']:9.1f} {row['lag_ms']:14.1f} {ratio:7.1f} "
              f"{row['health_ms']:16.1f} {row['health_failed']:>6}/{row['asked']:<6}  {verdict:>8}  {row['worst_input']}")


if __name__ == "__main__":
    main()
