"""relay/templates tables: a template and its human-written texts, one row per language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relay.core.models import Base, SerialKey, owned_by, stamped_now


class Template(SerialKey, Base):
    """A message approved once, sent many times with its fields filled in."""

    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_language: Mapped[str] = mapped_column(String(16))
    # field name -> the longest value it may take (characters): the budget is measured at these.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    max_segments: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = stamped_now()

    texts: Mapped[list[TemplateText]] = relationship(cascade="all, delete-orphan", order_by="TemplateText.language")


class TemplateText(Base):
    """One language's human-written text with `{field}` slots; sent as written, never machine-made."""

    __tablename__ = "template_texts"

    template_id: Mapped[int] = owned_by("templates.id", primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
