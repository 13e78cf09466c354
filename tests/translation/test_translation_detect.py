"""Language detection on real crisis text, and refusal to guess on short or ambiguous text."""

from __future__ import annotations

import pytest

from translation.detect import detect
from translation.errors import UnknownLanguage

LANGUAGES = ["en", "es", "fr", "it", "pt", "tl"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Real tweets from CrisisLexT26 (tweet ids in comments; see tests/data/translation/README.md).
        ("vía @vicky_joseph: Privan de libertad a hombre en #Falcón por la muerte de su cónyuge. "
         "Le causó varias heridas con un arma blanca.", "es"),  # 239006365270548480
        ("L' #italia in queste ore ha un problema serio di cui nessuno parla, la #sardegna nell'oristanese "
         "è completamente sott'acqua. Tutto normale?", "it"),  # 402522179117387776
        ("RT @NandyAro24: Um parceiro foi na kiss pra ver, diz que houveram mortos, feridos e ainda tem uma "
         "gurizada presa dentro da boate, por fa ...", "pt"),  # 295415706579767296
        ("RT @LesNews: La moitié de la ville #LacMegantic détruite par les flammes via @radiocanada "
         "http://t.co/sFpKSc6DXp", "fr"),  # 353505273480097792
        ("RT @24_Oras: Sa Metro Manila, makararanas ng makulilim na langit at hanggang katamtamang pag-ulan "
         "hanggang sa Martes. #MaringPH", "tl"),  # 369037812986675200
        # A Sandy message from Mission 4636's data set (disaster_response_messages, id in README).
        ("We are in dire need food such as rice , pasta , baby food . We also need cleaning supplies", "en"),
    ],
)
def test_detects_real_sentences(text: str, language: str) -> None:
    result = detect(text, LANGUAGES)
    assert result.language == language and result.confidence >= 0.8


@pytest.mark.parametrize("text", ["ok", "asante sana", "STOP", "https://t.co/xyz #Sandy @fema 10:00", ""])
def test_short_texts_are_unknown(text: str) -> None:
    assert detect(text, LANGUAGES).language is None


def test_restricted_to_the_served_languages() -> None:
    text = "Fuerte explosión en la refinería, hay varios heridos"
    assert detect(text, ["en", "fr"]).language in (None, "en", "fr")
    assert detect(text, ["es"]).language is None  # nothing to choose between
    with pytest.raises(UnknownLanguage):
        detect(text, ["en", "qq"])
