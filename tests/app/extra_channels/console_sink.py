"""A fourth channel in one module: it "sends" by appending a JSON line to a file. Everything the relay
needs from it (its [console_sink] section, CSV column, address rule, builder, capabilities) is its spec;
the only other change a real channel needs is its line in `channels/registry.py`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict

from channels.base import Outbound, PermanentError, Receipt, SenderLimit
from channels.spec import Capabilities, ChannelSpec

_ADDRESS = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class ConsoleSinkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path  # the file every message is appended to
    sender: str = "console"


class ConsoleSinkChannel:
    name = "console_sink"
    reports_delivery = False  # written is delivered

    def __init__(self, settings: ConsoleSinkSettings) -> None:
        self.settings = settings

    def senders(self) -> Sequence[str]:
        return [self.settings.sender]

    def limit(self, sender: str) -> SenderLimit:
        return SenderLimit(rate=0)

    def cost(self, text: str) -> int:
        return 1

    async def start(self) -> None:
        self.settings.path.parent.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> Receipt:
        if message.to == "nobody":
            raise PermanentError("no such console", code="404")
        with self.settings.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps({"to": message.to, "text": message.text}) + "\n")
        return Receipt(provider_message_id=f"sink-{message.delivery_id}", status="delivered")


def _normalise(value: str, default_region: str | None = None) -> str:
    if not _ADDRESS.match(value):
        raise ValueError("a console name is lower-case letters, digits, '-' or '_'")
    return value


def _build(section: ConsoleSinkSettings, **_: Any) -> ConsoleSinkChannel:
    return ConsoleSinkChannel(section)


SPEC = ChannelSpec(
    name="console_sink",
    label="Console",
    settings=ConsoleSinkSettings,
    build=_build,
    normalise=_normalise,
    contact_column="console",
    senders=lambda section: [section.sender],
    capabilities=Capabilities(max_length=10_000),
)
