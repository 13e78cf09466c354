"""Integrity: misinformation screening, moderation with a quorum, corrections, verification codes.

The interface other features use:

- `screen(session, text=..., language=..., channel=..., sender=..., origin=..., settings=...)` -> `Screening`
  for every message about to be relayed, inside the inbound transaction. `hold` queues it (nothing is
  relayed), `warn` relays it with `Screening.warning` (or `warning_text(room_language)`), `relay` relays it.
- `note_relayed(session, screening.screening_id, [broadcast ids])` once the message went out, so that a
  later "confirmed false" sends its correction to exactly the endpoints that received it.
- `held_text(language, screening.reasons)`: what to tell the sender of a held message (it waits for
  moderators; a rate-limited sender is told the pace), so that no one is silently dropped.
- a relaying feature declares `release_handlers={"bridge": handler}` in its Feature:
  `handler(session, origin, warning, settings=...)` relays a held message that moderators released.
- `verification.code_for(key, broadcast_id, text)`, `verification.stamper(settings)` (the outbox hook).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relay.integrity.moderation import note_relayed
    from relay.integrity.notices import held_text, warning_text
    from relay.integrity.screening import Screening, screen

# Loaded on first use: `relay.core.config` imports `relay.integrity.settings`, and configuration must not pay
# for (or cycle through) the matcher's imports.
_EXPORTS = {
    "Screening": "relay.integrity.screening", "screen": "relay.integrity.screening",
    "note_relayed": "relay.integrity.moderation",
    "warning_text": "relay.integrity.notices", "held_text": "relay.integrity.notices",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'relay.integrity' has no attribute {name!r}")
