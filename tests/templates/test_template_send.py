"""A template sent in five languages through a real relay and the Twilio simulator: each human text
arrives as written with its fields filled, and each SMS is billed the segments `templates add` previewed.

The commands run as a coordinator would run them (`relay templates ...` in a subprocess); the relay
runs in the test's event loop with the sandbox's Twilio simulator behind the real twilio client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.sms_text import segment_count
from relay.core.models import BroadcastText, TranslationMemoryEntry
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for
from tests.running import started

TEXTS = {
    "en": "Shelter open at {shelter} from {time}. Bring water, medicine and ID. Reply HELP for help.",
    "es": "Refugio abierto en {shelter} desde las {time}. Lleve agua, medicinas y documentos.",
    "fr": "Abri ouvert à {shelter} dès {time}. Apportez eau, médicaments et papiers.",
    "ht": "Abri louvri nan {shelter} apati {time}. Pote dlo, medikaman ak papye ou.",
    "ar": "الملجأ مفتوح في {shelter} من الساعة {time}. أحضروا الماء والدواء والوثائق.",
}
SHELTER = "Lycée Pétion, Rue Capois no.12"  # 30 characters, all GSM-7: the declared longest value
TIME = "18:00"


def relay_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "RELAY_CONFIG": str(root / "relay.toml"),
                               "PYTHONPATH": str(Path(__file__).resolve().parents[2])}, timeout=180)


def write_config(root: Path) -> None:
    # The same data directory and sandbox numbers as make_program: the CLI plans for the running relay.
    (root / "relay.toml").write_text(f'data_dir = "data"\n[sandbox]\nsms_numbers = ["{NUMBER}"]\n'
                                     "segments_per_second = 0\n")


def add_args(name: str, max_segments: int) -> list[str]:
    args = ["templates", "add", name, "--lang", "en", "--field", f"shelter={len(SHELTER)}", "--field", "time=5",
            "--max-segments", str(max_segments), "--json"]
    for language, text in TEXTS.items():
        args += ["--text", f"{language}={text}"]
    return args


@pytest.fixture
async def relay(tmp_path):
    write_config(tmp_path)
    async with started(make_program(tmp_path)) as program:
        yield program


async def test_a_template_in_five_languages_arrives_as_written_with_the_segments_previewed(relay, tmp_path):
    phones = {}
    rows = ["phone,language"]
    for i, language in enumerate(TEXTS):
        for j in range(2):
            phone = f"+1202555{i}{j:03d}"
            phones[phone] = language
            rows.append(f"{phone},{language}")
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    assert "imported 10 new" in relay_cli(tmp_path, "subscribers", "import", "people.csv").stdout

    added = relay_cli(tmp_path, *add_args("shelter-open", 2))
    assert added.returncode == 0, added.stderr
    preview = {b["language"]: b for b in json.loads(added.stdout)["budget"]}
    assert set(preview) == set(TEXTS)
    assert preview["ar"]["encoding"] == "UCS-2" and preview["en"]["encoding"] == "GSM-7"
    shown = json.loads(relay_cli(tmp_path, "templates", "show", "shelter-open", "--json").stdout)
    assert shown["budget"] == list(preview.values())

    sent = relay_cli(tmp_path, "templates", "send", "shelter-open", "--value", f"shelter={SHELTER}",
                     "--value", f"time={TIME}", "--severity", "Severe", "--json")
    assert sent.returncode == 0, sent.stderr
    result = json.loads(sent.stdout)
    assert result["deliveries"] == 10 and result["languages"] == {
        "en": "original", "es": "human", "fr": "human", "ht": "human", "ar": "human"}
    relay.dispatcher.wake()
    messages = await wait_for(lambda: [m for m in sms_log(relay) if m["direction"] == "outbound-api"]
                              if len(sms_log(relay)) >= 10 else None)
    assert sorted(m["to"] for m in messages) == sorted(phones)
    for message in messages:
        language = phones[message["to"]]
        text, _, code_line = message["body"].rpartition("\n")
        # the human text exactly as written, each field filled once and intact
        assert text == TEXTS[language].format(shelter=SHELTER, time=TIME)
        assert text.count(SHELTER) == 1 and text.count(TIME) == 1
        assert code_line.startswith("Verify: ")
        # billed (by the simulator's own count) what the template previewed, at the declared longest values
        assert message["segments"] == preview[language]["segments"] == segment_count(message["body"])
    # the same length in GSM-7 fits one segment; in Arabic (UCS-2, 70 per segment) it takes two
    assert preview["en"]["segments"] == 1 and preview["ar"]["segments"] == 2
    print({lang: (b["encoding"], b["characters"], b["segments"]) for lang, b in preview.items()})
    with relay.database.sessions() as session:
        texts = session.scalars(select(BroadcastText).where(BroadcastText.broadcast_id == result["id"])).all()
    # Human texts need no approval, even for a Severe crisis.
    assert all(t.status == "ready" and t.engine is None for t in texts)


async def test_a_template_over_a_languages_budget_is_refused_naming_it(relay, tmp_path):
    refused = relay_cli(tmp_path, *add_args("too-long", 1))
    assert refused.returncode == 2
    assert "ar is 2 segments (UCS-2" in refused.stderr and "template too-long exceeds the budget of 1" in refused.stderr
    listed = json.loads(relay_cli(tmp_path, "templates", "list", "--json").stdout)
    assert listed == []
    bad = relay_cli(tmp_path, "templates", "add", "x", "--lang", "en", "--field", "shelter=10",
                    "--text", "en=Go to {shelter}", "--text", "es=Vaya al refugio")
    assert bad.returncode == 2 and "the es text misses {shelter}" in bad.stderr


async def test_a_machine_language_gets_the_fields_but_the_engine_never_sees_them(relay, tmp_path):
    """Spanish has no human text here: Apertium translates the template with its fields as placeholders."""
    from relay.delivery.translation_hooks import machine_translator

    if machine_translator(relay.settings, relay.database.sessions)("Open", "en", "es") is None:
        pytest.skip("no en->es engine on this machine (Apertium's eng-spa)")
    (tmp_path / "people.csv").write_text("phone,language\n+12025550001,es\n+12025550002,en\n")
    relay_cli(tmp_path, "subscribers", "import", "people.csv")
    added = relay_cli(tmp_path, "templates", "add", "water", "--lang", "en", "--field", "shelter=40",
                      "--field", "time=5", "--text", "en=Clean water is available at {shelter} from {time} today.")
    assert added.returncode == 0, added.stderr
    shelter = "Saint Anne school"
    sent = json.loads(relay_cli(tmp_path, "templates", "send", "water", "--value", f"shelter={shelter}",
                                "--value", "time=07:30", "--json").stdout)
    assert sent["languages"] == {"en": "original", "es": "machine"}
    relay.dispatcher.wake()
    messages = await wait_for(lambda: [m for m in sms_log(relay) if m["to"] == "+12025550001"])
    body = messages[0]["body"]
    assert shelter in body and "07:30" in body and "agua" in body.lower()
    with relay.database.sessions() as session:
        remembered = session.scalars(select(TranslationMemoryEntry.text)).all()
    assert remembered and all(shelter not in t and "Anne" not in t for t in remembered)
    assert any("ZQ0X" in t and "ZQ1X" in t for t in remembered)
