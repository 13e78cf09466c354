"""Keep the garbage collector's full passes short, so they do not stall the event loop.

A started relay holds some 400,000 objects that live as long as the process (modules, settings, the
SQLAlchemy mappers, the FastAPI app, models, the claim index). CPython's full (generation 2) collection
walks all of them, holding the GIL for 150-350 ms on this kind of machine, and it runs on whichever thread
happens to allocate: often the event loop, which then answers no webhook and no /healthz for that long
(bench/hostile.py saw it as an intermittent 320 ms block on the bridged Telegram door). Freezing moves what
is alive now into the permanent generation, which collections skip; later garbage is still collected.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle(reason: str) -> None:
    """Freeze what is alive now (cheap: the collector's lists are spliced, nothing is walked). Call it after
    a long-lived structure has been built: the end of start-up, a bulk load of the claim index."""
    gc.freeze()
    log.debug("heap settled after %s: %d objects frozen", reason, gc.get_freeze_count())
