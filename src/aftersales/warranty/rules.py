"""Entitlement: on a given date, is a unit covered, by what, and so which service category.

Pure: plain values in, a verdict out. The warranty covers every date d with
starts_on <= d < add_months(starts_on, months); ends_on is the last covered date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from aftersales.core.dates import add_months


class Category(StrEnum):
    PAID = "A"
    CONTRACT = "B"
    WARRANTY = "C"
    INTERNAL = "D"


@dataclass(frozen=True)
class WarrantyTerms:
    policy_code: str
    months: int
    starts_from: str  # "sale" or "installation"
    country_months: Mapping[str, int]
    covers_parts: bool = True
    covers_labour: bool = True
    covers_travel: bool = False


@dataclass(frozen=True)
class UnitDates:
    sold_on: date
    installed_on: date | None
    country: str


@dataclass(frozen=True)
class ContractTerms:
    number: str
    starts_on: date
    ends_on: date  # inclusive
    covers_parts: bool = True
    covers_labour: bool = True
    covers_travel: bool = False


@dataclass(frozen=True)
class WarrantyPeriod:
    policy: str
    months: int
    starts_on: date
    ends_on: date

    def covers(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on


@dataclass(frozen=True)
class Verdict:
    on: date
    warranty: WarrantyPeriod
    warranty_active: bool
    contract: ContractTerms | None
    category: Category
    reason: str


def warranty_months(terms: WarrantyTerms, country: str) -> int:
    return terms.country_months.get(country.upper(), terms.months)


def warranty_start(terms: WarrantyTerms, unit: UnitDates) -> date:
    if terms.starts_from == "installation" and unit.installed_on is not None:
        return unit.installed_on
    return unit.sold_on


def warranty_period(terms: WarrantyTerms, unit: UnitDates) -> WarrantyPeriod:
    months = warranty_months(terms, unit.country)
    starts_on = warranty_start(terms, unit)
    return WarrantyPeriod(
        policy=terms.policy_code,
        months=months,
        starts_on=starts_on,
        ends_on=add_months(starts_on, months) - timedelta(days=1),
    )


def active_contract(contracts: Sequence[ContractTerms], on: date) -> ContractTerms | None:
    """The contract in force that day; where several overlap, the one ending last."""
    live = [c for c in contracts if c.starts_on <= on <= c.ends_on]
    return max(live, key=lambda c: (c.ends_on, c.number)) if live else None


def entitlement(
    *,
    terms: WarrantyTerms,
    unit: UnitDates,
    contracts: Sequence[ContractTerms],
    on: date,
) -> Verdict:
    period = warranty_period(terms, unit)
    in_warranty = period.covers(on)
    contract = active_contract(contracts, on)
    start_word = (
        "installation"
        if terms.starts_from == "installation" and unit.installed_on is not None
        else "sale"
    )
    if in_warranty:
        category = Category.WARRANTY
        reason = (
            f"In warranty {period.policy}: {period.months} months from the {start_word} on "
            f"{period.starts_on.isoformat()}, covered until {period.ends_on.isoformat()}; "
            f"free service (C)."
        )
    elif contract is not None:
        category = Category.CONTRACT
        reason = (
            f"Warranty {period.policy} ended on {period.ends_on.isoformat()}; service contract "
            f"{contract.number} covers {contract.starts_on.isoformat()} to "
            f"{contract.ends_on.isoformat()}; contract service (B)."
        )
    elif on < period.starts_on:
        category = Category.PAID
        reason = (
            f"Warranty {period.policy} starts on {period.starts_on.isoformat()}, after "
            f"{on.isoformat()}, and no contract is active; paid service (A)."
        )
    else:
        category = Category.PAID
        reason = (
            f"Warranty {period.policy} ended on {period.ends_on.isoformat()} and no service "
            f"contract is active on {on.isoformat()}; paid service (A)."
        )
    return Verdict(
        on=on,
        warranty=period,
        warranty_active=in_warranty,
        contract=contract,
        category=category,
        reason=reason,
    )
