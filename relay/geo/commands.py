"""LOC by SMS or chat (`LOC 18.54,-72.34`, `LOC Ouest`, `LOC SAME=006113`), and a location shared in a
Telegram chat (an `Inbound` with `location`), both stored as the person's location.

A point replaces the person's point; a region name replaces their geocodes with the region's (from
`[geo] regions`). `LOC` alone says what is stored.
"""

from __future__ import annotations

import re

from relay.core import subscribers
from relay.geo import locations
from relay.geo.area import GeoError, parse_point
from relay.geo.replies import register_replies
from relay.geo.settings import geo_settings
from relay.core.models import Endpoint
from relay.inbound.commands import CommandContext, NotMine, command, subscribed

LOC_WORDS = frozenset({"LOC", "LOCATION", "UBICACION", "POSITION", "POZISYON"})
POINT = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*,\s*[-+]?\d+(\.\d+)?\s*$")

register_replies()


def _endpoint(context: CommandContext) -> Endpoint | None:
    inbound = context.inbound
    if inbound.group:  # a location is a person's own: said in a group, it is the speaker's
        return subscribers.find_endpoint(context.session, inbound.channel, inbound.speaker)
    return context.endpoint


@command("loc", LOC_WORDS, max_words=4)
@subscribed(_endpoint)
def loc(context: CommandContext, endpoint: Endpoint) -> str:
    person = endpoint.subscriber
    said = " ".join(context.command.rest.split())
    if not said:
        return context.reply("geo_is", place=locations.describe(locations.read(context.session, person.id)))
    source = "chat" if context.inbound.channel != "sms" else "sms"
    if POINT.match(said):
        try:
            point = parse_point(said)
        except GeoError:
            return context.reply("geo_bad", said=said[:40])
        stored = locations.store(context.session, person.id, point=point, source=source, actor=context.actor)
    else:
        codes = geo_settings(context.settings).region(said)
        if codes is None:
            return context.reply("geo_bad", said=said[:40])
        stored = locations.store(context.session, person.id, codes=codes, source=source, actor=context.actor)
    return context.reply("geo_set", place=locations.describe(stored))


def shared_location(context: CommandContext):
    """Fallthrough handler: a location message (Telegram's paperclip > Location) sets the point."""
    point = getattr(context.inbound, "location", None)
    if point is None:
        return NotMine
    endpoint = _endpoint(context)
    if endpoint is None:
        return context.reply("not_subscribed")
    try:
        stored = locations.store(context.session, endpoint.subscriber_id, point=point, source="chat",
                                 actor=context.actor)
    except GeoError:
        return context.reply("geo_bad", said=f"{point[0]},{point[1]}"[:40])
    return context.reply("geo_set", place=locations.describe(stored))
