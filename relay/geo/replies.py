"""The replies to LOC and to a shared location, human-written in the languages the replies speak."""

from __future__ import annotations

from relay.inbound import replies

REPLIES = {
    "geo_set": {
        "en": "Your location is now {place}. Alerts for that area will reach you.",
        "es": "Su ubicacion ahora es {place}. Recibira las alertas de esa zona.",
        "fr": "Votre position est maintenant {place}. Vous recevrez les alertes de cette zone.",
        "ht": "Pozisyon ou kounye a se {place}. W ap resevwa alet pou zon sa a.",
    },
    "geo_is": {
        "en": "Your location: {place}. Send LOC and a place to change it, e.g. LOC 18.54,-72.34.",
        "es": "Su ubicacion: {place}. Envie LOC y un lugar para cambiarla, p. ej. LOC 18.54,-72.34.",
        "fr": "Votre position : {place}. Envoyez LOC et un lieu pour la changer, ex. LOC 18.54,-72.34.",
        "ht": "Pozisyon ou: {place}. Voye LOC ak yon kote pou chanje l, egzanp LOC 18.54,-72.34.",
    },
    "geo_bad": {
        "en": "Unknown place {said}. Send LOC with latitude,longitude (LOC 18.54,-72.34) or a region name.",
        "es": "Lugar desconocido {said}. Envie LOC con latitud,longitud (LOC 18.54,-72.34) o una region.",
        "fr": "Lieu inconnu {said}. Envoyez LOC avec latitude,longitude (LOC 18.54,-72.34) ou une region.",
        "ht": "Kote {said} pa koni. Voye LOC ak latitid,lonjitid (LOC 18.54,-72.34) oswa non yon rejyon.",
    },
}


def register_replies() -> None:
    replies.register_once(REPLIES)
