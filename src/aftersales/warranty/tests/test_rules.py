from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.dates import add_months
from aftersales.warranty.rules import (
    Category,
    ContractTerms,
    UnitDates,
    WarrantyTerms,
    entitlement,
    warranty_period,
)

TERMS = WarrantyTerms(policy_code="STD-24", months=24, starts_from="sale", country_months={})
UNIT = UnitDates(sold_on=date(2025, 3, 15), installed_on=None, country="DE")


def test_first_and_last_covered_days():
    period = warranty_period(TERMS, UNIT)
    assert period.starts_on == date(2025, 3, 15)
    assert period.ends_on == date(2027, 3, 14)
    assert entitlement(terms=TERMS, unit=UNIT, contracts=[], on=date(2027, 3, 14)).category == "C"
    after = entitlement(terms=TERMS, unit=UNIT, contracts=[], on=date(2027, 3, 15))
    assert after.category == Category.PAID
    assert "ended on 2027-03-14" in after.reason


def test_month_end_is_clamped():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    unit = UnitDates(sold_on=date(2025, 1, 31), installed_on=None, country="DE")
    terms = WarrantyTerms(policy_code="P1", months=1, starts_from="sale", country_months={})
    assert warranty_period(terms, unit).ends_on == date(2025, 2, 27)


def test_country_override_and_installation_start():
    terms = WarrantyTerms(
        policy_code="STD", months=12, starts_from="installation", country_months={"ES": 36}
    )
    unit = UnitDates(sold_on=date(2025, 1, 10), installed_on=date(2025, 2, 1), country="ES")
    period = warranty_period(terms, unit)
    assert (period.months, period.starts_on, period.ends_on) == (
        36,
        date(2025, 2, 1),
        date(2028, 1, 31),
    )
    not_installed = UnitDates(sold_on=date(2025, 1, 10), installed_on=None, country="FR")
    assert warranty_period(terms, not_installed).starts_on == date(2025, 1, 10)


def test_contract_gives_b_after_warranty_and_a_without():
    contract = ContractTerms(number="AMC-1", starts_on=date(2027, 3, 15), ends_on=date(2028, 3, 14))
    verdict = entitlement(terms=TERMS, unit=UNIT, contracts=[contract], on=date(2027, 6, 1))
    assert verdict.category == Category.CONTRACT
    assert verdict.contract == contract
    assert "AMC-1" in verdict.reason
    assert (
        entitlement(terms=TERMS, unit=UNIT, contracts=[contract], on=date(2028, 3, 15)).category
        == Category.PAID
    )


def test_warranty_wins_over_contract_and_before_start_is_paid():
    contract = ContractTerms(number="AMC-2", starts_on=date(2025, 1, 1), ends_on=date(2030, 1, 1))
    assert (
        entitlement(terms=TERMS, unit=UNIT, contracts=[contract], on=date(2026, 1, 1)).category
        == "C"
    )
    before = entitlement(terms=TERMS, unit=UNIT, contracts=[], on=date(2025, 3, 14))
    assert before.category == Category.PAID and "starts on 2025-03-15" in before.reason


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
months = st.integers(min_value=1, max_value=240)


@given(start=dates, n=months)
def test_ends_on_never_precedes_starts_on(start, n):
    terms = WarrantyTerms(policy_code="P", months=n, starts_from="sale", country_months={})
    period = warranty_period(terms, UnitDates(sold_on=start, installed_on=None, country="XX"))
    assert period.ends_on >= period.starts_on


@given(start=dates, n=months)
def test_add_months_clamps_to_month_end(start, n):
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    if result.day != start.day:
        assert result.day < start.day
        assert (result + timedelta(days=1)).day == 1  # clamped to the month's last day


@given(start=dates, n=months, extra=st.integers(min_value=0, max_value=60))
def test_longer_warranty_never_ends_earlier(start, n, extra):
    short = WarrantyTerms(policy_code="P", months=n, starts_from="sale", country_months={})
    longer = WarrantyTerms(policy_code="P", months=n + extra, starts_from="sale", country_months={})
    unit = UnitDates(sold_on=start, installed_on=None, country="XX")
    assert warranty_period(longer, unit).ends_on >= warranty_period(short, unit).ends_on


@given(start=dates, n=months, offset=st.integers(min_value=-400, max_value=8000))
def test_covered_exactly_inside_the_period(start, n, offset):
    terms = WarrantyTerms(policy_code="P", months=n, starts_from="sale", country_months={})
    unit = UnitDates(sold_on=start, installed_on=None, country="XX")
    on = start + timedelta(days=offset)
    verdict = entitlement(terms=terms, unit=unit, contracts=[], on=on)
    expected = start <= on < add_months(start, n)
    assert (verdict.category == Category.WARRANTY) is expected


def test_leap_day_sale():
    unit = UnitDates(sold_on=date(2024, 2, 29), installed_on=None, country="XX")
    terms = WarrantyTerms(policy_code="P", months=12, starts_from="sale", country_months={})
    assert warranty_period(terms, unit).ends_on == date(2025, 2, 27)
    terms48 = WarrantyTerms(policy_code="P", months=48, starts_from="sale", country_months={})
    assert warranty_period(terms48, unit).ends_on == date(2028, 2, 28)
