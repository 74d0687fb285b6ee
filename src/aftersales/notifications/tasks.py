"""Thin Huey tasks over the outbox services. Huey's own retries are not used: the outbox row
keeps the attempts, the backoff and the error, and the sweep is what guarantees delivery."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.notifications import services


@db_task()
def send_outbox_message(message_id: int) -> None:
    """Asked for on commit of the transaction that wrote the message: sends it now."""
    services.outbox_send(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Retries that have come due, messages whose send task was lost, and rows left `sending`
    by a worker that died."""
    services.outbox_sweep()
