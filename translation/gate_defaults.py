"""Gate thresholds calibrated per pair on the TICO-19 dev split as a whole (bench/gate_calibrate.py).

Rule, the same for every pair (never tuned to single sentences): lower bounds at the 0.5th percentile of
the 1,000 professional references, upper bounds at the 99.75th, similarity at the 1st. Regenerate with
`python bench/gate_calibrate.py --write` after a model or rule change.
"""

from __future__ import annotations

from translation.gate_config import PairThresholds

CALIBRATED: dict[str, PairThresholds] = {
    "en-es": PairThresholds(min_length_ratio=0.67, max_length_ratio=1.85, min_language_probability=0.447, max_copy_chrf=56.18, min_similarity=0.886, min_back_chrf=21.03),
    "en-fr": PairThresholds(min_length_ratio=0.8, max_length_ratio=1.8, min_language_probability=0.898, max_copy_chrf=67.55, min_similarity=0.884, min_back_chrf=16.16),
    "en-pt": PairThresholds(min_length_ratio=0.7, max_length_ratio=1.55, min_language_probability=0.382, max_copy_chrf=64.03, min_similarity=0.847, min_back_chrf=20.52),
    "en-ar": PairThresholds(min_length_ratio=0.55, max_length_ratio=1.71, min_language_probability=0.992, max_copy_chrf=27.84, min_similarity=0.858),
    "en-sw": PairThresholds(min_length_ratio=0.69, max_length_ratio=1.81, min_language_probability=0.915, max_copy_chrf=51.34, min_similarity=0.838),
    "en-so": PairThresholds(min_length_ratio=0.35, max_length_ratio=3.05, min_language_probability=0.992, max_copy_chrf=47.79, min_similarity=0.772),
    "en-ha": PairThresholds(min_length_ratio=0.58, max_length_ratio=1.67, min_language_probability=0.752, max_copy_chrf=72.3, min_similarity=0.8),
}
