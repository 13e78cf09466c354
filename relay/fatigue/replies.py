"""The replies to LESS, MORE, TZ and QUIET, human-written in the languages the keywords speak (kept to
one GSM-7 segment)."""

from __future__ import annotations

from relay.inbound import replies

REPLIES = {
    "fatigue_less": {
        "en": "You will get crisis alerts only, no webinars or notices. Reply MORE for everything again.",
        "es": "Solo recibira alertas de crisis, sin webinars ni avisos. Responda MAS para recibir todo.",
        "fr": "Vous ne recevrez que les alertes de crise. Repondez PLUS pour tout recevoir a nouveau.",
        "ht": "W ap resevwa alet kriz selman, pa gen webine ni avi. Reponn PLIS pou resevwa tout.",
    },
    "fatigue_more": {
        "en": "You will get crisis alerts, webinars and notices again. Reply LESS for crisis alerts only.",
        "es": "Recibira de nuevo alertas, webinars y avisos. Responda MENOS para solo alertas de crisis.",
        "fr": "Vous recevrez a nouveau alertes, webinaires et avis. Repondez MOINS pour les crises seules.",
        "ht": "W ap resevwa alet, webine ak avi anko. Reponn MWENS pou alet kriz selman.",
    },
    "fatigue_tz_set": {
        "en": "Your time zone is now {zone}.",
        "es": "Su zona horaria ahora es {zone}.",
        "fr": "Votre fuseau horaire est maintenant {zone}.",
        "ht": "Zon le ou kounye a se {zone}.",
    },
    "fatigue_tz_is": {
        "en": "Your time zone is {zone}. Send TZ and a zone to change it, e.g. TZ America/Port-au-Prince.",
        "es": "Su zona horaria es {zone}. Envie TZ y una zona para cambiarla, p. ej. TZ America/Mexico_City.",
        "fr": "Votre fuseau horaire est {zone}. Envoyez TZ et un fuseau, par ex. TZ Europe/Paris.",
        "ht": "Zon le ou se {zone}. Voye TZ ak yon zon pou chanje l, egzanp TZ America/Port-au-Prince.",
    },
    "fatigue_tz_unknown": {
        "en": "Unknown time zone {zone}. Send e.g. TZ America/Port-au-Prince or TZ Europe/Paris.",
        "es": "Zona horaria desconocida {zone}. Envie p. ej. TZ America/Mexico_City.",
        "fr": "Fuseau horaire inconnu {zone}. Envoyez par ex. TZ Europe/Paris.",
        "ht": "Zon le {zone} pa koni. Voye pa egzanp TZ America/Port-au-Prince.",
    },
    "fatigue_quiet_set": {
        "en": "Quiet hours {window} ({zone}): only urgent crisis alerts then.",
        "es": "Horas de silencio {window} ({zone}): solo alertas de crisis urgentes.",
        "fr": "Heures calmes {window} ({zone}) : seules les alertes de crise urgentes.",
        "ht": "Le silans {window} ({zone}): se alet kriz ijan selman.",
    },
    "fatigue_quiet_is": {
        "en": "Your quiet hours: {window} ({zone}). Send QUIET 22:00-07:00 or QUIET OFF to change.",
        "es": "Sus horas de silencio: {window} ({zone}). Envie QUIET 22:00-07:00 o QUIET OFF.",
        "fr": "Vos heures calmes : {window} ({zone}). Envoyez QUIET 22:00-07:00 ou QUIET OFF.",
        "ht": "Le silans ou: {window} ({zone}). Voye QUIET 22:00-07:00 oswa QUIET OFF.",
    },
    "fatigue_quiet_off": {
        "en": "Quiet hours are off: messages come at any hour.",
        "es": "Horas de silencio desactivadas: los mensajes llegan a cualquier hora.",
        "fr": "Heures calmes desactivees : les messages arrivent a toute heure.",
        "ht": "Le silans fini: mesaj ka vini nenpot le.",
    },
    "fatigue_quiet_bad": {
        "en": "Quiet hours {window} not understood. Send e.g. QUIET 22:00-07:00 or QUIET OFF.",
        "es": "No se entiende {window}. Envie p. ej. QUIET 22:00-07:00 o QUIET OFF.",
        "fr": "{window} non compris. Envoyez par ex. QUIET 22:00-07:00 ou QUIET OFF.",
        "ht": "Nou pa konprann {window}. Voye pa egzanp QUIET 22:00-07:00 oswa QUIET OFF.",
    },
}


def register_replies() -> None:
    replies.register_once(REPLIES)
