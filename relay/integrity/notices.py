"""The texts integrity adds to what people read: the warning line on a relayed message in the warn band,
and the line that introduces a correction. Human-written in en, es, fr, ht; GSM-7 only (no emoji), since
the warning travels by SMS too."""

from __future__ import annotations

from relay.inbound import replies

replies.register({
    "integrity_warning": {
        "en": "[Caution] Unverified message with signs of misinformation. Check before you share it.",
        "es": "[Cuidado] Mensaje no verificado con senales de desinformacion. Verifiquelo antes de compartirlo.",
        "fr": "[Attention] Message non verifie avec des signes de desinformation. Verifiez avant de le partager.",
        "ht": "[Atansyon] Mesaj sa a pa verifye e li gen siy fo enfomasyon. Verifye l anvan ou pataje l.",
    },
    "integrity_held": {
        "en": "Your message waits for moderators before it is passed on to the other rooms.",
        "es": "Su mensaje espera la revision de los moderadores antes de pasar a los otros grupos.",
        "fr": "Votre message attend les moderateurs avant d'etre transmis aux autres salons.",
        "ht": "Mesaj ou a ap tann moderate yo anvan li pase nan lot gwoup yo.",
    },
    "integrity_rate_limited": {
        "en": "Several of your messages were held for review: for now one message every {minutes} minutes "
              "is passed on; the others wait for moderators.",
        "es": "Varios de sus mensajes quedaron en revision: por ahora se reenvia un mensaje cada {minutes} "
              "minutos; los demas esperan a los moderadores.",
        "fr": "Plusieurs de vos messages sont en attente de verification : pour l'instant un message toutes les "
              "{minutes} minutes est transmis, les autres attendent les moderateurs.",
        "ht": "Plizye nan mesaj ou yo ap tann verifikasyon: pou kounye a se yon mesaj chak {minutes} minit ki "
              "pase; lot yo ap tann moderate yo.",
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


def held_text(language: str | None, reasons: tuple[str, ...] = (), minutes: float = 10) -> str:
    """What a bridge may tell the sender of a held message: never a silent ban."""
    if "sender_rate_limited" in reasons:
        return replies.reply("integrity_rate_limited", language, minutes=f"{minutes:g}")
    return replies.reply("integrity_held", language)


def warning_text(language: str | None) -> str:
    """The warning line in `language` (English where we have no human text): what a bridge prepends."""
    return replies.reply("integrity_warning", language)
