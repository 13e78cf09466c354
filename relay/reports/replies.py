"""What the relay says about citizen reports. Citizen-facing texts in en, es, fr and ht (written without
accents so that they stay GSM-7, one SMS segment each); texts for translators and responders in English,
the pivot language they work in."""

from __future__ import annotations

from relay.inbound import replies

CITIZEN = {
    "report_received": {
        "en": "Received, your reference is {reference}. Reply CANCEL {reference} if you no longer need help.",
        "es": "Recibido, su referencia es {reference}. Responda CANCEL {reference} si ya no necesita ayuda.",
        "fr": "Recu, votre reference est {reference}. Repondez CANCEL {reference} si vous n'avez plus besoin d'aide.",
        "ht": "Nou resevwa mesaj ou, referans ou se {reference}. Reponn CANCEL {reference} si ou pa bezwen ed anko.",
    },
    "report_again": {
        "en": "We already have your message, reference {reference}. Help is being organised.",
        "es": "Ya tenemos su mensaje, referencia {reference}. Se esta organizando la ayuda.",
        "fr": "Nous avons deja votre message, reference {reference}. L'aide s'organise.",
        "ht": "Nou deja gen mesaj ou, referans {reference}. N ap oganize ed la.",
    },
    "report_cancelled": {
        "en": "Report {reference} is cancelled. Thank you for telling us.",
        "es": "El reporte {reference} esta cancelado. Gracias por avisarnos.",
        "fr": "Le signalement {reference} est annule. Merci de nous avoir prevenus.",
        "ht": "Rapo {reference} anile. Mesi paske ou di nou sa.",
    },
    "report_not_yours": {
        "en": "No open report {reference} from you. Check the number in our message.",
        "es": "No hay ningun reporte {reference} abierto suyo. Revise el numero de nuestro mensaje.",
        "fr": "Aucun signalement {reference} ouvert de votre part. Verifiez le numero de notre message.",
        "ht": "Pa gen rapo {reference} ki louvri pou ou. Tcheke nimewo ki nan mesaj nou an.",
    },
    "report_resolved": {
        "en": "Your report {reference} has been handled. If you still need help, send a new message.",
        "es": "Su reporte {reference} fue atendido. Si aun necesita ayuda, envie un nuevo mensaje.",
        "fr": "Votre signalement {reference} a ete traite. Si vous avez encore besoin d'aide, envoyez un nouveau message.",
        "ht": "Yo okipe rapo {reference} ou a. Si ou toujou bezwen ed, voye yon lot mesaj.",
    },
    "report_empty": {
        "en": "Write what you need after REPORT, e.g. REPORT no water in our street.",
        "es": "Escriba lo que necesita despues de REPORT, p. ej. REPORT no hay agua en la calle.",
        "fr": "Ecrivez votre besoin apres REPORT, par ex. REPORT pas d'eau dans notre rue.",
        "ht": "Ekri sa ou bezwen apre REPORT, pa egzanp REPORT nou pa gen dlo nan lari a.",
    },
}

# English only: the pivot language translators and responders work in.
STAFF_EN = {
    "tr_usage": "Translate with: /tr <reference> <your translation>",
    "tr_not_translator": "You are not registered as a translator. A coordinator can add you "
                         "(relay translators add).",
    "tr_unknown": "There is no report {reference} waiting for a translation.",
    "tr_thanks": "Thank you: report {reference} is translated; it goes to the responders now.",
    "tr_broadcast_thanks": "Thank you: your {target} text of {reference} now goes to its {people} recipient(s).",
    "tr_already": "Thank you. Report {reference} was already translated by another volunteer; "
                  "your text is kept.",
    "claim_usage": "Use: /claim <reference> or /done <reference>",
    "claim_unknown": "There is no open report {reference}.",
    "claim_refused": "Report {reference} was not sent to this room; you cannot take it here.",
    "claim_ok": "Report {reference} is yours. The full details were sent to you privately. "
                "Send /done {reference} when it is handled.",
    "claim_taken": "Report {reference} is already taken by {who}.",
    "done_ok": "Report {reference} is resolved; the sender is told.",
    "done_already": "Report {reference} is already {status}.",
}

replies.register({**CITIZEN, **{key: {"en": text} for key, text in STAFF_EN.items()}})
