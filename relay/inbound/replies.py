"""What the relay answers to keyword commands, in the languages it can write them in (human-written,
kept to one GSM-7 segment where the language allows, since many recipients pay per segment)."""

from __future__ import annotations

REPLIES: dict[str, dict[str, str]] = {
    "subscribed": {
        "en": "Subscribed: you will get alerts in language '{code}'. Reply STOP to stop, HELP for help.",
        "es": "Recibira alertas en espanol. Responda STOP para dejar de recibirlas, HELP para ayuda.",
        "fr": "Vous recevrez les alertes en francais. Repondez STOP pour arreter, HELP pour l'aide.",
        "ht": "W ap resevwa alet an kreyol. Reponn STOP pou sispann, HELP pou ed.",
    },
    "stopped": {
        "en": "You will get no more messages from us. Reply START to receive alerts again.",
        "es": "No recibira mas mensajes. Responda START para volver a recibir alertas.",
        "fr": "Vous ne recevrez plus de messages. Repondez START pour recevoir a nouveau les alertes.",
        "ht": "Ou p ap resevwa mesaj anko. Reponn START pou resevwa alet anko.",
    },
    "started": {
        "en": "Alerts are back on. Reply STOP to stop.",
        "es": "Las alertas estan activas de nuevo. Responda STOP para dejar de recibirlas.",
        "fr": "Les alertes sont reactivees. Repondez STOP pour arreter.",
        "ht": "Alet yo aktive anko. Reponn STOP pou sispann.",
    },
    "help": {
        "en": "Crisis alert relay. JOIN <lang> to subscribe, LANG <lang> to change language, STOP to stop.",
        "es": "Alertas de crisis. JOIN <idioma> para suscribirse, LANG <idioma> para cambiar, STOP para salir.",
        "fr": "Alertes de crise. JOIN <langue> pour s'abonner, LANG <langue> pour changer, STOP pour arreter.",
        "ht": "Alet kriz. JOIN <lang> pou enskri, LANG <lang> pou chanje lang, STOP pou sispann.",
    },
    "language_set": {
        "en": "Your language is now '{code}'.",
        "es": "Su idioma ahora es espanol.",
        "fr": "Votre langue est maintenant le francais.",
        "ht": "Lang ou kounye a se kreyol.",
    },
    "unknown_language": {
        "en": "Unknown language {code}. Languages: {languages}.",
        "es": "Idioma desconocido {code}. Idiomas: {languages}.",
        "fr": "Langue inconnue {code}. Langues : {languages}.",
        "ht": "Lang {code} pa koni. Lang yo: {languages}.",
    },
    "not_subscribed": {
        "en": "You are not subscribed. Reply JOIN <lang> to subscribe, e.g. JOIN en.",
        "es": "No esta suscrito. Responda JOIN <idioma> para suscribirse, p. ej. JOIN es.",
        "fr": "Vous n'etes pas abonne. Repondez JOIN <langue>, par ex. JOIN fr.",
        "ht": "Ou pa enskri. Reponn JOIN <lang> pou enskri, pa egzanp JOIN ht.",
    },
    "unknown_command": {
        "en": "Message not understood. Reply HELP for the commands.",
        "es": "Mensaje no entendido. Responda HELP para ver los comandos.",
        "fr": "Message non compris. Repondez HELP pour les commandes.",
        "ht": "Nou pa konprann mesaj la. Reponn HELP pou komand yo.",
    },
}


def reply(key: str, language: str | None, **values: str) -> str:
    """The reply in `language`, or in English when we have no human text for that language."""
    catalog = REPLIES[key]
    return catalog.get(language or "en", catalog["en"]).format(**{"code": language or "en", **values})


def register(catalog: dict[str, dict[str, str]]) -> None:
    """Add a feature's replies (each with at least an English text). A key may be defined once."""
    for key, texts in catalog.items():
        if key in REPLIES:
            raise ValueError(f"reply {key!r} is already defined")
        if "en" not in texts:
            raise ValueError(f"reply {key!r} has no English text")
        REPLIES[key] = dict(texts)


def register_once(catalog: dict[str, dict[str, str]]) -> None:
    """`register`, for a module imported more than once in a process (its command module is imported by
    the app and again by a test): the same catalog a second time is no error."""
    if any(REPLIES.get(key) != texts for key, texts in catalog.items()):
        register(catalog)
