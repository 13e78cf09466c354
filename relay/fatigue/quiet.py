"""Quiet hours: a daily window of local wall-clock time ("22:00-07:00", which may wrap midnight) in a
person's own IANA time zone, and the moment a message that falls inside it may go.

The end of the window is computed as wall-clock time in the zone and then converted (zoneinfo), so
07:00 stays 07:00 local across a daylight-saving change; an end that does not exist that night (a
spring-forward gap) resolves to the instant just after the gap, never earlier than `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

OFF = "off"
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


class FatigueError(ValueError):
    """A time zone, window or preference that cannot be accepted; the message says what is wrong."""


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # wraps midnight


def _clock(hours: str, minutes: str, text: str) -> time:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise FatigueError(f"quiet hours {text!r}: {hours}:{minutes} is not a time of day (00:00 to 23:59)")
    return time(h, m)


def parse_window(text: str | None) -> Window | None:
    """"22:00-07:00" -> a Window; "" or "off" -> None (no quiet hours)."""
    value = (text or "").strip()
    if not value or value.lower() == OFF:
        return None
    match = _WINDOW.match(value)
    if match is None:
        raise FatigueError(f"quiet hours {text!r}: write them as HH:MM-HH:MM, e.g. 22:00-07:00, or 'off'")
    window = Window(_clock(match[1], match[2], text), _clock(match[3], match[4], text))
    if window.start == window.end:
        raise FatigueError(f"quiet hours {text!r}: the start and the end are the same time")
    return window


_ZONES_FOLDED: dict[str, str] = {}


def check_zone(name: str) -> str:
    """An IANA zone name, matched without regard to case ("america/port-au-prince" is what people
    type on a phone), returned as IANA spells it."""
    value = (name or "").strip()
    if not _ZONES_FOLDED:
        _ZONES_FOLDED.update({zone.lower(): zone for zone in available_timezones()})
    found = _ZONES_FOLDED.get(value.lower())
    if found is None:
        try:
            ZoneInfo(value)
            found = value
        except (ZoneInfoNotFoundError, ValueError):
            raise FatigueError(f"time zone {name!r}: not an IANA time zone such as 'America/Port-au-Prince' "
                               "or 'Europe/Paris'") from None
    return found


def release_at(now: datetime, zone: str, window: Window | None) -> datetime | None:
    """When a message planned at `now` for a person in `zone` may go: None if not inside quiet hours."""
    if window is None:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if not window.contains(local.time().replace(tzinfo=None)):
        return None
    day = local.date()
    if window.start > window.end and local.time().replace(tzinfo=None) >= window.start:
        day += timedelta(days=1)
    end = datetime.combine(day, window.end, tzinfo=tz).astimezone(timezone.utc)
    # a wall-clock end inside a spring-forward gap: zoneinfo may place it before `now`; go at the gap's end
    return end if end > now else now + timedelta(minutes=1)
