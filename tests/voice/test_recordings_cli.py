"""`relay voice upload | list | remove` as a coordinator runs them (subprocesses, exit codes, messages on
stderr), and the dispatcher's view of a recording: read when a batch is sent, so one uploaded after the
broadcast was queued reaches the calls not yet placed (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from channels import voice_media
from relay.core.channels import planned_senders
from relay.delivery import deliveries, outbox
from relay.delivery.outbox import Audience, BroadcastRequest
from relay.voice import store
from tests.channels.voice.test_voice_recording_call import relay_cli, write_config
from relay.app.settings import load_settings
from relay.core.db import Database
from tests.voice.audio_files import mp3, wav

OBSERVER, PARTNER = "+12025550111", "+12025550112"


def test_upload_list_and_remove_by_cli(tmp_path: Path):
    write_config(tmp_path, f"sqlite:///{tmp_path / 'data' / 'relay.db'}")
    (tmp_path / "data").mkdir()
    Database.open(load_settings(tmp_path / "relay.toml"), upgrade=True).close()
    (tmp_path / "people.csv").write_text(f"name,phone,language,tier,regions\nOla,{OBSERVER},en,observer,north\n"
                                         f"Pat,{PARTNER},en,partner,north\n")
    assert relay_cli(tmp_path, "subscribers", "import", "people.csv").returncode == 0
    sent = relay_cli(tmp_path, "broadcast", "send", "Water at the school at 3 pm.", "--json")
    assert sent.returncode == 0, sent.stderr
    broadcast = str(json.loads(sent.stdout)["id"])
    recording = mp3(80)
    (tmp_path / "ht.mp3").write_bytes(recording)
    (tmp_path / "notes.txt").write_text("Alèt inondasyon: monte sou tè wo kounye a.")
    (tmp_path / "huge.wav").write_bytes(wav(1.0) + b"\x00" * 5_000_000)

    wrong = relay_cli(tmp_path, "voice", "upload", "--broadcast", broadcast, "--lang", "ht", "notes.txt")
    assert wrong.returncode == 2 and "notes.txt: not a WAV or MP3 recording" in wrong.stderr
    big = relay_cli(tmp_path, "voice", "upload", "--broadcast", broadcast, "--lang", "ht", "huge.wav")
    assert big.returncode == 2 and "at most 5,000,000 are accepted ([voice] recording_max_mb)" in big.stderr
    unknown = relay_cli(tmp_path, "voice", "upload", "--broadcast", "999", "--lang", "ht", "ht.mp3")
    assert unknown.returncode == 2 and "no broadcast 999" in unknown.stderr
    for who, needed in ((OBSERVER, "broadcast.everyone needs the tier coordinator"),
                        (PARTNER, "broadcast.everyone needs the tier coordinator")):
        refused = relay_cli(tmp_path, "--as", f"sms:{who}", "voice", "upload", "--broadcast", broadcast, "--lang",
                            "ht", "ht.mp3")
        assert refused.returncode == 2 and needed in refused.stderr, refused.stderr
    bad_language = relay_cli(tmp_path, "voice", "upload", "--broadcast", broadcast, "--lang", "Kreyòl", "ht.mp3")
    assert bad_language.returncode == 2 and "not a language code" in bad_language.stderr
    assert json.loads(relay_cli(tmp_path, "voice", "list", "--broadcast", broadcast, "--json").stdout) == []

    stored = relay_cli(tmp_path, "voice", "upload", "--broadcast", broadcast, "--lang", "ht", "ht.mp3")
    assert stored.returncode == 0 and "ht recording stored (mp3, " in stored.stdout, stored.stderr
    listed = json.loads(relay_cli(tmp_path, "voice", "list", "--broadcast", broadcast, "--json").stdout)
    assert [(r["language"], r["format"], r["sha256"]) for r in listed] == [
        ("ht", "mp3", hashlib.sha256(recording).hexdigest())]
    assert [f.read_bytes() for f in (tmp_path / "data" / "voice" / broadcast).iterdir()] == [recording]
    removed = relay_cli(tmp_path, "voice", "remove", "--broadcast", broadcast, "--lang", "ht")
    assert removed.returncode == 0 and "ht recording removed" in removed.stdout
    assert json.loads(relay_cli(tmp_path, "voice", "list", "--broadcast", broadcast, "--json").stdout) == []
    assert list((tmp_path / "data" / "voice" / broadcast).iterdir()) == []


def test_a_recording_uploaded_after_the_broadcast_is_what_the_next_batch_sends(settings, database):
    planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
        kind="crisis", body="Flood warning.", source_language="en", sender="test", audience=Audience()),
        senders=planned_senders(settings), actor="test")
    pairs = {(planned.id, "ht"), (planned.id, "fr")}

    def content(channel: str):
        with database.sessions() as session:
            return deliveries.content_for(session, channel, pairs)[1]

    assert content("voice") == {}
    store.save(database.sessions, settings.data_dir, planned.id, "ht", wav(), limit=10**6, actor="test")
    assert content("voice") == {(planned.id, "ht"): voice_media.path(planned.id, "ht")}
    assert content("sms") == {}  # only a channel that plays recordings is given one
    store.remove(database.sessions, settings.data_dir, planned.id, "ht", actor="test")
    assert content("voice") == {}
