"""Sending from a template: fill the fields, let the human texts go as written, translate the rest.

The human-written languages become the broadcast's human texts, so the outbox never sends them to an
engine and the approval step (relay/delivery/approvals.py, which only ever holds machine texts) does not
apply. Every other language goes through machine translation and the quality gate as usual, with one
difference: the engine is given the template with each field as a protector placeholder, not the filled
text, so a shelter's name or a time never reaches it, and the translation memory serves every later send
of the same template. A language whose translation loses a field gets the original with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy.orm import Session, sessionmaker

from relay.core import hooks
from relay.core.channels import planned_senders
from relay.delivery import outbox
from relay.delivery.outbox import Audience, BroadcastRequest, MachineTranslate, PlannedBroadcast
from relay.delivery.translation_hooks import GatedText
from relay.templates import budget, fields
from relay.templates.fields import TemplateError
from relay.templates.models import Template


def sms_price(settings: Any) -> float:
    """The configured price of one SMS segment ([console] prices), 0 without it."""
    console = getattr(settings, "console", None)
    return float(console.price("sms")) if console is not None else 0.0


def footer(sessions: sessionmaker[Session], settings: Any) -> str:
    """The lines the features add under every official text (the verification code), as they would be
    for a broadcast planned now: a broadcast planned to nobody, read back, and rolled back."""
    stamp = hooks.stamper(settings)
    probe = BroadcastRequest(kind="notice", body="probe", source_language="en", sender="template-budget",
                             audience=Audience(endpoint_ids=(0,)))
    with sessions() as session:
        planned = outbox.plan_broadcast(sessions, probe, senders={"sms": ["probe"]}, actor="template-budget", session=session,
                                        stamp=stamp)
        lines = hooks.text_lines(session, [planned.id]).get(planned.id, "")
        session.rollback()
    return lines


def template_machine(template: Template, values: Mapping[str, str], machine: MachineTranslate | None) -> MachineTranslate | None:
    """The outbox's translate hook for this send: translates the masked template, then fills it."""
    if machine is None:
        return None
    names = sorted(template.fields)
    source = next(t.text for t in template.texts if t.language == template.source_language)
    masked = fields.masked(source, names)

    def translate(body: str, source_language: str, target: str):
        result = machine(masked, source_language, target)
        if result is None:
            return None
        filled = fields.unmask(result[0], masked, names, values)
        if filled is None:
            return None
        return GatedText(filled, result[1], getattr(result, "verdict", None))

    return translate


@dataclass(frozen=True)
class TemplateSend:
    planned: PlannedBroadcast
    budget: list[budget.LanguageBudget]  # each human-written language's segments with these values


def request_for(template: Template, values: Mapping[str, str], *, sender: str, audience: Audience,
                severity: str = "Unknown", urgency: str = "Unknown", certainty: str = "Unknown",
                expires_at=None) -> BroadcastRequest:
    values = fields.check_values(template.fields, values)
    filled = {t.language: fields.fill(t.text, values) for t in template.texts}
    body = filled.pop(template.source_language)
    return BroadcastRequest(kind=template.kind, body=body, source_language=template.source_language, sender=sender,
                            severity=severity, urgency=urgency, certainty=certainty, audience=audience,
                            expires_at=expires_at, human_texts=filled,
                            extras={"template": {"id": template.id, "name": template.name}})


def send(sessions: sessionmaker[Session], template: Template, values: Mapping[str, str], *, settings: Any,
         machine: MachineTranslate | None, note, approval, audience: Audience = Audience(), sender: str,
         severity: str = "Unknown", urgency: str = "Unknown", certainty: str = "Unknown",
         expires_at=None) -> TemplateSend:
    """Check the values against the budget, then plan the broadcast (committed when this returns)."""
    request = request_for(template, values, sender=sender, audience=audience, severity=severity, urgency=urgency,
                          certainty=certainty, expires_at=expires_at)
    lines = footer(sessions, settings)
    texts = {template.source_language: request.body, **request.human_texts}
    measured = [budget.measure(lang, text, lines, sms_price(settings)) for lang, text in sorted(texts.items())]
    over = budget.over_budget(measured, template.max_segments)
    if over:
        raise TemplateError(budget.refusal(over, template.max_segments, f"with these values, template {template.name}"))
    planned = outbox.plan_broadcast(
        sessions, request, senders=planned_senders(settings), machine=template_machine(template, values, machine),
        note=note, approval=approval, actor=sender, stamp=hooks.stamper(settings))
    return TemplateSend(planned, measured)
