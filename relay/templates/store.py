"""Adding, finding and describing templates. A template is checked whole before it is stored: every
human text uses exactly the declared fields, and fits the segment budget at the longest values."""

from __future__ import annotations

import re
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from relay.core import audit
from relay.core.models import BroadcastKind
from relay.templates import budget, fields
from relay.templates.fields import TemplateError
from relay.templates.models import Template, TemplateText

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_FIELD_LENGTH = 500


def validate(name: str, kind: str, source_language: str, declared: Mapping[str, int],
             texts: Mapping[str, str]) -> None:
    if not NAME.match(name):
        raise TemplateError(f"template name {name!r}: lowercase letters, digits, '-' and '_' (e.g. shelter-open)")
    kinds = [k.value for k in BroadcastKind if k is not BroadcastKind.correction]
    if kind not in kinds:
        raise TemplateError(f"kind {kind!r}: expected one of {', '.join(kinds)}")
    for language in texts:
        if not LANGUAGE.match(language):
            raise TemplateError(f"language {language!r}: expected an ISO 639 code such as es or ht")
    if source_language not in texts:
        raise TemplateError(f"there is no {source_language} text: the source language needs one "
                            f"(given: {', '.join(sorted(texts)) or 'none'})")
    for name_, length in declared.items():
        if not fields.FIELD_NAME.match(name_):
            raise TemplateError(f"field {name_!r}: a lowercase name such as shelter or time")
        if not 1 <= length <= MAX_FIELD_LENGTH:
            raise TemplateError(f"field {name_}: a maximum length from 1 to {MAX_FIELD_LENGTH} characters")
    for language, text in sorted(texts.items()):
        if not text.strip():
            raise TemplateError(f"the {language} text is empty")
        found = fields.used(text, language)
        if found != set(declared):
            missing, extra = sorted(set(declared) - found), sorted(found - set(declared))
            said = "; ".join(filter(None, [f"misses {', '.join('{' + f + '}' for f in missing)}" if missing else "",
                                           f"uses undeclared {', '.join('{' + f + '}' for f in extra)}" if extra else ""]))
            raise TemplateError(f"the {language} text {said} (declared: {', '.join(sorted(declared)) or 'none'})")


def add(session: Session, *, name: str, kind: str, source_language: str, declared: Mapping[str, int],
        texts: Mapping[str, str], max_segments: int, footer: str, price: float, actor: str) -> Template:
    """Store a template, or refuse it naming the language that is over its segment budget."""
    validate(name, kind, source_language, declared, texts)
    if max_segments < 1:
        raise TemplateError("the segment budget must be at least 1")
    over = budget.over_budget(budget.budgets(texts, declared, footer, price), max_segments)
    if over:
        raise TemplateError(budget.refusal(over, max_segments, f"template {name}"))
    if session.scalar(select(Template.id).where(Template.name == name)) is not None:
        raise TemplateError(f"a template named {name} exists already")
    template = Template(name=name, kind=kind, source_language=source_language, fields=dict(declared),
                        max_segments=max_segments, created_by=actor,
                        texts=[TemplateText(language=lang, text=text) for lang, text in sorted(texts.items())])
    session.add(template)
    session.flush()
    audit.record(session, actor, "template.add", f"template:{template.id}", name=name,
                 languages=sorted(texts), fields=dict(declared), max_segments=max_segments)
    return template


def find(session: Session, key: str) -> Template:
    """By name, or by id."""
    query = select(Template).options(selectinload(Template.texts))
    found = session.scalar(query.where(Template.id == int(key)) if key.isdigit() else query.where(Template.name == key))
    if found is None:
        raise TemplateError(f"no template {key}")
    return found


def all_templates(session: Session) -> list[Template]:
    return list(session.scalars(select(Template).options(selectinload(Template.texts)).order_by(Template.name)))


def describe(template: Template, footer: str, price: float) -> dict:
    """What `show` prints and the API answers: the texts and each language's budget."""
    texts = {t.language: t.text for t in template.texts}
    measured = budget.budgets(texts, template.fields, footer, price)
    return {"id": template.id, "name": template.name, "kind": template.kind,
            "source_language": template.source_language, "fields": dict(template.fields),
            "max_segments": template.max_segments, "texts": texts,
            "budget": [b.as_json() for b in measured], "created_by": template.created_by,
            "created_at": template.created_at.isoformat()}
