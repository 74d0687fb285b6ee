"""The registry of remedy rule tables: one module per jurisdiction, every table versioned.

A table is data. It holds the numbers the law (or the brand) sets and, for each rule, its
id, the remedies it grants, the remedy it recommends (if it names one), the plain-English
sentence shown to the agent and the sources behind it. The engine in
`aftersales.returns.rules` decides *when* a rule fires; the table says *what follows* and
*how to say it*. docs/decisions/0006-remedy-rule-tables.md explains the shape;
docs/remedy-law-sources.md cites every number.

Each jurisdiction has one or more versions, each with an `effective_from` date; the table
in force for a unit is the newest one whose `effective_from` is on or before the sale date
(`table_for`).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

CN = "CN"
EU = "EU"
BRAND = "BRAND"
JURISDICTIONS: tuple[str, ...] = (CN, EU, BRAND)

# The id shared by every table for "nothing free is owed".
OUT_OF_COVERAGE = "OUT-OF-COVERAGE"


class RemedyInputError(ValueError):
    """The facts handed to the remedy engine are impossible; the message is one sentence."""


class Remedy(StrEnum):
    REPAIR = "repair"
    REPLACEMENT = "replacement"
    PRICE_REDUCTION = "price_reduction"
    REFUND = "refund"
    PAID_REPAIR = "paid_repair"


# Least drastic first. paid_repair is not a remedy owed: it is what is left when none is.
SEVERITY: Mapping[Remedy, int] = MappingProxyType(
    {
        Remedy.PAID_REPAIR: 0,
        Remedy.REPAIR: 1,
        Remedy.REPLACEMENT: 2,
        Remedy.PRICE_REDUCTION: 3,
        Remedy.REFUND: 4,
    }
)


@dataclass(frozen=True)
class RuleSpec:
    """One row of a rule table.

    `sentence` is a `str.format` template; the engine fills it with the concrete numbers
    of the case (the names it may use are listed in the table module's docstring).
    `grants` is empty for rules that only inform (for example who bears the burden of
    proof, or that the guarantee was extended).
    """

    id: str
    title: str
    grants: tuple[Remedy, ...]
    sentence: str
    sources: tuple[str, ...]
    recommends: Remedy | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.title or not self.sentence or not self.sources:
            raise ValueError(f"Rule {self.id!r} needs an id, a title, a sentence and sources.")
        if self.recommends is not None and self.recommends not in self.grants:
            raise ValueError(
                f"Rule {self.id} recommends {self.recommends}, which it does not grant."
            )

    def placeholders(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.sentence) if name)

    def render(self, values: Mapping[str, object]) -> str:
        return self.sentence.format_map(values)


def rule_map(*specs: RuleSpec) -> Mapping[str, RuleSpec]:
    """Rules keyed by id, read-only; a duplicated id is a bug in the table."""
    rules: dict[str, RuleSpec] = {}
    for spec in specs:
        if spec.id in rules:
            raise ValueError(f"Rule id {spec.id} appears twice in one table.")
        rules[spec.id] = spec
    return MappingProxyType(rules)


@dataclass(frozen=True, kw_only=True)
class RuleTable:
    jurisdiction: str
    version: str
    effective_from: date
    title: str
    rules: Mapping[str, RuleSpec]

    def rule(self, rule_id: str) -> RuleSpec:
        return self.rules[rule_id]


@dataclass(frozen=True, kw_only=True)
class CnTable(RuleTable):
    """China's three guarantees (三包). Day counts are days after the sale (sale = day 0)."""

    refund_days: int  # days <= refund_days: refund, replacement or repair
    exchange_days: int  # refund_days < days <= exchange_days: replacement or repair
    repairs_before_exchange: int  # earlier repairs of the same failure before CN-TWICE
    repairer_fault_repair_days: int  # a repair longer than this (repairer's fault)
    parts_wait_days: int  # unrepaired longer than this for lack of parts
    period_restarts_on_replacement: bool


@dataclass(frozen=True, kw_only=True)
class EuTable(RuleTable):
    """The EU legal guarantee, counted from delivery, with the national deviations."""

    guarantee_months: int
    guarantee_months_by_country: Mapping[str, int]
    presumption_months: int
    presumption_months_by_country: Mapping[str, int]
    failed_remedies_for_second_tier: int
    repair_extension_months: int  # 0 = choosing repair does not extend the guarantee
    period_restarts_on_replacement: bool

    def guarantee_months_for(self, country: str) -> int:
        return self.guarantee_months_by_country.get(country, self.guarantee_months)

    def presumption_months_for(self, country: str) -> int:
        return self.presumption_months_by_country.get(country, self.presumption_months)


@dataclass(frozen=True, kw_only=True)
class BrandTable(RuleTable):
    """The brand's own policy. Its numbers are per product category (`BrandPolicy`)."""


@functools.cache
def _registry() -> Mapping[str, tuple[RuleTable, ...]]:
    # Imported here, not at the top: the table modules import the types above.
    from aftersales.returns.jurisdictions import brand, cn, eu

    registry: dict[str, tuple[RuleTable, ...]] = {}
    seen_versions: set[str] = set()
    for module in (cn, eu, brand):
        tables: tuple[RuleTable, ...] = tuple(module.TABLES)
        for previous, current in zip(tables, tables[1:], strict=False):
            if previous.effective_from >= current.effective_from:
                raise ValueError(f"{current.version}: versions must be in date order.")
        for table in tables:
            if table.version in seen_versions:
                raise ValueError(f"Table version {table.version} is registered twice.")
            if table.jurisdiction != tables[0].jurisdiction:
                raise ValueError(f"{table.version} is filed under the wrong jurisdiction.")
            if OUT_OF_COVERAGE not in table.rules:
                raise ValueError(f"{table.version} has no {OUT_OF_COVERAGE} rule.")
            seen_versions.add(table.version)
        registry[tables[0].jurisdiction] = tables
    return MappingProxyType(registry)


def versions(jurisdiction: str) -> tuple[RuleTable, ...]:
    """Every version of a jurisdiction's table, oldest first."""
    try:
        return _registry()[jurisdiction]
    except KeyError:
        known = ", ".join(JURISDICTIONS)
        raise RemedyInputError(
            f"Unknown jurisdiction {jurisdiction!r}; the known ones are {known}."
        ) from None


def table_for(jurisdiction: str, on: date) -> RuleTable:
    """The version in force on `on` (the sale date): the newest that took effect by then."""
    tables = versions(jurisdiction)
    in_force = [table for table in tables if table.effective_from <= on]
    if not in_force:
        raise RemedyInputError(
            f"No {jurisdiction} rule table is in force for a sale on {on.isoformat()}; "
            f"the earliest ({tables[0].version}) takes effect on "
            f"{tables[0].effective_from.isoformat()}."
        )
    return in_force[-1]


def table_by_version(version: str) -> RuleTable:
    for tables in _registry().values():
        for table in tables:
            if table.version == version:
                return table
    raise RemedyInputError(f"No rule table has the version {version!r}.")


def all_tables() -> tuple[RuleTable, ...]:
    return tuple(table for tables in _registry().values() for table in tables)


def default_country_map() -> Mapping[str, str]:
    """ISO 3166-1 alpha-2 country of sale -> jurisdiction. Countries not listed: BRAND."""
    from aftersales.returns.jurisdictions import eu

    mapping = {country: EU for country in eu.MEMBER_STATES}
    mapping["CN"] = CN
    return MappingProxyType(mapping)
