from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.billing import services as billing
from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid
from aftersales.workorders import selectors
from aftersales.workorders import services as wo

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_on_site_flow(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    assert order.centre.code == "MAD" and order.status == "draft" and order.category == "C"
    start = clock.now() + timedelta(hours=2)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    order = wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    assert order.status == "dispatched"
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_record_visit(
        actor=tech,
        number=order.number,
        visit=wo.VisitInput(arrived_at=clock.now(), fault_code="e21", result="fixed"),
    )
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=45, labour_code="rep")
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=1, location_code="MAD-WH"
    )
    with pytest.raises(Invalid):
        wo.work_order_complete(actor=tech, number=order.number)
    order = wo.work_order_complete(
        actor=tech, number=order.number, acceptance=wo.Acceptance(name="Lucía", signature_png=PNG)
    )
    assert order.status == "completed"
    order = wo.work_order_verify(actor=sup, number=order.number, passed=True)
    order = wo.work_order_close(actor=sup, number=order.number)
    assert order.status == "closed"
    c = selectors.costing(order)
    assert c.total > 0


def test_workshop_and_paid(people, repair_case):
    sup, tech, agent = people["supervisor"].user, people["technician"].user, people["agent"].user
    order = wo.work_order_create(
        actor=sup,
        case_number=repair_case.number,
        kind="workshop",
        category="A",
        category_reason="Water damage, not covered",
    )
    start = clock.now()
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.custody_record(
        actor=tech,
        number=order.number,
        event=wo.CustodyInput(kind="picked_up", accessories="hose", condition="scratched"),
    )
    wo.custody_record(
        actor=people["warehouse"].user,
        number=order.number,
        event=wo.CustodyInput(kind="received", place="shelf 4"),
    )
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_add_labour(
        actor=tech, number=order.number, minutes=60, labour_code="REP", planned=True
    )
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=1, planned=True
    )
    quote, secret = wo.quote_issue(actor=tech, number=order.number)
    assert quote.total == pytest.approx(type(quote.total)("109.51"))
    wo.quote_answer(accept=True, secret=secret)
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=60, labour_code="REP")
    wo.work_order_add_part(actor=tech, number=order.number, part_number="DP-100", quantity=1)
    order = wo.work_order_complete(actor=tech, number=order.number, result="fixed")
    order = wo.work_order_verify(actor=sup, number=order.number, passed=True)
    where = selectors.unit_whereabouts(order.unit)
    assert where.ready_for_pickup
    invoice = billing.invoice_issue(actor=agent, number=order.number)
    assert invoice.number.endswith("000001")
    with pytest.raises(Conflict):
        wo.work_order_close(actor=sup, number=order.number)
    receipt = selectors.open_receipt(order.unit_id)
    wo.custody_record(
        actor=agent,
        number=order.number,
        event=wo.CustodyInput(kind="returned", signed_by="Lucía", receipt_number=receipt.number),
    )
    with pytest.raises(Conflict):
        wo.custody_record(
            actor=agent,
            number=order.number,
            event=wo.CustodyInput(
                kind="returned", signed_by="Lucía", receipt_number=receipt.number
            ),
        )
    billing.payment_record(actor=agent, number=order.number, amount=invoice.total, method="card")
    order = wo.work_order_close(actor=sup, number=order.number)
    assert order.status == "closed"
