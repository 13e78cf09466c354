"""Regenerate `alerts_200.jsonl` from the shared crisis data (deterministic; see README.md here).

    python tests/data/translation/make_alerts.py /work/shared/testdata/crisis-sms
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import sys
from pathlib import Path

PHONES = ["+1 212-555-0100", "(718) 555-0199", "+92 21 111 222 333", "0300-1234567", "911", "+509 3456 7890"]
TIMES = ["10:00 am", "6 PM EST", "14:30", "9:15 p.m.", "07:00 UTC", "3pm"]
DATES = ["Oct 29, 2012", "2012-10-30", "10/31/2012", "29 October 2012", "Aug 12", "2010-08-14T06:00Z"]
URLS = ["https://www.ready.gov/hurricanes", "http://nyc.gov/oem", "www.ndma.gov.pk/floods", "fema.gov/sandy"]
EMAILS = ["help@redcross.org", "shelters@nyc.gov", "info@ndma.gov.pk"]
KEYWORDS = ["STOP", "JOIN", "HELP", "START", "LANG es", "ACK 4821", "VERIFY K7P-2QX", "VERIFY Q9R-4MZ"]
PLACES = ["Staten Island", "Rockaway", "Kachipul", "Kot Addu", "Hoboken", "Jacmel", "Brooklyn", "FEMA", "NDMA"]
UNITS = ["80 mph", "15 cm", "3.5 km", "20%", "$50", "2 ft", "Rs. 500", "30°C"]
SOCIAL = ["@NYCOEM", "@fema", "#Sandy", "#PakistanFloods", "#hurricane"]

TEMPLATES = [
    ("Call {phone} before {time} on {date}.", ("phone", "time", "date")),
    ("Details: {url} or write to {email}.", ("url", "email")),
    ("Reply {keyword} to confirm; shelter at {place}.", ("keyword", "place")),
    ("Winds of {unit} expected at {time}, follow {social}.", ("unit", "time", "social")),
    ("Text {keyword} to {phone} by {date}.", ("keyword", "phone", "date")),
    ("Evacuate {place} now, see {url}.", ("place", "url")),
    ("{social}: water rose {unit} near {place} at {time}.", ("social", "unit", "place", "time")),
    ("Send {keyword} to get updates from {place}.", ("keyword", "place")),
]


def base_sentences(data_dir: Path) -> list[tuple[str, str]]:
    """Real English text: Sandy and Pakistan messages (English column) and informative English tweets."""
    messages = list(csv.DictReader((data_dir / "disaster_response_messages_direct.csv").open(encoding="utf-8")))
    sandy = [(f"drm:{r['id']}", r["message"]) for r in messages if r["event"] == "usa_sandy"]
    pakistan = [(f"drm:{r['id']}", r["message"]) for r in messages if r["event"] == "pakistan_floods"]
    tweets = [
        (f"crisislex:{r['tweet_id']}", r["tweet_text"])
        for r in csv.DictReader((data_dir / "crisislex_t26_labeled_tweets_sample.csv").open(encoding="utf-8"))
        if r["lang_guess"] == "en"
        and float(r["lang_guess_prob"]) > 0.99
        and r["informativeness"] == "Related and informative"
    ]
    rng = random.Random(4636)
    picked = rng.sample(sandy, 80) + rng.sample(pakistan, 20) + rng.sample(tweets, 100)
    return [(origin, " ".join(text.split())[:240]) for origin, text in picked]


def main(data_dir: Path, out: Path) -> None:
    pools = {
        "phone": itertools.cycle(PHONES), "time": itertools.cycle(TIMES), "date": itertools.cycle(DATES),
        "url": itertools.cycle(URLS), "email": itertools.cycle(EMAILS), "keyword": itertools.cycle(KEYWORDS),
        "place": itertools.cycle(PLACES), "unit": itertools.cycle(UNITS), "social": itertools.cycle(SOCIAL),
    }
    lines = []
    for number, (origin, text) in enumerate(base_sentences(data_dir)):
        template, kinds = TEMPLATES[number % len(TEMPLATES)]
        values = {kind: next(pools[kind]) for kind in kinds}
        insert = template.format(**values)
        sentence = f"{insert} {text}" if number % 2 else f"{text.rstrip()} {insert}"
        lines.append(json.dumps({"origin": origin, "text": sentence, "inserted": list(values.values())},
                                ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).with_name("alerts_200.jsonl"))
