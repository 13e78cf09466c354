"""A volunteer's recording over HTTP on a live relay: uploaded (WAV and MP3 by their bytes, a clear 4xx for
anything else, too large, an unknown broadcast, a tier that may not send it), listed and removed; then the
signed link Twilio's <Play> fetches it through: good, tampered, expired, unsigned, unknown."""

from __future__ import annotations

import hashlib
import time


from channels import voice_media
from channels.voice_twiml import play_url
from tests.voice.audio_files import mp3, wav

AUDIO = {"content-type": "audio/wav"}


def _broadcast(live, regions: list[str] | None = None) -> int:
    body = {"kind": "notice", "body": "Water distribution at the school at 3 pm.",
            "audience": {"regions": regions or []}}
    with live.client("coordinator") as c:
        created = c.post("/api/broadcasts", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_upload_list_and_remove_by_api(live_any):
    live = live_any
    everyone, north = _broadcast(live), _broadcast(live, ["north"])
    recording = wav(1.5)
    with live.client("coordinator") as c:
        stored = c.post(f"/api/broadcasts/{everyone}/audio/ht", content=recording, headers=AUDIO)
        assert stored.status_code == 201, stored.text
        shown = stored.json()
        assert (shown["language"], shown["format"], shown["content_type"], shown["seconds"]) == ("ht", "wav", "audio/wav", 1.5)
        assert shown["sha256"] == hashlib.sha256(recording).hexdigest() and shown["uploaded_by"].startswith("subscriber:")
        on_disk = list((live.program.settings.data_dir / "voice" / str(everyone)).glob("ht-*.wav"))
        assert [f.read_bytes() for f in on_disk] == [recording]

        # Re-recorded as MP3: replaces the WAV, in the database and on disk.
        again = c.post(f"/api/broadcasts/{everyone}/audio/ht", content=mp3(), headers={"content-type": "audio/mpeg"})
        assert again.status_code == 201 and again.json()["format"] == "mp3"
        assert [f.suffix for f in (live.program.settings.data_dir / "voice" / str(everyone)).iterdir()] == [".mp3"]

        # Wrong type: named, whatever the client claims it is.
        text = c.post(f"/api/broadcasts/{everyone}/audio/fr", content=b"Bonjour, ceci n'est pas un son.", headers=AUDIO)
        assert text.status_code == 415 and "not a WAV or MP3" in text.json()["detail"]
        m4a = c.post(f"/api/broadcasts/{everyone}/audio/fr", content=b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 64,
                     headers=AUDIO)
        assert m4a.status_code == 415 and "M4A" in m4a.json()["detail"]
        broken = c.post(f"/api/broadcasts/{everyone}/audio/fr", content=recording[:30], headers=AUDIO)
        assert broken.status_code == 415 and "cannot be read as one" in broken.json()["detail"]

        # Too large: [voice] recording_max_mb (5 MB by default), past the API's 1 MB JSON limit otherwise.
        big = c.post(f"/api/broadcasts/{everyone}/audio/fr", content=recording + b"\x00" * 5_000_000, headers=AUDIO)
        assert big.status_code == 413 and "recording_max_mb" in big.json()["detail"]
        assert c.post(f"/api/broadcasts/{everyone}/audio/fr", content=wav(20), headers=AUDIO).status_code == 201  # 320 kB

        unknown = c.post("/api/broadcasts/999999/audio/ht", content=recording, headers=AUDIO)
        assert unknown.status_code == 404 and "no broadcast 999999" in unknown.json()["detail"]
        assert c.post(f"/api/broadcasts/{everyone}/audio/kreyol", content=recording, headers=AUDIO).status_code == 422

        listed = c.get(f"/api/broadcasts/{everyone}/audio").json()
        assert [(r["language"], r["format"]) for r in listed] == [("fr", "wav"), ("ht", "mp3")]

    # As for sending: a partner only within their own regions, an observer not at all.
    with live.client("partner") as c:
        refused = c.post(f"/api/broadcasts/{everyone}/audio/es", content=recording, headers=AUDIO)
        assert refused.status_code == 403 and "broadcast.everyone" in refused.json()["detail"]
        assert c.post(f"/api/broadcasts/{north}/audio/es", content=recording, headers=AUDIO).status_code == 201
    with live.client("observer") as c:
        refused = c.post(f"/api/broadcasts/{north}/audio/es", content=recording, headers=AUDIO)
        assert refused.status_code == 403 and "broadcast.own_audience" in refused.json()["detail"]
        assert c.delete(f"/api/broadcasts/{north}/audio/es").status_code == 403
    with live.client() as c:
        assert c.post(f"/api/broadcasts/{north}/audio/es", content=recording, headers=AUDIO).status_code == 401

    with live.client("coordinator") as c:
        removed = c.delete(f"/api/broadcasts/{everyone}/audio/fr")
        assert removed.status_code == 200 and removed.json()["language"] == "fr"
        assert c.delete(f"/api/broadcasts/{everyone}/audio/fr").status_code == 404
        assert [r["language"] for r in c.get(f"/api/broadcasts/{everyone}/audio").json()] == ["ht"]
    assert not list((live.program.settings.data_dir / "voice" / str(everyone)).glob("fr-*"))


def test_the_signed_link_twilio_fetches(live):
    broadcast = _broadcast(live)
    recording = wav(1.0, pitch=330.0)
    with live.client("coordinator") as c:
        assert c.post(f"/api/broadcasts/{broadcast}/audio/ht", content=recording, headers=AUDIO).status_code == 201
    voice = live.program.settings.voice
    path = voice_media.path(broadcast, "ht")
    good = play_url(voice, path)  # what the TwiML's <Play> carries
    assert good.startswith(f"{live.url}{path}?expires=")
    with live.client() as c:  # Twilio sends no token
        fetched = c.get(good)
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "audio/wav"
        assert fetched.content == recording

        tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
        assert c.get(tampered).status_code == 403
        other_language = good.replace(f"/{broadcast}/ht?", f"/{broadcast}/fr?")  # a signature is for its path only
        assert c.get(other_language).status_code == 403
        later = good.replace("expires=", "expires=9")  # a longer life is another signature
        assert c.get(later).status_code == 403
        expired = play_url(voice, path, now=time.time() - voice.recording_link_seconds - 5)
        refused = c.get(expired)
        assert refused.status_code == 403 and "expired" in refused.json()["detail"]
        assert c.get(f"{live.url}{path}").status_code == 403  # unsigned

        other = _broadcast(live)
        assert c.get(play_url(voice, voice_media.path(other, "ht"))).status_code == 404  # signed, no recording
        assert c.get(f"{live.url}/media/voice/{broadcast}/HT?expires=1&sig=x").status_code == 404  # no such path

    # Removed: the link (still within its time) finds nothing.
    with live.client("coordinator") as c:
        assert c.delete(f"/api/broadcasts/{broadcast}/audio/ht").status_code == 200
    with live.client() as c:
        assert c.get(good).status_code == 404
