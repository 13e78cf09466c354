"""The quality gate on real sentences: real TICO-19 references pass, the ways engines break them fail,
with the real embedding model, py3langid and (for es) Apertium back-translation; the verdict round-trips
through JSON; thresholds come from the configuration per pair."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from translation.config import TranslationSettings
from translation.embeddings import load_embedder
from translation.gate import QualityGate, Verdict
from translation.gate_factory import GATE_EMBEDDER
from translation.gate_checks import longest_repeat, missing_tokens, numbers
from translation.gate_config import GateSettings, PairThresholds
from translation.protect import Protector

DATA = Path(__file__).resolve().parents[1] / "data" / "translation" / "tico19_gate_sample.tsv"


def sample() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    reverse = None
    if shutil.which("lt-proc") is not None:
        from translation.apertium import ApertiumTranslator

        reverse = ApertiumTranslator(Path("/usr/share/apertium/modes"))
    return QualityGate(GateSettings(), embedder=load_embedder(GATE_EMBEDDER), reverse=reverse)


def test_numbers_are_compared_by_value_not_spelling() -> None:
    assert numbers("58,000 kits, 30% on 15 March 2020 at 8:00") == numbers("58 000 kits, 30 % el 15 de marzo de 2020 a las 8:00")
    assert missing_tokens("Call 911 before 18:00.", "Llame al 911 antes de las 18:00.", Protector(), "es") == []
    assert missing_tokens("Call 911 before 18:00.", "Llame al 912 antes de las 18:00.", Protector(), "es") == ["911"]
    # A number the source has twice must come back twice: the second dose date cannot hide behind the first.
    assert missing_tokens("Dose 2 on day 2.", "Dosis 2 el día 3.", Protector(), "es") == ["2"]
    assert missing_tokens("See https://example.org/flood now", "Vea ahora", Protector(), "es") == ["https://example.org/flood"]


def test_a_number_written_with_the_target_languages_word_for_thousand_keeps_its_value() -> None:
    source = "Spain withdrew 58,000 kits; 1,500 people and 60,000 suits."
    assert missing_tokens(source, "A Espanha recolheu 58 mil kits; 1,5 mil pessoas e 60 mil roupas.", Protector(), "pt") == []
    assert missing_tokens(source, "Hispania iliondoa vifaa elfu 58; watu 1,500 na suti elfu 60.", Protector(), "sw") == []
    # The word must belong to the target language and stand with the number; a lost scale word is a lost number.
    assert missing_tokens(source, "A Espanha recolheu 58 kits; 1,5 mil pessoas e 60 mil roupas.", Protector(), "pt") == ["58000"]
    assert missing_tokens("About 5,000 people.", "Unas 5 millas de gente.", Protector(), "es") == ["5000"]


def test_repetition_counts_back_to_back_phrases() -> None:
    assert longest_repeat("move to higher ground now") == 1
    assert longest_repeat("move to higher ground ground ground ground") == 4
    assert longest_repeat("a b c a b c a b c") == 3


def test_real_references_pass_and_broken_ones_fail(gate: QualityGate) -> None:
    rows = sample()
    assert {row["language"] for row in rows} == {"es", "fr", "sw", "ar"}
    for language in sorted({row["language"] for row in rows}):
        mine = [row for row in rows if row["language"] == language]
        sources = [row["en"] for row in mine]
        references = [row["reference"] for row in mine]
        good = gate.check_many(sources, references, "en", language)
        assert [v.summary() for v in good] == ["pass"] * len(mine), language
        truncated = [" ".join(r.split()[: len(r.split()) // 2]) for r in references]
        changed = [r.replace("2", "7", 1) if "2" in r else r + " 7" for r in references]
        cases = [(sources, "copy"), (changed, "tokens")]
        # French: about a tenth of the dev split's fr references are not translations of their source,
        # which loosens the calibrated fr length and similarity bounds; half-sentences then get through
        # (bench/gate_eval.py reports the fr truncation catch rate). Asserted where calibration is sound.
        if language != "fr":
            cases.append((truncated, None))
        for broken, expected in cases:
            verdicts = gate.check_many(sources, broken, "en", language)
            assert all(not v.passed for v in verdicts), (language, [v.summary() for v in verdicts])
            if expected:
                assert all(expected in v.failed_checks for v in verdicts), language


def test_a_wrong_language_fails_on_language_and_back_translation_runs_for_spanish(gate: QualityGate) -> None:
    rows = {row["language"]: row for row in sample()}
    verdict = gate.check(rows["es"]["en"], rows["fr"]["reference"], "en", "es")
    assert "language" in verdict.failed_checks
    good = gate.check(rows["es"]["en"], rows["es"]["reference"], "en", "es")
    back = next(c for c in good.checks if c.name == "back_translation")
    if gate.reverse is not None:
        assert back.status == "passed" and back.value > 20
    else:
        assert back.status == "skipped" and "no es -> en engine" in back.detail


def test_the_verdict_round_trips_through_json_and_names_each_check(gate: QualityGate) -> None:
    verdict = gate.check("Move to higher ground now, call 911.", "Move to higher ground now, call 911.", "en", "es")
    again = Verdict.from_json(verdict.to_json())
    assert again == verdict
    assert [c.name for c in verdict.checks] == ["tokens", "language", "copy", "repetition", "length",
                                                "similarity", "back_translation"]
    assert verdict.verdict == "fail" and "copy" in verdict.failed_checks
    length = next(c for c in verdict.as_json()["checks"] if c["name"] == "length")
    assert isinstance(length["threshold"], list) and len(length["threshold"]) == 2


def test_without_a_model_the_similarity_check_is_skipped_not_passed() -> None:
    verdict = QualityGate(GateSettings(), embedder=None).check(
        "The water is rising.", "El agua está subiendo.", "en", "es")
    similarity = next(c for c in verdict.checks if c.name == "similarity")
    assert similarity.status == "skipped" and "no sentence-embedding model" in similarity.detail


def test_thresholds_resolve_per_pair_from_the_configuration() -> None:
    settings = TranslationSettings(gate={"pairs": {"en-es": {"min_length_ratio": 0.9}},
                                         "defaults": {"max_length_ratio": 5.0}})
    limits = settings.gate.thresholds("en", "es")
    assert limits.min_length_ratio == 0.9  # configured for the pair
    assert limits.min_similarity is not None  # from the calibrated table
    assert settings.gate.thresholds("en", "xx").max_length_ratio == 5.0  # configured default
    strict = QualityGate(GateSettings(pairs={"en-es": PairThresholds(min_length_ratio=3.0)}), embedder=None)
    assert "length" in strict.check("The water is rising.", "El agua está subiendo.", "en", "es").failed_checks
    with pytest.raises(ValueError, match="expected SOURCE-TARGET"):
        GateSettings(pairs={"spanish": PairThresholds()})
