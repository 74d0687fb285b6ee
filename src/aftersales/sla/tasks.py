"""Thin Huey tasks over the SLA services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.sla import services


@db_periodic_task(crontab(minute="*"))
def sla_escalation_sweep() -> None:
    """Every minute: fire the escalation levels that have come due (one indexed query when
    none has)."""
    services.escalation_sweep()
