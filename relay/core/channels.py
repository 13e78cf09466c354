"""The configured channels, from the registry in `channels/registry.py` (one line per provider)."""

from __future__ import annotations

from typing import Any, Mapping

from channels import registry
from channels.base import Channel
from channels.spec import ChannelSpec


def configured(settings: Any) -> list[tuple[ChannelSpec, Any]]:
    """Each channel whose config section is present, with that section."""
    return [(spec, getattr(settings, spec.name)) for spec in registry.SPECS
            if getattr(settings, spec.name, None) is not None]


def build_channels(settings: Any, options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Channel]:
    """The configured channels, not yet started; `options` are each channel's keyword arguments from the
    running relay (what it restored from the database, such as Matrix's direct rooms)."""
    options = options or {}
    return {spec.name: spec.build(section, **options.get(spec.name, {})) for spec, section in configured(settings)}


def planned_senders(settings: Any) -> dict[str, list[str]]:
    """The senders new deliveries are spread over, known from configuration alone (the process that
    plans a broadcast need not run the channels). A channel without its section goes to its sandbox
    when it has one; a channel without a sandbox (Matrix) sends only when configured."""
    planned: dict[str, list[str]] = {}
    for spec in registry.SPECS:
        section = getattr(settings, spec.name, None)
        if section is not None:
            planned[spec.name] = list(spec.senders(section))
        elif spec.sandbox is not None:
            planned[spec.name] = list(spec.sandbox.senders(settings.sandbox))
    return planned
