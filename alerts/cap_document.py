"""Exporting an imported CAP alert: the document as it came, plus the languages the relay added.

An alert that came in as CAP goes out as the same alert: every element of the original (its `<info>`
blocks with their areas, polygons, circles, geocodes, parameters and resources; `source`, `code`,
`references`, `incidents`...) is kept exactly, because responders downstream read all of it and a relay
must not drop a polygon. What the relay adds is one `<info>` for each language it has a real text in
(a human or machine translation) that the original did not carry: a copy of the source language's
`<info>` with the language and the texts changed, so areas and parameters travel with every language.
"""

from __future__ import annotations

import copy

from lxml import etree

from alerts.cap_parse import NS, CapError, schema
from relay import Broadcast

Q = f"{{{NS}}}"
_TEXTS = ("headline", "description", "instruction")


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def language_of(info) -> str:
    """The relay's code for an `<info>`'s language (CAP's default is en-US)."""
    found = info.find(f"{Q}language")
    written = found.text.strip() if found is not None and found.text else "en-US"
    return written.split("-")[0].lower()


def _set(info, name: str, value: str, after: tuple[str, ...]) -> None:
    """Set the text of `name`, creating it at its place in CAP's element order when it is missing."""
    element = info.find(f"{Q}{name}")
    if element is None:
        element = etree.Element(f"{Q}{name}")
        anchor = None
        for child in info:
            if etree.QName(child).localname in after:
                anchor = child
        if anchor is None:
            info.insert(0, element)
        else:
            anchor.addnext(element)
    element.text = value


_BEFORE_HEADLINE = ("language", "category", "event", "responseType", "urgency", "severity", "certainty",
                    "audience", "eventCode", "effective", "onset", "expires", "senderName")


def _translated(source, language: str, text: str):
    """The source `<info>` in another language: the relay's text as headline (its first line) and
    description (all of it); the instruction is part of that text, so the original one goes."""
    info = copy.deepcopy(source)
    _set(info, "language", language, ())
    for name in ("instruction", "description", "headline"):
        for element in info.findall(f"{Q}{name}"):
            info.remove(element)
    _set(info, "headline", text.splitlines()[0][:160] if text.strip() else text, _BEFORE_HEADLINE)
    _set(info, "description", text, (*_BEFORE_HEADLINE, "headline"))
    return info


def export_imported(broadcast: Broadcast, document: str) -> bytes:
    """The imported alert with an added `<info>` per language the relay has a text in and it lacked."""
    root = etree.fromstring(document.encode("utf-8"), _safe_parser())
    infos = root.findall(f"{Q}info")
    present = {language_of(info) for info in infos}
    if infos:
        source = next((i for i in infos if language_of(i) == broadcast.source_language), infos[0])
        last = infos[-1]
        for text in sorted(broadcast.texts, key=lambda t: t.language):
            if text.origin == "untranslated" or text.language in present:
                continue  # a language that got the original with a note has no text of its own
            added = _translated(source, text.language, text.text)
            last.addnext(added)
            last = added
            present.add(text.language)
            for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
                root.remove(signature)  # the signer signed the alert without our <info>: no false proof
    validator = schema()
    if not validator.validate(root):
        raise CapError(f"broadcast {broadcast.id} does not make valid CAP: {validator.error_log[0].message}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
