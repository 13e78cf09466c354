"""The dispatcher's timed chores, every 5 s: expire what is past its time, apply receipts that arrived
before their send was recorded, ask the provider about deliveries whose receipt never came
(relay/delivery/receipt_lookup.py), and check that the sender leases are still ours."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Mapping

from channels.base import Channel, ChannelError, StatusUpdate
from relay.core.config import DispatcherSettings
from relay.core.db import Database
from relay.core.leases import SenderLeases
from relay.delivery import deliveries, receipt_lookup, receipts

log = logging.getLogger("relay.delivery.dispatcher")


class Housekeeping:
    def __init__(self, database: Database, channels: Mapping[str, Channel], settings: DispatcherSettings,
                 leases: SenderLeases, clock: Callable) -> None:
        self.database = database
        self.channels = channels
        self.settings = settings
        self.leases = leases
        self.clock = clock

    async def _db(self, fn, *args):
        return await self.database.run(fn, *args)

    async def run(self) -> None:
        while True:
            try:
                await self._db(deliveries.expire_due, self.clock())
                await self._db(receipts.apply_stranded_receipts, self.clock())
                await self._look_up_lost_receipts()
                check = getattr(self.leases, "check", None)
                if check is not None:
                    await asyncio.to_thread(check)
            except Exception:
                log.exception("housekeeping failed; will try again")
            await asyncio.sleep(5.0)

    async def _look_up_lost_receipts(self) -> None:
        """Ask the provider about this process's deliveries whose status callback never came (see
        relay/delivery/receipt_lookup.py). Only senders whose lease this process holds, so workers never ask twice."""
        after = self.settings.receipt_check_seconds
        if not after:
            return
        held = [sender for channel in self.channels.values() if getattr(channel, "fetch_status", None) is not None
                for sender in channel.senders() if self.leases.held(f"{channel.name}:{sender}")]
        overdue = await self._db(receipt_lookup.take_overdue, held, self.clock(), after)
        if not overdue:
            return
        by_name = {channel.name: channel for channel in self.channels.values()}
        lookups = asyncio.Semaphore(5)  # a few at a time: the sends share the account's API concurrency

        async def ask(item: receipt_lookup.Overdue) -> StatusUpdate | None:
            async with lookups:
                try:
                    return await by_name[item.channel].fetch_status(item.provider_message_id)
                except ChannelError as exc:
                    log.warning("could not look up the status of delivery %s: %s", item.delivery_id, exc)
                    return None

        answers = await asyncio.gather(*(ask(item) for item in overdue))
        final = [a for a in answers if a is not None and a.status in receipts.RECEIPT_STATUS]
        if final:  # still "sent" at the provider: asked again an interval later
            await self._db(receipts.store_receipts, final, self.clock())
        log.info("looked up %d deliveries whose receipt never came: %d now final", len(overdue), len(final))
