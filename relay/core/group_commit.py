"""Group commit: many concurrent requests, one transaction.

A webhook must not be answered before its effect is durable, but one transaction per webhook makes
the database the bottleneck of a fan-out (two receipts per message). Requests queue their item and
wait; one writer commits everything queued so far in a single transaction, then answers them all.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Generic, Sequence, TypeVar

from sqlalchemy.orm import Session

from relay.core.db import Database
from relay.core.tasks import TaskSet

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, database: Database, write: Callable[[Session, Sequence[T]], None], max_batch: int = 1000):
        self.database = database
        self.write = write
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[None]]] | None = None
        self._tasks = TaskSet()

    async def submit(self, item: T) -> None:
        """Return once `item` is committed; raise what the write raised if it was not."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._tasks.spawn(self._writer(), name="group-commit")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, done))
        await done

    async def _writer(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < self.max_batch:
                batch.append(self._queue.get_nowait())
            try:
                await self.database.run(self.write, [item for item, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def close(self) -> None:
        await self._tasks.cancel_all()
