"""Translation settings: one typed, documented block, embedded by the relay as `Settings.translation`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from translation.errors import UnknownLanguage
from translation.gate_config import GateSettings
from translation.languages import normalize
from translation.protect import DEFAULT_KEYWORDS

EngineName = Literal["apertium", "argos", "nllb"]


def _code(value: str) -> str:
    try:
        return normalize(value)
    except UnknownLanguage as exc:
        raise ValueError(str(exc)) from exc


class NllbSettings(BaseModel):
    """`[translation.nllb]`: an NLLB-200 model converted for CTranslate2 (`ct2-transformers-converter`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_dir: Path | None = Field(
        default=None,
        description="CTranslate2 model directory (model.bin, config.json, shared_vocabulary.json and the "
        "SentencePiece model sentencepiece.bpe.model copied beside them). None turns the engine off.",
    )
    tokenizer: Path | None = Field(
        default=None,
        description="SentencePiece model; None looks for sentencepiece.bpe.model, then sentencepiece.model, "
        "inside model_dir.",
    )
    device: Literal["cpu", "cuda", "auto"] = Field(
        default="cpu", description="Where CTranslate2 runs: cpu, cuda, or auto (cuda when a GPU is visible)."
    )
    compute_type: str = Field(
        default="default",
        description="CTranslate2 compute type: default (as converted, e.g. int8), int8, int8_float32, "
        "int8_float16, float16, bfloat16, float32.",
    )
    beam_size: int = Field(default=4, ge=1, le=16, description="Beam width; 1 is greedy decoding (fastest).")
    max_batch: int = Field(default=16, ge=1, description="Sentences per CTranslate2 batch.")
    inter_threads: int = Field(default=1, ge=1, description="Batches CTranslate2 may run in parallel.")
    intra_threads: int = Field(
        default=1,
        ge=0,
        description="Threads per batch; 0 lets CTranslate2 use one per core. 1 by default: on a small or "
        "shared machine more threads spin against each other (measured here: 2 threads on 2 busy cores "
        "were 20x slower than 1); raise it on a dedicated server.",
    )
    max_length_ratio: float = Field(
        default=2.0,
        gt=0,
        description="Output length bound: at most ratio x input tokens + max_length_extra tokens per "
        "sentence, so a model that loops can never produce a runaway text.",
    )
    max_length_extra: int = Field(default=10, ge=0, description="Tokens added to the length bound (short inputs).")
    max_input_tokens: int = Field(
        default=512, ge=8, description="Longer sentences are truncated by CTranslate2 (NLLB was trained on 512)."
    )


class TranslationSettings(BaseModel):
    """Which engines translate, where their data lives, and the rules for crisis broadcasts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engines: list[EngineName] = Field(
        default_factory=lambda: ["apertium", "argos"],
        description="Engine preference order: per language pair the first engine that serves it is used "
        "(unless ranking_file orders that pair). Apertium (rule-based, fast, deterministic) first by default; "
        "argos covers the other pairs; add \"nllb\" (and [translation.nllb] model_dir) for 200 languages.",
    )
    nllb: NllbSettings = Field(default_factory=NllbSettings, description="The NLLB-200 engine (CTranslate2).")
    pivot_languages: list[str] = Field(
        default_factory=lambda: ["en", "es"],
        description="Where no engine serves a pair directly, translate through the first of these that "
        "engines serve both ways (en->es->fr with Apertium). Empty turns pivots off.",
    )
    ranking_file: Path | None = Field(
        default=None,
        description="JSON file written by `relay translation rank`: per pair, the engines in order of "
        "measured chrF. A ranked pair uses that order; other pairs keep the engines order.",
    )
    argos_package_dir: Path | None = Field(
        default=None,
        description="Directory of installed argos packages. None uses argos's default "
        "(~/.local/share/argos-translate/packages). Fixed for the life of the process (argos reads it once).",
    )
    argos_index_url: str | None = Field(
        default=None,
        description="Base URL of argos's package index (argos's own ARGOS_PACKAGE_INDEX; index.json is read "
        "under it) for `relay translation available|install en:fr`. None: argos's setting, else its default "
        "(the argospm-index on GitHub). A mirror on the local network works the same.",
    )
    apertium_modes_dir: Path = Field(
        default=Path("/usr/share/apertium/modes"),
        description="Where Apertium pair modes (eng-spa.mode...) are installed; Debian's location by default.",
    )
    apertium_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a running Apertium pipeline may take to answer before it is killed and the "
        "translation fails with a ModelError (a guard against a hung process, not a performance target).",
    )
    glossary_dir: Path = Field(
        default=Path("config/glossary"),
        description="Directory of glossary TOML files: place and organisation names kept as they are, or "
        "forced to a given translation per language. A missing directory means an empty glossary.",
    )
    source_language: str = Field(
        default="en",
        description="Language broadcasts are written in unless the coordinator says otherwise (ISO 639-1).",
    )
    languages: list[str] = Field(
        default_factory=lambda: ["en", "es"],
        description="Languages the relay serves (ISO 639-1): the targets of broadcasts and the candidates "
        "for detecting the language of inbound text.",
    )
    require_approval: list[str] = Field(
        default_factory=list,
        description="Languages whose machine translation of a severe or extreme crisis broadcast must be "
        "approved (or replaced) by a human translator before it is sent.",
    )
    send_original_while_pending: bool = Field(
        default=True,
        description="While a required approval is pending, send the original text at once (with the "
        "untranslated note) instead of holding the alert; the approved text follows.",
    )
    keywords: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KEYWORDS),
        description="Uppercase keyword commands (STOP, JOIN, VERIFY...) that are never translated, with "
        "their codes (VERIFY K7P-2QX, ACK 4821).",
    )
    phone_region: str = Field(
        default="US",
        min_length=2,
        max_length=2,
        description="Region (ISO 3166-1 alpha-2) used to recognise national phone numbers such as "
        "(212) 555-0100 so they are protected as one token.",
    )
    detect_min_words: int = Field(
        default=3, ge=1, description="Inbound texts with fewer words than this are of unknown language."
    )
    detect_min_confidence: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Below this detection confidence (0-1) an inbound text's language counts as unknown.",
    )

    gate: GateSettings = Field(
        default_factory=GateSettings,
        description="[translation.gate]: the quality gate every machine text passes before it is sent.",
    )

    @field_validator("source_language")
    @classmethod
    def _source(cls, value: str) -> str:
        return _code(value)

    @field_validator("languages", "require_approval", "pivot_languages")
    @classmethod
    def _codes(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(_code(v) for v in values))

    @field_validator("engines")
    @classmethod
    def _engines(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError(f"engines lists an engine twice: {values}")
        return values

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return value.upper()
