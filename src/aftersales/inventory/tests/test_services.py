"""Stock services against the database: every move kind, the refusals, reservations,
defective returns, replenishment, reconciliation, and the ledger check."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.inventory import selectors
from aftersales.inventory import services as inv
from aftersales.inventory.models import (
    DefectiveReturn,
    ReplenishmentLine,
    StockBalance,
    StockLocation,
    StockMove,
)
from aftersales.workorders import services as wo

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(people):
    return people["warehouse"].user


def on_hand(part: str, location: str) -> tuple[int, int]:
    b = StockBalance.objects.filter(part__number=part, location__code=location).first()
    return (b.on_hand, b.reserved) if b else (0, 0)


def verified() -> bool:
    differences = selectors.stock_verify()
    assert differences == []
    return True


def receive(clerk, part="DP-100", location="CENTRAL", quantity=10, **kw):
    return inv.stock_receive(
        actor=clerk, part_number=part, location_code=location, quantity=quantity, **kw
    )


# --- locations ------------------------------------------------------------------------------


def test_locations_keep_the_old_signature_and_vans_name_their_technician(people, stock):
    assert StockLocation.objects.get(code="MAD-WH").centre.code == "MAD"
    assert StockLocation.objects.get(code="ASPA-WH").partner.code == "ASP-A"
    van = StockLocation.objects.get(code="VAN-1")
    assert van.technician == people["technician"].user and van.centre.code == "MAD"
    with pytest.raises(Invalid) as e:
        inv.stock_location_create(code="VAN-2", name="Van", kind="van", centre_code="MAD")
    assert e.value.field == "technician_username"
    with pytest.raises(Invalid):
        inv.stock_location_create(code="X", name="X", kind="scrap", centre_code="MAD")
    with pytest.raises(Invalid):
        inv.stock_location_create(
            code="X", name="X", technician_username="technician", centre_code="MAD"
        )
    with pytest.raises(Conflict):
        inv.stock_location_create(code="MAD-WH", name="again", centre_code="MAD")


# --- receipts, transfers --------------------------------------------------------------------


def test_receipt_against_a_purchase_and_the_purchase_counts_as_incoming(clerk, stock):
    arrival = clock.today() + timedelta(days=5)
    purchase = inv.purchase_create(
        actor=clerk,
        part_number="DP-100",
        location_code="CENTRAL",
        quantity=8,
        expected_arrival=arrival,
    )
    info = selectors.part_availability_at("DP-100", "CENTRAL")
    assert (info.on_hand, info.incoming, info.expected_arrival) == (0, 8, arrival)
    receive(clerk, quantity=5, purchase_number=purchase.number)
    purchase.refresh_from_db()
    assert purchase.received_quantity == 5 and purchase.status == "open"
    with pytest.raises(Invalid) as e:
        receive(clerk, quantity=4, purchase_number=purchase.number)
    assert e.value.field == "quantity"
    receive(clerk, quantity=3, purchase_number=purchase.number)
    purchase.refresh_from_db()
    assert purchase.status == "received"
    assert on_hand("DP-100", "CENTRAL") == (8, 0)
    move = StockMove.objects.filter(kind="receipt").first()
    assert move.from_location.code == "SUPPLIER" and move.unit_cost == Decimal("20.00")
    assert move.actor == clerk and move.purchase == purchase
    assert verified()


def test_transfer_goes_through_in_transit_visible_with_its_expected_arrival(clerk, stock):
    receive(clerk)
    arrival = clock.today() + timedelta(days=2)
    transfer = inv.transfer_ship(
        actor=clerk,
        part_number="DP-100",
        from_code="CENTRAL",
        to_code="MAD-WH",
        quantity=4,
        expected_arrival=arrival,
    )
    assert on_hand("DP-100", "CENTRAL") == (6, 0)
    assert on_hand("DP-100", "IN-TRANSIT") == (4, 0)
    rows = {a.location: a for a in selectors.part_availability("DP-100")}
    assert rows["MAD-WH"].incoming == 4 and rows["MAD-WH"].expected_arrival == arrival
    assert rows["IN-TRANSIT"].on_hand == 4
    assert verified()
    inv.transfer_receive(actor=clerk, number=transfer.number)
    assert on_hand("DP-100", "IN-TRANSIT") == (0, 0)
    assert on_hand("DP-100", "MAD-WH") == (4, 0)
    with pytest.raises(Conflict):
        inv.transfer_receive(actor=clerk, number=transfer.number)
    with pytest.raises(NotFound):
        inv.transfer_receive(actor=clerk, number="TR-999999")
    kinds = [m.kind for m in StockMove.objects.filter(transfer=transfer).order_by("id")]
    assert kinds == ["transfer_out", "transfer_in"]
    assert verified()


def test_nobody_takes_more_than_is_there(clerk, stock):
    receive(clerk, quantity=2)
    with pytest.raises(Conflict) as e:
        inv.stock_transfer(
            actor=clerk, part_number="DP-100", from_code="CENTRAL", to_code="VAN-1", quantity=3
        )
    assert e.value.code == "insufficient_stock" and e.value.status == 409
    assert e.value.details["available"] == 2 and e.value.details["requested"] == 3
    assert on_hand("DP-100", "CENTRAL") == (2, 0)
    assert not StockMove.objects.filter(kind="transfer_out").exists()
    with pytest.raises(Invalid):
        receive(clerk, quantity=0)
    with pytest.raises(Invalid):
        receive(clerk, location="NOWHERE")
    inv.transfer_ship(
        actor=clerk, part_number="DP-100", from_code="CENTRAL", to_code="VAN-1", quantity=1
    )
    with pytest.raises(Invalid):
        receive(clerk, location="IN-TRANSIT")


# --- serials --------------------------------------------------------------------------------


def test_serials_travel_with_every_move_and_cannot_be_in_two_places(clerk, stock, order):
    with pytest.raises(Invalid) as e:
        receive(clerk, part="MB-200", quantity=2, serials=["S1"])
    assert e.value.code == "serials_count"
    with pytest.raises(Invalid):
        receive(clerk, part="DP-100", quantity=1, serials=["S1"])
    receive(clerk, part="MB-200", quantity=2, serials=["s1", "S2"])
    assert selectors.serial_whereabouts("MB-200", "S1").location.code == "CENTRAL"
    with pytest.raises(Conflict) as e:
        receive(clerk, part="MB-200", location="MAD-WH", quantity=1, serials=["S1"])
    assert e.value.code == "serial_not_here" and e.value.details["where"] == "CENTRAL"
    inv.stock_transfer(
        actor=clerk,
        part_number="MB-200",
        from_code="CENTRAL",
        to_code="VAN-1",
        quantity=1,
        serials=["S1"],
    )
    assert selectors.serial_whereabouts("MB-200", "S1").location.code == "VAN-1"
    with pytest.raises(Conflict) as e:
        inv.stock_transfer(
            actor=clerk,
            part_number="MB-200",
            from_code="CENTRAL",
            to_code="MAD-WH",
            quantity=1,
            serials=["S1"],
        )
    assert e.value.code == "serial_not_here" and e.value.details["where"] == "VAN-1"
    inv.stock_issue(
        actor=clerk,
        work_order_number=order.number,
        part_number="MB-200",
        location_code="VAN-1",
        quantity=1,
        serials=["S1"],
    )
    assert selectors.serial_whereabouts("MB-200", "S1").location.code == "CUSTOMER"
    moves = StockMove.objects.filter(serial="S1").order_by("id")
    assert [m.kind for m in moves] == ["receipt", "transfer_out", "transfer_in", "issue"]
    assert verified()


# --- issues, fit, returns -------------------------------------------------------------------


def test_issue_to_a_work_order_checks_the_fit_unless_a_reason_is_given(clerk, stock, order):
    receive(clerk, part="SL-300", location="VAN-1", quantity=3)
    with pytest.raises(Invalid) as e:
        inv.stock_issue(
            actor=clerk,
            work_order_number=order.number,
            part_number="SL-300",
            location_code="VAN-1",
            quantity=1,
        )
    assert e.value.code == "part_does_not_fit"
    inv.stock_issue(
        actor=clerk,
        work_order_number=order.number,
        part_number="SL-300",
        location_code="VAN-1",
        quantity=1,
        fit_override_reason="same seal, old label",
    )
    assert on_hand("SL-300", "VAN-1") == (2, 0)
    issue = StockMove.objects.get(kind="issue")
    assert issue.work_order == order and issue.to_location.code == "CUSTOMER"


def test_supersession_does_not_imply_fit_but_the_refusal_names_a_fitting_successor(stock, order):
    seal, product = stock["seal"], stock["product"]
    from aftersales.catalog.models import Part

    newer = Part.objects.create(number="SL-301", name="Door seal v2")
    seal.replaced_by = newer
    seal.save()
    assert selectors.part_fit("SL-300", product.pk).successors == [("SL-301", False)]
    newer.fits.add(product)
    fit = selectors.part_fit("SL-300", product.pk)
    assert not fit.fits and fit.successors == [("SL-301", True)]
    with pytest.raises(Invalid) as e:
        inv.reservation_create(
            actor=None,
            work_order_number=order.number,
            part_number="SL-300",
            location_code="VAN-1",
            quantity=1,
        )
    assert "SL-301" in e.value.message


def test_return_unused_never_more_than_the_job_took(clerk, stock, order):
    receive(clerk, location="VAN-1", quantity=5)
    inv.stock_issue(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=2,
    )
    inv.stock_return_unused(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=1,
    )
    with pytest.raises(Conflict) as e:
        inv.stock_return_unused(
            actor=clerk,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="VAN-1",
            quantity=2,
        )
    assert e.value.code == "more_than_issued"
    assert on_hand("DP-100", "VAN-1") == (4, 0)
    assert verified()


def test_scrap_and_return_to_vendor(clerk, stock):
    receive(clerk, quantity=5)
    with pytest.raises(Invalid) as e:
        inv.stock_scrap(
            actor=clerk, part_number="DP-100", location_code="CENTRAL", quantity=1, reason=" "
        )
    assert e.value.field == "reason"
    inv.stock_scrap(
        actor=clerk, part_number="DP-100", location_code="CENTRAL", quantity=1, reason="dropped"
    )
    inv.stock_return_to_vendor(
        actor=clerk, part_number="DP-100", location_code="CENTRAL", quantity=2, reference="RMA-9"
    )
    assert on_hand("DP-100", "CENTRAL") == (2, 0)
    assert not StockBalance.objects.filter(location__code__in=["SCRAP", "SUPPLIER"]).exists()
    assert verified()


def test_adjustments_need_a_reason_and_cannot_write_off_reserved_stock(clerk, stock, order):
    receive(clerk, location="VAN-1", quantity=3)
    with pytest.raises(Invalid) as e:
        inv.stock_adjust(
            actor=clerk, part_number="DP-100", location_code="VAN-1", delta=-1, reason=""
        )
    assert e.value.field == "reason"
    with pytest.raises(Invalid):
        inv.stock_adjust(
            actor=None, part_number="DP-100", location_code="VAN-1", delta=-1, reason="x"
        )
    inv.reservation_create(
        actor=None,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=2,
    )
    with pytest.raises(Conflict) as e:
        inv.stock_adjust(
            actor=clerk, part_number="DP-100", location_code="VAN-1", delta=-2, reason="lost"
        )
    assert e.value.code == "insufficient_stock"
    inv.stock_adjust(
        actor=clerk, part_number="DP-100", location_code="VAN-1", delta=-1, reason="lost"
    )
    move = StockMove.objects.get(kind="adjustment")
    assert move.reason == "lost" and move.actor == clerk and move.to_location.code == "ADJUSTMENT"
    assert inv.stock_count(actor=clerk, part_number="DP-100", location_code="VAN-1", counted=5) == 3
    assert on_hand("DP-100", "VAN-1") == (5, 2)
    assert inv.stock_count(actor=clerk, part_number="DP-100", location_code="VAN-1", counted=5) == 0
    assert verified()


def test_generic_move_entry_point(clerk, stock, order):
    inv.stock_move_create(
        actor=clerk, kind="receipt", part_number="DP-100", quantity=4, to_code="CENTRAL"
    )
    moves = inv.stock_move_create(
        actor=clerk,
        kind="transfer",
        part_number="DP-100",
        quantity=1,
        from_code="CENTRAL",
        to_code="VAN-1",
    )
    assert [m.kind for m in moves] == ["transfer_out"]
    inv.stock_move_create(
        actor=clerk,
        kind="adjustment",
        part_number="DP-100",
        quantity=1,
        from_code="CENTRAL",
        reason="count",
    )
    inv.stock_move_create(
        actor=clerk,
        kind="issue",
        part_number="DP-100",
        quantity=1,
        from_code="CENTRAL",
        work_order_number=order.number,
    )
    with pytest.raises(Invalid):
        inv.stock_move_create(actor=clerk, kind="teleport", part_number="DP-100", quantity=1)
    assert on_hand("DP-100", "CENTRAL") == (1, 0)
    assert verified()


# --- reservations ---------------------------------------------------------------------------


def test_reservation_consumed_partly_releases_the_rest(clerk, stock, order):
    receive(clerk, location="VAN-1", quantity=5)
    r = inv.reservation_create(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=3,
    )
    assert on_hand("DP-100", "VAN-1") == (5, 3)
    assert selectors.part_availability_at("DP-100", "VAN-1").available == 2
    moves = inv.reservation_consume(actor=clerk, number=r.number, quantity=2)
    assert [(m.kind, m.quantity, m.reservation_id) for m in moves] == [("issue", 2, r.pk)]
    r.refresh_from_db()
    assert r.status == "consumed" and r.consumed_quantity == 2
    assert on_hand("DP-100", "VAN-1") == (3, 0)
    with pytest.raises(Conflict):
        inv.reservation_consume(actor=clerk, number=r.number)
    r2 = inv.reservation_create(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=3,
    )
    inv.reservation_release(actor=clerk, number=r2.pk)
    r2.refresh_from_db()
    assert r2.status == "released" and on_hand("DP-100", "VAN-1") == (3, 0)
    with pytest.raises(Conflict):
        inv.reservation_release(actor=clerk, number=r2.number)
    assert verified()


def test_an_unavailable_part_is_refused_with_what_there_is_and_when_more_comes(clerk, stock, order):
    receive(clerk, quantity=5)
    receive(clerk, location="VAN-1", quantity=1)
    arrival = clock.today() + timedelta(days=3)
    inv.transfer_ship(
        actor=clerk,
        part_number="DP-100",
        from_code="CENTRAL",
        to_code="VAN-1",
        quantity=2,
        expected_arrival=arrival,
    )
    with pytest.raises(Conflict) as e:
        inv.reservation_create(
            actor=clerk,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="VAN-1",
            quantity=2,
        )
    d = e.value.details
    assert e.value.code == "insufficient_stock"
    assert (d["available"], d["incoming"], d["expected_arrival"]) == (1, 2, arrival.isoformat())
    assert d["available_elsewhere"] == 3
    assert arrival.isoformat() in e.value.message
    assert not order.reservations.exists()


def test_reservations_scope_to_the_actor_and_one_per_part_line(people, clerk, stock, order):
    receive(clerk, location="VAN-1", quantity=5)
    with pytest.raises(NotFound):
        inv.reservation_create(
            actor=people["partner_a"].user,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="VAN-1",
            quantity=1,
        )
    tech = people["technician"].user
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=1, planned=True
    )
    line = order.parts.get()
    inv.reservation_create(
        actor=tech,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=1,
        part_line_id=line.pk,
    )
    with pytest.raises(Conflict) as e:
        inv.reservation_create(
            actor=tech,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="VAN-1",
            quantity=1,
            part_line_id=line.pk,
        )
    assert e.value.code == "already_reserved"
    assert on_hand("DP-100", "VAN-1") == (5, 1)


def test_van_check_compares_planned_lines_with_the_van(people, clerk, stock, order):
    tech = people["technician"].user
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=2, planned=True
    )
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="MB-200", quantity=1, planned=True
    )
    receive(clerk, location="VAN-1", quantity=2)
    check = selectors.van_check(technician=tech, work_order=order)
    assert check.vans == ["VAN-1"] and not check.ok
    assert [(line.part, line.needed, line.available, line.short) for line in check.lines] == [
        ("DP-100", 2, 2, 0),
        ("MB-200", 1, 0, 1),
    ]
    receive(clerk, part="MB-200", location="VAN-1", quantity=1, serials=["B1"])
    inv.reservation_create(
        actor=tech,
        work_order_number=order.number,
        part_number="MB-200",
        location_code="VAN-1",
        quantity=1,
    )
    assert selectors.van_check(technician=tech, work_order=order).ok


# --- defective returns ----------------------------------------------------------------------


def test_a_warranty_part_comes_back_is_inspected_and_claimed_from_the_supplier(
    settings, clerk, stock, order
):
    settings.INVENTORY_DEFECTIVE_RETURN_DAYS = 10
    assert order.category == "C"
    receive(clerk, part="MB-200", location="VAN-1", quantity=1, serials=["NEW-1"])
    r = inv.reservation_create(
        actor=clerk,
        work_order_number=order.number,
        part_number="MB-200",
        location_code="VAN-1",
        quantity=1,
    )
    inv.reservation_consume(actor=clerk, number=r.number, serials=["NEW-1"])
    line = DefectiveReturn.objects.get()
    assert line.due_on == clock.today() + timedelta(days=10)
    assert line.technician == order.technician and line.status == "due"
    assert list(selectors.defective_returns(overdue_on=clock.today() + timedelta(days=11))) == [
        line
    ]
    with pytest.raises(Conflict):
        inv.defective_return_inspect(actor=clerk, number=line.number, outcome="no_fault_found")
    inv.defective_return_receive(actor=clerk, number=line.number, serials=["OLD-1"])
    assert on_hand("MB-200", "DEFECTIVE") == (1, 0)
    assert selectors.serial_whereabouts("MB-200", "OLD-1").location.code == "DEFECTIVE"
    with pytest.raises(Invalid):
        inv.defective_return_inspect(actor=clerk, number=line.number, outcome="broken")
    inv.defective_return_inspect(actor=clerk, number=line.number, outcome="confirmed_defective")
    with pytest.raises(Invalid):
        inv.defective_return_close(
            actor=clerk, number=line.number, disposition="returned_to_vendor"
        )
    inv.defective_return_close(
        actor=clerk, number=line.number, disposition="returned_to_vendor", recovery_amount="55.5"
    )
    line.refresh_from_db()
    assert line.status == "returned_to_vendor"
    assert (line.recovery_amount, line.recovery_currency) == (Decimal("55.50"), "EUR")
    assert line.disposal_move.kind == "return_to_vendor"
    assert on_hand("MB-200", "DEFECTIVE") == (0, 0)
    assert verified()


def test_no_fault_found_is_scrapped_not_claimed(clerk, stock, order):
    stock["pump"].defective_return_required = True
    stock["pump"].save()
    receive(clerk, location="VAN-1", quantity=2)
    inv.stock_issue(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=2,
    )
    line = DefectiveReturn.objects.get()
    assert line.quantity == 2
    inv.defective_return_receive(actor=clerk, number=line.number)
    inv.defective_return_inspect(actor=clerk, number=line.number, outcome="no_fault_found")
    with pytest.raises(Conflict) as e:
        inv.defective_return_close(
            actor=clerk, number=line.number, disposition="returned_to_vendor", recovery_amount=1
        )
    assert e.value.code == "not_defective"
    inv.defective_return_close(actor=clerk, number=line.number, disposition="scrapped")
    line.refresh_from_db()
    assert line.status == "scrapped" and line.disposal_move.to_location.code == "SCRAP"
    assert verified()


def test_paid_jobs_need_no_defective_return(people, clerk, stock, order):
    stock["pump"].defective_return_required = True
    stock["pump"].save()
    wo.work_order_set_category(
        actor=people["supervisor"].user, number=order.number, category="A", reason="misuse"
    )
    receive(clerk, location="VAN-1", quantity=1)
    inv.stock_issue(
        actor=clerk,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=1,
    )
    assert not DefectiveReturn.objects.exists()


# --- reconciliation -------------------------------------------------------------------------


def test_reconciliation_of_a_technicians_van(people, clerk, stock, order, settings):
    settings.INVENTORY_DEFECTIVE_RETURN_DAYS = 5
    tech = people["technician"].user
    receive(clerk, quantity=20)
    receive(clerk, part="MB-200", quantity=1, serials=["B1"])
    inv.stock_transfer(
        actor=clerk, part_number="DP-100", from_code="CENTRAL", to_code="VAN-1", quantity=10
    )
    inv.stock_transfer(
        actor=clerk,
        part_number="MB-200",
        from_code="CENTRAL",
        to_code="VAN-1",
        quantity=1,
        serials=["B1"],
    )
    inv.stock_issue(
        actor=tech,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=4,
    )
    inv.stock_return_unused(
        actor=tech,
        work_order_number=order.number,
        part_number="DP-100",
        location_code="VAN-1",
        quantity=1,
    )
    inv.stock_issue(
        actor=tech,
        work_order_number=order.number,
        part_number="MB-200",
        location_code="VAN-1",
        quantity=1,
        serials=["B1"],
    )
    inv.stock_transfer(
        actor=tech, part_number="DP-100", from_code="VAN-1", to_code="CENTRAL", quantity=2
    )
    inv.stock_count(actor=clerk, part_number="DP-100", location_code="VAN-1", counted=4)
    today = clock.today()
    report = selectors.reconciliation(
        technician=tech, date_from=today, date_to=today, as_of=today + timedelta(days=6)
    )
    assert report.locations == ["VAN-1"]
    pump = {p.part: p.figures for p in report.parts}["DP-100"]
    assert (pump.opening, pump.received, pump.consumed, pump.returned_unused) == (0, 10, 3, 2)
    assert (pump.closing, pump.expected_closing, pump.difference) == (4, 5, -1)
    assert report.total.received == 11
    assert (report.defective_due, report.defective_received, report.defective_overdue) == (1, 0, 1)
    earlier = selectors.reconciliation(
        technician=tech, date_from=today - timedelta(days=10), date_to=today - timedelta(days=1)
    )
    assert earlier.parts == [] and earlier.defective_due == 0
    later = selectors.reconciliation(
        technician=tech, date_from=today + timedelta(days=1), date_to=today + timedelta(days=2)
    )
    assert {p.part: p.figures.opening for p in later.parts}["DP-100"] == 4


def test_reconciliation_of_a_partner(people, clerk, stock):
    receive(clerk, location="ASPA-WH", quantity=3)
    partner = people["partner_a"].user.partner
    report = selectors.reconciliation(
        partner_id=partner.pk, date_from=clock.today(), date_to=clock.today()
    )
    assert report.locations == ["ASPA-WH"] and report.total.received == 3
    assert report.total.closing == 3 and report.total.difference == 0


# --- replenishment and supply obligation ----------------------------------------------------


def test_replenishment_proposes_transfers_and_central_purchases(clerk, stock, order):
    receive(clerk, quantity=4)
    receive(clerk, location="MAD-WH", quantity=1)
    inv.reorder_rule_set(part_number="DP-100", location_code="CENTRAL", minimum=2, maximum=10)
    inv.reorder_rule_set(part_number="DP-100", location_code="VAN-1", minimum=1, maximum=3)
    inv.reorder_rule_set(part_number="DP-100", location_code="MAD-WH", minimum=2, maximum=6)
    inv.reorder_rule_set(part_number="SL-300", location_code="MAD-WH", minimum=0, maximum=2)
    # One unit for MAD-WH is already on its way: MAD-WH projects 2 (at its point) → 4 more.
    inv.transfer_ship(
        actor=clerk, part_number="DP-100", from_code="CENTRAL", to_code="MAD-WH", quantity=1
    )
    with pytest.raises(Invalid):
        inv.reorder_rule_set(part_number="DP-100", location_code="VAN-1", minimum=5, maximum=3)
    run = inv.replenishment_run(actor=clerk)
    lines = {
        (line.kind, line.part.number, line.to_location.code): line
        for line in selectors.replenishment_lines(run.pk)
    }
    assert run.rules_checked == 4
    # Central has 3 available: MAD-WH needs 4 (largest first) and gets 3; the van needs 3, gets 0.
    assert lines[("transfer", "DP-100", "MAD-WH")].quantity == 3
    assert ("transfer", "DP-100", "VAN-1") not in lines
    purchase = lines[("purchase", "DP-100", "CENTRAL")]
    assert purchase.unmet == 4 and purchase.quantity == 14
    assert lines[("purchase", "SL-300", "CENTRAL")].quantity == 2
    assert run.transfer_lines == 1 and run.purchase_lines == 2
    assert ReplenishmentLine.objects.filter(run=run).count() == 3


def test_parts_under_supply_obligation_at_risk(clerk, stock):
    product = stock["product"]
    product.end_of_production = date(2020, 6, 30)
    product.save()
    board = stock["board"]
    board.supply_obligation_years = 10
    board.save()
    pump = stock["pump"]
    pump.supply_obligation_years = 1
    pump.save()
    at_risk = selectors.supply_at_risk(on=date(2026, 1, 1))
    assert [(r.part, r.reason, r.obligation_until) for r in at_risk] == [
        ("MB-200", "no_stock", date(2030, 6, 30))
    ]
    receive(clerk, part="MB-200", quantity=1, serials=["B9"])
    assert selectors.supply_at_risk(on=date(2026, 1, 1)) == []
    assert [r.part for r in selectors.supply_at_risk(on=date(2026, 1, 1), minimum=2)] == ["MB-200"]


# --- the check ------------------------------------------------------------------------------


def test_stock_verify_finds_a_tampered_balance_and_the_command_fails(clerk, stock, capsys):
    receive(clerk, quantity=3)
    call_command("stock_verify")
    assert "OK" in capsys.readouterr().out
    StockBalance.objects.filter(location__code="CENTRAL").update(on_hand=2)
    differences = selectors.stock_verify()
    assert [(d.what, d.part, d.location, d.book, d.ledger) for d in differences] == [
        ("on_hand", "DP-100", "CENTRAL", 2, 3)
    ]
    with pytest.raises(CommandError):
        call_command("stock_verify")
    assert "DP-100" in capsys.readouterr().out
