"""The RMA lifecycle's pure rules: numbers, moves, freight and refund arithmetic (no DB)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.returns.lifecycle import (
    FINAL,
    TRANSITIONS,
    FreightPayer,
    RmaStatus,
    can_move,
    freight_payer,
    parse_rma_number,
    refund_amount,
    rma_number,
)


def test_numbers_round_trip():
    assert rma_number(1) == "RMA-000001"
    assert parse_rma_number("rma-000042") == 42
    assert parse_rma_number("RMA42") == 42
    assert parse_rma_number("SC-000001") is None
    assert parse_rma_number("") is None


def test_the_happy_path_is_allowed_and_final_states_are_dead_ends():
    path = [
        RmaStatus.REQUESTED,
        RmaStatus.AUTHORISED,
        RmaStatus.AWAITING_SHIPMENT,
        RmaStatus.IN_TRANSIT,
        RmaStatus.RECEIVED,
        RmaStatus.INSPECTED,
        RmaStatus.RESOLVED,
        RmaStatus.CLOSED,
    ]
    for current, following in zip(path, path[1:], strict=False):
        assert can_move(current, following)
    for status in FINAL:
        assert TRANSITIONS[status] == frozenset()
    assert not can_move(RmaStatus.RECEIVED, RmaStatus.CANCELLED)
    assert not can_move(RmaStatus.REQUESTED, RmaStatus.RECEIVED)


@pytest.mark.parametrize(
    ("result", "quality", "payer"),
    [
        (None, True, FreightPayer.BUSINESS),
        (None, False, FreightPayer.CUSTOMER),
        ("confirmed", True, FreightPayer.BUSINESS),
        ("no_fault_found", True, FreightPayer.CUSTOMER),
        ("damaged_by_customer", True, FreightPayer.CUSTOMER),
        ("wrong_item", True, FreightPayer.CUSTOMER),
    ],
)
def test_the_business_pays_for_quality_returns(result, quality, payer):
    assert freight_payer(inspection_result=result, quality_return=quality) == payer


def test_refund_arithmetic():
    price = Decimal("500.00")
    kw = {"sale_price": price, "percent_per_month": Decimal("2")}
    assert refund_amount(days_since_sale=100, depreciate=True, **kw) == Decimal("460.00")
    assert refund_amount(days_since_sale=100, depreciate=False, **kw) == price
    assert refund_amount(days_since_sale=0, depreciate=True, **kw) == price
    assert refund_amount(days_since_sale=10_000, depreciate=True, **kw) == Decimal("0.00")
    floor = refund_amount(days_since_sale=10_000, depreciate=True, floor_percent=20, **kw)
    assert floor == Decimal("100.00")


@given(
    price=st.decimals(min_value=0, max_value=100_000, places=2),
    days=st.integers(min_value=0, max_value=5000),
    more=st.integers(min_value=0, max_value=5000),
    rate=st.decimals(min_value=0, max_value=10, places=1),
)
def test_a_refund_never_grows_with_use_and_never_exceeds_the_price(price, days, more, rate):
    early = refund_amount(
        sale_price=price, days_since_sale=days, percent_per_month=rate, depreciate=True
    )
    late = refund_amount(
        sale_price=price, days_since_sale=days + more, percent_per_month=rate, depreciate=True
    )
    assert Decimal(0) <= late <= early <= price
