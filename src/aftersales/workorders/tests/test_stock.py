"""The repair card and the stock ledger agree: a planned part is reserved, a fitted part is
issued (consuming its reservation), a part that is not there parks the job, and cancelling
gives the reservation back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid
from aftersales.inventory.models import Reservation, StockMove
from aftersales.inventory.selectors import part_availability_at, stock_verify
from aftersales.inventory.services import purchase_create
from aftersales.workorders import services as wo
from aftersales.workorders.models import WorkOrder


def _started(people, case, kind="on_site"):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=case.number, kind=kind)
    start = clock.now()
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.work_order_start(actor=tech, number=order.number)
    return order


def _stock(location="MAD-WH"):
    found = part_availability_at("DP-100", location)
    return found.on_hand, found.reserved


def test_a_fitted_part_is_issued_from_the_location(people, repair_case):
    order = _started(people, repair_case)
    wo.work_order_add_part(
        actor=people["technician"].user,
        number=order.number,
        part_number="DP-100",
        quantity=2,
        location_code="MAD-WH",
    )
    assert _stock() == (18, 0)
    move = StockMove.objects.get(work_order_id=order.pk)
    assert (move.kind, move.quantity) == ("issue", 2)
    assert stock_verify() == []


def test_a_planned_part_is_reserved_then_consumed_when_fitted(people, repair_case):
    tech = people["technician"].user
    order = _started(people, repair_case)
    wo.work_order_add_part(
        actor=tech,
        number=order.number,
        part_number="DP-100",
        quantity=1,
        location_code="MAD-WH",
        planned=True,
    )
    assert _stock() == (20, 1)
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=1, location_code="MAD-WH"
    )
    assert _stock() == (19, 0)
    assert Reservation.objects.get(work_order_id=order.pk).status == "consumed"


def test_a_missing_part_parks_the_job_and_says_when_more_comes(people, repair_case):
    purchase_create(
        actor=None,
        part_number="DP-100",
        location_code="MAD-WH",
        quantity=5,
        expected_arrival=clock.today() + timedelta(days=4),
    )
    order = _started(people, repair_case)
    wo.work_order_add_part(
        actor=people["technician"].user,
        number=order.number,
        part_number="DP-100",
        quantity=25,
        location_code="MAD-WH",
        planned=True,
    )
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.status == "waiting_parts"
    told = order.case.timeline.filter(data__waiting_for_part="DP-100").get()
    assert told.visible_to_customer
    assert (clock.today() + timedelta(days=4)).isoformat() in told.body
    assert _stock() == (20, 0)


def test_fitting_more_than_the_shelf_holds_is_refused(people, repair_case):
    order = _started(people, repair_case)
    with pytest.raises(Conflict) as refused:
        wo.work_order_add_part(
            actor=people["technician"].user,
            number=order.number,
            part_number="DP-100",
            quantity=21,
            location_code="MAD-WH",
        )
    assert refused.value.code == "insufficient_stock"
    assert not order.parts.exists()  # the line went with the refused issue


def test_cancelling_releases_the_reservation(people, repair_case):
    order = _started(people, repair_case)
    wo.work_order_add_part(
        actor=people["technician"].user,
        number=order.number,
        part_number="DP-100",
        quantity=3,
        location_code="MAD-WH",
        planned=True,
    )
    wo.work_order_cancel(
        actor=people["supervisor"].user, number=order.number, reason="Customer sold it"
    )
    assert _stock() == (20, 0)
    assert Reservation.objects.get(work_order_id=order.pk).status == "released"


def test_a_part_that_does_not_fit_needs_a_reason(people, repair_case):
    from aftersales.catalog.models import Part

    Part.objects.create(number="DP-200", name="Other pump", list_price="30")
    order = _started(people, repair_case)
    with pytest.raises(Invalid) as refused:
        wo.work_order_add_part(
            actor=people["technician"].user, number=order.number, part_number="DP-200", quantity=1
        )
    assert refused.value.code == "part_does_not_fit"
    line = wo.work_order_add_part(
        actor=people["technician"].user,
        number=order.number,
        part_number="DP-200",
        quantity=1,
        fit_override_reason="Same pump, new supplier code",
    )
    assert line.part_number == "DP-200"
