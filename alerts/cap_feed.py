"""Polling an Atom or RSS feed of CAP alerts (`relay cap watch URL --every 60s`), the way public
alerting authorities publish them: each entry links to a CAP document (or carries one inline); new
alerts are imported, ones already imported are skipped, a bad entry is reported and the others go on.

Feeds and linked documents are untrusted: fetched over http(s) only (a `file:` link in a feed must not
read the relay's disk), size-capped while reading, parsed with defusedxml.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse
from xml.etree.ElementTree import ParseError, tostring

import defusedxml
import defusedxml.ElementTree as SafeET

from alerts.cap_parse import NS, CapError

ATOM = "{http://www.w3.org/2005/Atom}"
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")


class FeedError(CapError):
    """The feed itself cannot be read; the message says why."""


@dataclass
class FeedEntry:
    where: str  # the link, or "entry N" for an inline alert
    document: bytes | None = None  # an inline alert
    url: str | None = None


@dataclass
class PollResult:
    imported: list[tuple[str, int]] = field(default_factory=list)  # (where, broadcast id)
    skipped: list[str] = field(default_factory=list)  # already imported
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def fetch(url: str, max_bytes: int, timeout: float = 15.0) -> bytes:
    if urlparse(url).scheme not in ("http", "https"):
        raise FeedError(f"{url}: only http and https are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "relay-cap-watch", "Accept": ", ".join(CAP_TYPES)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            data = response.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(f"{url}: {exc}") from None
    if len(data) > max_bytes:
        raise FeedError(f"{url}: larger than {max_bytes} bytes; refused")
    return data


def entries(feed: bytes, base_url: str) -> list[FeedEntry]:
    try:
        root = SafeET.fromstring(feed, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DefusedXmlException, ParseError, ValueError) as exc:
        raise FeedError(f"{base_url}: not a readable feed ({exc})") from None
    found: list[FeedEntry] = []
    if root.tag == f"{ATOM}feed":
        for index, entry in enumerate(root.findall(f"{ATOM}entry"), start=1):
            inline = entry.find(f".//{{{NS}}}alert")
            if inline is not None:
                found.append(FeedEntry(f"entry {index}", document=tostring(inline)))
                continue
            links = entry.findall(f"{ATOM}link")
            chosen = next((l for l in links if l.get("type") == "application/cap+xml"), None) or \
                next((l for l in links if l.get("rel", "alternate") == "alternate"), None)
            if chosen is not None and chosen.get("href"):
                url = urljoin(base_url, chosen.get("href"))
                found.append(FeedEntry(url, url=url))
    elif root.tag == "rss":
        for item in root.iter("item"):
            link = item.findtext("link")
            if link:
                url = urljoin(base_url, link.strip())
                found.append(FeedEntry(url, url=url))
    else:
        raise FeedError(f"{base_url}: neither an Atom feed nor RSS (root element {root.tag})")
    return found


def poll(sender, feed_url: str, *, max_bytes: int, default_language: str, actor: str = "cap-watch") -> PollResult:
    """One look at the feed: import what is new. Each alert in its own transaction."""
    from alerts import cap
    from alerts.cap_parse import parse

    result = PollResult()
    for entry in entries(fetch(feed_url, max_bytes), feed_url):
        try:
            data = entry.document if entry.document is not None else fetch(entry.url or "", max_bytes)
            document = parse(data, max_bytes=max_bytes)
            with sender.sessions.begin() as session:
                imported = cap.import_alert(sender, session, document, default_language=default_language, actor=actor)
            result.imported.append((entry.where, imported.broadcast_id))
        except CapError as exc:
            if "already imported" in str(exc):
                result.skipped.append(entry.where)
            else:
                result.rejected.append((entry.where, str(exc)))
    return result
