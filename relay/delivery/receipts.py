"""Provider receipts (delivered, failed, read, a call's busy or no-answer) applied to the deliveries
they report on.

A receipt can arrive before the send it reports on is recorded, or be missed by both transactions when
several processes run: every receipt is kept (`provider_receipts`) and applied on arrival, again when
the recorder writes the send (`apply_early_receipts`) and by housekeeping (`apply_stranded_receipts`).
Each update is guarded by `status = 'sent'`, so applying one twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Sequence

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from channels.base import StatusUpdate
from relay.core.models import Delivery, DeliveryStatus, ProviderReceipt

PENDING = DeliveryStatus.pending.value
SENT = DeliveryStatus.sent.value

# "read" (WhatsApp) is kept as a receipt of its own (provider_receipts) and, should it come first, means
# delivered.
# A call's words (channels/voice.py): "voicemail" (left after the beep) is delivered; "busy" and "no-answer"
# fail, unless the receipt carries `retry_after` (the channel's retry schedule is not used up yet): then the
# delivery goes back to pending and is called again after that many seconds.
RECEIPT_STATUS = {"delivered": DeliveryStatus.delivered.value, "undelivered": DeliveryStatus.failed.value,
                  "failed": DeliveryStatus.failed.value, "read": DeliveryStatus.delivered.value,
                  "voicemail": DeliveryStatus.delivered.value, "busy": DeliveryStatus.failed.value,
                  "no-answer": DeliveryStatus.failed.value}


def _apply(session: Session, updates: Sequence[StatusUpdate], now: datetime) -> None:
    """Move `sent` deliveries to what their receipts say (executemany: receipts come in thousands)."""
    rows, again = [], []
    for u in updates:
        target = RECEIPT_STATUS.get(u.status)
        if target is None:  # queued / sending / sent: nothing to move
            continue
        if u.retry_after is not None and target == DeliveryStatus.failed.value:
            again.append({"b_pmid": u.provider_message_id, "b_channel": u.channel,
                          "b_at": now + timedelta(seconds=u.retry_after), "b_err": f"provider reported {u.status}; "
                          f"trying again in {u.retry_after:g} s"})
            continue
        error = None if target == DeliveryStatus.delivered.value else (
            f"provider reported {u.status}" + (f" (error {u.error_code})" if u.error_code else ""))
        rows.append({"b_pmid": u.provider_message_id, "b_channel": u.channel, "b_status": target, "b_err": error})
    table = Delivery.__table__
    if again:
        session.connection().execute(
            update(table)
            .where(table.c.provider_message_id == bindparam("b_pmid"), table.c.channel == bindparam("b_channel"),
                   table.c.status == SENT)
            .values(status=PENDING, next_attempt_at=bindparam("b_at"), last_error=bindparam("b_err"),
                    claimed_by=None),
            again,
        )
    if not rows:
        return
    session.connection().execute(
        update(table)
        .where(table.c.provider_message_id == bindparam("b_pmid"), table.c.channel == bindparam("b_channel"),
               table.c.status == SENT)
        .values(status=bindparam("b_status"), finished_at=now, last_error=bindparam("b_err")),
        rows,
    )


def store_receipts(session: Session, updates: Sequence[StatusUpdate], now: datetime) -> None:
    """Keep the receipts, then apply them; a receipt for a send not recorded yet is applied by the
    recorder when it writes that send (see `apply_early_receipts`)."""
    session.connection().execute(insert(ProviderReceipt.__table__), [
        {"channel": u.channel, "provider_message_id": u.provider_message_id, "status": u.status,
         "error_code": u.error_code, "received_at": now, "retry_after": u.retry_after} for u in updates])
    _apply(session, updates, now)


def apply_early_receipts(session: Session, provider_ids: Sequence[str]) -> None:
    if not provider_ids:
        return
    rows = session.execute(
        select(ProviderReceipt.channel, ProviderReceipt.provider_message_id, ProviderReceipt.status,
               ProviderReceipt.error_code, ProviderReceipt.retry_after)
        .where(ProviderReceipt.provider_message_id.in_(list(provider_ids)))
        .order_by(ProviderReceipt.id)
    )
    _apply(session, [StatusUpdate(*row) for row in rows], datetime.now(timezone.utc))


def apply_stranded_receipts(session: Session, now: datetime, *, older_than: float = 2.0, limit: int = 10_000) -> int:
    """Apply receipts that both sides missed: with several processes, a status callback stored by one
    (`store_receipts`) while another was recording the very send it reports on (`record`) is seen by
    neither transaction, and the delivery would stay `sent` for ever. Housekeeping sweeps them up."""
    cutoff = now - timedelta(seconds=older_than)
    rows = session.execute(
        select(ProviderReceipt.channel, ProviderReceipt.provider_message_id, ProviderReceipt.status,
               ProviderReceipt.error_code, ProviderReceipt.retry_after)
        .join(Delivery, and_(Delivery.provider_message_id == ProviderReceipt.provider_message_id,
                             Delivery.channel == ProviderReceipt.channel))
        .where(Delivery.status == SENT, Delivery.sent_at < cutoff, ProviderReceipt.status.in_(list(RECEIPT_STATUS)))
        .order_by(ProviderReceipt.id)
        .limit(limit)
    ).all()
    _apply(session, [StatusUpdate(*row) for row in rows], now)
    return len(rows)

