"""A call that plays a volunteer's recording, through the real voice adapter and the Twilio voice
simulator: the TwiML carries `<Play>` of a signed link; the simulator fetches it as Twilio does and logs
what it played (the file's SHA-256), and refuses the call when the file cannot be played (11200 HTTP
retrieval failure, 13325 Gather->Play: Invalid Content-Type), which the status callback reports."""

from __future__ import annotations

import asyncio
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from channels import voice_media
from channels.base import Outbound, PermanentError
from channels.sandbox.twilio_voice import Person, VoiceSimSettings, VoiceSimulator
from channels.voice import VoiceChannel
from channels.voice_settings import VoiceSettings
from tests.channels.voice.support import StandIn
from tests.sandbox.twilio_sim_support import FROM, SID, TOKEN
from tests.voice.audio_files import wav

CREOLE = "Alèt inondasyon: monte sou tè wo kounye a."
PEOPLE = {"+50937005001": 1, "+50937005002": 2, "+50937005003": 3, "+50937005004": 1, "+50937005005": 4}


@pytest.fixture
async def rig(tmp_path):
    stand_in = StandIn()
    url = await stand_in.start()
    sim = VoiceSimulator(VoiceSimSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM], calls_per_second=0,
                                          ring_ms=0), tmp_path)
    await sim.start()
    settings = VoiceSettings(account_sid=SID, auth_token=TOKEN, numbers=[FROM], calls_per_second=100,
                             api_base_url=sim.base_url, webhook_url=url)
    stand_in.settings = settings
    channel = VoiceChannel(settings)
    await channel.start()
    try:
        yield stand_in, sim, channel
    finally:
        await channel.stop()
        await sim.stop()
        await stand_in.stop()


def _ended(sim) -> dict[str, dict]:
    rows = [json.loads(line) for line in sim.jsonl_path.read_text().splitlines() if line.strip()]
    return {row["to"]: row for row in rows if row["event"] == "ended"}


async def test_recordings_are_played_and_calls_whose_play_fails_are_refused(rig):
    stand_in, sim, channel = rig
    recording = wav(1.0)
    stand_in.files = {"/media/voice/1/ht": (200, "audio/wav", recording),
                      "/media/voice/2/ht": (404, "text/plain", b"no such recording"),
                      "/media/voice/3/ht": (200, "text/html", b"<html>login</html>"),
                      "/media/voice/4/fr": (200, "audio/mpeg; charset=binary", recording)}
    sim.script("+50937005001", Person(outcomes=["answer"], digits=["9"]))  # hears it, presses 9, hears it again
    sim.script("+50937005004", Person(outcomes=["voicemail"]))
    receipts = {}
    for i, (to, broadcast) in enumerate(PEOPLE.items(), start=1):
        language = "fr" if broadcast == 4 else "ht"
        message = Outbound(delivery_id=i, sender=FROM, to=to, text=CREOLE, language=language,
                           audio=voice_media.path(broadcast, language))
        receipts[to] = (await channel.send(message)).provider_message_id

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(_ended(sim)) < len(PEOPLE) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    ended = _ended(sim)
    assert len(ended) == len(PEOPLE), ended
    digest = hashlib.sha256(recording).hexdigest()

    heard = ended["+50937005001"]
    assert heard["status"] == "completed" and heard["digits"] == ["9"]
    assert [(s["path"], s["sha256"], s["content_type"], s["in_gather"]) for s in heard["said"]] == [
        ("/media/voice/1/ht", digest, "audio/wav", True)] * 2  # no Say: no voice speaks Creole, none other is used
    query = parse_qs(urlsplit(heard["said"][0]["play"]).query)  # a link signed with the account's token
    voice_media.check(TOKEN, "/media/voice/1/ht", query["expires"][0], query["sig"][0], now=0)

    machine = ended["+50937005004"]
    assert machine["status"] == "completed" and machine["answered_by"] == "machine_end_beep"
    assert [(s["sha256"], s["in_gather"]) for s in machine["said"]] == [(digest, False)]

    missing, not_audio = ended["+50937005002"], ended["+50937005003"]
    assert (missing["status"], missing["error_code"]) == ("failed", 11200)
    assert (not_audio["status"], not_audio["error_code"]) == ("failed", 13325)
    assert sim.stats["plays_refused"] == 2 and sim.stats["plays_fetched"] == 3 + 1

    # French has a voice: the recording is played and the prompts around it are said in French.
    french = ended["+50937005005"]
    assert french["status"] == "completed" and french["said"][0]["sha256"] == digest
    assert [s["language"] for s in french["said"][1:]] == ["fr-FR"] and "Appuyez sur 9" in french["said"][1]["text"]

    # The relay hears the failures in the status callbacks, with Twilio's error codes.
    final = {u.provider_message_id: u for u in stand_in.statuses if u.status in ("failed", "delivered", "voicemail")}
    assert (final[receipts["+50937005002"]].status, final[receipts["+50937005002"]].error_code) == ("failed", "11200")
    assert final[receipts["+50937005003"]].error_code == "13325"
    assert final[receipts["+50937005001"]].status == "delivered"
    assert final[receipts["+50937005004"]].status == "voicemail"


async def test_no_voice_and_no_recording_is_not_called(rig):
    _, sim, channel = rig
    with pytest.raises(PermanentError) as refused:
        await channel.send(Outbound(delivery_id=9, sender=FROM, to="+50937005009", text=CREOLE, language="ht"))
    assert refused.value.code == "voice-language" and "no recording" in str(refused.value)
    with pytest.raises(PermanentError) as bad:
        await channel.send(Outbound(delivery_id=9, sender=FROM, to="+50937005009", text=CREOLE, language="ht",
                                    audio="/etc/passwd"))
    assert bad.value.code == "voice-audio"
    assert sim.stats["accepted"] == 0
