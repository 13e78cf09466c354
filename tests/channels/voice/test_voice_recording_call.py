"""A Haitian Creole speaker whose only channel is voice gets a call that plays the Creole recording a
volunteer uploaded with `relay voice upload` after the broadcast was queued (no Twilio voice speaks Creole:
without the recording the call would fail over; here it is placed). On SQLite and PostgreSQL.

The coordinator's side runs as commands (`relay subscribers import`, `relay broadcast send`, `relay voice
upload`, in subprocesses, on the relay's database) while the calls are not yet placed; then the relay runs
with the sandbox's Twilio voice simulator, which fetches the TwiML and the signed `<Play>` link from the
relay and logs the SHA-256 of what it played.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from channels.sandbox.twilio_voice import Person
from relay.app.program import Program
from relay.app.settings import load_settings
from relay.core.db import Database
from relay.core.models import Delivery, Endpoint
from relay.delivery import reach
from tests.relay.conftest import wait_for
from tests.voice.audio_files import wav

TEXTS = {"en": "Flood warning: move to high ground now.", "fr": "Alerte crue : montez en hauteur maintenant.",
         "ht": "Alèt inondasyon: monte sou tè wo kounye a."}
ROSE, JEAN = "+50937001007", "+50937001008"  # Creole, voice only; French, voice only
ROOT = Path(__file__).resolve().parents[3]


def relay_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "RELAY_CONFIG": str(root / "relay.toml"), "PYTHONPATH": str(ROOT)},
                          timeout=180)


def write_config(root: Path, database_url: str) -> None:
    (root / "relay.toml").write_text(f'data_dir = "data"\ndatabase_url = "{database_url}"\n'
                                     '[sandbox]\nsms_numbers = ["+12015550100"]\n')


def calls(program: Program) -> dict[str, list[dict]]:
    path = program.simulators["voice"].jsonl_path
    ended: dict[str, list[dict]] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        row = json.loads(line)
        if row["event"] == "ended":
            ended.setdefault(row["to"], []).append(row)
    return ended


async def test_a_creole_speaker_with_only_voice_hears_the_creole_recording(tmp_path: Path, database_url: str):
    write_config(tmp_path, database_url)
    settings = load_settings(tmp_path / "relay.toml", overrides={"http": {"port": 0}})
    Database.open(settings, upgrade=True).close()
    (tmp_path / "people.csv").write_text(f"name,voice,language\nRose,{ROSE},ht\nJean,{JEAN},fr\n")
    imported = relay_cli(tmp_path, "subscribers", "import", "people.csv")
    assert "imported 2 new" in imported.stdout, imported.stdout + imported.stderr
    sent = relay_cli(tmp_path, "broadcast", "send", TEXTS["en"], "--kind", "crisis", "--severity", "Severe",
                     "--text", f"ht={TEXTS['ht']}", "--text", f"fr={TEXTS['fr']}", "--json")
    assert sent.returncode == 0, sent.stderr
    broadcast = json.loads(sent.stdout)["id"]

    recording = wav(2.0, pitch=392.0)
    (tmp_path / "rose-ht.wav").write_bytes(recording)
    uploaded = relay_cli(tmp_path, "voice", "upload", "--broadcast", str(broadcast), "--lang", "ht", "rose-ht.wav",
                         "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    assert json.loads(uploaded.stdout)["sha256"] == hashlib.sha256(recording).hexdigest()

    program = Program(settings, sandbox=True, upgrade=True)
    await program.start()
    try:
        program.simulators["voice"].script(ROSE, Person(outcomes=["answer"]))
        program.simulators["voice"].script(JEAN, Person(outcomes=["answer"]))
        program.dispatcher.wake()

        async def settled() -> bool:
            report = await program.database.run(reach.report, broadcast)
            return report.by_status.get("delivered", 0) + report.by_status.get("failed", 0) >= 2

        await wait_for(settled, timeout=60)
        with program.database.sessions() as session:
            rows = session.execute(select(Endpoint.address, Delivery.status, Delivery.last_error)
                                   .join(Endpoint, Endpoint.id == Delivery.endpoint_id)
                                   .where(Delivery.broadcast_id == broadcast)).all()
        assert {address: (status, error) for address, status, error in rows} == {
            ROSE: ("delivered", None), JEAN: ("delivered", None)}
        placed = await wait_for(lambda: calls(program) if len(calls(program)) == 2 else None)
        rose, jean = placed[ROSE], placed[JEAN]
        # Rose heard the Creole recording, the very file uploaded, and nothing said in another tongue.
        assert len(rose) == 1 and rose[0]["status"] == "completed"
        assert [(s.get("path"), s.get("sha256"), s.get("content_type")) for s in rose[0]["said"]] == [
            (f"/media/voice/{broadcast}/ht", hashlib.sha256(recording).hexdigest(), "audio/wav")]
        # Jean (no French recording) heard the French text in the French voice.
        said = jean[0]["said"][0]
        assert (said["voice"], said["language"]) == ("Polly.Lea-Neural", "fr-FR") and said["text"].startswith(TEXTS["fr"])
        assert not any("play" in s for s in jean[0]["said"])
        stats = program.simulators["voice"].stats
        assert stats["plays_fetched"] == 1 and stats["plays_refused"] == 0 and stats["twiml_invalid"] == 0
    finally:
        await program.stop()
