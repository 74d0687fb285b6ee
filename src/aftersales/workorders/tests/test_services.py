"""The work order services against the database: routing, scoping, the category override,
repeat repairs, QC, custody, quotes and the invoice sequence. Every change leaves a row on
the case's timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from aftersales.billing import services as billing
from aftersales.cases.models import TimelineEntry
from aftersales.cases.services import case_open
from aftersales.core import clock
from aftersales.core.errors import Conflict, Forbidden, Invalid, NotFound
from aftersales.workorders import selectors
from aftersales.workorders import services as wo
from aftersales.workorders.models import WorkOrder

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _dispatch(people, number, *, hours_from_now=1):
    sup, tech = people["supervisor"].user, people["technician"].user
    start = clock.now() + timedelta(hours=hours_from_now)
    wo.work_order_schedule(
        actor=sup, number=number, window_start=start, window_end=start + timedelta(hours=2)
    )
    return wo.work_order_assign(actor=sup, number=number, technician_username=tech.username)


def _finish(people, number, *, fault="E21"):
    tech = people["technician"].user
    wo.work_order_start(actor=tech, number=number)
    wo.work_order_record_visit(
        actor=tech,
        number=number,
        visit=wo.VisitInput(arrived_at=clock.now(), fault_code=fault, result="fixed"),
    )
    return wo.work_order_complete(
        actor=tech, number=number, acceptance=wo.Acceptance(name="Lucía", typed=True)
    )


def _entries(order) -> list[TimelineEntry]:
    return [e for e in TimelineEntry.objects.filter(case=order.case_id) if e.data.get("work_order")]


def test_routing_prefers_the_centre_serving_the_region_then_partners(people, world, repair_case):
    sup = people["supervisor"].user
    assert (
        wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site").centre.code
        == "MAD"
    )
    customer = world["customer"]
    customer.region = "toledo"
    customer.save()
    order = wo.work_order_create(
        actor=people["agent"].user, case_number=repair_case.number, kind="on_site"
    )
    assert order.partner.code == "ASP-A" and order.centre is None
    customer.region = "nowhere"
    customer.save()
    with pytest.raises(Invalid) as refused:
        wo.work_order_create(
            actor=people["agent"].user, case_number=repair_case.number, kind="on_site"
        )
    assert refused.value.field == "centre_code"


def test_a_partner_works_only_on_its_own_orders(people, world, network):
    case, _ = case_open(
        actor=people["partner_a"].user,
        type="repair",
        channel="partner",
        summary="Leaks",
        serial_number="SN-ES-1",
    )
    order = wo.work_order_create(
        actor=people["partner_a"].user,
        case_number=case.number,
        kind="workshop",
        partner_code="ASP-B",
    )
    assert order.partner.code == "ASP-A"
    with pytest.raises(NotFound):
        wo.work_order_start(actor=people["partner_b"].user, number=order.number)
    with pytest.raises(NotFound):
        wo.work_order_create(
            actor=people["partner_b"].user, case_number=case.number, kind="workshop"
        )
    assert selectors.work_order_get(people["partner_b"].user, order.number) is None
    assert selectors.work_order_get(people["partner_a"].user, order.number) == order


def test_a_technician_sees_only_jobs_assigned_to_them(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    tech = people["technician"].user
    assert selectors.work_order_get(tech, order.number) is None
    _dispatch(people, order.number)
    assert selectors.work_order_get(tech, order.number) is not None


def test_only_a_supervisor_overrides_the_category_and_says_why(people, repair_case):
    with pytest.raises(Forbidden):
        wo.work_order_create(
            actor=people["agent"].user,
            case_number=repair_case.number,
            kind="on_site",
            category="A",
            category_reason="x",
        )
    with pytest.raises(Invalid) as refused:
        wo.work_order_create(
            actor=people["supervisor"].user,
            case_number=repair_case.number,
            kind="on_site",
            category="A",
        )
    assert refused.value.field == "category_reason"
    order = wo.work_order_create(
        actor=people["supervisor"].user,
        case_number=repair_case.number,
        kind="on_site",
        category="A",
        category_reason="Liquid damage is not covered",
    )
    assert (order.category, order.category_overridden) == ("A", True)
    assert "Liquid damage" in _entries(order)[0].body
    changed = wo.work_order_set_category(
        actor=people["supervisor"].user,
        number=order.number,
        category="C",
        reason="Photos show no damage",
    )
    assert changed.category == "C"
    assert _entries(order)[-1].data["category"] == {"from": "A", "to": "C"}


def test_planning_status_follows_window_and_assignee(people, repair_case):
    sup = people["supervisor"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    order = wo.work_order_assign(actor=sup, number=order.number, technician_username="technician")
    assert order.status == "draft"
    start = clock.now()
    order = wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    assert order.status == "dispatched"
    order = wo.work_order_assign(actor=sup, number=order.number)
    assert order.status == "scheduled"
    with pytest.raises(Invalid):
        wo.work_order_schedule(actor=sup, number=order.number, window_start=start, window_end=start)


def test_a_technician_of_another_centre_is_refused(people, repair_case, network):
    from aftersales.network.services import service_centre_create, staff_assign_centre

    service_centre_create(code="BCN", name="Barcelona", region="barcelona")
    staff_assign_centre(username="technician", centre_code="BCN")
    order = wo.work_order_create(
        actor=people["admin"].user, case_number=repair_case.number, kind="on_site"
    )
    with pytest.raises(Invalid) as refused:
        wo.work_order_assign(
            actor=people["admin"].user, number=order.number, technician_username="technician"
        )
    assert refused.value.field == "technician"


def test_overlapping_appointments_of_one_technician_are_conflicts(people, repair_case):
    sup = people["supervisor"].user
    first = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    second = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    _dispatch(people, first.number, hours_from_now=1)
    second = _dispatch(people, second.number, hours_from_now=2)
    assert [o.pk for o in selectors.technician_conflicts(second)] == [first.pk]


def test_repeat_repair_within_the_window_links_the_earlier_job(people, repair_case):
    sup = people["supervisor"].user
    first = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    _dispatch(people, first.number)
    _finish(people, first.number)
    second = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    assert second.repeat_of_id == first.pk
    _dispatch(people, second.number)
    wo.work_order_start(actor=people["technician"].user, number=second.number)
    wo.work_order_record_visit(
        actor=people["technician"].user, number=second.number, visit=wo.VisitInput(fault_code="E21")
    )
    second.refresh_from_db()
    assert second.same_fault_repairs == 1
    assert selectors.unit_fault_repairs(repair_case.unit_id) == {"E21": 1}
    with time_machine.travel(clock.now() + timedelta(days=91), tick=False):
        third = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    assert third.repeat_of_id is None


def test_unknown_fault_code_for_the_product_category_is_refused(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    wo.work_order_start(actor=people["technician"].user, number=order.number)
    with pytest.raises(Invalid) as refused:
        wo.work_order_record_visit(
            actor=people["technician"].user,
            number=order.number,
            visit=wo.VisitInput(fault_code="Z99"),
        )
    assert refused.value.field == "fault_code"


def test_needs_parts_parks_the_job_until_resumed(people, repair_case):
    tech = people["technician"].user
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_record_visit(
        actor=tech, number=order.number, visit=wo.VisitInput(result="needs_parts")
    )
    assert WorkOrder.objects.get(pk=order.pk).status == "waiting_parts"
    with pytest.raises(Conflict):
        wo.work_order_complete(actor=tech, number=order.number, result="fixed")
    assert wo.work_order_resume(actor=tech, number=order.number).status == "in_progress"


def test_a_failed_check_sends_the_job_back(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    _finish(people, order.number)
    with pytest.raises(Invalid):
        wo.work_order_verify(actor=people["supervisor"].user, number=order.number, passed=False)
    back = wo.work_order_verify(
        actor=people["supervisor"].user, number=order.number, passed=False, notes="Still leaks"
    )
    assert back.status == "in_progress" and back.completed_at is None
    assert back.checks.get().notes == "Still leaks"


def test_only_the_assigned_technician_works_on_the_card(people, repair_case):
    from aftersales.conftest import make_persona

    other = make_persona("tech2", "technician").user
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    with pytest.raises(NotFound):
        wo.work_order_start(actor=other, number=order.number)


def test_signature_must_be_a_png(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    tech = people["technician"].user
    wo.work_order_start(actor=tech, number=order.number)
    with pytest.raises(Invalid):
        wo.work_order_complete(
            actor=tech,
            number=order.number,
            result="fixed",
            acceptance=wo.Acceptance(name="L", signature_png=b"GIF89a"),
        )
    done = wo.work_order_complete(
        actor=tech,
        number=order.number,
        result="fixed",
        acceptance=wo.Acceptance(name="L", signature_png=PNG),
    )
    assert bytes(done.acceptance_signature) == PNG and not done.acceptance_typed


def test_custody_chain_says_where_the_product_is(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="workshop"
    )
    _dispatch(people, order.number)
    agent, tech, clerk = people["agent"].user, people["technician"].user, people["warehouse"].user
    unit = order.unit
    assert not selectors.unit_whereabouts(unit).in_our_hands
    with pytest.raises(Conflict):
        wo.custody_record(
            actor=agent, number=order.number, event=wo.CustodyInput(kind="returned", signed_by="L")
        )
    wo.custody_record(
        actor=tech, number=order.number, event=wo.CustodyInput(kind="picked_up", accessories="hose")
    )
    with pytest.raises(Conflict):
        wo.custody_record(actor=tech, number=order.number, event=wo.CustodyInput(kind="picked_up"))
    wo.custody_record(
        actor=clerk, number=order.number, event=wo.CustodyInput(kind="received", place="shelf 4")
    )
    where = selectors.unit_whereabouts(unit)
    assert (where.in_our_hands, where.kind, where.place, where.centre) == (
        True,
        "received",
        "shelf 4",
        "Madrid Service",
    )
    receipt = selectors.open_receipt(unit.pk)
    assert receipt.accessories == "hose" and receipt.events.count() == 2
    with pytest.raises(Invalid):
        wo.custody_record(actor=agent, number=order.number, event=wo.CustodyInput(kind="returned"))
    wo.custody_record(
        actor=agent,
        number=order.number,
        event=wo.CustodyInput(kind="returned", signed_by="Lucía", receipt_number=receipt.number),
    )
    receipt.refresh_from_db()
    assert receipt.voided_at is not None
    with pytest.raises(Conflict) as refused:
        wo.custody_record(
            actor=agent,
            number=order.number,
            event=wo.CustodyInput(
                kind="returned", signed_by="Lucía", receipt_number=receipt.number
            ),
        )
    assert refused.value.code == "receipt_voided"
    assert not selectors.unit_whereabouts(unit).in_our_hands
    customer_visible = [e for e in _entries(order) if e.visible_to_customer and "custody" in e.data]
    assert len(customer_visible) == 3


def test_declining_the_quote_cancels_the_job(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user,
        case_number=repair_case.number,
        kind="on_site",
        category="A",
        category_reason="Out of warranty",
    )
    _dispatch(people, order.number)
    tech = people["technician"].user
    wo.work_order_start(actor=tech, number=order.number)
    with pytest.raises(Conflict):
        wo.quote_issue(actor=tech, number=order.number)
    wo.work_order_add_labour(
        actor=tech, number=order.number, minutes=30, labour_code="REP", planned=True
    )
    quote, _secret = wo.quote_issue(actor=tech, number=order.number)
    # 0.5 h at 48, one visit at 25, 21 % tax.
    assert (quote.subtotal, quote.tax, quote.total) == (
        Decimal("49.00"),
        Decimal("10.29"),
        Decimal("59.29"),
    )
    with pytest.raises(Forbidden):
        wo.quote_answer(accept=False, actor=tech, number=order.number)
    wo.quote_answer(accept=False, actor=people["agent"].user, number=order.number)
    assert WorkOrder.objects.get(pk=order.pk).status == "cancelled"
    with pytest.raises(NotFound):
        wo.quote_answer(accept=True, secret="not-the-secret")


def test_quote_goes_to_the_customer_through_the_outbox(
    people, repair_case, django_capture_on_commit_callbacks
):
    from aftersales.notifications.models import OutboxMessage

    order = wo.work_order_create(
        actor=people["supervisor"].user,
        case_number=repair_case.number,
        kind="workshop",
        category="A",
        category_reason="Out of warranty",
    )
    wo.work_order_add_labour(
        actor=people["supervisor"].user,
        number=order.number,
        minutes=60,
        labour_code="REP",
        planned=True,
    )
    with django_capture_on_commit_callbacks():
        wo.quote_issue(actor=people["supervisor"].user, number=order.number)
    message = OutboxMessage.objects.get(event="workorder.quote")
    assert message.recipient == "lucia@example.com" and message.language == "es"


def test_invoice_numbers_have_no_gaps_even_after_a_rollback(people, world, network):
    numbers = []
    for attempt in range(3):
        case, _ = case_open(
            actor=people["agent"].user,
            type="repair",
            channel="phone",
            summary=f"Job {attempt}",
            customer_id=world["customer"].pk,
        )
        order = wo.work_order_create(
            actor=people["supervisor"].user,
            case_number=case.number,
            kind="remote",
            centre_code="MAD",
            category="A",
            category_reason="Paid",
        )
        _dispatch(people, order.number)
        tech = people["technician"].user
        wo.work_order_start(actor=tech, number=order.number)
        wo.work_order_add_labour(actor=tech, number=order.number, minutes=20, labour_code="REM")
        wo.work_order_complete(actor=tech, number=order.number, result="no_fault_found")
        if attempt == 1:
            with pytest.raises(RuntimeError), transaction.atomic():
                billing.invoice_issue(actor=people["agent"].user, number=order.number)
                raise RuntimeError("printer on fire")
        numbers.append(
            billing.invoice_issue(actor=people["agent"].user, number=order.number).number
        )
    year = clock.today().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in (1, 2, 3)]


def test_payments_cannot_exceed_what_is_due(people, world, network):
    case, _ = case_open(
        actor=people["agent"].user,
        type="repair",
        channel="phone",
        summary="Paid job",
        customer_id=world["customer"].pk,
    )
    order = wo.work_order_create(
        actor=people["supervisor"].user,
        case_number=case.number,
        kind="remote",
        centre_code="MAD",
        category="A",
        category_reason="Paid",
    )
    _dispatch(people, order.number)
    tech = people["technician"].user
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=60, labour_code="REM")
    wo.work_order_complete(actor=tech, number=order.number, result="no_fault_found")
    agent = people["agent"].user
    with pytest.raises(Conflict):
        billing.payment_record(actor=agent, number=order.number, amount="10", method="cash")
    invoice = billing.invoice_issue(actor=agent, number=order.number)
    assert invoice.total == Decimal("58.08")  # 48 + 21 %
    with pytest.raises(Invalid) as refused:
        billing.payment_record(actor=agent, number=order.number, amount="60.00", method="cash")
    assert refused.value.code == "overpayment"
    billing.payment_record(actor=agent, number=order.number, amount="50", method="cash")
    assert selectors.amount_due(invoice) == Decimal("8.08")
    with pytest.raises(Invalid):
        billing.payment_record(actor=agent, number=order.number, amount="8.08", method="cheque")


def test_warranty_work_is_costed_but_not_invoiced(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    tech = people["technician"].user
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=2, location_code="MAD-WH"
    )
    with pytest.raises(Invalid):
        wo.work_order_add_part(
            actor=tech,
            number=order.number,
            part_number="DP-100",
            quantity=1,
            location_code="ASPA-WH",
        )
    wo.work_order_record_visit(
        actor=tech, number=order.number, visit=wo.VisitInput(arrived_at=clock.now(), result="fixed")
    )
    wo.work_order_complete(
        actor=tech, number=order.number, acceptance=wo.Acceptance(name="L", typed=True)
    )
    costing = selectors.costing(WorkOrder.objects.get(pk=order.pk))
    # Two pumps at 42.50 and one visit at 25 (no distance recorded): the brand's cost.
    assert [line.kind for line in costing.lines] == ["part", "travel"]
    assert costing.subtotal == Decimal("110.00")
    with pytest.raises(Conflict):
        billing.invoice_issue(actor=people["agent"].user, number=order.number)


def test_every_change_leaves_a_timeline_row(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="on_site"
    )
    _dispatch(people, order.number)
    _finish(people, order.number)
    wo.work_order_verify(actor=people["supervisor"].user, number=order.number, passed=True)
    wo.work_order_close(actor=people["supervisor"].user, number=order.number)
    statuses = [e.data["status"]["to"] for e in _entries(order) if "status" in e.data]
    assert statuses == ["scheduled", "dispatched", "in_progress", "completed", "verified", "closed"]
