"""What alerts/ writes to people, in the languages we can write it in by hand (en, es, fr, ht), with
dates and times formatted for each recipient's locale and time zone by Babel.

Kept without accents where the language allows, like the core's replies: most recipients are on SMS and
an accent turns a GSM-7 message into a UCS-2 one, which costs twice the segments. Languages we have no
text for are machine-translated from English (the join link and times protected by the translation
layer), or get the English text with a one-line note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import UnknownLocaleError, dates

HAND_WRITTEN = ("en", "es", "fr", "ht")

# Babel has no Haitian Creole date data of its own (its "ht" falls back to the root locale, with English
# month abbreviations); Haiti reads dates in French, so ht dates use fr_HT.
DATE_LOCALE = {"ht": "fr_HT"}

MILESTONE_NAMES = {
    "response": {"en": "coordinated response", "es": "respuesta coordinada", "fr": "reponse coordonnee",
                 "ht": "repons kowodone"},
    "assessment": {"en": "assessment team on site", "es": "equipo de evaluacion en el lugar",
                   "fr": "equipe d'evaluation sur place", "ht": "ekip evalyasyon sou plas"},
    "action_plan": {"en": "action plan published", "es": "plan de accion publicado",
                    "fr": "plan d'action publie", "ht": "plan aksyon pibliye"},
}

TEMPLATES: dict[str, dict[str, str]] = {
    "crisis_activated": {
        "en": "Crisis {id} activated: {title} ({region}, {severity}). You are responsible. Deadlines: {deadlines}.",
        "es": "Crisis {id} activada: {title} ({region}, {severity}). Usted es responsable. Plazos: {deadlines}.",
        "fr": "Crise {id} activee : {title} ({region}, {severity}). Vous etes responsable. Echeances : {deadlines}.",
        "ht": "Kriz {id} aktive: {title} ({region}, {severity}). Ou responsab. Dat limit: {deadlines}.",
    },
    "crisis_reminder": {
        "en": "Reminder, crisis {id} ({title}, {region}): {milestone} is due {when}.",
        "es": "Recordatorio, crisis {id} ({title}, {region}): {milestone} vence el {when}.",
        "fr": "Rappel, crise {id} ({title}, {region}) : {milestone} est du le {when}.",
        "ht": "Rapel, kriz {id} ({title}, {region}): {milestone} dwe fet {when}.",
    },
    "crisis_escalation": {
        "en": "ESCALATION crisis {id} ({title}, {region}): {milestone} was due {when} and is not done. "
              "Level {level} is asked to act.",
        "es": "ESCALAMIENTO crisis {id} ({title}, {region}): {milestone} vencia el {when} y no esta hecho. "
              "Se pide actuar al nivel {level}.",
        "fr": "ESCALADE crise {id} ({title}, {region}) : {milestone} etait du le {when} et n'est pas fait. "
              "Le niveau {level} doit agir.",
        "ht": "ESKALASYON kriz {id} ({title}, {region}): {milestone} te dwe fet {when} epi li pa fet. "
              "Nivo {level} dwe aji.",
    },
    "webinar_notice": {
        "en": "Webinar: {topic}, {when}. Join: {link} Reply YES or NO.",
        "es": "Seminario web: {topic}, {when}. Enlace: {link} Responda SI o NO.",
        "fr": "Webinaire : {topic}, {when}. Lien : {link} Repondez OUI ou NON.",
        "ht": "Webine: {topic}, {when}. Lyen: {link} Reponn WI oswa NON.",
    },
    "webinar_reminder": {
        "en": "Reminder: webinar {topic} starts {when}. Join: {link}",
        "es": "Recordatorio: el seminario web {topic} empieza el {when}. Enlace: {link}",
        "fr": "Rappel : le webinaire {topic} commence le {when}. Lien : {link}",
        "ht": "Rapel: webine {topic} ap komanse {when}. Lyen: {link}",
    },
    "webinar_cancelled": {
        "en": "Correction: the webinar {topic} of {when} is cancelled.",
        "es": "Correccion: el seminario web {topic} del {when} se cancela.",
        "fr": "Correction : le webinaire {topic} du {when} est annule.",
        "ht": "Koreksyon: webine {topic} {when} la anile.",
    },
    "webinar_moved": {
        "en": "Correction: the webinar {topic} of {old} moves to {when}. Join: {link}",
        "es": "Correccion: el seminario web {topic} del {old} pasa al {when}. Enlace: {link}",
        "fr": "Correction : le webinaire {topic} du {old} est deplace au {when}. Lien : {link}",
        "ht": "Koreksyon: webine {topic} {old} la deplase pou {when}. Lyen: {link}",
    },
    "cap_cancelled": {
        "en": "CANCELLED: the alert \"{headline}\" is withdrawn.",
        "es": "CANCELADA: la alerta \"{headline}\" queda retirada.",
        "fr": "ANNULEE : l'alerte \"{headline}\" est retiree.",
        "ht": "ANILE: alet \"{headline}\" la retire.",
    },
}


_PLAIN_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def render(key: str, language: str, **values: object) -> str | None:
    """Our text in `language`, or None when we have none (the caller translates the English one)."""
    template = TEMPLATES[key].get(language)
    return template.format(**values) if template is not None else None


def milestone_name(key: str, language: str) -> str:
    names = MILESTONE_NAMES[key]
    return names.get(language, names["en"])


def when(at: datetime, language: str, zone: str) -> str:
    """A date and time as a person in `zone` reads them in `language`: 'lunes, 30 de marzo de 2026, 18:00'."""
    locale = DATE_LOCALE.get(language, language)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine does not know: say UTC, not nothing
        tz = ZoneInfo("UTC")
    try:
        day = dates.format_date(at.astimezone(tz).date(), "full", locale=locale)
        clock = dates.format_time(at, "short", tzinfo=tz, locale=locale)
        name = dates.get_timezone_name(at.astimezone(tz), "short", locale=locale)
    except (UnknownLocaleError, ValueError, LookupError):  # a language Babel does not know: English formatting
        return when(at, "en", zone)
    # CLDR puts narrow and no-break spaces in times ("3:00\u202fAM"); on SMS one such character turns the
    # whole message into UCS-2 (twice the segments), so they become plain spaces.
    return f"{day}, {clock} ({name})".translate(_PLAIN_SPACES)


def duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours >= 48 and hours % 24 == 0 else f"{hours}h"
