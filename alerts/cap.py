"""CAP 1.2 in and out of the relay.

Import: an `Alert` becomes a broadcast; each `<info>` in another language is a human translation of it;
urgency / severity / certainty / expires / senderName map onto the broadcast; the alert targets its own
`<area>`s: their polygons, circles and geocodes become the broadcast's area (relay/geo), and an alert
whose areas have none of them targets its areaDescs as audience regions. An `Update` goes to everyone the
referenced broadcast was for (and what of it was not sent yet is stopped); a `Cancel` stops what was not sent and tells those it reached. Anything else in the
`<info>` (event, category, codes, geocodes) is kept with the import so an export gives it back.

Export: any broadcast as valid CAP 1.2, one `<info>` per language (validated against the schema before
it is returned). An imported alert goes out as the document it came as, with an `<info>` added for each
language the relay has a text in (alerts/cap_document.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import texts as alert_texts
from alerts.cap_document import export_imported
from alerts.cap_parse import NS, CapAlertDoc, CapError, CapInfo, schema
from alerts.models import CapAlert
from alerts.sending import NOT_YET_SENT, REACHED, Sender, cancel_unsent, follow_up, recipients_languages
from relay import Broadcast, BroadcastKind, required
from relay import Audience, BroadcastError, BroadcastRequest, GeoError, area_extras_for_cap

KIND_PARAMETER = "relay:kind"  # a CAP <parameter> carrying the broadcast kind, so a round trip keeps it


@dataclass(frozen=True)
class Imported:
    action: str  # alert | update | cancel
    broadcast_id: int
    deliveries: int
    stopped: int = 0


def info_text(info: CapInfo) -> str:
    """What recipients read: headline, then description (unless it already starts with it), then instruction."""
    parts = []
    if info.headline and not (info.description or "").startswith(info.headline):
        parts.append(info.headline)
    if info.description:
        parts.append(info.description)
    if info.instruction:
        parts.append(info.instruction)
    return "\n".join(parts) or info.event


def _expires(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None


def _kind(info: CapInfo) -> str:
    for name, value in info.parameters:
        if name == KIND_PARAMETER and value in (BroadcastKind.crisis.value, BroadcastKind.notice.value,
                                                BroadcastKind.webinar.value):
            return value
    return BroadcastKind.crisis.value if info.severity in ("Extreme", "Severe") or info.urgency == "Immediate" \
        else BroadcastKind.notice.value


def _by_language(doc: CapAlertDoc) -> dict[str, CapInfo]:
    chosen: dict[str, CapInfo] = {}
    for info in doc.infos:
        chosen.setdefault(info.lang, info)  # en-US and en-GB: the first one wins
    return chosen


def import_alert(sender: Sender, session: Session, doc: CapAlertDoc, *, default_language: str, actor: str) -> Imported:
    if doc.status != "Actual":
        raise CapError(f"status {doc.status}: only Actual alerts are broadcast (Exercise, System, Test and Draft "
                       "alerts are not sent to people)")
    if doc.scope != "Public":
        raise CapError(f"scope {doc.scope}: only Public alerts are broadcast")
    previous = session.scalars(select(CapAlert).where(CapAlert.sender == doc.sender, CapAlert.identifier == doc.identifier,
                                                      CapAlert.sent == doc.sent)).first()
    if previous is not None:
        raise CapError(f"alert {doc.identifier} from {doc.sender} sent {doc.sent} was already imported "
                       f"(broadcast {previous.broadcast_id})")
    infos = _by_language(doc)
    if doc.msg_type in ("Alert", "Update") and not infos:
        raise CapError(f"a {doc.msg_type} with no <info> has nothing to tell people")
    source = infos.get(default_language) or (next(iter(infos.values())) if infos else None)
    if doc.msg_type == "Alert":
        result = _alert(sender, session, doc, source, infos, actor)
    elif doc.msg_type in ("Update", "Cancel"):
        result = _follow(sender, session, doc, source, infos, actor)
    else:  # Ack and Error answer a sender; they carry nothing to broadcast
        raise CapError(f"msgType {doc.msg_type}: only Alert, Update and Cancel are acted on")
    session.add(CapAlert(broadcast_id=result.broadcast_id, identifier=doc.identifier, sender=doc.sender, sent=doc.sent,
                         msg_type=doc.msg_type, infos=[_stored(i) for i in doc.infos], document=doc.document))
    session.flush()
    return result


def _stored(info: CapInfo) -> dict:
    return asdict(info)


def _alert(sender: Sender, session: Session, doc: CapAlertDoc, source: CapInfo, infos: dict[str, CapInfo],
           actor: str) -> Imported:
    try:
        area = area_extras_for_cap(source.areas, sender.settings)
    except GeoError as exc:
        raise CapError(f"alert {doc.identifier}: <area>: {exc}") from None
    # With polygons, circles or geocodes the alert targets them; a bare areaDesc still names regions.
    regions = () if area else tuple(dict.fromkeys(a.description for a in source.areas if a.description))
    request = BroadcastRequest(
        kind=_kind(source), body=info_text(source), source_language=source.lang,
        sender=source.sender_name or doc.sender, severity=source.severity, urgency=source.urgency,
        certainty=source.certainty, expires_at=_expires(source.expires), audience=Audience(regions=regions),
        human_texts={lang: info_text(info) for lang, info in infos.items() if lang != source.lang},
        extras=area,
    )
    try:
        planned = sender.plan(session, request, actor=actor)
    except BroadcastError as exc:
        raise CapError(f"alert {doc.identifier}: {exc}") from None
    return Imported("alert", planned.id, planned.deliveries)


def _referenced(session: Session, doc: CapAlertDoc) -> list[int]:
    found = []
    for ref_sender, identifier, sent in doc.references:
        row = session.scalars(select(CapAlert).where(CapAlert.sender == ref_sender, CapAlert.identifier == identifier,
                                                     CapAlert.sent == sent)).first()
        if row is not None and row.broadcast_id is not None:
            found.append(row.broadcast_id)
        elif identifier.startswith("relay-") and identifier[6:].split("-")[0].isdigit():  # one of our exports
            broadcast_id = int(identifier[6:].split("-")[0])
            if session.get(Broadcast, broadcast_id) is not None:
                found.append(broadcast_id)
    if not found:
        named = " ".join(",".join(r) for r in doc.references) or "(none)"
        raise CapError(f"{doc.msg_type} {doc.identifier}: its references name no alert this relay broadcast: {named}")
    return found


def _follow(sender: Sender, session: Session, doc: CapAlertDoc, source: CapInfo | None, infos: dict[str, CapInfo],
            actor: str) -> Imported:
    originals = _referenced(session, doc)
    cancelling = doc.msg_type == "Cancel"
    statuses = REACHED if cancelling else REACHED + NOT_YET_SENT
    languages = recipients_languages(session, originals, statuses)
    if source is not None:
        human = {lang: info_text(info) for lang, info in infos.items()}
        body, body_language = info_text(source), source.lang
    else:
        headline = _original_headline(session, originals[0])
        human = {lang: t for lang in set(languages) | {"en"} if (t := alert_texts.render("cap_cancelled", lang,
                                                                                         headline=headline))}
        body, body_language = human["en"], "en"
    chosen = sender.texts(session, body, body_language, set(languages) | {body_language},
                          {k: v for k, v in human.items() if k != body_language})
    original = session.get(Broadcast, originals[0])
    follow_id, count = follow_up(
        session, originals, chosen, statuses=statuses, actor=actor, source_language=body_language,
        severity=source.severity if source else original.severity,
        urgency=source.urgency if source else original.urgency,
        certainty=source.certainty if source else original.certainty,
    )
    stopped = cancel_unsent(session, originals, actor=actor)
    return Imported(doc.msg_type.lower(), follow_id, count, stopped)


def _original_headline(session: Session, broadcast_id: int) -> str:
    row = session.scalars(select(CapAlert).where(CapAlert.broadcast_id == broadcast_id)).first()
    if row is not None and row.infos and row.infos[0].get("headline"):
        return row.infos[0]["headline"]
    broadcast = session.get(Broadcast, broadcast_id)
    return broadcast.body.splitlines()[0][:100] if broadcast else str(broadcast_id)


# ---- export ----------------------------------------------------------------------------------------

def _cap_time(at: datetime) -> str:
    return at.astimezone(timezone.utc).replace(microsecond=0).isoformat()  # 2026-03-02T08:00:00+00:00


def identity(session: Session, broadcast: Broadcast, cap_sender: str) -> tuple[str, str, str]:
    """(sender, identifier, sent) of a broadcast in CAP: the imported alert's own, else ours."""
    row = session.scalars(select(CapAlert).where(CapAlert.broadcast_id == broadcast.id)).first()
    if row is not None:
        return row.sender, row.identifier, row.sent
    return cap_sender, f"relay-{broadcast.id}", _cap_time(broadcast.created_at)


def export(session: Session, broadcast_id: int, *, cap_sender: str) -> bytes:
    broadcast = required(session.get(Broadcast, broadcast_id), CapError(f"no broadcast {broadcast_id}"))
    if " " in cap_sender or "," in cap_sender:
        raise CapError(f"CAP sender {cap_sender!r} may contain no spaces or commas (alerts.cap.sender)")
    row = session.scalars(select(CapAlert).where(CapAlert.broadcast_id == broadcast.id)).first()
    if row is not None and row.document:  # imported: the alert as it came, every element kept
        return export_imported(broadcast, row.document)
    stored: dict[str, dict] = {}
    for info in (row.infos if row else []):
        stored.setdefault(info["language"].split("-")[0].lower(), info)
    sender, identifier, sent = identity(session, broadcast, cap_sender)
    E = _maker()
    alert = E("alert")
    for name, value in (("identifier", identifier), ("sender", sender), ("sent", sent), ("status", "Actual")):
        _sub(alert, name, value)
    referenced = session.get(Broadcast, broadcast.references_id) if broadcast.references_id else None
    msg_type = row.msg_type if row is not None else ("Update" if referenced is not None else "Alert")
    _sub(alert, "msgType", msg_type)
    _sub(alert, "scope", "Public")
    if referenced is not None:
        _sub(alert, "references", ",".join(identity(session, referenced, cap_sender)))
    regions = list((broadcast.audience or {}).get("regions", []))
    # a language that got the original with a note has no text of its own: no <info> pretends it does
    ordered = sorted((t for t in broadcast.texts if t.origin != "untranslated"),
                     key=lambda t: (t.language != broadcast.source_language, t.language))
    for text in ordered:
        keep = stored.get(text.language, {})
        info = etree.SubElement(alert, f"{{{NS}}}info")
        _sub(info, "language", keep.get("language") or text.language)
        for category in keep.get("categories") or ["Safety"]:
            _sub(info, "category", category)
        _sub(info, "event", keep.get("event") or broadcast.kind)
        _sub(info, "urgency", broadcast.urgency)
        _sub(info, "severity", broadcast.severity)
        _sub(info, "certainty", broadcast.certainty)
        for name, value in keep.get("event_codes") or []:
            code = etree.SubElement(info, f"{{{NS}}}eventCode")
            _sub(code, "valueName", name)
            _sub(code, "value", value)
        if broadcast.expires_at is not None:
            _sub(info, "expires", _cap_time(broadcast.expires_at))
        _sub(info, "senderName", broadcast.sender)
        if keep:
            for name in ("headline", "description", "instruction", "web", "contact"):
                if keep.get(name):
                    _sub(info, name, keep[name])
        else:
            _sub(info, "headline", text.text.splitlines()[0][:160])
            _sub(info, "description", text.text)
        parameter = etree.SubElement(info, f"{{{NS}}}parameter")
        _sub(parameter, "valueName", KIND_PARAMETER)
        _sub(parameter, "value", broadcast.kind if broadcast.kind != BroadcastKind.correction.value else "crisis")
        areas = keep.get("areas") or [{"description": r, "geocodes": []} for r in regions]
        for area in areas:
            element = etree.SubElement(info, f"{{{NS}}}area")
            _sub(element, "areaDesc", area["description"])
            for name, value in area.get("geocodes") or []:
                geocode = etree.SubElement(element, f"{{{NS}}}geocode")
                _sub(geocode, "valueName", name)
                _sub(geocode, "value", value)
    validator = schema()
    if not validator.validate(alert):
        raise CapError(f"broadcast {broadcast_id} does not make valid CAP: {validator.error_log[0].message}")
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _maker():
    return lambda name: etree.Element(f"{{{NS}}}{name}", nsmap={None: NS})


def _sub(parent, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{NS}}}{name}").text = value
