"""One delivery attempt and its outcome: hand the message to its channel, turn the answer into the outcome
to record, and write outcomes in batches. The dispatcher's only retry policy lives here (with `Backoff`):
rate limits pause the sender and cost no attempt; transient errors retry with backoff up to `max_attempts`;
permanent ones fail at once."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from channels.base import (Channel, ChannelError, Outbound, PermanentError, QuotaExhausted, RateLimited,
                           RecipientMoved, RecipientUnreachable)
from relay.core import metrics
from relay.delivery import deliveries
from relay.delivery.backoff import Backoff
from relay.core.db import Database
from relay.delivery.deliveries import Claimed, Outcome
from relay.delivery.pacing import InFlight

log = logging.getLogger("relay.delivery.dispatcher")


@dataclass(frozen=True)
class RetryPolicy:
    backoff: Backoff
    max_attempts: int
    clock: Callable[[], datetime]
    pause: Callable[[str, float], None]  # (sender key, seconds): the provider asked this sender to wait


async def attempt(channel: Channel, sender: str, item: Claimed, text: str, policy: RetryPolicy,
                  audio: str = "") -> Outcome:
    """One send, and what it came to: the provider's answer classified into the outcome to record."""
    message = Outbound(delivery_id=item.id, sender=sender, to=item.address, text=text, language=item.language,
                       attempt=item.attempts, audio=audio)
    started = time.monotonic()
    try:
        receipt = await channel.send(message)
        metrics.observe_send(channel.name, "accepted", time.monotonic() - started)
    except QuotaExhausted as exc:  # nothing sent; this one waits for room, the sender goes on with the others
        return Outcome(item.id, "requeue", error=f"quota exhausted ({exc})",
                       retry_at=deliveries.retry_time(policy.clock(), exc.retry_after))
    except RateLimited as exc:
        metrics.observe_send(channel.name, "rate_limited", time.monotonic() - started)
        # The provider says this sender is going too fast: pause the whole sender, not just this row.
        # The message itself did nothing wrong, so this costs it no attempt: a crisis alert must not fail
        # because we were paced.
        delay = policy.backoff.delay(1, retry_after=exc.retry_after)
        policy.pause(f"{channel.name}:{sender}", delay)
        return Outcome(item.id, "requeue", error=f"rate limited ({exc.code or 'no code'})",
                       retry_at=deliveries.retry_time(policy.clock(), delay))
    except RecipientMoved as exc:  # the endpoint follows the chat; the message goes again, to the new id
        return Outcome(item.id, "moved", error=f"{exc} (code {exc.code})", endpoint_id=item.endpoint_id,
                       retry_at=policy.clock(), moved_to=exc.new_address)
    except RecipientUnreachable as exc:
        kind = "opted_out" if exc.opted_out else "unreachable"
        return Outcome(item.id, kind, error=f"{exc} (code {exc.code})", endpoint_id=item.endpoint_id)
    except PermanentError as exc:
        return Outcome(item.id, "failed", error=f"{exc} (code {exc.code})")
    except ChannelError as exc:
        metrics.observe_send(channel.name, "error", time.monotonic() - started)
        return retry(item, policy, f"{type(exc).__name__}: {exc}", None)
    except Exception as exc:  # an adapter bug must not lose the delivery: retry it, loudly
        log.exception("channel %s raised an unclassified error for delivery %s", channel.name, item.id)
        return retry(item, policy, f"unexpected {type(exc).__name__}: {exc}", None)
    kind = "sent" if channel.reports_delivery else "delivered"
    return Outcome(item.id, kind, provider_message_id=receipt.provider_message_id)


def retry(item: Claimed, policy: RetryPolicy, error: str, delay: float | None) -> Outcome:
    """Try again later with backoff, or give up after the configured number of attempts."""
    if item.attempts >= policy.max_attempts:
        return Outcome(item.id, "failed", error=f"gave up after {item.attempts} attempts: {error}")
    seconds = delay if delay is not None else policy.backoff.delay(item.attempts)
    return Outcome(item.id, "retry", error=error, retry_at=deliveries.retry_time(policy.clock(), seconds))


async def record_outcomes(database: Database, worker_id: str, outcomes: asyncio.Queue, in_flight: InFlight,
                          clock: Callable[[], datetime], interval: float) -> None:
    """Write outcomes in batches (one transaction each); a batch that could not be written is put back
    and retried, so that a database hiccup does not turn into resends."""
    while True:
        batch = [await outcomes.get()]
        await asyncio.sleep(interval)
        while not outcomes.empty() and len(batch) < 2000:
            batch.append(outcomes.get_nowait())
        try:
            await database.run(deliveries.record, worker_id, batch, clock())
        except Exception:
            # Not written: the rows stay `sending` under our claim. Put the outcomes back and retry so
            # that a database hiccup does not turn into resends.
            log.exception("could not record %d outcomes; retrying", len(batch))
            for outcome in batch:
                outcomes.put_nowait(outcome)
            await asyncio.sleep(1.0)
            continue
        await in_flight.release(len(batch))
