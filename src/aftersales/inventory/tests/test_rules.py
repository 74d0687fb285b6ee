"""The stock rules without a database: routes, serials, replenishment arithmetic (with
hypothesis), fit, supersession, defective-return dates, supply obligations, reconciliation."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from aftersales.inventory import rules
from aftersales.inventory.rules import Kind, MoveKind, Position, ReorderPoint

counts = st.integers(min_value=0, max_value=500)


@st.composite
def points(draw):
    maximum = draw(st.integers(min_value=1, max_value=500))
    return ReorderPoint(draw(st.integers(min_value=0, max_value=maximum)), maximum)


@st.composite
def positions(draw):
    on_hand = draw(counts)
    return Position(on_hand, draw(st.integers(min_value=0, max_value=on_hand)), draw(counts))


@given(positions(), points())
def test_replenishment_never_negative_and_brings_stock_to_the_maximum(pos, point):
    qty = rules.replenish_quantity(pos, point)
    assert qty >= 0
    if pos.projected > point.minimum:
        assert qty == 0
    else:
        assert pos.projected + qty == point.maximum


@given(positions(), points(), st.integers(min_value=1, max_value=50))
def test_incoming_stock_never_raises_the_proposal(pos, point, more):
    arriving = Position(pos.on_hand, pos.reserved, pos.incoming + more)
    assert rules.replenish_quantity(arriving, point) <= rules.replenish_quantity(pos, point)


@given(positions(), points(), st.integers(min_value=0, max_value=50))
def test_reservations_never_lower_the_proposal(pos, point, more):
    extra = min(more, pos.on_hand - pos.reserved)
    promised = Position(pos.on_hand, pos.reserved + extra, pos.incoming)
    assert rules.replenish_quantity(promised, point) >= rules.replenish_quantity(pos, point)


@given(counts, st.lists(st.tuples(st.text(max_size=3), counts), max_size=8))
def test_allocation_gives_no_more_than_asked_or_available(available, requests):
    given_ = rules.allocate(available, requests)
    assert [k for k, _ in given_] == [k for k, _ in requests]
    assert all(0 <= g <= w for (_, g), (_, w) in zip(given_, requests, strict=True))
    assert sum(g for _, g in given_) == min(available, sum(w for _, w in requests))


@given(
    positions(),
    st.one_of(st.none(), points()),
    st.lists(st.tuples(positions(), points()), max_size=6),
)
def test_a_part_plan_moves_what_the_centre_has_and_buys_the_rest(central, central_point, stores):
    locations = [(f"L{i}", pos, point) for i, (pos, point) in enumerate(stores)]
    plan = rules.plan_part(central=central, central_point=central_point, locations=locations)
    needs = {k: rules.replenish_quantity(p, pt) for k, p, pt in locations}
    given_ = sum(q for _, q in plan.transfers)
    assert all(0 < q <= needs[k] for k, q in plan.transfers)
    assert given_ <= rules.available(central.on_hand, central.reserved)
    assert plan.unmet == sum(needs.values()) - given_
    assert plan.purchase >= plan.unmet - central.incoming
    assert plan.purchase >= 0
    if central_point is not None and plan.purchase:
        left = central.on_hand - given_ - central.reserved - plan.unmet + central.incoming
        assert left + plan.purchase == central_point.maximum


def test_a_store_below_its_point_gets_a_transfer_and_the_centre_buys_the_shortfall():
    plan = rules.plan_part(
        central=Position(3),
        central_point=ReorderPoint(2, 10),
        locations=[
            ("VAN", Position(0), ReorderPoint(1, 5)),
            ("SHOP", Position(4), ReorderPoint(1, 5)),
        ],
    )
    assert plan.transfers == [("VAN", 3)]
    assert plan.unmet == 2
    # Centre: 0 left, 2 owed to the van: buy 12 to be back at 10 after serving it.
    assert plan.purchase == 12


def test_reorder_point_refusals():
    assert rules.reorder_point_refusal(2, 10) is None
    assert rules.reorder_point_refusal(-1, 10) == "minimum_negative"
    assert rules.reorder_point_refusal(0, 0) == "maximum_not_positive"
    assert rules.reorder_point_refusal(11, 10) == "minimum_above_maximum"


def test_routes():
    assert rules.route_refusal(MoveKind.RECEIPT, Kind.SUPPLIER, Kind.CENTRAL) is None
    assert rules.route_refusal(MoveKind.RECEIPT, Kind.CUSTOMER, Kind.CENTRAL) == "wrong_route"
    assert rules.route_refusal(MoveKind.TRANSFER_OUT, Kind.VAN, Kind.IN_TRANSIT) is None
    assert rules.route_refusal(MoveKind.ISSUE, Kind.IN_TRANSIT, Kind.CUSTOMER) == "wrong_route"
    assert rules.route_refusal(MoveKind.SCRAP, Kind.DEFECTIVE, Kind.SCRAP) is None
    assert rules.route_refusal(MoveKind.ADJUSTMENT, Kind.VAN, Kind.CENTRAL) == "wrong_route"
    assert rules.route_refusal(MoveKind.ADJUSTMENT, Kind.ADJUSTMENT, Kind.VAN) is None
    assert rules.route_refusal("teleport", Kind.VAN, Kind.CENTRAL) == "unknown_kind"


def test_only_counted_places_keep_balances():
    assert rules.is_tracked(Kind.VAN) and rules.is_tracked(Kind.IN_TRANSIT)
    assert rules.is_tracked(Kind.DEFECTIVE)
    assert not any(rules.is_tracked(k) for k in (Kind.SUPPLIER, Kind.CUSTOMER, Kind.SCRAP))


@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2]),
            st.sampled_from([10, 11, 99]),
            st.sampled_from([10, 11, 99]),
            st.integers(1, 9),
        ),
        max_size=20,
    )
)
def test_balance_deltas_conserve_units_between_tracked_places(moves):
    moves = [(p, a, b, q) for p, a, b, q in moves if a != b]
    deltas = rules.balance_deltas(moves, tracked={10, 11})
    outside = sum(q for _, a, b, q in moves if b == 99) - sum(q for _, a, b, q in moves if a == 99)
    assert sum(deltas.values()) == -outside


def test_serials():
    assert rules.serials_refusal(serialised=False, quantity=2, serials=[]) is None
    assert (
        rules.serials_refusal(serialised=False, quantity=1, serials=["A"]) == "serial_not_expected"
    )
    assert rules.serials_refusal(serialised=True, quantity=2, serials=["A"]) == "serials_count"
    assert (
        rules.serials_refusal(serialised=True, quantity=2, serials=["A", "a "]) == "serial_repeated"
    )
    assert rules.serials_refusal(serialised=True, quantity=1, serials=[" "]) == "serial_blank"
    assert rules.serials_refusal(serialised=True, quantity=2, serials=["A", "B"]) is None


def test_fit_needs_the_listing_or_a_reason():
    assert rules.fit_verdict(fits=True).allowed
    assert not rules.fit_verdict(fits=False).allowed
    assert rules.fit_verdict(fits=False, override_reason="same pump, new label").overridden
    assert rules.fit_verdict(fits=False, override_reason="  ").code == "part_does_not_fit"


def test_supersession_chain_follows_successors_and_stops_at_a_loop():
    assert rules.supersession_chain(1, {1: 2, 2: 3, 3: None}) == [1, 2, 3]
    assert rules.supersession_chain(1, {1: 2, 2: 1}) == [1, 2]
    assert rules.supersession_chain(5, {}) == [5]


def test_defective_returns_are_due_for_warranty_jobs_only():
    assert rules.defective_return_needed(category="C", required_by_part=True)
    assert not rules.defective_return_needed(category="A", required_by_part=True)
    assert not rules.defective_return_needed(category="C", required_by_part=False)
    due = rules.defective_due_on(date(2026, 3, 1), 14)
    assert due == date(2026, 3, 15)
    assert not rules.is_overdue(due_on=due, received_on=None, as_of=due)
    assert rules.is_overdue(due_on=due, received_on=None, as_of=date(2026, 3, 16))
    assert rules.is_overdue(due_on=due, received_on=date(2026, 3, 20), as_of=date(2026, 4, 1))
    assert rules.disposition_refusal(outcome=None, disposition="scrapped") == "not_inspected"
    assert (
        rules.disposition_refusal(outcome="no_fault_found", disposition="returned_to_vendor")
        == "not_defective"
    )
    assert (
        rules.disposition_refusal(outcome="confirmed_defective", disposition="returned_to_vendor")
        is None
    )


def test_supply_obligation():
    eop = date(2020, 2, 29)
    assert rules.obligation_until(eop, 7) == date(2027, 2, 28)
    assert rules.obligation_until(None, 7) is None
    on = date(2026, 1, 1)
    assert (
        rules.supply_risk(ends_of_production=[eop], years=7, on=on, active=True, stock=0).reason
        == "no_stock"
    )
    assert not rules.supply_risk(
        ends_of_production=[eop], years=7, on=on, active=True, stock=3
    ).at_risk
    assert (
        rules.supply_risk(
            ends_of_production=[eop], years=7, on=on, active=True, stock=3, minimum=5
        ).reason
        == "low_stock"
    )
    assert (
        rules.supply_risk(ends_of_production=[eop], years=7, on=on, active=False, stock=9).reason
        == "inactive"
    )
    assert not rules.supply_risk(
        ends_of_production=[eop], years=2, on=on, active=True, stock=0
    ).at_risk
    # Still in production: the obligation has not even started to run out.
    assert rules.supply_risk(
        ends_of_production=[None], years=1, on=on, active=True, stock=0
    ).at_risk
    assert not rules.supply_risk(
        ends_of_production=[], years=1, on=on, active=True, stock=0
    ).at_risk


def test_reconciliation_difference_is_what_the_flows_do_not_explain():
    r = rules.Reconciliation(
        opening=2, received=10, consumed=6, returned_unused=1, scrapped=0, closing=4
    )
    assert r.expected_closing == 5
    assert r.difference == -1


def test_document_numbers():
    assert rules.document_number("transfer", 42) == "TR-000042"
    assert rules.parse_document_number("transfer", "tr-000042") == 42
    assert rules.parse_document_number("transfer", "42") == 42
    assert rules.parse_document_number("transfer", 7) == 7
    assert rules.parse_document_number("transfer", "PO-1") is None
