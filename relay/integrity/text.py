"""Text as the matcher sees it: normalised (case, accents, links, codes, punctuation gone), cut into
character shingles, hashed into a MinHash signature.

Character 4-grams of the normalised words, not whole words: rewordings, SMS spellings ("wata", "pa bwe")
and a machine translation that chose another inflection still share most of their 4-grams, where they
would share few whole words.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE = 4
# Linear in the text (a hostile 4,096-character "a-a-a-..." cost 0.3 s with the backtracking pattern): a
# bare domain may start only where no dotted word run is under way (the two look-behinds), and its parts
# are matched possessively, so every character is looked at a bounded number of times. "see...x.org/y"
# still loses its link: a start after two dots is allowed.
_URL = re.compile(r"(?:https?://|www\.)\S++|(?<![\w-])(?<![\w-]\.)[\w-]++(?:\.[\w-]++)++/\S*+", re.IGNORECASE)
_CODE = re.compile(r"\bverify\s*:?\s*[0-9a-z]{3}[\s-]?[0-9a-z]{3}\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
_UNDERSCORE = re.compile(r"_+")


def normalise(text: str) -> str:
    """Lower case, no accents, no links or verification codes, words separated by one space."""
    text = _CODE.sub(" ", _URL.sub(" ", text))
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_UNDERSCORE.sub(" ", _NON_WORD.sub(" ", stripped)).split())


def text_hash(language: str | None, normalised: str) -> str:
    return hashlib.sha256(f"{language or ''}\n{normalised}".encode("utf-8")).hexdigest()


# Function words of the pivot and of the relay's reply languages: shingles of "the", "de la", "nan" are in
# every message, so they would make every claim a candidate of every message and say nothing.
STOPWORDS = frozenset("""
a an and are as at be been but by do for from has have he her his i if in is it its me my no not of on
or our she so that the their them they this to up us was we were will with you your
al con de del el en es la las lo los por que se su un una y
au aux ce d dans de des du et il l le les leur ne pas pour qu que qui sur un une
ak an e ki la li m mwen nan nou ou pou se sou te y yo
""".split())


def content(normalised: str) -> str:
    """The normalised text without function words (what is shingled); the text itself if nothing is left."""
    kept = " ".join(word for word in normalised.split() if word not in STOPWORDS)
    return kept or normalised


def shingles(normalised: str) -> set[bytes]:
    padded = f" {content(normalised)} "
    if len(padded) <= SHINGLE:
        return {padded.encode("utf-8")}
    return {padded[i:i + SHINGLE].encode("utf-8") for i in range(len(padded) - SHINGLE + 1)}


def minhash(normalised: str, num_perm: int) -> MinHash:
    signature = _minhash(num_perm)
    signature.update_batch(list(shingles(normalised)))
    return signature


def to_bytes(signature: MinHash) -> bytes:
    return np.asarray(signature.hashvalues, dtype=np.uint64).tobytes()


# datasketch 2 hashes with a new scheme and refuses stored values unless told their scheme (without it
# every stored signature failed to load and every claim was rehashed at each process start, minutes at
# 100,000 claims). Values do not say which scheme made them: the index checks the first one it loads.
@functools.lru_cache(maxsize=1)
def scheme() -> str | None:
    return getattr(_datasketch_minhash()(num_perm=16), "scheme", None)


def _datasketch_minhash() -> type[MinHash]:
    """datasketch is imported on first use: it imports scipy (half a second here), and every CLI command
    loads this module through the feature list while only screening needs MinHash."""
    from datasketch import MinHash

    return MinHash


def from_bytes(data: bytes, num_perm: int) -> MinHash:
    values = np.frombuffer(data, dtype=np.uint64)
    if len(values) != num_perm:  # num_perm changed in the config: the caller rehashes
        raise ValueError(f"signature has {len(values)} permutations, not {num_perm}")
    return _minhash(num_perm, values)


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int):
    return _datasketch_minhash()(num_perm=num_perm).permutations


def _minhash(num_perm: int, values: np.ndarray | None = None) -> MinHash:
    """A MinHash sharing this process's permutation parameters: datasketch draws them anew (a seeded
    random generator) for every MinHash it makes, which was most of the cost of loading 100,000 claims."""
    made = _datasketch_minhash()
    if scheme() is None:  # datasketch 1.x: one scheme only
        return made(num_perm=num_perm, hashvalues=values, permutations=_permutations(num_perm))
    return made(num_perm=num_perm, hashvalues=values, permutations=_permutations(num_perm), scheme=scheme())
