"""Thin Huey tasks over claims scoring."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="10"))
def claims_rescore_nightly() -> None:
    """Every night: refresh the peer statistics and rescore every claim, so that scores
    follow the peer groups as they move; then send back to review the automatically approved,
    still unpaid claims whose risk has reached the threshold."""
    from aftersales.claims import scoring, services

    scored = scoring.rescore_all()
    moved = services.claims_recheck_unpaid()
    log.info("rescored %s claims; %s sent back to review", scored, len(moved))
