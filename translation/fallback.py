"""The one-line note sent with the original when no engine and no human text exist: never silence.

Written by the project team, not by professional translators: a native speaker should review each line
before a real deployment (add a language here only with a text you can stand behind).
"""

from __future__ import annotations

NOTES: dict[str, str] = {
    "en": "This alert could not be translated into your language; the original follows.",
    "es": "No se pudo traducir esta alerta a su idioma; a continuación, el texto original.",
    "fr": "Cette alerte n'a pas pu être traduite dans votre langue ; voici le texte original.",
    "pt": "Não foi possível traduzir este alerta para o seu idioma; segue o texto original.",
    "it": "Non è stato possibile tradurre questo avviso nella tua lingua; segue il testo originale.",
    "de": "Diese Warnung konnte nicht in Ihre Sprache übersetzt werden; es folgt der Originaltext.",
    "nl": "Deze waarschuwing kon niet in uw taal worden vertaald; hieronder volgt de oorspronkelijke tekst.",
    "ht": "Nou pa t kapab tradui alèt sa a nan lang ou; men tèks orijinal la.",
    "sw": "Tahadhari hii haikuweza kutafsiriwa kwa lugha yako; ujumbe asilia unafuata.",
    "ar": "تعذّرت ترجمة هذا التنبيه إلى لغتك؛ وفيما يلي النص الأصلي.",
    "ru": "Не удалось перевести это оповещение на ваш язык; ниже приводится исходный текст.",
    "tl": "Hindi maisalin ang alertong ito sa iyong wika; narito ang orihinal na mensahe.",
    "id": "Peringatan ini tidak dapat diterjemahkan ke bahasa Anda; berikut teks aslinya.",
    "tr": "Bu uyarı dilinize çevrilemedi; orijinal metin aşağıdadır.",
    "pl": "Nie udało się przetłumaczyć tego ostrzeżenia na Twój język; poniżej tekst oryginalny.",
    "sv": "Varningen kunde inte översättas till ditt språk; originaltexten följer.",
    "zh": "此警报无法翻译成您的语言；以下为原文。",
}


def untranslated_note(language: str) -> str | None:
    """The note in `language` (ISO 639-1), or None when we have none; the relay then sends the original."""
    return NOTES.get(language.strip().lower()) if isinstance(language, str) else None
