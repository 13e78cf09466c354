"""relay: the public API that `alerts/` (and any package built on the relay) uses.

Everything here is a name re-exported from the layer that owns it, loaded on first use, so that
`import relay.core.config` stays cheap and no layer imports another through this file. A name a new
caller needs is added to `_NAMES`, under the module that owns it; reaching into `relay.core`,
`relay.delivery` and the other packages from outside is refused by the import contract in pyproject.toml.
"""

from __future__ import annotations

import importlib
from typing import Any

# module -> the names it lends, each under its own name.
_NAMES: dict[str, tuple[str, ...]] = {
    "relay.api.auth": ("Principal", "allow", "principal"),
    "relay.api.common": ("Id", "PROBLEMS", "Relay", "iso", "relay"),
    "relay.core.channels": ("planned_senders",),
    "relay.core.cli_context": ("UsageError", "console", "context", "errors"),
    "relay.core.config": ("ConfigError", "Settings", "describe_validation_error", "refuse_unknown_keys"),
    "relay.core.db": ("required",),
    "relay.core.feature": ("Feature",),
    "relay.core.leases": ("leases_for",),
    "relay.core.models": ("Base", "Broadcast", "BroadcastKind", "BroadcastText", "Delivery", "DeliveryStatus",
                          "Endpoint", "FINAL_STATUSES", "KIND_PRIORITY", "SerialKey", "Subscriber",
                          "SubscriberRegion", "UTCDateTime", "owned_by", "stamped_now", "utcnow"),
    "relay.core.permissions": ("PermissionDenied",),
    "relay.delivery.outbox": ("Audience", "BroadcastError", "BroadcastRequest", "CAP_SEVERITY", "DELIVERY_COLUMNS",
                              "MachineTranslate", "PlannedBroadcast"),
    "relay.delivery.translation_hooks": ("session_translator", "untranslated_note"),
    "relay.geo.area": ("GeoError",),
    "relay.inbound.commands": ("CommandContext", "NotMine"),
    "relay.integrity.models": ("Flag", "ScreenedMessage"),
}
# Modules lent whole, under their last name (`relay.audit` is relay.core.audit).
_MODULES = ("relay.core.audit", "relay.core.permissions", "relay.core.scope", "relay.core.subscribers",
            "relay.delivery.deliveries", "relay.delivery.outbox", "relay.delivery.reach", "relay.inbound.commands",
            "relay.inbound.replies")
# name -> (module, attribute) where the public name is not the owner's.
_RENAMED = {
    "ApiInput": ("relay.api.schemas", "Strict"),
    "area_extras_for_cap": ("relay.geo.cap_area", "extras_for_cap"),
}
# name -> (module, attribute); attribute None means the module itself.
_EXPORTS: dict[str, tuple[str, str | None]] = {
    **{name: (module, name) for module, names in _NAMES.items() for name in names},
    **{module.rpartition(".")[2]: (module, None) for module in _MODULES},
    **_RENAMED,
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'relay' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    found = importlib.import_module(module)
    return found if attribute is None else getattr(found, attribute)
