"""Manipulation signs that do not depend on knowing the claim: pressure to forward, urgency, a claim to
be official without a valid code, link shorteners and unlisted domains.

The phrase lists are data (normalised: lower case, no accents) in the languages the relay replies in;
each sign adds a fixed weight to the score, so a message needs several of them, or a known claim, to be
held. The weights are deliberately small next to a claim match: "URGENT need water" is a real request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

FORWARD = (
    "forward to everyone", "forward this", "forward to all", "share with everyone", "share this", "share to all",
    "send this to", "pass it on", "pass this on", "tell everyone", "spread the word", "copy and paste",
    "send to all your contacts", "send it to everyone",
    "reenvia", "reenviar", "reenvien", "comparte", "compartan", "compartir con todos", "pasalo", "difunde",
    "difundan", "envia a todos", "envialo a todos", "manda a todos", "mandalo a todos",
    "faites suivre", "faire suivre", "partagez", "partager a tous", "transmettez", "faites circuler",
    "envoyez a tous", "envoyez le a tous",
    "pataje", "voye bay tout", "voye l bay", "voye li bay", "fe tout moun konnen", "pase mesaj la",
)
URGENCY = (
    "urgent", "urgently", "immediately", "right now", "before it is too late", "before its too late",
    "before they delete", "before it gets deleted", "act now", "dont wait", "do not wait", "hurry", "asap",
    "they dont want you to know", "they do not want you to know", "share before", "last chance",
    "urgente", "inmediatamente", "ahora mismo", "antes de que sea tarde", "antes de que lo borren", "no esperes",
    "lo estan ocultando", "no quieren que sepas",
    "immediatement", "tout de suite", "avant qu il ne soit trop tard", "avant qu il soit trop tard", "vite",
    "on vous cache", "ils ne veulent pas que vous sachiez",
    "ijan", "ijans", "touswit", "kounye a menm", "prese prese", "anvan li two ta",
)
OFFICIAL = (
    "official", "officially", "the government says", "government announced", "government confirms",
    "ministry of", "the authorities say", "authorities confirm", "red cross says", "un says", "who says",
    "oficial", "oficialmente", "el gobierno", "ministerio de", "las autoridades", "cruz roja dice",
    "officiel", "officielle", "officiellement", "le gouvernement", "ministere de", "les autorites",
    "ofisyel", "gouvenman an di", "gouvenman an", "leta di", "minis", "otorite yo",
)
SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "cutt.ly", "rb.gy", "shorturl.at",
    "tiny.cc", "rebrand.ly", "t.ly", "s.id", "v.gd", "lnkd.in", "bl.ink", "short.io", "tr.im", "x.co",
})
WEIGHTS = {
    "forward_to_everyone": 0.2,
    "urgency": 0.15,
    "official_without_code": 0.45,
    "link_shortener": 0.25,
    "unlisted_domain": 0.1,
    "burst": 0.3,
    "forged_code": 0.6,
    "altered_official_text": 0.6,
}

# Linear in the text ("--." * 3400 cost 0.3 s with the backtracking pattern): a bare host starts only at
# the beginning of a run of host characters (no "-" before it either), and each label is matched
# possessively; only the number of labels may step back (to leave the last one to the top-level domain,
# as in "example.com." at the end of a sentence), which stays within that one run.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]++|(?<![\w@.-])(?:[a-z0-9-]++\.)+[a-z]{2,}(?:/[^\s<>\"]*+)?",
                  re.IGNORECASE)


@dataclass(frozen=True)
class Sign:
    reason: str
    weight: float


def _has(normalised: str, phrases: tuple[str, ...]) -> bool:
    padded = f" {normalised} "
    return any(f" {phrase} " in padded for phrase in phrases)


def domains(text: str) -> list[str]:
    found = []
    for match in _URL.finditer(text):
        value = match.group(0)
        host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
        host = host.lower().removeprefix("www.")
        if "." in host and not host.replace(".", "").isdigit():
            found.append(host)
    return found


def _allowed(host: str, allowed: list[str]) -> bool:
    return any(host == a or host.endswith("." + a) for a in (d.lower().removeprefix("www.") for d in allowed))


def text_signs(raw: str, normalised: str, allowed_domains: list[str]) -> list[Sign]:
    """The signs visible in the text alone (the official-claim sign is decided with the codes)."""
    signs = []
    if _has(normalised, FORWARD):
        signs.append(Sign("forward_to_everyone", WEIGHTS["forward_to_everyone"]))
    if _has(normalised, URGENCY):
        signs.append(Sign("urgency", WEIGHTS["urgency"]))
    for host in dict.fromkeys(domains(raw)):  # each domain counts once
        if host in SHORTENERS:
            signs.append(Sign(f"link_shortener:{host}", WEIGHTS["link_shortener"]))
        elif allowed_domains and not _allowed(host, allowed_domains):
            signs.append(Sign(f"unlisted_domain:{host}", WEIGHTS["unlisted_domain"]))
    return signs


def claims_official(normalised: str) -> bool:
    return _has(normalised, OFFICIAL)
