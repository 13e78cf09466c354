"""The shipped triage model, applied without scikit-learn: TF-IDF (character 2-4 grams inside words, or
word 1-2 grams in models made with `--analyzer word`; sublinear tf, l2) followed by one logistic
regression per category, with a threshold per category chosen at training.

Why by hand: the relay then needs no scikit-learn at run time and no pickle (a pickle runs code when it
is loaded; this file is plain numbers anyone can read). The arithmetic is the few lines of
`TfidfVectorizer.transform` (its `char_wb` and word analyzers) and `LogisticRegression.predict_proba`; `tests/reports/test_triage_model.py`
checks that both give the same probabilities. It is explainable: `explain` lists the words that pushed a
report into a category.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from relay.reports.triage.categories import OTHER

SHIPPED = Path(__file__).with_name("haiti2010.json")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char_wb analyzer folds to one space


@dataclass(frozen=True)
class Triage:
    categories: tuple[str, ...]  # the categories given (at least one; `other` when nothing else fits)
    scores: dict[str, float]  # each category's probability


@dataclass(frozen=True)
class LinearModel:
    vocabulary: dict[str, int]
    idf: list[float]
    ngram_range: tuple[int, int]
    weights: dict[str, dict[int, float]]  # category -> feature index -> coefficient (zeros left out)
    intercepts: dict[str, float]
    thresholds: dict[str, float]
    meta: dict
    analyzer: str = "word"  # "char_wb" (the shipped model) or "word" (models written before it)

    @classmethod
    def load(cls, path: Path = SHIPPED) -> "LinearModel":
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = {cat: {int(i): float(w) for i, w in spec["weights"].items()} for cat, spec in data["categories"].items()}
        return cls(
            vocabulary=data["vocabulary"], idf=data["idf"], weights=weights, analyzer=data.get("analyzer", "word"),
            ngram_range=tuple(data.get("ngram_range", (1, data["ngram_max"]))),
            intercepts={cat: spec["intercept"] for cat, spec in data["categories"].items()},
            thresholds={cat: spec["threshold"] for cat, spec in data["categories"].items()},
            meta=data.get("meta", {}),
        )

    def grams(self, text: str) -> list[str]:
        """The terms of `text` as scikit-learn's analyzer of the same name makes them."""
        low, high = self.ngram_range
        text = text.lower()
        grams: list[str] = []
        if self.analyzer == "char_wb":
            for word in _SPACES.sub(" ", text).split():
                padded = f" {word} "
                for n in range(low, high + 1):
                    grams += [padded[i:i + n] for i in range(max(1, len(padded) - n + 1))]
                    if len(padded) <= n:  # a short word is counted once, as scikit-learn does
                        break
            return grams
        tokens = _TOKEN.findall(text)
        for n in range(low, high + 1):
            grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def features(self, text: str) -> dict[int, float]:
        grams = self.grams(text)
        counts = Counter(self.vocabulary[g] for g in grams if g in self.vocabulary)
        vector = {i: (1.0 + math.log(c)) * self.idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {i: v / norm for i, v in vector.items()} if norm else {}

    def scores(self, text: str) -> dict[str, float]:
        x = self.features(text)
        out = {}
        for category, weights in self.weights.items():
            z = self.intercepts[category] + sum(weights.get(i, 0.0) * v for i, v in x.items())
            out[category] = 1.0 / (1.0 + math.exp(-z))
        return out

    def triage(self, text: str) -> Triage:
        scores = self.scores(text)
        chosen = [c for c, p in scores.items() if c != OTHER and p >= self.thresholds[c]]
        return Triage(tuple(chosen) if chosen else (OTHER,), scores)

    def explain(self, text: str, category: str, top: int = 5) -> list[tuple[str, float]]:
        """The words of `text` that pushed it most towards `category` (word, contribution). For a model
        on character grams a word's contribution is the sum of its grams' shares, so a responder sees
        "dlo" rather than " dl"."""
        weights = self.weights[category]
        x = self.features(text)
        if self.analyzer != "char_wb":
            terms = {i: t for t, i in self.vocabulary.items()}
            parts = [(terms[i], weights.get(i, 0.0) * v) for i, v in x.items()]
        else:
            words = _SPACES.sub(" ", text.lower()).split()
            per_word = [[self.vocabulary[g] for g in self.grams(w) if g in self.vocabulary] for w in words]
            seen = Counter(i for indexes in per_word for i in indexes)
            totals: dict[str, float] = {}
            for word, indexes in zip(words, per_word):
                share = sum(weights.get(i, 0.0) * x[i] / seen[i] for i in indexes)
                totals[word] = totals.get(word, 0.0) + share
            parts = list(totals.items())
        parts.sort(key=lambda p: -p[1])
        return [(t, round(c, 3)) for t, c in parts[:top] if c > 0]


@lru_cache(maxsize=4)
def shipped(path: str | None = None) -> LinearModel:
    """The model, loaded once per process."""
    return LinearModel.load(Path(path) if path else SHIPPED)
