"""Stock around the service network: the central warehouse, Madrid's store, the
technician's van, partner A's store; a plain part fitting Lucía's washing machine, a
serialised one whose defective unit must come back, and a work order on her repair case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.inventory.services import stock_location_create
from aftersales.workorders import services as wo
from aftersales.workorders.tests.conftest import network, repair_case  # noqa: F401


@pytest.fixture
def stock(people, world, network):  # noqa: F811
    product = world["product"]
    pump = Part.objects.get(number="DP-100")
    pump.cost_price = "20.00"
    pump.save()
    pump.fits.add(product)
    board = Part.objects.create(
        number="MB-200",
        name="Main board",
        list_price="120",
        cost_price="70",
        serialised=True,
        defective_return_required=True,
    )
    board.fits.add(product)
    seal = Part.objects.create(number="SL-300", name="Door seal", list_price="15")
    stock_location_create(
        code="CENTRAL", name="Central warehouse", kind="central", centre_code="MAD"
    )
    stock_location_create(
        code="VAN-1",
        name="Technician's van",
        kind="van",
        technician_username=people["technician"].user.username,
    )
    return {"pump": pump, "board": board, "seal": seal, "product": product}


@pytest.fixture
def order(people, repair_case, stock):  # noqa: F811
    """A work order on the repair case, assigned to the technician and started."""
    sup, tech = people["supervisor"].user, people["technician"].user
    made = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="on_site", centre_code="MAD"
    )
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=made.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_assign(actor=sup, number=made.number, technician_username=tech.username)
    made.refresh_from_db()
    return made
