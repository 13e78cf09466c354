"""Command-line options that several commands share, declared once in typer's `Annotated` form, so that a
flag reads the same (name, type, help) in every command that takes it: `region: Regions = ""`.

Why here: the audience and the body of a broadcast are given alike to `relay broadcast send`,
`relay broadcast schedule` and `relay templates send`, and a person is named by one of their addresses
alike in `relay subscribers`, `relay translators`, `relay locations` and the privacy commands."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

# Who a broadcast goes to: any of these regions, topics and tiers.
Regions = Annotated[str, typer.Option("--region", help="';'-separated regions (any of).")]
Topics = Annotated[str, typer.Option("--topic", help="';'-separated topics (any of).")]
Tiers = Annotated[str, typer.Option("--tier", help="';'-separated tiers (any of).")]
# What it says, and how urgent it is.
Language = Annotated[Optional[str], typer.Option("--lang", help="Language of the text (default: default_language).")]
HumanTexts = Annotated[list[str], typer.Option("--text", help='A human text for a language: es="..." (repeatable).')]
Severity = Annotated[str, typer.Option("--severity", help="CAP severity: Extreme, Severe, Moderate, Minor, Unknown.")]
Expires = Annotated[Optional[str], typer.Option("--expires", help="Stop sending after: 30m, 6h, 2d or an ISO 8601 time.")]
# One person, by one of their addresses.
Phone = Annotated[Optional[str], typer.Option("--phone", help="A phone number, E.164 (+50937001234).")]
TelegramChat = Annotated[Optional[str], typer.Option("--telegram", help="A Telegram chat id.")]
MatrixUser = Annotated[Optional[str], typer.Option("--matrix", help="A Matrix user id (@name:server).")]
