from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from aftersales.cases import services as cases
from aftersales.customers import services as customers

MADRID = ZoneInfo("Europe/Madrid")
# Monday 10:00 in Madrid, winter time (UTC+1); summer time starts on 2026-03-29. Kept in UTC
# so that `MONDAY_10 + 30 * D` is 30 real days (aware arithmetic in a zone is wall-clock).
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID).astimezone(UTC)


@pytest.fixture
def at():
    """at(instant) moves the one clock there (and keeps it still) until the next call."""
    travellers: list = []

    def move(instant: datetime) -> datetime:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(instant, tick=False)
        traveller.start()
        travellers.append(traveller)
        return instant

    yield move
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def customer(db):
    return customers.customer_create(
        name="Lucía García",
        email="lucia@example.com",
        phone="612 345 678",
        country="ES",
        language="es",
    )


@pytest.fixture
def staff_emails(people):
    """Every brand persona gets an e-mail address (personas have none by default)."""
    for role in ("admin", "manager", "supervisor", "agent", "technician"):
        user = people[role].user
        user.email = f"{role}@brand.example"
        user.save(update_fields=["email"])
    return people


@pytest.fixture
def open_case(people, customer):
    def make(type: str = "repair", *, actor: str = "agent", **extra):
        case, _reused = cases.case_open(
            actor=people[actor].user,
            type=type,
            channel="phone",
            summary=f"{type} request",
            customer_id=customer.pk,
            **extra,
        )
        return case

    return make
