"""The texts integrity adds to what people read: the warning line on a relayed message in the warn band,
and the line that introduces a correction. Human-written in en, es, fr, ht; GSM-7 only (no emoji), since
the warning travels by SMS too."""

from __future__ import annotations

from relay import replies

replies.register({
    "integrity_warning": {
        "en": "[Caution] Unverified message with signs of misinformation. Check before you share it.",
        "es": "[Cuidado] Mensaje no verificado con senales de desinformacion. Verifiquelo antes de compartirlo.",
        "fr": "[Attention] Message non verifie avec des signes de desinformation. Verifiez avant de le partager.",
        "ht": "[Atansyon] Mesaj sa a pa verifye e li gen siy fo enfomasyon. Verifye l anvan ou pataje l.",
    },
    "correction_of_broadcast": {
        "en": "CORRECTION to our message of {when}:",
        "es": "CORRECCION a nuestro mensaje del {when}:",
        "fr": "CORRECTION de notre message du {when} :",
        "ht": "KOREKSYON pou mesaj nou te voye {when}:",
    },
    "correction_of_relayed": {
        "en": "CORRECTION: a message relayed to you on {when} was false.",
        "es": "CORRECCION: un mensaje que le reenviamos el {when} era falso.",
        "fr": "CORRECTION : un message qui vous a ete relaye le {when} etait faux.",
        "ht": "KOREKSYON: yon mesaj nou te voye ba ou {when} te fo.",
    },
    "correction_default": {
        "en": "Moderators checked it and found it false. Please do not forward it.",
        "es": "Los moderadores lo revisaron y es falso. Por favor no lo reenvie.",
        "fr": "Les moderateurs l'ont verifie : il est faux. Merci de ne pas le transferer.",
        "ht": "Moderate yo verifye l e li fo. Tanpri pa voye l bay lot moun.",
    },
})


def warning_text(language: str | None) -> str:
    """The warning line in `language` (English where we have no human text): what a bridge prepends."""
    return replies.reply("integrity_warning", language)
