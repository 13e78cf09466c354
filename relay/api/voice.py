"""Volunteers' recordings over HTTP: upload, list and remove one (`/api/broadcasts/{id}/audio/...`), and
the signed link Twilio fetches a call's `<Play>` from (`/media/voice/{id}/{lang}`).

Uploading needs what sending that broadcast needs (a coordinator, or a partner within their own regions
and topics). The body is the audio file itself (WAV or MP3, told by its bytes: relay/voice/audio.py),
bounded by `[voice] recording_max_mb` rather than the API's JSON limit (relay/api/app.py leaves this path
to this route). The media route takes no API token, since Twilio sends none: the link's own HMAC signature
and expiry (channels/voice_media.py) are its permission.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict
from typing import Annotated, get_type_hints

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import FileResponse
from pydantic import create_model
from starlette.concurrency import run_in_threadpool

from channels import voice_media
from relay.api.auth import Principal, allow, principal
from relay.api.common import PROBLEMS, Id, Relay, relay
from relay.core.cli_identity import broadcast_action
from relay.voice import store
from relay.voice.audio import AudioError
from relay.voice.store import RecordingError

log = logging.getLogger("relay.api.voice")
router = APIRouter(tags=["voice"], responses=PROBLEMS)
# The upload route reads (and bounds) its own body: relay/api/app.py's JSON body limit skips it.
UPLOAD_PATH = re.compile(r"^/api/broadcasts/[^/]+/audio/[^/]+/?$")
Language = Annotated[str, FastPath(pattern=r"^[a-z]{2,3}$", description="A language code: ht, fr, es...")]
AUDIO_BODY = {"requestBody": {"required": True, "description": "The recording itself: a WAV or MP3 file.",
                              "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                          for kind in ("audio/wav", "audio/mpeg", "application/octet-stream")}}}


# A recording as the API answers it: the fields of the store's `Shown` (what the CLI prints too), as the
# pydantic model FastAPI documents, under the API's own schema name.
RecordingOut = create_model("RecordingOut", **{name: (kind, ...) for name, kind in get_type_hints(store.Shown).items()})


def _problem(exc: AudioError | RecordingError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _may_change(r: Relay, who: Principal, broadcast_id: int) -> None:
    """As for sending it: a tier that may send nothing is refused before the broadcast is even looked up;
    then the broadcast's audience decides between `broadcast.own_audience` and `broadcast.everyone`."""
    allow(r.database, who, "broadcast.own_audience", f"broadcast:{broadcast_id}")
    with r.database.sessions() as session:
        try:
            audience = store.broadcast(session, broadcast_id).audience or {}
        except RecordingError as exc:
            raise _problem(exc) from None
    action = broadcast_action(who.operator(), tuple(audience.get("regions", ())), tuple(audience.get("topics", ())))
    allow(r.database, who, action, f"broadcast:{broadcast_id}")


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` (declared or streamed)."""
    too_large = HTTPException(413, f"the recording is larger than {limit:,} bytes ([voice] recording_max_mb)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


@router.post("/api/broadcasts/{broadcast_id}/audio/{language}", response_model=RecordingOut, status_code=201,
             responses={415: {"description": "Not a WAV or MP3 recording (the message says what it is)"}},
             openapi_extra=AUDIO_BODY)
async def upload(request: Request, broadcast_id: Id, language: Language, who: Principal = Depends(principal),
                 r: Relay = Depends(relay)) -> dict:
    """Store the recording calls of this broadcast in this language play instead of text-to-speech
    (replacing an earlier one). Calls not yet placed, and retries, play it; answered once it is on disk
    and in the database."""
    await run_in_threadpool(_may_change, r, who, broadcast_id)
    limit = store.max_bytes(r.settings)
    data = await _body(request, limit)
    try:
        shown = await run_in_threadpool(store.save, r.database.sessions, r.settings.data_dir, broadcast_id, language,
                                        data, limit=limit, actor=who.actor)
    except (AudioError, RecordingError) as exc:
        raise _problem(exc) from None
    return asdict(shown)


@router.get("/api/broadcasts/{broadcast_id}/audio", response_model=list[RecordingOut])
def recordings(broadcast_id: Id, who: Principal = Depends(principal), r: Relay = Depends(relay)) -> list[dict]:
    """The broadcast's recordings, one per language."""
    allow(r.database, who, "broadcast.view", f"broadcast:{broadcast_id}")
    with r.database.sessions() as session:
        try:
            return [asdict(s) for s in store.listing(session, broadcast_id)]
        except RecordingError as exc:
            raise _problem(exc) from None


@router.delete("/api/broadcasts/{broadcast_id}/audio/{language}", response_model=RecordingOut)
def remove(broadcast_id: Id, language: Language, who: Principal = Depends(principal),
           r: Relay = Depends(relay)) -> dict:
    """Remove a recording: calls not yet placed speak the text again, or fail over where no voice speaks
    the language."""
    _may_change(r, who, broadcast_id)
    try:
        return asdict(store.remove(r.database.sessions, r.settings.data_dir, broadcast_id, language, actor=who.actor))
    except RecordingError as exc:
        raise _problem(exc) from None


@router.get(voice_media.MEDIA_PREFIX + "/{broadcast_id}/{language}", include_in_schema=False)
def media(broadcast_id: str, language: str, expires: str | None = Query(None), sig: str | None = Query(None),
          r: Relay = Depends(relay)) -> FileResponse:
    """The file a call's <Play> fetches: 403 for a link not signed by this relay or past its time, 404 for
    a recording that is not (or no longer) there."""
    section = getattr(r.settings, store.VOICE_CHANNEL, None)
    try:
        path = voice_media.path(int(broadcast_id), language) if broadcast_id.isdigit() else ""
        voice_media.parse(path)
    except ValueError:
        raise HTTPException(404, "no such recording") from None
    if section is None:
        raise HTTPException(404, "voice calls are not configured")
    try:
        voice_media.check(section.auth_token.get_secret_value(), path, expires, sig, time.time())
    except voice_media.BadLink as exc:
        raise HTTPException(403, str(exc)) from None
    with r.database.sessions() as session:
        row = store.find(session, int(broadcast_id), language)
        found = (row.file_name, row.content_type) if row is not None else None
    if found is None:
        raise HTTPException(404, f"broadcast {broadcast_id} has no {language} recording")
    file = store.folder(r.settings.data_dir, int(broadcast_id)) / found[0]
    if not file.is_file():
        log.error("recording %s is in the database but not on disk (data_dir shared by every process?)", file)
        raise HTTPException(404, f"broadcast {broadcast_id}'s {language} recording is missing on this server")
    return FileResponse(file, media_type=found[1], headers={"Cache-Control": "private, max-age=300"})
