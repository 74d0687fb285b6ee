"""Pure tests of the work-order rules: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aftersales.workorders import rules
from aftersales.workorders.rules import (
    ClosingFacts,
    CompletionFacts,
    CustodyKind,
    Kind,
    LabourItem,
    LabourPrice,
    PartItem,
    Provider,
    RateCard,
    Status,
    TravelItem,
)

S = Status

# --- transitions ----------------------------------------------------------------------------

HAPPY_PATH = [
    S.DRAFT,
    S.SCHEDULED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.COMPLETED,
    S.VERIFIED,
    S.CLOSED,
]


@pytest.fixture(autouse=True)
def in_english():
    """The refusals are sentences the tests read in English, whatever an earlier test in
    the same worker left active."""
    with translation.override("en"):
        yield


def test_every_status_has_a_row():
    assert set(rules.TRANSITIONS) == set(Status)


@pytest.mark.parametrize("current,target", list(zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False)))
def test_the_documented_path(current, target):
    assert rules.can_move(current, target)


@pytest.mark.parametrize("waiting", [S.WAITING_PARTS, S.WAITING_APPROVAL])
def test_waiting_and_back_to_work(waiting):
    assert rules.can_move(S.IN_PROGRESS, waiting)
    assert rules.can_move(waiting, S.IN_PROGRESS)
    # A job does not complete while it waits.
    assert not rules.can_move(waiting, S.COMPLETED)


def test_quality_check_fail_sends_the_job_back():
    assert rules.can_move(S.COMPLETED, S.IN_PROGRESS)
    assert not rules.can_move(S.VERIFIED, S.IN_PROGRESS)


@pytest.mark.parametrize(
    "status",
    [S.DRAFT, S.SCHEDULED, S.DISPATCHED, S.IN_PROGRESS, S.WAITING_PARTS, S.WAITING_APPROVAL],
)
def test_cancel_from_open_states(status):
    assert rules.can_move(status, S.CANCELLED)


@pytest.mark.parametrize("status", [S.COMPLETED, S.VERIFIED, S.CLOSED, S.CANCELLED])
def test_done_work_is_not_cancelled(status):
    assert not rules.can_move(status, S.CANCELLED)


@pytest.mark.parametrize("final", [S.CLOSED, S.CANCELLED])
def test_nothing_leaves_closed_or_cancelled(final):
    assert rules.TRANSITIONS[final] == frozenset()
    for target in Status:
        assert not rules.can_move(final, target)


def test_planning_steps_move_back_and_forth():
    assert rules.can_move(S.SCHEDULED, S.DRAFT)
    assert rules.can_move(S.DISPATCHED, S.SCHEDULED)
    assert rules.can_move(S.DISPATCHED, S.DRAFT)
    assert rules.can_move(S.DRAFT, S.DISPATCHED)
    assert not rules.can_move(S.DRAFT, S.IN_PROGRESS)
    assert not rules.can_move(S.SCHEDULED, S.IN_PROGRESS)


def test_no_status_moves_to_itself_and_closing_needs_verification():
    for status, targets in rules.TRANSITIONS.items():
        assert status not in targets
    assert [s for s in Status if rules.can_move(s, S.CLOSED)] == [S.VERIFIED]
    assert [s for s in Status if rules.can_move(s, S.VERIFIED)] == [S.COMPLETED]


def test_status_groups():
    assert set(Status) - {S.CLOSED, S.CANCELLED} == rules.OPEN
    assert rules.PLANNING <= rules.OPEN and rules.WORKING <= rules.OPEN
    assert not rules.PLANNING & rules.WORKING
    for status in Status:
        assert str(rules.STATUS_LABELS[status])


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_can_move_is_the_table(current, target):
    assert rules.can_move(current.value, target.value) == (target in rules.TRANSITIONS[current])


# --- planning ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "has_window,has_assignee,expected",
    [
        (False, False, S.DRAFT),
        (False, True, S.DRAFT),
        (True, False, S.SCHEDULED),
        (True, True, S.DISPATCHED),
    ],
)
def test_planning_status(has_window, has_assignee, expected):
    assert rules.planning_status(has_window=has_window, has_assignee=has_assignee) == expected


# --- completion and closing ------------------------------------------------------------------


def facts(**changes) -> CompletionFacts:
    base = {
        "kind": Kind.WORKSHOP,
        "category": "C",
        "result": "fixed",
        "has_acceptance": False,
        "quote_status": None,
    }
    return CompletionFacts(**{**base, **changes})


@pytest.mark.parametrize(
    "changes,refused,words",
    [
        ({}, False, None),
        ({"result": None}, True, "result"),
        ({"result": ""}, True, "result"),
        ({"result": "needs_parts"}, True, "not finished"),
        ({"result": "needs_workshop"}, True, "not finished"),
        ({"result": "not_repairable"}, False, None),
        ({"result": "no_fault_found"}, False, None),
        ({"kind": Kind.ON_SITE}, True, "acceptance"),
        ({"kind": Kind.INSTALLATION}, True, "acceptance"),
        ({"kind": Kind.PREVENTIVE}, True, "acceptance"),
        ({"kind": Kind.ON_SITE, "has_acceptance": True}, False, None),
        ({"kind": Kind.REMOTE}, False, None),
        ({"category": "A"}, True, "quote"),
        ({"category": "A", "quote_status": "pending"}, True, "quote"),
        ({"category": "A", "quote_status": "declined"}, True, "quote"),
        ({"category": "A", "quote_status": "accepted"}, False, None),
        # Paid work that ends without a repair needs no accepted quote.
        ({"category": "A", "result": "not_repairable"}, False, None),
        ({"category": "A", "result": "no_fault_found"}, False, None),
        ({"category": "B"}, False, None),
        ({"category": "D"}, False, None),
    ],
)
def test_completion_refusal(changes, refused, words):
    refusal = rules.completion_refusal(facts(**changes))
    assert (refusal is not None) == refused
    if words:
        assert words in refusal.lower()


def closing(**changes) -> ClosingFacts:
    base = {
        "kind": Kind.WORKSHOP,
        "category": "C",
        "product_in_custody": False,
        "invoiced": False,
        "paid": False,
        "chargeable": False,
    }
    return ClosingFacts(**{**base, **changes})


@pytest.mark.parametrize(
    "changes,refused,words",
    [
        ({}, False, None),
        ({"product_in_custody": True}, True, "return it"),
        ({"category": "A", "product_in_custody": True, "chargeable": True}, True, "return it"),
        ({"category": "A", "chargeable": True}, True, "invoiced"),
        ({"category": "A", "chargeable": True, "invoiced": True}, True, "not paid"),
        ({"category": "A", "chargeable": True, "invoiced": True, "paid": True}, False, None),
        # Nothing to charge (e.g. not repairable, no lines): no invoice needed.
        ({"category": "A", "chargeable": False}, False, None),
        # Warranty and goodwill work is costed to the brand, not invoiced.
        ({"category": "B", "chargeable": True}, False, None),
        ({"category": "C", "chargeable": True}, False, None),
    ],
)
def test_closing_refusal(changes, refused, words):
    refusal = rules.closing_refusal(closing(**changes))
    assert (refusal is not None) == refused
    if words:
        assert words in refusal.lower()


# --- repeat repairs ---------------------------------------------------------------------------

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def test_repeat_at_the_window_edge():
    edge = NOW - timedelta(days=90)
    assert rules.is_repeat(earlier_completions=[edge], now=NOW, window_days=90)
    assert not rules.is_repeat(
        earlier_completions=[edge - timedelta(seconds=1)], now=NOW, window_days=90
    )
    assert rules.is_repeat(
        earlier_completions=[edge - timedelta(days=400), edge + timedelta(days=1)],
        now=NOW,
        window_days=90,
    )
    assert not rules.is_repeat(earlier_completions=[], now=NOW, window_days=90)


@given(st.integers(min_value=1, max_value=3650), st.integers(min_value=0, max_value=5000))
def test_repeat_is_exactly_the_window(window, days_ago):
    done = NOW - timedelta(days=days_ago)
    assert rules.is_repeat(earlier_completions=[done], now=NOW, window_days=window) == (
        days_ago <= window
    )


# --- custody ----------------------------------------------------------------------------------

C = CustodyKind


@pytest.mark.parametrize(
    "last,allowed",
    [
        (None, {C.PICKED_UP, C.RECEIVED}),
        (C.RETURNED, {C.PICKED_UP, C.RECEIVED}),
        (C.PICKED_UP, {C.RECEIVED, C.MOVED, C.RETURNED}),
        (C.RECEIVED, {C.MOVED, C.SHIPPED, C.RETURNED, C.RECEIVED}),
        (C.MOVED, {C.MOVED, C.SHIPPED, C.RETURNED, C.RECEIVED}),
        (C.SHIPPED, {C.RETURNED, C.RECEIVED}),
    ],
)
def test_custody_next(last, allowed):
    assert rules.custody_next(last) == allowed


def test_in_custody():
    assert not rules.in_custody(None)
    assert not rules.in_custody(C.RETURNED)
    for kind in (C.PICKED_UP, C.RECEIVED, C.MOVED, C.SHIPPED):
        assert rules.in_custody(kind)


@given(st.lists(st.sampled_from(list(CustodyKind)), max_size=12))
def test_a_valid_custody_chain_never_returns_what_we_do_not_hold(chain):
    last = None
    for kind in chain:
        if kind not in rules.custody_next(last):
            return
        if kind == C.RETURNED:
            assert rules.in_custody(last)
        last = kind


# --- routing ----------------------------------------------------------------------------------


def provider(kind, code, regions=(), lines=()):
    return Provider(kind, code, frozenset(regions), frozenset(lines))


def test_route_by_region_and_line_centres_first():
    providers = [
        provider("partner", "ASP-B", ["madrid"], ["washing_machine"]),
        provider("partner", "ASP-A", ["madrid"], []),
        provider("centre", "MAD", ["madrid"], ["washing_machine", "dishwasher"]),
        provider("centre", "BCN", ["barcelona"], []),
        provider("centre", "MAD-TV", ["madrid"], ["television"]),
    ]
    ranked = rules.route(providers, region="Madrid ", product_line="Washing_Machine")
    assert [p.code for p in ranked] == ["MAD", "ASP-A", "ASP-B"]
    assert [p.code for p in rules.route(providers, region="madrid", product_line="television")] == [
        "MAD-TV",
        "ASP-A",
    ]
    assert rules.route(providers, region="sevilla", product_line="washing_machine") == []


def test_route_empty_product_lines_mean_all_and_no_region_means_anyone():
    providers = [provider("partner", "P", ["x"], []), provider("centre", "C", ["y"], [])]
    assert [p.code for p in rules.route(providers, region="", product_line="boiler")] == [
        "C",
        "P",
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["centre", "partner"]),
            st.text(alphabet="ABCDE", min_size=1, max_size=3),
            st.sets(st.sampled_from(["north", "south"]), max_size=2),
            st.sets(st.sampled_from(["tv", "washer"]), max_size=2),
        ),
        max_size=8,
    ),
    st.sampled_from(["north", "south"]),
    st.sampled_from(["tv", "washer"]),
)
def test_route_properties(raw, region, line):
    providers = [provider(*r) for r in raw]
    ranked = rules.route(providers, region=region, product_line=line)
    for p in ranked:
        assert region in p.regions and (not p.product_lines or line in p.product_lines)
    kinds = [p.kind for p in ranked]
    assert kinds == sorted(kinds, key=lambda k: k != "centre")
    assert len(ranked) == sum(
        1
        for p in providers
        if region in p.regions and (not p.product_lines or line in p.product_lines)
    )


# --- numbers ----------------------------------------------------------------------------------


def test_number_formats():
    assert rules.work_order_number(42) == "WO-000042"
    assert rules.receipt_number(7) == "PR-000007"
    assert rules.invoice_number(2026, 3) == "INV-2026-000003"
    assert rules.parse_work_order_number(" wo-000042 ") == 42
    assert rules.parse_receipt_number("pr-000007") == 7
    for bad in ("", "WO-42", "WO-00004X", "PR-000001", "42", "WO-000001-1"):
        assert rules.parse_work_order_number(bad) is None
    assert rules.parse_receipt_number("WO-000001") is None


@given(st.integers(min_value=1, max_value=10**12))
def test_numbers_round_trip(pk):
    assert rules.parse_work_order_number(rules.work_order_number(pk)) == pk
    assert rules.parse_receipt_number(rules.receipt_number(pk)) == pk
    assert rules.parse_work_order_number(rules.work_order_number(pk).lower()) == pk


@given(st.integers(min_value=2000, max_value=9999), st.integers(min_value=1, max_value=999_999))
def test_invoice_numbers_sort_in_order(year, seq):
    number = rules.invoice_number(year, seq)
    assert number.startswith(f"INV-{year}-") and len(number) == len("INV-2026-000001")
    assert rules.invoice_number(year, seq) < rules.invoice_number(year, seq + 1) or seq == 999_999


# --- money ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=30, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def cards(draw):
    labour = draw(
        st.dictionaries(
            st.sampled_from(["REP", "INST", "DIAG", "FLAT"]),
            st.one_of(
                amounts.map(lambda a: LabourPrice(hourly=a)),
                amounts.map(lambda a: LabourPrice(flat=a)),
            ),
            max_size=3,
        )
    )
    return RateCard(
        currency="EUR",
        labour=labour,
        default_hourly=draw(amounts),
        travel_per_visit=draw(amounts),
        travel_per_km=draw(st.decimals(min_value=0, max_value=5, places=2)),
        tax_rate=draw(rates),
    )


labour_items = st.lists(
    st.builds(
        LabourItem,
        st.sampled_from(["REP", "INST", "DIAG", "FLAT", "OTHER"]),
        st.integers(min_value=1, max_value=24 * 60),
    ),
    max_size=5,
)
part_items = st.lists(
    st.builds(
        PartItem,
        st.sampled_from(["DP-100", "BELT-2", "PCB-9"]),
        st.integers(min_value=1, max_value=20),
        st.decimals(min_value=0, max_value=500, places=3),
    ),
    max_size=5,
)
travel_items = st.lists(
    st.builds(TravelItem, st.decimals(min_value=0, max_value=300, places=1)), max_size=3
)


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


@given(cards(), labour_items, part_items, travel_items)
def test_cost_adds_up(card, labour, parts, travel):
    costing = rules.cost(card, labour=labour, parts=parts, travel=travel)
    assert len(costing.lines) == len(labour) + len(parts) + len(travel)
    assert costing.subtotal == sum((line.amount for line in costing.lines), Decimal("0"))
    assert costing.total == costing.subtotal + costing.tax
    assert costing.tax == rules.money(costing.subtotal * card.tax_rate / 100)
    for value in (costing.subtotal, costing.tax, costing.total):
        assert two_places(value), value
    for line in costing.lines:
        assert two_places(line.amount) and two_places(line.unit_price), line
        assert line.amount >= 0
    assert costing.currency == card.currency and costing.tax_rate == card.tax_rate


@given(
    cards(),
    st.sampled_from(["REP", "INST", "OTHER"]),
    st.integers(1, 1440),
    st.integers(1, 1440),
)
def test_hourly_labour_is_monotonic_in_minutes(card, code, a, b):
    price = card.labour.get(code)
    if price is not None and price.flat is not None:
        return
    shorter, longer = sorted((a, b))
    _, _, cheap = rules.labour_amount(card, LabourItem(code, shorter))
    _, _, dear = rules.labour_amount(card, LabourItem(code, longer))
    assert cheap <= dear


@given(amounts, st.integers(1, 1440), st.integers(1, 1440), amounts)
def test_flat_rate_does_not_depend_on_minutes(flat, a, b, hourly):
    card = RateCard(
        "EUR", {"INST": LabourPrice(flat=flat)}, hourly, Decimal(0), Decimal(0), Decimal(0)
    )
    first = rules.labour_amount(card, LabourItem("INST", a))
    second = rules.labour_amount(card, LabourItem("INST", b))
    assert first == second == (Decimal(1), rules.money(flat), rules.money(flat))


def test_labour_by_the_hour_examples():
    card = RateCard("EUR", {}, Decimal("48"), Decimal("25"), Decimal("0.40"), Decimal("21"))
    assert rules.labour_amount(card, LabourItem("REP", 45)) == (
        Decimal("0.75"),
        Decimal("48.00"),
        Decimal("36.00"),
    )
    # 1 minute at 50/h is 0.8333… → 0.83
    card50 = RateCard("EUR", {}, Decimal("50"), Decimal(0), Decimal(0), Decimal(0))
    assert rules.labour_amount(card50, LabourItem("X", 1))[2] == Decimal("0.83")


@pytest.mark.parametrize(
    "subtotal,rate,tax",
    [
        ("0.50", "21", "0.11"),  # 0.105 → 0.11 (half up, not banker's 0.10)
        ("2.50", "1", "0.03"),  # 0.025 → 0.03
        ("0.10", "5", "0.01"),  # 0.005 → 0.01
        ("0.02", "20", "0.00"),  # 0.004 → 0.00
        ("100.00", "21", "21.00"),
    ],
)
def test_tax_rounds_half_up(subtotal, rate, tax):
    card = RateCard("EUR", {}, Decimal(0), Decimal(0), Decimal(0), Decimal(rate))
    costing = rules.cost(card, parts=[PartItem("P", 1, Decimal(subtotal))])
    assert costing.tax == Decimal(tax)
    assert costing.total == Decimal(subtotal) + Decimal(tax)


def test_travel_per_visit_and_km():
    card = RateCard("EUR", {}, Decimal(0), Decimal("25"), Decimal("0.40"), Decimal(0))
    costing = rules.cost(card, travel=[TravelItem(Decimal("12.5"))])
    assert costing.lines[0].kind == "travel" and costing.lines[0].amount == Decimal("30.00")


def test_nothing_costs_nothing():
    card = RateCard("EUR", {}, Decimal("48"), Decimal("25"), Decimal(0), Decimal("21"))
    costing = rules.cost(card)
    assert costing.lines == () and costing.total == Decimal("0.00") and two_places(costing.total)


# --- months -----------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=9998), st.integers(min_value=1, max_value=12))
def test_month_bounds_cover_exactly_the_month(year, month):
    first, following = rules.month_bounds(year, month)
    assert first == date(year, month, 1)
    assert following.day == 1 and following > first
    last = following - timedelta(days=1)
    assert (last.year, last.month) == (year, month)
    assert 28 <= (following - first).days <= 31


def test_month_bounds_december_and_leap_february():
    assert rules.month_bounds(2026, 12) == (date(2026, 12, 1), date(2027, 1, 1))
    first, following = rules.month_bounds(2028, 2)
    assert (following - first).days == 29
