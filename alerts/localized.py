"""Messages that state a time, planned once per recipients' time zone (each zone's texts say the time
as people there read it), in every language we write by hand; the others go through the outbox's
machine translation or note, like any broadcast."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from sqlalchemy.orm import Session

from alerts.sending import Sender
from alerts.texts import HAND_WRITTEN
from relay import outbox
from relay import BroadcastRequest, PlannedBroadcast

# (language, time zone) -> the text, or None where we have no hand-written one in that language
Render = Callable[[str, str], "str | None"]


def plan_per_zone(sender: Sender, session: Session, base: BroadcastRequest, render: Render, *,
                  actor: str) -> list[PlannedBroadcast]:
    planned = []
    channels = sorted(sender.senders)
    for zone in outbox.audience_timezones(session, base, channels):
        request = replace(base, audience=replace(base.audience, timezones=(zone,)))
        languages = set(outbox.audience_languages(session, request, channels)) & set(HAND_WRITTEN)
        human = {lang: text for lang in languages | {base.source_language} if (text := render(lang, zone))}
        request = replace(request, body=human[base.source_language],
                          human_texts={k: v for k, v in human.items() if k != base.source_language})
        planned.append(sender.plan(session, request, actor=actor))
    return planned
