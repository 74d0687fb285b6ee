"""Thin Huey tasks over the returns services."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import clock
from aftersales.core.errors import DomainError
from aftersales.returns import selectors, services

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="2", minute="20"))
def charge_unreturned_advance_replacements() -> None:
    """Every night: invoice each advance replacement whose faulty unit is overdue. One
    transaction per return, so one that cannot be charged does not hold up the others."""
    today = clock.today()
    for number in selectors.unreturned_advance_replacements(today):
        try:
            services.rma_charge_unreturned(number=number, on=today)
        except DomainError:
            log.exception("could not charge the advance replacement on %s", number)
