"""Builds `claims.csv` and `messages.csv` (the labelled set of bench/misinfo_eval.py) from `written.json`
(written for this project) and rows of the real crisis messages in /work/shared/testdata/crisis-sms/.

Run once; its output is committed. Deterministic: the same inputs give the same files.

    python tests/data/misinfo/make_set.py /work/shared/testdata/crisis-sms
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _real(source_dir: Path) -> list[dict]:
    rng = random.Random(7)
    rows: list[dict] = []
    with (source_dir / "disaster_response_messages_direct.csv").open(encoding="utf-8") as handle:
        direct = list(csv.DictReader(handle))
    def pick(candidates, count, language, source, text_key):
        chosen = [r for r in candidates if 25 <= len(r[text_key]) <= 240]
        for row in sorted(rng.sample(chosen, count), key=lambda r: int(r["id"])):
            rows.append({"language": language, "text": " ".join(row[text_key].split()), "label": "",
                         "kind": "real", "source": source, "source_id": row["id"]})
    pick([r for r in direct if r["event"] == "haiti_earthquake"], 70, "ht", "mission4636", "original")
    pick([r for r in direct if r["event"] == "pakistan_floods"], 15, "ur", "pakistan2010", "original")
    pick([r for r in direct if r["event"] == "usa_sandy"], 40, "en", "sandy2012", "message")
    with (source_dir / "crisislex_t26_labeled_tweets_sample.csv").open(encoding="utf-8") as handle:
        tweets = list(csv.DictReader(handle))
    for language, count in (("en", 30), ("es", 30), ("fr", 20)):
        chosen = [t for t in tweets if t["lang_guess"] == language and float(t["lang_guess_prob"]) >= 0.95
                  and 25 <= len(t["tweet_text"]) <= 240]
        for tweet in sorted(rng.sample(chosen, count), key=lambda t: int(t["tweet_id"])):
            rows.append({"language": language, "text": " ".join(tweet["tweet_text"].split()), "label": "",
                         "kind": "real", "source": "crisislex", "source_id": tweet["tweet_id"]})
    return rows


def main(source_dir: Path) -> None:
    written = json.loads((HERE / "written.json").read_text(encoding="utf-8"))
    with (HERE / "claims.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "text", "language", "verdict", "correction"])
        for claim in written["claims"]:
            out.writerow([claim["id"], claim["text"], claim["language"], "false", claim["correction"]])
    rows = []
    for claim in written["claims"]:
        for variant in claim["variants"]:
            rows.append({"language": variant["language"], "text": variant["text"], "label": str(claim["id"]),
                         "kind": variant["kind"], "source": "written", "source_id": ""})
    for item in written["true_same_topic"]:
        rows.append({"language": item["language"], "text": item["text"], "label": "", "kind": "true_same_topic",
                     "source": "written", "source_id": f"topic {item['topic']}"})
    rows.extend(_real(source_dir))
    with (HERE / "messages.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, ["id", "language", "text", "label", "kind", "source", "source_id"])
        out.writeheader()
        for number, row in enumerate(rows, start=1):
            out.writerow({"id": number, **row})
    print(f"{len(written['claims'])} claims, {len(rows)} messages")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/testdata/crisis-sms"))
