"""Repair, replace or refund: the remedy verdict for a faulty unit, from explicit rule tables.

Pure: frozen dataclasses in, a `Verdict` out; no ORM, no I/O, no clock. The numbers and
the wording live in the versioned tables of `aftersales.returns.jurisdictions`; this module
decides which rules fire and how they combine. docs/decisions/0006-remedy-rule-tables.md
records the choices, docs/remedy-law-sources.md the law behind every rule.

Day counting: `days = reported_on - sold_on`, the sale date being day 0 (the EU counts
from delivery instead). A period of `m` months from `start` covers every date `d` with
`start <= d < add_months(start, m)`; its `ends_on` is the last covered date.

How rules combine:

* The governing table is the unit's jurisdiction (CN, EU or BRAND). Outside BRAND, the
  brand's own policy is evaluated as well: it is a commercial promise on top of the law,
  and beyond the EU legal guarantee it is all the customer has.
* `allowed` is the union of the remedies granted by every rule that fired, least drastic
  first (repair < replacement < price_reduction < refund).
* `paid_repair` is not a remedy owed: it is allowed only when nothing free is. If nothing
  free is owed and no exclusion explains why, the governing table's OUT-OF-COVERAGE rule
  says so.
* An exclusion in the governing table (CN-EXCLUDED, EU-EXCLUDED; BRAND-EXCLUDED where the
  brand governs) overrides everything: paid_repair only. BRAND-EXCLUDED under CN or EU
  only withdraws the brand's promise; the law still applies.
* `recommended`: where rules that fired name a remedy (DOA and CN-TWICE name replacement,
  EU-SECOND price reduction), the least drastic of those; otherwise the least drastic
  remedy allowed.
* `doa` is a flag independent of the jurisdiction: a performance failure reported within
  the brand's DOA window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from aftersales.core.dates import add_months
from aftersales.returns.jurisdictions import (
    BRAND,
    CN,
    EU,
    JURISDICTIONS,
    OUT_OF_COVERAGE,
    SEVERITY,
    BrandTable,
    CnTable,
    EuTable,
    Remedy,
    RemedyInputError,
    RuleTable,
    default_country_map,
    table_for,
)

__all__ = [
    "BrandPolicy",
    "BurdenOfProof",
    "Fault",
    "FiredRule",
    "Remedy",
    "RemedyInputError",
    "UnitFacts",
    "Verdict",
    "brand_warranty_end",
    "cn_period_end",
    "coverage_start_after_replacement",
    "eu_guarantee_end",
    "eu_guarantee_end_after_repair",
    "evaluate",
    "resolve_jurisdiction",
]


class BurdenOfProof(StrEnum):
    SELLER = "seller"
    CONSUMER = "consumer"


@dataclass(frozen=True)
class Fault:
    """What is wrong, as the intake or the technician found it."""

    performance_failure: bool  # the unit does not perform its function (性能故障), not cosmetic
    misuse: bool = False
    unauthorised_repair: bool = False  # dismantled or repaired by someone not authorised
    proof_of_purchase: bool = True


@dataclass(frozen=True, kw_only=True)
class UnitFacts:
    """The unit and its history, as of the report."""

    country: str  # ISO 3166-1 alpha-2 of the sale
    category: str  # product category
    sold_on: date
    delivered_on: date | None = None  # the EU counts from delivery; None: the sale date
    warranty_months: int  # the brand warranty: CN-WARRANTY's base period and BRAND's
    warranty_starts_on: date
    prior_failed_repairs: int = 0  # earlier repairs of the same failure within the period
    days_in_repair: int = 0  # days in repair or waiting for parts: extends the CN period
    longest_repair_days_repairer_fault: int = 0
    days_unrepaired_for_parts: int = 0
    repair_chosen_under_eu_guarantee_on: date | None = None  # for EU-REPAIR-PLUS12
    repair_or_replacement_overdue: bool = False  # EU: not done within a reasonable time


@dataclass(frozen=True)
class BrandPolicy:
    """The brand's policy for one product category."""

    doa_days: int = 15
    failed_repairs_for_replacement: int = 2
    refund_days: int = 0  # 0 = never
    warranty_restarts_on_replacement: bool = False


@dataclass(frozen=True)
class FiredRule:
    id: str
    sentence: str
    table_version: str
    grants: tuple[Remedy, ...]
    recommends: Remedy | None = None


@dataclass(frozen=True)
class Verdict:
    jurisdiction: str
    table_version: str
    country: str
    allowed: tuple[Remedy, ...]  # least drastic first
    recommended: Remedy
    rules: tuple[FiredRule, ...]
    coverage_ends_on: date  # the governing period's last day (CN: extended; EU: legal)
    warranty_ends_on: date  # the brand warranty's last day
    doa: bool
    burden_of_proof: BurdenOfProof | None
    days_since_sale: int
    notes: tuple[str, ...] = field(default=())

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)


# --------------------------------------------------------------------------- periods


def _last_day(start: date, months: int) -> date:
    return add_months(start, months) - timedelta(days=1)


def brand_warranty_end(unit: UnitFacts) -> date:
    return _last_day(unit.warranty_starts_on, unit.warranty_months)


def cn_period_end(unit: UnitFacts) -> date:
    """The three-guarantee period's last day, extended by the days spent in repair."""
    return brand_warranty_end(unit) + timedelta(days=unit.days_in_repair)


def eu_guarantee_end(*, country: str, sold_on: date, delivered_on: date | None = None) -> date:
    """The legal guarantee's last day, before any extension for repair."""
    table = _eu_table(sold_on)
    delivered = delivered_on or sold_on
    return _last_day(delivered, table.guarantee_months_for(_country(country)))


def eu_guarantee_end_after_repair(
    *, country: str, sold_on: date, delivered_on: date | None, repaired_on: date
) -> date:
    """The legal guarantee's last day once the consumer has chosen repair on `repaired_on`.

    For sales under Directive (EU) 2024/1799 (on or after 31 July 2026) a repair chosen
    within the guarantee extends it, once, by 12 months; otherwise the end is unchanged.
    """
    table = _eu_table(sold_on)
    delivered = delivered_on or sold_on
    if repaired_on < delivered:
        raise RemedyInputError(
            f"The repair is chosen on {repaired_on.isoformat()}, before delivery on "
            f"{delivered.isoformat()}."
        )
    months = table.guarantee_months_for(_country(country))
    base_end = _last_day(delivered, months)
    if table.repair_extension_months and repaired_on <= base_end:
        return _last_day(delivered, months + table.repair_extension_months)
    return base_end


def coverage_start_after_replacement(
    jurisdiction: str,
    replaced_on: date,
    original_start: date,
    config: BrandPolicy | None = None,
) -> date:
    """When the replacement unit's coverage starts.

    CN: the three-guarantee period restarts on the replacement date. EU: the legal
    guarantee keeps running from the original delivery. BRAND: as the brand policy says
    (`config.warranty_restarts_on_replacement`, default no). The table is the one in force
    on `original_start`.
    """
    if replaced_on < original_start:
        raise RemedyInputError(
            f"The replacement on {replaced_on.isoformat()} is before the coverage start "
            f"{original_start.isoformat()}."
        )
    table = table_for(_jurisdiction_code(jurisdiction), original_start)
    if isinstance(table, CnTable | EuTable):
        restarts = table.period_restarts_on_replacement
    else:
        restarts = (config or BrandPolicy()).warranty_restarts_on_replacement
    return replaced_on if restarts else original_start


# --------------------------------------------------------------------------- jurisdiction


def _country(country: str) -> str:
    code = country.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise RemedyInputError(f"{country!r} is not an ISO 3166-1 alpha-2 country code.")
    return code


def _jurisdiction_code(jurisdiction: str) -> str:
    code = jurisdiction.strip().upper()
    if code not in JURISDICTIONS:
        known = ", ".join(JURISDICTIONS)
        raise RemedyInputError(
            f"Unknown jurisdiction {jurisdiction!r}; the known ones are {known}."
        )
    return code


def resolve_jurisdiction(
    country: str,
    *,
    jurisdiction: str | None = None,
    country_map: Mapping[str, str] | None = None,
) -> str:
    """The jurisdiction whose table governs: an explicit one (a what-if) wins; otherwise
    `country_map` (entries override the default CN -> CN, EU member states -> EU), and
    BRAND for every country not mapped."""
    if jurisdiction is not None:
        return _jurisdiction_code(jurisdiction)
    code = _country(country)
    if country_map is not None:
        overrides = {_country(key): value for key, value in country_map.items()}
        if code in overrides:
            return _jurisdiction_code(overrides[code])
    return default_country_map().get(code, BRAND)


def _eu_table(on: date) -> EuTable:
    table = table_for(EU, on)
    assert isinstance(table, EuTable)
    return table


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Outcome:
    table: RuleTable
    hits: tuple[FiredRule, ...]
    excluded: bool
    coverage_ends_on: date
    out_of_coverage: Mapping[str, object]
    burden: BurdenOfProof | None = None


def _fire(table: RuleTable, rule_id: str, **values: object) -> FiredRule:
    spec = table.rule(rule_id)
    return FiredRule(
        id=spec.id,
        sentence=spec.render(values),
        table_version=table.version,
        grants=spec.grants,
        recommends=spec.recommends,
    )


def _sentence_list(parts: list[str]) -> str:
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[:1].upper() + text[1:]


def _exclusion_reasons(fault: Fault, *, unauthorised_repair_counts: bool) -> str | None:
    reasons = []
    if fault.misuse:
        reasons.append("misuse")
    if fault.unauthorised_repair and unauthorised_repair_counts:
        reasons.append("unauthorised dismantling or repair")
    if not fault.proof_of_purchase:
        reasons.append("no proof of purchase")
    return _sentence_list(reasons) if reasons else None


def _cn(table: CnTable, unit: UnitFacts, fault: Fault, reported_on: date) -> _Outcome:
    days = (reported_on - unit.sold_on).days
    ends_on = cn_period_end(unit)
    out_values = {"days": days, "ends_on": ends_on.isoformat()}
    reasons = _exclusion_reasons(fault, unauthorised_repair_counts=True)
    if reasons:
        hit = _fire(table, "CN-EXCLUDED", reasons=reasons)
        return _Outcome(table, (hit,), True, ends_on, out_values)

    hits: list[FiredRule] = []
    within = reported_on <= ends_on
    if fault.performance_failure and days <= table.refund_days:
        hits.append(_fire(table, "CN-7D", days=days, limit=table.refund_days))
    elif fault.performance_failure and days <= table.exchange_days:
        hits.append(
            _fire(
                table,
                "CN-15D",
                days=days,
                low=table.refund_days + 1,
                limit=table.exchange_days,
            )
        )
    if within:
        hits.append(
            _fire(
                table,
                "CN-WARRANTY",
                reported_on=reported_on.isoformat(),
                months=unit.warranty_months,
                start=unit.warranty_starts_on.isoformat(),
                extra_days=unit.days_in_repair,
                ends_on=ends_on.isoformat(),
            )
        )
        if fault.performance_failure and unit.prior_failed_repairs >= table.repairs_before_exchange:
            hits.append(
                _fire(
                    table,
                    "CN-TWICE",
                    repairs=unit.prior_failed_repairs,
                    limit=table.repairs_before_exchange,
                    ends_on=ends_on.isoformat(),
                )
            )
        if unit.longest_repair_days_repairer_fault > table.repairer_fault_repair_days:
            hits.append(
                _fire(
                    table,
                    "CN-REPAIR-30",
                    repair_days=unit.longest_repair_days_repairer_fault,
                    limit=table.repairer_fault_repair_days,
                    ends_on=ends_on.isoformat(),
                )
            )
        if unit.days_unrepaired_for_parts > table.parts_wait_days:
            hits.append(
                _fire(
                    table,
                    "CN-PARTS-90",
                    wait_days=unit.days_unrepaired_for_parts,
                    limit=table.parts_wait_days,
                    ends_on=ends_on.isoformat(),
                )
            )
    return _Outcome(table, tuple(hits), False, ends_on, out_values)


def _second_tier_trigger(unit: UnitFacts, limit: int) -> str | None:
    parts = []
    failed = unit.prior_failed_repairs
    if failed >= limit:
        plural = "" if failed == 1 else "s"
        parts.append(f"{failed} earlier repair{plural} or replacement{plural} failed (≥ {limit})")
    if unit.repair_or_replacement_overdue:
        parts.append("the seller did not complete a repair or replacement within a reasonable time")
    return _sentence_list(parts) if parts else None


def _eu(table: EuTable, unit: UnitFacts, fault: Fault, reported_on: date) -> _Outcome:
    country = _country(unit.country)
    delivered = unit.delivered_on or unit.sold_on
    days = (reported_on - delivered).days
    months = table.guarantee_months_for(country)
    ends_on = _last_day(delivered, months)
    hits: list[FiredRule] = []

    repaired_on = unit.repair_chosen_under_eu_guarantee_on
    if repaired_on is not None and table.repair_extension_months and repaired_on <= ends_on:
        ends_on = eu_guarantee_end_after_repair(
            country=country,
            sold_on=unit.sold_on,
            delivered_on=unit.delivered_on,
            repaired_on=repaired_on,
        )
        extension = _fire(
            table,
            "EU-REPAIR-PLUS12",
            sold_on=unit.sold_on.isoformat(),
            since=table.effective_from.isoformat(),
            repaired_on=repaired_on.isoformat(),
            months=table.repair_extension_months,
            ends_on=ends_on.isoformat(),
        )
    else:
        extension = None

    within = reported_on <= ends_on
    burden: BurdenOfProof | None = None
    burden_hit: FiredRule | None = None
    if within:
        presumption = table.presumption_months_for(country)
        presumption_ends_on = _last_day(delivered, presumption)
        seller = reported_on <= presumption_ends_on
        burden = BurdenOfProof.SELLER if seller else BurdenOfProof.CONSUMER
        burden_hit = _fire(
            table,
            "EU-BURDEN",
            days=days,
            relation="within" if seller else "after",
            presumption=presumption,
            country=country,
            presumption_ends_on=presumption_ends_on.isoformat(),
            holder=burden.value,
        )
    out_values = {
        "days": days,
        "months": months,
        "country": country,
        "ends_on": ends_on.isoformat(),
    }
    info = tuple(hit for hit in (burden_hit, extension) if hit is not None)

    reasons = _exclusion_reasons(fault, unauthorised_repair_counts=False)
    if reasons:
        excluded = _fire(table, "EU-EXCLUDED", reasons=reasons)
        return _Outcome(table, (excluded, *info), True, ends_on, out_values, burden)

    if within:
        hits.append(
            _fire(
                table,
                "EU-CONFORMITY",
                days=days,
                delivered_on=delivered.isoformat(),
                months=months,
                country=country,
                ends_on=ends_on.isoformat(),
            )
        )
        trigger = _second_tier_trigger(unit, table.failed_remedies_for_second_tier)
        if trigger:
            hits.append(_fire(table, "EU-SECOND", trigger=trigger, ends_on=ends_on.isoformat()))
    return _Outcome(table, (*hits, *info), False, ends_on, out_values, burden)


def _brand(
    table: BrandTable, unit: UnitFacts, fault: Fault, reported_on: date, policy: BrandPolicy
) -> _Outcome:
    days = (reported_on - unit.sold_on).days
    ends_on = brand_warranty_end(unit)
    out_values = {"days": days, "months": unit.warranty_months, "ends_on": ends_on.isoformat()}
    reasons = _exclusion_reasons(fault, unauthorised_repair_counts=True)
    if reasons:
        hit = _fire(table, "BRAND-EXCLUDED", reasons=reasons)
        return _Outcome(table, (hit,), True, ends_on, out_values)

    hits: list[FiredRule] = []
    within = reported_on <= ends_on
    if fault.performance_failure and days <= policy.doa_days:
        hits.append(_fire(table, "BRAND-DOA", days=days, limit=policy.doa_days))
    if policy.refund_days > 0 and days <= policy.refund_days:
        hits.append(_fire(table, "BRAND-REFUND", days=days, limit=policy.refund_days))
    if within:
        hits.append(
            _fire(
                table,
                "BRAND-WARRANTY",
                reported_on=reported_on.isoformat(),
                months=unit.warranty_months,
                start=unit.warranty_starts_on.isoformat(),
                ends_on=ends_on.isoformat(),
            )
        )
        if unit.prior_failed_repairs >= policy.failed_repairs_for_replacement:
            hits.append(
                _fire(
                    table,
                    "BRAND-REPEAT",
                    repairs=unit.prior_failed_repairs,
                    limit=policy.failed_repairs_for_replacement,
                    ends_on=ends_on.isoformat(),
                )
            )
    return _Outcome(table, tuple(hits), False, ends_on, out_values)


def _by_severity(remedies: Iterable[Remedy]) -> tuple[Remedy, ...]:
    return tuple(sorted(set(remedies), key=SEVERITY.__getitem__))


def _validate(unit: UnitFacts, reported_on: date, policy: BrandPolicy) -> None:
    _country(unit.country)
    if reported_on < unit.sold_on:
        raise RemedyInputError(
            f"The fault is reported on {reported_on.isoformat()}, before the sale on "
            f"{unit.sold_on.isoformat()}."
        )
    if unit.delivered_on is not None:
        if unit.delivered_on < unit.sold_on:
            raise RemedyInputError(
                f"The delivery on {unit.delivered_on.isoformat()} is before the sale on "
                f"{unit.sold_on.isoformat()}."
            )
        if reported_on < unit.delivered_on:
            raise RemedyInputError(
                f"The fault is reported on {reported_on.isoformat()}, before delivery on "
                f"{unit.delivered_on.isoformat()}."
            )
    repaired_on = unit.repair_chosen_under_eu_guarantee_on
    delivered = unit.delivered_on or unit.sold_on
    if repaired_on is not None and repaired_on < delivered:
        raise RemedyInputError(
            f"The repair is chosen on {repaired_on.isoformat()}, before delivery on "
            f"{delivered.isoformat()}."
        )
    counts = {
        "warranty_months": unit.warranty_months,
        "prior_failed_repairs": unit.prior_failed_repairs,
        "days_in_repair": unit.days_in_repair,
        "longest_repair_days_repairer_fault": unit.longest_repair_days_repairer_fault,
        "days_unrepaired_for_parts": unit.days_unrepaired_for_parts,
        "doa_days": policy.doa_days,
        "refund_days": policy.refund_days,
    }
    for name, value in counts.items():
        if value < 0:
            raise RemedyInputError(f"{name} is {value}; it cannot be negative.")
    if policy.failed_repairs_for_replacement < 1:
        raise RemedyInputError(
            f"failed_repairs_for_replacement is {policy.failed_repairs_for_replacement}; "
            "it must be at least 1."
        )


def evaluate(
    *,
    unit: UnitFacts,
    fault: Fault,
    reported_on: date,
    jurisdiction: str | None = None,
    brand_policy: BrandPolicy = BrandPolicy(),
    cn_disabled_categories: frozenset[str] = frozenset(),
    country_map: Mapping[str, str] | None = None,
) -> Verdict:
    """The remedies owed for `fault` reported on `reported_on`, and the rules that say so.

    `jurisdiction` forces a table (a what-if); otherwise the unit's country decides through
    `country_map`. `brand_policy` is the policy of the unit's product category.
    Raises `RemedyInputError` for impossible facts.
    """
    _validate(unit, reported_on, brand_policy)
    country = _country(unit.country)
    governing = resolve_jurisdiction(country, jurisdiction=jurisdiction, country_map=country_map)
    notes: list[str] = []
    if governing == CN and unit.category in cn_disabled_categories:
        notes.append(
            f"China's three guarantees are switched off for the category {unit.category!r}: "
            "the brand policy governs."
        )
        governing = BRAND

    brand_table = table_for(BRAND, unit.sold_on)
    assert isinstance(brand_table, BrandTable)
    brand = _brand(brand_table, unit, fault, reported_on, brand_policy)
    legal: _Outcome
    if governing == CN:
        cn_table = table_for(CN, unit.sold_on)
        assert isinstance(cn_table, CnTable)
        legal = _cn(cn_table, unit, fault, reported_on)
    elif governing == EU:
        legal = _eu(_eu_table(unit.sold_on), unit, fault, reported_on)
    else:
        legal = brand

    hits = list(legal.hits)
    if legal is not brand:
        if legal.excluded:
            hits.extend(hit for hit in brand.hits if brand.excluded)
        else:
            hits.extend(brand.hits)

    if legal.excluded:
        allowed: tuple[Remedy, ...] = (Remedy.PAID_REPAIR,)
    else:
        free = [remedy for hit in hits for remedy in hit.grants if remedy != Remedy.PAID_REPAIR]
        allowed = _by_severity(free) or (Remedy.PAID_REPAIR,)
        if not free:
            hits.append(_fire(legal.table, OUT_OF_COVERAGE, **legal.out_of_coverage))

    named = [hit.recommends for hit in hits if hit.recommends in allowed]
    recommended = _by_severity(r for r in named if r is not None) or allowed
    days = (reported_on - unit.sold_on).days
    return Verdict(
        jurisdiction=governing,
        table_version=legal.table.version,
        country=country,
        allowed=allowed,
        recommended=recommended[0],
        rules=tuple(hits),
        coverage_ends_on=legal.coverage_ends_on,
        warranty_ends_on=brand.coverage_ends_on,
        doa=fault.performance_failure and days <= brand_policy.doa_days,
        burden_of_proof=legal.burden,
        days_since_sale=days,
        notes=tuple(notes),
    )
