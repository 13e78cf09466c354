"""The one placeholder format both engines keep intact.

`ZQ<n>X` is plain ASCII letters and digits: SentencePiece encodes it exactly, argos's decoder has no `_` to
turn into a space, and the Apertium backend wraps every match in an escaped `[...]` superblank, which its
pipeline passes through untouched. It is defined here, apart from `protect.py`, because the Apertium
backend needs to recognise it too.
"""

from __future__ import annotations

import re

PLACEHOLDER_RE = re.compile(r"ZQ(\d{1,4})X")


def placeholder(index: int) -> str:
    """The placeholder for the index-th protected span of a text."""
    return f"ZQ{index}X"
