"""The labelled sets `bench/misinfo_eval.py` scores the screening on, read into one shape: the claims a
moderator would have catalogued and the messages that arrive, each message marked with the claim it
re-tells (or None for a message that must not be flagged).

The real sets are the development parts in ../shared/testdata/misinfo/ (see its README for sources,
licences and caveats); the written 360-message set is tests/data/misinfo/.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "testdata" / "misinfo"
WRITTEN = ROOT / "tests" / "data" / "misinfo"
BODY_CHARS = 300  # a forwarded post: its headline and the start of its text, as a chat message shows it
MIN_WORDS = 5  # MediaEval: keep posts that state something (many are hashtags and a link)


@dataclass(frozen=True)
class Message:
    text: str
    language: str
    claim: str | None  # the claim text it re-tells; None: it must not be flagged
    kind: str = ""  # a label for the table (fake, real, true, unverified ...)


@dataclass
class LabelledSet:
    name: str
    claims: list[dict]  # rows for claims.import_claims: text, language, verdict
    messages: list[Message]
    notes: list[str] = field(default_factory=list)
    right_claim_only: bool = True  # a positive counts only when the claim it re-tells is the one named


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def written() -> LabelledSet:
    claims = _read(WRITTEN / "claims.csv")
    by_id = {row["id"]: row["text"] for row in claims}
    messages = [Message(r["text"], r["language"], by_id.get(r["label"]) if r["label"] else None, r["kind"])
                for r in _read(WRITTEN / "messages.csv")]
    rows = [{"text": r["text"], "language": r["language"], "verdict": r["verdict"], "correction": r["correction"]}
            for r in claims]
    return LabelledSet("written set (360 messages, tests/data)", rows, messages, right_claim_only=False)


def crossfake(part: str = "title") -> LabelledSet:
    """Fake English titles are the catalogue; each Chinese item is a message (its headline, or with
    part="body" the start of its body): a fake one must name its own claim, a real one (same topics,
    true) must not be flagged. Items whose English title is empty have no claim to name: left out."""
    rows = [r for r in _read(REAL / "crossfake.csv") if r["en_title"].strip()]
    claims = list(dict.fromkeys(r["en_title"].strip() for r in rows if r["label"] == "fake"))
    text = (lambda r: r["zh_title"].strip()) if part == "title" else (lambda r: r["zh_body"].strip()[:BODY_CHARS])
    messages = [Message(text(r), "zh", r["en_title"].strip() if r["label"] == "fake" else None, r["label"])
                for r in rows if text(r)]
    return LabelledSet(f"CrossFake en claims <- zh {part}s", [{"text": t, "language": "en", "verdict": "false"}
                                                              for t in claims], messages)


def crossfake_bodies() -> LabelledSet:
    return crossfake("body")


def covid() -> LabelledSet:
    """The news subset's false statements are the catalogue (one per duplicate group); the tweets are the
    messages: false ones should be caught where the catalogue covers them (no pairing exists, so any
    catalogued claim counts), true ones must not be flagged, unverified ones are counted apart."""
    rows = _read(REAL / "covid19_rumors.csv")
    seen: set[str] = set()
    claims = []
    for r in rows:
        if r["subset"] == "news" and r["label"] == "F" and r["dup_group"] not in seen and r["text"].strip():
            seen.add(r["dup_group"])
            claims.append({"text": r["text"].strip(), "language": "en", "verdict": "false"})
    messages = [Message(r["text"].strip(), "en", "*" if r["label"] == "F" else None,
                        {"F": "false", "T": "true", "U": "unverified"}[r["label"]])
                for r in rows if r["subset"] == "twitter" and r["text"].strip() and r["label"] != "U"]
    return LabelledSet("COVID-19 rumours (news F catalogue <- tweets F/T)", claims, messages,
                       right_claim_only=False)


def mediaeval(seed: int = 7, negatives: int = 1500) -> LabelledSet:
    """One canonical post per fake-image cluster (its first English post of MIN_WORDS words) is the claim;
    the cluster's posts in other languages must name it; posts of real images from the same events must
    not be flagged (a seeded sample of `negatives`)."""
    rows = [r for r in _read(REAL / "mediaeval_vmu.csv") if len(r["text"].split()) >= MIN_WORDS]
    canonical: dict[str, str] = {}
    for r in rows:
        if r["label"] == "fake" and r["language"] == "en" and r["claim_cluster_id"] not in canonical:
            canonical[r["claim_cluster_id"]] = r["text"].strip()
    positives = [Message(r["text"].strip(), r["language"], canonical[r["claim_cluster_id"]], "fake")
                 for r in rows if r["label"] == "fake" and r["language"] != "en" and r["claim_cluster_id"] in canonical]
    fake_events = {r["event"] for r in rows if r["claim_cluster_id"] in canonical}
    real = [r for r in rows if r["label"] == "real" and r["event"] in fake_events]
    random.Random(seed).shuffle(real)
    negative = [Message(r["text"].strip(), r["language"], None, "real") for r in real[:negatives]]
    claims = [{"text": t, "language": "en", "verdict": "false"} for t in canonical.values()]
    languages = Counter(m.language for m in positives)
    return LabelledSet("MediaEval fake-image clusters (en claim <- other languages)", claims, positives + negative,
                       [f"{len(claims)} clusters; positives by language {dict(languages.most_common(8))}"])
