"""The claims world: the work orders' network (partner A serves madrid with washing
machines; DP-100 fits WM-1) and partner A's completed, customer-accepted repair of Lucía's
washing machine, with a standard time for the pump job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.claims import services
from aftersales.claims.models import LabourStandard
from aftersales.core import clock
from aftersales.workorders import services as wo
from aftersales.workorders.tests.conftest import (  # noqa: F401
    network,
    pumps_on_the_shelves,
    repair_case,
)

SERIAL = "SN-ES-1"


@pytest.fixture
def standards(db):
    return LabourStandard.objects.create(
        product_line="washing_machine", labour_code="PUMP", minutes=30
    )


@pytest.fixture
def job(people, repair_case, standards):  # noqa: F811
    """Partner A's job on Lucía's washing machine, completed today and accepted (typed)."""
    sup = people["manager"].user
    partner = people["partner_a"].user
    order = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="on_site", partner_code="ASP-A"
    )
    start = clock.now() - timedelta(hours=3)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_start(actor=partner, number=order.number)
    wo.work_order_record_visit(
        actor=partner,
        number=order.number,
        visit=wo.VisitInput(arrived_at=clock.now(), fault_code="E21", result="fixed"),
    )
    return wo.work_order_complete(
        actor=partner, number=order.number, acceptance=wo.Acceptance(name="Lucía", typed=True)
    )


def good_lines(minutes: int = 30) -> list[dict]:
    """A labour line within the standard and a fitting pump."""
    return [
        {
            "kind": "labour",
            "description": "Replace the drain pump",
            "labour_code": "PUMP",
            "minutes": minutes,
            "quantity": 1,
            "unit_price": "23.40",
        },
        {"kind": "part", "part_number": "DP-100", "quantity": 1, "unit_price": "42.50"},
    ]


@pytest.fixture
def submit(people, job):
    """Submits a claim on the job as partner A; keyword arguments override the defaults."""

    def make(**overrides):
        args = {
            "actor": people["partner_a"].user,
            "work_order_number": job.number,
            "serial_number": SERIAL,
            "repair_date": clock.today(),
            "fault_code": "E21",
            "invoice_number": "",
            "lines": good_lines(),
        }
        args.update(overrides)
        return services.claim_submit(**args)

    return make


@pytest.fixture
def in_review(submit):
    """A claim in review: labour above the standard, no explanation."""
    claim = submit(lines=good_lines(minutes=75), invoice_number="INV-R1")
    assert claim.status == "review", claim.findings
    return claim
