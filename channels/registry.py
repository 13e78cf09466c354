"""The explicit registry of channels: one line per provider, no directory scanning. The relay iterates
this list wherever it used to name a channel; order is the order of `relay check-config` and previews."""

from __future__ import annotations

from channels.matrix_spec import SPEC as MATRIX
from channels.sms_spec import SPEC as SMS
from channels.spec import ChannelSpec
from channels.telegram_spec import SPEC as TELEGRAM
from channels.voice_spec import SPEC as VOICE
from channels.whatsapp_spec import SPEC as WHATSAPP

SPECS: tuple[ChannelSpec, ...] = (
    SMS,
    TELEGRAM,
    MATRIX,
    WHATSAPP,
    VOICE,
)


def spec(name: str) -> ChannelSpec:
    for found in SPECS:
        if found.name == name:
            return found
    raise KeyError(f"unknown channel {name!r}; channels: {', '.join(s.name for s in SPECS)}")


def names() -> tuple[str, ...]:
    return tuple(s.name for s in SPECS)
