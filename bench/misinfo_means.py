"""Makes `relay/integrity/language_means.json`: the mean e5 vector of ordinary Chinese and English text, for
the language shift of relay/integrity/language_means.py.

The text is CrossFake's article *bodies* (the first 300 characters, as a chat shows a forwarded post),
Chinese and English, fake and real alike: comparable text on the same topics in the two languages, so
that what the two means differ by is mostly the language. No label is read, and the bench's messages are
the Chinese *headlines*, which the means never see. `bench/misinfo_halves.py` makes the same means from
one half of the claim clusters only, to score the other half honestly.

    PYTHONPATH=$PWD .venv/bin/python bench/misinfo_means.py [--out relay/integrity/language_means.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/translation.py must not shadow translation/

import misinfo_sets  # noqa: E402

from relay.integrity import language_means  # noqa: E402
from relay.integrity.embedding_cache import embed_cached  # noqa: E402
from translation.embeddings import SentenceEmbedder  # noqa: E402

BODY_CHARS = misinfo_sets.BODY_CHARS


def crossfake_rows() -> list[dict[str, str]]:
    """The rows misinfo_sets.crossfake() keeps (an English title and a Chinese headline)."""
    return [r for r in misinfo_sets._read(misinfo_sets.REAL / "crossfake.csv")
            if r["en_title"].strip() and r["zh_title"].strip()]


def means_of(model: SentenceEmbedder, rows: list[dict[str, str]], cache: Path | None) -> language_means.LanguageMeans:
    """zh and en means from the bodies of `rows` (empty bodies left out), as the relay embeds a message."""
    texts = {"zh": [r["zh_body"].strip()[:BODY_CHARS] for r in rows if r["zh_body"].strip()],
             "en": [r["en_body"].strip()[:BODY_CHARS] for r in rows if r["en_body"].strip()]}
    vectors = {lang: embed_cached(model, items, "query", cache) for lang, items in texts.items()}
    return language_means.build(vectors, model.model_id,
                                {"source": "CrossFake article bodies (first 300 characters), zh and en, no labels",
                                 "made_by": "bench/misinfo_means.py"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=language_means.SHIPPED)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "misinfo-bench")
    options = parser.parse_args()
    import misinfo_eval as me

    model = me.vectors_of.embedder(me.settings_for(Path("/tmp")).integrity)
    made = means_of(model, crossfake_rows(), options.cache)
    options.out.write_text(json.dumps(made.to_json()) + "\n", encoding="utf-8")
    print(f"wrote {options.out}: {made.meta['texts']} texts, model {made.model_id}")


if __name__ == "__main__":
    main()
