"""relay: the public API that `alerts/` (and any package built on the relay) uses.

Everything here is a name re-exported from the layer that owns it, loaded on first use, so that
`import relay.core.config` stays cheap and no layer imports another through this file. A name a new
caller needs is added to `_EXPORTS`; reaching into `relay.core`, `relay.delivery` and the other
packages from outside is refused by the import contract in pyproject.toml.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, attribute); attribute None means the module itself.
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "ApiInput": ("relay.api.schemas", 'Strict'),
    "Audience": ("relay.delivery.outbox", 'Audience'),
    "Base": ("relay.core.models", 'Base'),
    "Broadcast": ("relay.core.models", 'Broadcast'),
    "BroadcastError": ("relay.delivery.outbox", 'BroadcastError'),
    "BroadcastKind": ("relay.core.models", 'BroadcastKind'),
    "BroadcastRequest": ("relay.delivery.outbox", 'BroadcastRequest'),
    "BroadcastText": ("relay.core.models", 'BroadcastText'),
    "CAP_SEVERITY": ("relay.delivery.outbox", 'CAP_SEVERITY'),
    "CommandContext": ("relay.inbound.commands", 'CommandContext'),
    "ConfigError": ("relay.core.config", 'ConfigError'),
    "DELIVERY_COLUMNS": ("relay.delivery.outbox", 'DELIVERY_COLUMNS'),
    "Delivery": ("relay.core.models", 'Delivery'),
    "DeliveryStatus": ("relay.core.models", 'DeliveryStatus'),
    "Endpoint": ("relay.core.models", 'Endpoint'),
    "FINAL_STATUSES": ("relay.core.models", 'FINAL_STATUSES'),
    "GeoError": ("relay.geo.area", 'GeoError'),
    "Feature": ("relay.core.feature", 'Feature'),
    "Flag": ("relay.integrity.models", 'Flag'),
    "Id": ("relay.api.common", 'Id'),
    "KIND_PRIORITY": ("relay.core.models", 'KIND_PRIORITY'),
    "MachineTranslate": ("relay.delivery.outbox", 'MachineTranslate'),
    "NotMine": ("relay.inbound.commands", 'NotMine'),
    "PROBLEMS": ("relay.api.common", 'PROBLEMS'),
    "PermissionDenied": ("relay.core.permissions", 'PermissionDenied'),
    "PlannedBroadcast": ("relay.delivery.outbox", 'PlannedBroadcast'),
    "Principal": ("relay.api.auth", 'Principal'),
    "Relay": ("relay.api.common", 'Relay'),
    "ScreenedMessage": ("relay.integrity.models", 'ScreenedMessage'),
    "Settings": ("relay.core.config", 'Settings'),
    "Subscriber": ("relay.core.models", 'Subscriber'),
    "SubscriberRegion": ("relay.core.models", 'SubscriberRegion'),
    "UTCDateTime": ("relay.core.models", 'UTCDateTime'),
    "UsageError": ("relay.core.cli_context", 'UsageError'),
    "allow": ("relay.api.auth", 'allow'),
    "area_extras_for_cap": ("relay.geo.cap_area", 'extras_for_cap'),
    "audit": ("relay.core.audit", None),
    "commands": ("relay.inbound.commands", None),
    "console": ("relay.core.cli_context", 'console'),
    "context": ("relay.core.cli_context", 'context'),
    "deliveries": ("relay.delivery.deliveries", None),
    "describe_validation_error": ("relay.core.config", 'describe_validation_error'),
    "errors": ("relay.core.cli_context", 'errors'),
    "iso": ("relay.api.common", 'iso'),
    "leases_for": ("relay.core.leases", 'leases_for'),
    "outbox": ("relay.delivery.outbox", None),
    "permissions": ("relay.core.permissions", None),
    "planned_senders": ("relay.core.channels", 'planned_senders'),
    "principal": ("relay.api.auth", 'principal'),
    "reach": ("relay.delivery.reach", None),
    "relay": ("relay.api.common", 'relay'),
    "replies": ("relay.inbound.replies", None),
    "scope": ("relay.core.scope", None),
    "session_translator": ("relay.delivery.translation_hooks", 'session_translator'),
    "subscribers": ("relay.core.subscribers", None),
    "untranslated_note": ("relay.delivery.translation_hooks", 'untranslated_note'),
    "utcnow": ("relay.core.models", 'utcnow'),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'relay' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    found = importlib.import_module(module)
    return found if attribute is None else getattr(found, attribute)
