"""A webinar session as an iCalendar (RFC 5545) event, written by the `icalendar` library (line folding
and escaping are its job): `relay webinar ics SESSION` gives organisers a file to attach or publish."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from alerts.models import WebinarSeries, WebinarSession


def session_calendar(series: WebinarSeries, item: WebinarSession, *, now: datetime, domain: str = "relay") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//relay//alerts webinars//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if item.status == "cancelled" else "PUBLISH")
    event = Event()
    event.add("uid", f"webinar-{series.id}-{item.occurrence}@{domain}")
    event.add("dtstamp", now)
    event.add("dtstart", item.starts_at)
    event.add("dtend", item.starts_at + timedelta(minutes=series.duration_minutes))
    event.add("summary", series.topic)
    event.add("url", series.join_link)
    event.add("location", series.join_link)
    event.add("description", f"{series.topic}\n{series.join_link}")
    event.add("status", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
