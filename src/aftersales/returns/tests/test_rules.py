"""The remedy engine: every rule at its boundaries, the tables' integrity, and properties.

Pure tests: no Django, no database (run with `-p no:django`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.returns.jurisdictions import (
    BRAND,
    CN,
    EU,
    OUT_OF_COVERAGE,
    all_tables,
    default_country_map,
    table_by_version,
    table_for,
    versions,
)
from aftersales.returns.jurisdictions.eu import MEMBER_STATES
from aftersales.returns.rules import (
    BrandPolicy,
    BurdenOfProof,
    Fault,
    Remedy,
    RemedyInputError,
    UnitFacts,
    Verdict,
    coverage_start_after_replacement,
    eu_guarantee_end,
    eu_guarantee_end_after_repair,
    evaluate,
    resolve_jurisdiction,
)

R = Remedy
SALE = date(2025, 3, 10)
PF = Fault(performance_failure=True)
COSMETIC = Fault(performance_failure=False)


def unit(**overrides: Any) -> UnitFacts:
    facts: dict[str, Any] = {
        "country": "CN",
        "category": "tv",
        "sold_on": SALE,
        "warranty_months": 12,
        "warranty_starts_on": SALE,
    }
    facts.update(overrides)
    return UnitFacts(**facts)


def judge(reported_on: date, *, fault: Fault = PF, **kwargs: Any) -> Verdict:
    evaluate_keys = {"jurisdiction", "brand_policy", "cn_disabled_categories", "country_map"}
    options = {key: kwargs.pop(key) for key in list(kwargs) if key in evaluate_keys}
    return evaluate(unit=unit(**kwargs), fault=fault, reported_on=reported_on, **options)


def after(days: int, start: date = SALE) -> date:
    return start + timedelta(days=days)


def assert_well_formed(verdict: Verdict) -> None:
    assert verdict.allowed, "allowed is never empty"
    assert verdict.recommended in verdict.allowed
    assert list(verdict.allowed) == sorted(verdict.allowed, key=list(Remedy).index)
    assert len(set(verdict.allowed)) == len(verdict.allowed)
    if R.PAID_REPAIR in verdict.allowed:
        assert verdict.allowed == (R.PAID_REPAIR,), "paid repair only when nothing free is owed"
    ids = verdict.rule_ids
    assert len(ids) == len(set(ids)), f"rule ids repeat: {ids}"
    assert verdict.rules, "at least one rule explains the verdict"
    granted = {remedy for rule in verdict.rules for remedy in rule.grants}
    assert set(verdict.allowed) <= granted
    for rule in verdict.rules:
        table = table_by_version(rule.table_version)
        assert rule.id in table.rules, f"{rule.id} is not documented in {table.version}"
        assert rule.sentence.strip()
        assert "{" not in rule.sentence and "}" not in rule.sentence
    assert table_by_version(verdict.table_version).jurisdiction == verdict.jurisdiction


# --------------------------------------------------------------------------- CN


CN_CASES: list[tuple[str, dict[str, Any], date, set[str], set[str], tuple[Remedy, ...], Remedy]] = [
    # name, unit and fault facts, reported on, ids that fire, ids that must not, allowed, rec.
    (
        "day 7: refund, replacement or repair",
        {},
        after(7),
        {"CN-7D", "CN-WARRANTY", "BRAND-DOA"},
        {"CN-15D"},
        (R.REPAIR, R.REPLACEMENT, R.REFUND),
        R.REPLACEMENT,
    ),
    (
        "day 8: replacement or repair, no refund",
        {},
        after(8),
        {"CN-15D", "CN-WARRANTY"},
        {"CN-7D"},
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "day 15: still replacement or repair",
        {},
        after(15),
        {"CN-15D"},
        {"CN-7D"},
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "day 16: repair only",
        {},
        after(16),
        {"CN-WARRANTY"},
        {"CN-15D", "BRAND-DOA"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "day 7 without a performance failure: repair only",
        {"fault": COSMETIC},
        after(7),
        {"CN-WARRANTY"},
        {"CN-7D", "BRAND-DOA"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "last day of the 12-month period",
        {},
        date(2026, 3, 9),
        {"CN-WARRANTY"},
        {OUT_OF_COVERAGE},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "the day after the period",
        {},
        date(2026, 3, 10),
        {OUT_OF_COVERAGE},
        {"CN-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "period extended by 20 days in repair: last day",
        {"days_in_repair": 20},
        date(2026, 3, 29),
        {"CN-WARRANTY"},
        {OUT_OF_COVERAGE, "BRAND-WARRANTY"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "period extended by 20 days in repair: the day after",
        {"days_in_repair": 20},
        date(2026, 3, 30),
        {OUT_OF_COVERAGE},
        {"CN-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "two earlier repairs, failing again: replacement or refund",
        {"prior_failed_repairs": 2},
        after(200),
        {"CN-TWICE", "CN-WARRANTY", "BRAND-REPEAT"},
        set(),
        (R.REPAIR, R.REPLACEMENT, R.REFUND),
        R.REPLACEMENT,
    ),
    (
        "one earlier repair is not enough",
        {"prior_failed_repairs": 1},
        after(200),
        {"CN-WARRANTY"},
        {"CN-TWICE"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "two earlier repairs, but not a performance failure",
        {"prior_failed_repairs": 2, "fault": COSMETIC},
        after(200),
        {"CN-WARRANTY", "BRAND-REPEAT"},
        {"CN-TWICE"},
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "two earlier repairs after the period: nothing",
        {"prior_failed_repairs": 2},
        date(2026, 3, 10),
        {OUT_OF_COVERAGE},
        {"CN-TWICE"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "a 31-day repair by the repairer's fault: replacement",
        {"longest_repair_days_repairer_fault": 31},
        after(100),
        {"CN-REPAIR-30"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "a 30-day repair is not over 30",
        {"longest_repair_days_repairer_fault": 30},
        after(100),
        {"CN-WARRANTY"},
        {"CN-REPAIR-30"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "91 days waiting for parts: replacement",
        {"days_unrepaired_for_parts": 91},
        after(150),
        {"CN-PARTS-90"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "90 days waiting for parts is not over 90",
        {"days_unrepaired_for_parts": 90},
        after(150),
        {"CN-WARRANTY"},
        {"CN-PARTS-90"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "misuse on day 3 overrides everything",
        {"fault": Fault(performance_failure=True, misuse=True)},
        after(3),
        {"CN-EXCLUDED", "BRAND-EXCLUDED"},
        {"CN-7D", "CN-WARRANTY", "BRAND-DOA", OUT_OF_COVERAGE},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "unauthorised dismantling",
        {"fault": Fault(performance_failure=True, unauthorised_repair=True)},
        after(40),
        {"CN-EXCLUDED"},
        {"CN-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "no proof of purchase",
        {"fault": Fault(performance_failure=True, proof_of_purchase=False)},
        after(40),
        {"CN-EXCLUDED"},
        {"CN-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
]


@pytest.mark.parametrize(
    ("facts", "reported_on", "fired", "not_fired", "allowed", "recommended"),
    [case[1:] for case in CN_CASES],
    ids=[case[0] for case in CN_CASES],
)
def test_cn_rules(
    facts: dict[str, Any],
    reported_on: date,
    fired: set[str],
    not_fired: set[str],
    allowed: tuple[Remedy, ...],
    recommended: Remedy,
) -> None:
    verdict = judge(reported_on, **facts)
    assert verdict.jurisdiction == CN
    assert verdict.table_version == "CN-1995.1"
    assert fired <= set(verdict.rule_ids), verdict.rule_ids
    assert not (not_fired & set(verdict.rule_ids)), verdict.rule_ids
    assert verdict.allowed == allowed
    assert verdict.recommended == recommended
    assert verdict.burden_of_proof is None
    assert_well_formed(verdict)


def test_cn_exclusion_lists_only_the_exclusions() -> None:
    verdict = judge(after(3), fault=Fault(performance_failure=True, misuse=True))
    assert verdict.rule_ids == ("CN-EXCLUDED", "BRAND-EXCLUDED")
    assert verdict.doa, "DOA is a fact about timing; the exclusion decides the remedy"


def test_cn_coverage_end_is_extended_and_the_brand_warranty_is_not() -> None:
    verdict = judge(after(100), days_in_repair=20)
    assert verdict.coverage_ends_on == date(2026, 3, 29)
    assert verdict.warranty_ends_on == date(2026, 3, 9)


def test_cn_switched_off_for_a_category_falls_to_the_brand_policy() -> None:
    verdict = judge(
        after(5), category="industrial", cn_disabled_categories=frozenset({"industrial"})
    )
    assert verdict.jurisdiction == BRAND
    assert verdict.table_version == "BRAND-1"
    assert not any(rule_id.startswith("CN-") for rule_id in verdict.rule_ids)
    assert "industrial" in verdict.notes[0]
    other = judge(after(5), category="tv", cn_disabled_categories=frozenset({"industrial"}))
    assert other.jurisdiction == CN


def test_days_count_from_the_sale_with_the_sale_day_as_day_0() -> None:
    assert judge(SALE).days_since_sale == 0
    assert "Reported 0 days after sale (≤ 7)" in judge(SALE).rules[0].sentence


# --------------------------------------------------------------------------- EU

EU_SALE = date(2024, 5, 1)


def eu(reported_on: date, country: str = "DE", **kwargs: Any) -> Verdict:
    kwargs.setdefault("sold_on", EU_SALE)
    kwargs.setdefault("warranty_starts_on", kwargs["sold_on"])
    return judge(reported_on, country=country, **kwargs)


EU_CASES: list[tuple[str, str, dict[str, Any], date, set[str], set[str], tuple[Remedy, ...]]] = [
    (
        "DE: last day of the 2-year guarantee",
        "DE",
        {},
        date(2026, 4, 30),
        {"EU-CONFORMITY", "EU-BURDEN"},
        {OUT_OF_COVERAGE},
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "DE: the day after the 2-year guarantee",
        "DE",
        {},
        date(2026, 5, 1),
        {OUT_OF_COVERAGE},
        {"EU-CONFORMITY", "EU-BURDEN"},
        (R.PAID_REPAIR,),
    ),
    (
        "ES: the same day is within the 3-year guarantee",
        "ES",
        {},
        date(2026, 5, 1),
        {"EU-CONFORMITY", "EU-BURDEN"},
        {OUT_OF_COVERAGE},
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "ES: last day of the 3-year guarantee",
        "ES",
        {},
        date(2027, 4, 30),
        {"EU-CONFORMITY"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "ES: the day after the 3-year guarantee",
        "ES",
        {},
        date(2027, 5, 1),
        {OUT_OF_COVERAGE},
        {"EU-CONFORMITY"},
        (R.PAID_REPAIR,),
    ),
    (
        "PT: 3 years too",
        "PT",
        {},
        date(2027, 4, 30),
        {"EU-CONFORMITY"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "IT: not in the table, so the 2-year default",
        "IT",
        {},
        date(2026, 5, 1),
        {OUT_OF_COVERAGE},
        {"EU-CONFORMITY"},
        (R.PAID_REPAIR,),
    ),
    (
        "DE: counted from delivery, not from the sale",
        "DE",
        {"delivered_on": date(2024, 5, 20)},
        date(2026, 5, 19),
        {"EU-CONFORMITY"},
        {OUT_OF_COVERAGE},
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "one failed repair: price reduction or refund as well",
        "DE",
        {"prior_failed_repairs": 1},
        date(2025, 9, 1),
        {"EU-CONFORMITY", "EU-SECOND"},
        set(),
        (R.REPAIR, R.REPLACEMENT, R.PRICE_REDUCTION, R.REFUND),
    ),
    (
        "no failed repair: no second tier",
        "DE",
        {"prior_failed_repairs": 0},
        date(2025, 9, 1),
        {"EU-CONFORMITY"},
        {"EU-SECOND"},
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "repair not made within a reasonable time: second tier",
        "DE",
        {"repair_or_replacement_overdue": True},
        date(2025, 9, 1),
        {"EU-SECOND"},
        set(),
        (R.REPAIR, R.REPLACEMENT, R.PRICE_REDUCTION, R.REFUND),
    ),
    (
        "failed repair after the guarantee: nothing",
        "DE",
        {"prior_failed_repairs": 3},
        date(2026, 5, 1),
        {OUT_OF_COVERAGE},
        {"EU-SECOND", "EU-CONFORMITY"},
        (R.PAID_REPAIR,),
    ),
    (
        "misuse: paid repair, and the burden is still stated",
        "DE",
        {"fault": Fault(performance_failure=True, misuse=True)},
        date(2024, 6, 1),
        {"EU-EXCLUDED", "EU-BURDEN", "BRAND-EXCLUDED"},
        {"EU-CONFORMITY", OUT_OF_COVERAGE},
        (R.PAID_REPAIR,),
    ),
    (
        "no proof of purchase",
        "DE",
        {"fault": Fault(performance_failure=False, proof_of_purchase=False)},
        date(2024, 6, 1),
        {"EU-EXCLUDED"},
        {"EU-CONFORMITY"},
        (R.PAID_REPAIR,),
    ),
    (
        "unauthorised repair ends the brand's promise, not the legal guarantee",
        "DE",
        {"fault": Fault(performance_failure=True, unauthorised_repair=True)},
        date(2025, 9, 1),
        {"EU-CONFORMITY", "BRAND-EXCLUDED"},
        {"EU-EXCLUDED", "BRAND-WARRANTY"},
        (R.REPAIR, R.REPLACEMENT),
    ),
    (
        "beyond the legal guarantee the brand warranty applies",
        "DE",
        {"warranty_months": 36},
        date(2026, 10, 1),
        {"BRAND-WARRANTY"},
        {"EU-CONFORMITY", "EU-BURDEN", OUT_OF_COVERAGE},
        (R.REPAIR,),
    ),
]


@pytest.mark.parametrize(
    ("country", "facts", "reported_on", "fired", "not_fired", "allowed"),
    [case[1:] for case in EU_CASES],
    ids=[case[0] for case in EU_CASES],
)
def test_eu_rules(
    country: str,
    facts: dict[str, Any],
    reported_on: date,
    fired: set[str],
    not_fired: set[str],
    allowed: tuple[Remedy, ...],
) -> None:
    verdict = eu(reported_on, country, **facts)
    assert verdict.jurisdiction == EU
    assert verdict.table_version == "EU-2023.1"
    assert fired <= set(verdict.rule_ids), verdict.rule_ids
    assert not (not_fired & set(verdict.rule_ids)), verdict.rule_ids
    assert verdict.allowed == allowed
    assert_well_formed(verdict)


def test_eu_second_tier_recommends_price_reduction() -> None:
    verdict = eu(date(2025, 9, 1), prior_failed_repairs=1)
    assert verdict.recommended == R.PRICE_REDUCTION
    first_tier = eu(date(2025, 9, 1))
    assert first_tier.recommended == R.REPAIR


@pytest.mark.parametrize(
    ("country", "reported_on", "burden"),
    [
        ("DE", date(2025, 4, 30), BurdenOfProof.SELLER),  # last day of the 12 months
        ("DE", date(2025, 5, 1), BurdenOfProof.CONSUMER),  # first day after
        ("IT", date(2025, 4, 30), BurdenOfProof.SELLER),
        ("IT", date(2025, 5, 1), BurdenOfProof.CONSUMER),
        ("FR", date(2025, 5, 1), BurdenOfProof.SELLER),  # France: 24 months
        ("FR", date(2026, 4, 30), BurdenOfProof.SELLER),
        ("ES", date(2026, 4, 30), BurdenOfProof.SELLER),  # Spain: 24 months
        ("ES", date(2026, 5, 1), BurdenOfProof.CONSUMER),
        ("PT", date(2026, 5, 1), BurdenOfProof.CONSUMER),
        ("SE", date(2026, 4, 30), BurdenOfProof.SELLER),
        ("PL", date(2026, 4, 30), BurdenOfProof.SELLER),
        ("DE", date(2026, 5, 1), None),  # after the guarantee: no legal burden to state
    ],
)
def test_eu_burden_of_proof(country: str, reported_on: date, burden: BurdenOfProof | None) -> None:
    verdict = eu(reported_on, country)
    assert verdict.burden_of_proof == burden
    assert ("EU-BURDEN" in verdict.rule_ids) == (burden is not None)


def test_eu_burden_follows_the_table_in_force_on_the_sale_date() -> None:
    # Sweden's 24-month presumption applies to sales from 1 May 2022.
    before = eu(date(2023, 1, 1), "SE", sold_on=date(2022, 4, 30))
    after_change = eu(date(2023, 1, 1), "SE", sold_on=date(2022, 5, 1))
    assert (before.table_version, before.burden_of_proof) == ("EU-2022.1", BurdenOfProof.CONSUMER)
    assert (after_change.table_version, after_change.burden_of_proof) == (
        "EU-2022.2",
        BurdenOfProof.SELLER,
    )


REPAIRED = date(2027, 1, 10)


@pytest.mark.parametrize(
    ("sold_on", "reported_on", "extended", "version", "coverage_ends_on"),
    [
        (date(2026, 7, 30), date(2028, 7, 29), False, "EU-2023.1", date(2028, 7, 29)),
        (date(2026, 7, 30), date(2028, 7, 30), False, "EU-2023.1", date(2028, 7, 29)),
        (date(2026, 7, 31), date(2028, 7, 31), True, "EU-2026.1", date(2029, 7, 30)),
        (date(2026, 7, 31), date(2029, 7, 30), True, "EU-2026.1", date(2029, 7, 30)),
        (date(2026, 7, 31), date(2029, 7, 31), True, "EU-2026.1", date(2029, 7, 30)),
    ],
)
def test_eu_repair_extends_the_guarantee_for_sales_from_31_july_2026(
    sold_on: date, reported_on: date, extended: bool, version: str, coverage_ends_on: date
) -> None:
    verdict = eu(reported_on, sold_on=sold_on, repair_chosen_under_eu_guarantee_on=REPAIRED)
    assert verdict.table_version == version
    assert ("EU-REPAIR-PLUS12" in verdict.rule_ids) == extended
    assert verdict.coverage_ends_on == coverage_ends_on
    covered = reported_on <= coverage_ends_on
    assert ("EU-CONFORMITY" in verdict.rule_ids) == covered
    assert_well_formed(verdict)


def test_eu_guarantee_end_after_repair() -> None:
    kwargs: dict[str, Any] = {"country": "DE", "delivered_on": None}
    assert eu_guarantee_end(country="DE", sold_on=date(2026, 7, 31)) == date(2028, 7, 30)
    assert eu_guarantee_end_after_repair(
        sold_on=date(2026, 7, 31), repaired_on=REPAIRED, **kwargs
    ) == date(2029, 7, 30)
    assert eu_guarantee_end_after_repair(
        sold_on=date(2026, 7, 30), repaired_on=REPAIRED, **kwargs
    ) == date(2028, 7, 29)
    # A repair chosen after the guarantee ended extends nothing.
    assert eu_guarantee_end_after_repair(
        sold_on=date(2026, 7, 31), repaired_on=date(2028, 7, 31), **kwargs
    ) == date(2028, 7, 30)
    # Spain: 3 years + 12 months.
    assert eu_guarantee_end_after_repair(
        country="ES", sold_on=date(2026, 8, 1), delivered_on=date(2026, 8, 3), repaired_on=REPAIRED
    ) == date(2030, 8, 2)
    with pytest.raises(RemedyInputError, match="before delivery"):
        eu_guarantee_end_after_repair(
            sold_on=date(2026, 8, 1), repaired_on=date(2026, 7, 1), **kwargs
        )


def test_eu_sale_before_any_table_is_refused() -> None:
    with pytest.raises(RemedyInputError, match="No EU rule table is in force"):
        eu(date(2002, 1, 1), sold_on=date(2001, 12, 31))


def test_eu_table_versions_in_force() -> None:
    assert table_for(EU, date(2015, 1, 1)).version == "EU-2002.1"
    assert table_for(EU, date(2016, 3, 18)).version == "EU-2016.1"
    assert table_for(EU, date(2021, 12, 31)).version == "EU-2016.1"
    assert table_for(EU, date(2022, 1, 1)).version == "EU-2022.1"
    assert table_for(EU, date(2026, 7, 30)).version == "EU-2023.1"
    assert table_for(EU, date(2026, 7, 31)).version == "EU-2026.1"
    # Spain went from 2 to 3 years for sales from 2022.
    assert eu(date(2023, 12, 1), "ES", sold_on=date(2021, 12, 1)).allowed == (R.PAID_REPAIR,)
    assert eu(date(2024, 12, 1), "ES", sold_on=date(2022, 1, 1)).allowed == (
        R.REPAIR,
        R.REPLACEMENT,
    )


# --------------------------------------------------------------------------- BRAND


def brand(reported_on: date, **kwargs: Any) -> Verdict:
    return judge(reported_on, country="US", **kwargs)


BRAND_CASES: list[
    tuple[str, dict[str, Any], date, set[str], set[str], tuple[Remedy, ...], Remedy]
] = [
    (
        "DOA on day 15",
        {},
        after(15),
        {"BRAND-DOA", "BRAND-WARRANTY"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "day 16 is past the DOA window",
        {},
        after(16),
        {"BRAND-WARRANTY"},
        {"BRAND-DOA"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "a DOA window of 30 days",
        {"brand_policy": BrandPolicy(doa_days=30)},
        after(30),
        {"BRAND-DOA"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "not DOA without a performance failure",
        {"fault": COSMETIC},
        after(2),
        {"BRAND-WARRANTY"},
        {"BRAND-DOA"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "two failed repairs (the default): replacement",
        {"prior_failed_repairs": 2},
        after(200),
        {"BRAND-REPEAT"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "a policy of three: two are not enough",
        {"prior_failed_repairs": 2, "brand_policy": BrandPolicy(failed_repairs_for_replacement=3)},
        after(200),
        {"BRAND-WARRANTY"},
        {"BRAND-REPEAT"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "a policy of three: three are",
        {"prior_failed_repairs": 3, "brand_policy": BrandPolicy(failed_repairs_for_replacement=3)},
        after(200),
        {"BRAND-REPEAT"},
        set(),
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "refund window 0 means never, even on day 0",
        {},
        SALE,
        {"BRAND-DOA"},
        {"BRAND-REFUND"},
        (R.REPAIR, R.REPLACEMENT),
        R.REPLACEMENT,
    ),
    (
        "refund window of 30 days: day 30",
        {"brand_policy": BrandPolicy(refund_days=30)},
        after(30),
        {"BRAND-REFUND"},
        {"BRAND-DOA"},
        (R.REPAIR, R.REFUND),
        R.REPAIR,
    ),
    (
        "refund window of 30 days: day 31",
        {"brand_policy": BrandPolicy(refund_days=30)},
        after(31),
        {"BRAND-WARRANTY"},
        {"BRAND-REFUND"},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "last warranty day",
        {},
        date(2026, 3, 9),
        {"BRAND-WARRANTY"},
        {OUT_OF_COVERAGE},
        (R.REPAIR,),
        R.REPAIR,
    ),
    (
        "outside the warranty: paid repair",
        {},
        date(2026, 3, 10),
        {OUT_OF_COVERAGE},
        {"BRAND-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "the brand does not extend its warranty by repair time",
        {"days_in_repair": 20},
        date(2026, 3, 10),
        {OUT_OF_COVERAGE},
        {"BRAND-WARRANTY"},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
    (
        "misuse",
        {"fault": Fault(performance_failure=True, misuse=True)},
        after(3),
        {"BRAND-EXCLUDED"},
        {"BRAND-DOA", OUT_OF_COVERAGE},
        (R.PAID_REPAIR,),
        R.PAID_REPAIR,
    ),
]


@pytest.mark.parametrize(
    ("facts", "reported_on", "fired", "not_fired", "allowed", "recommended"),
    [case[1:] for case in BRAND_CASES],
    ids=[case[0] for case in BRAND_CASES],
)
def test_brand_rules(
    facts: dict[str, Any],
    reported_on: date,
    fired: set[str],
    not_fired: set[str],
    allowed: tuple[Remedy, ...],
    recommended: Remedy,
) -> None:
    verdict = brand(reported_on, **facts)
    assert verdict.jurisdiction == BRAND
    assert verdict.table_version == "BRAND-1"
    assert fired <= set(verdict.rule_ids), verdict.rule_ids
    assert not (not_fired & set(verdict.rule_ids)), verdict.rule_ids
    assert verdict.allowed == allowed
    assert verdict.recommended == recommended
    assert verdict.coverage_ends_on == verdict.warranty_ends_on
    assert_well_formed(verdict)


def test_doa_flag_is_independent_of_the_jurisdiction() -> None:
    for country in ("CN", "DE", "US"):
        assert judge(after(15), country=country).doa
        assert not judge(after(16), country=country).doa
        assert not judge(after(3), country=country, fault=COSMETIC).doa


def test_brand_policy_applies_on_top_of_the_law() -> None:
    verdict = eu(date(2024, 5, 10), brand_policy=BrandPolicy(refund_days=30))
    assert {"EU-CONFORMITY", "BRAND-REFUND", "BRAND-DOA"} <= set(verdict.rule_ids)
    assert verdict.allowed == (R.REPAIR, R.REPLACEMENT, R.REFUND)
    assert verdict.recommended == R.REPLACEMENT


# --------------------------------------------------------------------------- jurisdiction


def test_default_country_map() -> None:
    mapping = default_country_map()
    assert mapping["CN"] == CN
    assert len(MEMBER_STATES) == 27
    assert all(mapping[country] == EU for country in MEMBER_STATES)
    assert resolve_jurisdiction("us") == BRAND
    assert resolve_jurisdiction("GB") == BRAND
    assert resolve_jurisdiction("es") == EU


def test_country_map_overrides_and_what_if() -> None:
    assert resolve_jurisdiction("HK", country_map={"HK": "CN"}) == CN
    assert resolve_jurisdiction("DE", country_map={"DE": "BRAND"}) == BRAND
    assert resolve_jurisdiction("FR", country_map={"HK": "CN"}) == EU
    assert resolve_jurisdiction("CN", jurisdiction="eu") == EU
    verdict = judge(after(100), jurisdiction="EU")  # a Chinese sale judged by EU law
    assert verdict.jurisdiction == EU
    assert "EU-CONFORMITY" in verdict.rule_ids
    assert verdict.coverage_ends_on == date(2027, 3, 9)  # the 2-year default
    assert_well_formed(verdict)


def test_coverage_start_after_replacement() -> None:
    original, replaced = date(2025, 1, 5), date(2025, 6, 1)
    assert coverage_start_after_replacement(CN, replaced, original) == replaced
    assert coverage_start_after_replacement(EU, replaced, original) == original
    assert coverage_start_after_replacement(BRAND, replaced, original) == original
    restarting = BrandPolicy(warranty_restarts_on_replacement=True)
    assert coverage_start_after_replacement(BRAND, replaced, original, restarting) == replaced
    with pytest.raises(RemedyInputError, match="before the coverage start"):
        coverage_start_after_replacement(CN, original, replaced)
    with pytest.raises(RemedyInputError, match="Unknown jurisdiction"):
        coverage_start_after_replacement("US", replaced, original)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reported_on": after(-1)}, "before the sale"),
        ({"jurisdiction": "MARS"}, "Unknown jurisdiction"),
        ({"country_map": {"US": "MARS"}, "country": "US"}, "Unknown jurisdiction"),
        ({"country": "USA"}, "not an ISO 3166-1 alpha-2"),
        ({"country": ""}, "not an ISO 3166-1 alpha-2"),
        ({"delivered_on": after(-1)}, "before the sale"),
        ({"delivered_on": after(10), "reported_on": after(5)}, "before delivery"),
        ({"repair_chosen_under_eu_guarantee_on": after(-3)}, "before delivery"),
        ({"warranty_months": -1}, "warranty_months is -1; it cannot be negative"),
        ({"prior_failed_repairs": -1}, "prior_failed_repairs"),
        ({"days_in_repair": -2}, "days_in_repair"),
        ({"longest_repair_days_repairer_fault": -1}, "longest_repair_days_repairer_fault"),
        ({"days_unrepaired_for_parts": -1}, "days_unrepaired_for_parts"),
        ({"brand_policy": BrandPolicy(doa_days=-1)}, "doa_days"),
        ({"brand_policy": BrandPolicy(refund_days=-1)}, "refund_days"),
        ({"brand_policy": BrandPolicy(failed_repairs_for_replacement=0)}, "at least 1"),
    ],
)
def test_impossible_input_is_refused_with_a_sentence(kwargs: dict[str, Any], message: str) -> None:
    reported_on = kwargs.pop("reported_on", after(30))
    with pytest.raises(RemedyInputError, match=message) as caught:
        judge(reported_on, **kwargs)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(".")


# --------------------------------------------------------------------------- the tables


def test_tables_are_versioned_in_date_order() -> None:
    for jurisdiction in (CN, EU, BRAND):
        tables = versions(jurisdiction)
        dates = [table.effective_from for table in tables]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        assert all(table.jurisdiction == jurisdiction for table in tables)
    all_versions = [table.version for table in all_tables()]
    assert len(all_versions) == len(set(all_versions))


def test_every_rule_is_documented() -> None:
    for table in all_tables():
        assert table.title
        assert OUT_OF_COVERAGE in table.rules
        for rule_id, spec in table.rules.items():
            assert spec.id == rule_id
            assert spec.title and spec.sources and spec.sentence
            assert spec.recommends is None or spec.recommends in spec.grants
            if Remedy.PAID_REPAIR in spec.grants:
                assert spec.grants == (Remedy.PAID_REPAIR,)


def test_unknown_version_and_jurisdiction() -> None:
    with pytest.raises(RemedyInputError):
        table_by_version("EU-1900.1")
    with pytest.raises(RemedyInputError):
        versions("US")


# --------------------------------------------------------------------------- sentences

# Each case: a verdict in which the rule fires, and the numbers its sentence must carry.
SENTENCE_CASES: list[tuple[str, Verdict, list[str]]] = [
    ("CN-7D", judge(after(5)), ["5 days", "≤ 7"]),
    ("CN-15D", judge(after(12)), ["12 days", "8", "15"]),
    (
        "CN-WARRANTY",
        judge(after(100), days_in_repair=20),
        ["12-month", "2025-03-10", "20 days", "2026-03-29", after(100).isoformat()],
    ),
    ("CN-TWICE", judge(after(100), prior_failed_repairs=3), ["3 times", "≥ 2", "2026-03-09"]),
    ("CN-REPAIR-30", judge(after(100), longest_repair_days_repairer_fault=45), ["45 days", "30"]),
    ("CN-PARTS-90", judge(after(150), days_unrepaired_for_parts=95), ["95 days", "90"]),
    ("CN-EXCLUDED", judge(after(5), fault=Fault(True, misuse=True)), ["Misuse"]),
    ("OUT-OF-COVERAGE", judge(date(2026, 3, 10)), ["365 days", "2026-03-09"]),
    (
        "EU-CONFORMITY",
        eu(date(2025, 5, 1), "ES"),
        ["365 days", "2024-05-01", "36-month", "ES", "2027-04-30"],
    ),
    ("EU-SECOND", eu(date(2025, 5, 1), prior_failed_repairs=2), ["2 earlier", "≥ 1", "2026-04-30"]),
    ("EU-BURDEN", eu(date(2025, 5, 1)), ["365 days", "12-month", "2025-04-30", "consumer"]),
    (
        "EU-REPAIR-PLUS12",
        eu(
            date(2028, 9, 1),
            sold_on=date(2026, 7, 31),
            repair_chosen_under_eu_guarantee_on=REPAIRED,
        ),
        ["2026-07-31", REPAIRED.isoformat(), "12 months", "2029-07-30"],
    ),
    ("EU-EXCLUDED", eu(date(2025, 5, 1), fault=Fault(True, proof_of_purchase=False)), ["proof"]),
    ("BRAND-DOA", brand(after(4)), ["4 days", "≤ 15"]),
    ("BRAND-WARRANTY", brand(after(40)), ["12-month", "2025-03-10", "2026-03-09"]),
    ("BRAND-REPEAT", brand(after(40), prior_failed_repairs=2), ["2 times", "≥ 2", "2026-03-09"]),
    ("BRAND-REFUND", brand(after(9), brand_policy=BrandPolicy(refund_days=14)), ["9 days", "≤ 14"]),
    ("BRAND-EXCLUDED", brand(after(9), fault=Fault(True, unauthorised_repair=True)), ["repair"]),
]

SENTENCE_CASES += [
    ("OUT-OF-COVERAGE", eu(date(2026, 5, 1)), ["730 days", "24-month", "DE", "2026-04-30"]),
    ("OUT-OF-COVERAGE", brand(date(2026, 3, 10)), ["365 days", "12-month", "2026-03-09"]),
]


@pytest.mark.parametrize(
    ("rule_id", "verdict", "numbers"),
    SENTENCE_CASES,
    ids=[f"{case[0]}-{case[1].jurisdiction}" for case in SENTENCE_CASES],
)
def test_sentences_mention_the_numbers_that_drove_them(
    rule_id: str, verdict: Verdict, numbers: list[str]
) -> None:
    [rule] = [rule for rule in verdict.rules if rule.id == rule_id]
    for number in numbers:
        assert number in rule.sentence, f"{number!r} missing from: {rule.sentence}"
    assert_well_formed(verdict)


def test_every_rule_of_every_current_table_has_a_sentence_case() -> None:
    covered = {(case[1].jurisdiction, case[0]) for case in SENTENCE_CASES}
    for jurisdiction in (CN, EU, BRAND):
        for rule_id in versions(jurisdiction)[-1].rules:
            assert (jurisdiction, rule_id) in covered, rule_id


def test_the_example_sentence_from_the_issue() -> None:
    assert judge(after(5)).rules[0].sentence == (
        "Reported 5 days after sale (≤ 7) with a performance failure: "
        "the customer may choose refund, replacement or repair."
    )


# --------------------------------------------------------------------------- properties

COUNTRIES = ["CN", "DE", "ES", "FR", "PT", "SE", "IE", "PL", "IT", "NL", "US", "JP"]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    sold_on = draw(st.dates(min_value=date(2006, 3, 1), max_value=date(2030, 12, 31)))
    delivery_lag = draw(st.none() | st.integers(0, 30))
    delivered_on = None if delivery_lag is None else sold_on + timedelta(days=delivery_lag)
    repair_lag = draw(st.none() | st.integers(0, 1500))
    facts = UnitFacts(
        country=draw(st.sampled_from(COUNTRIES)),
        category=draw(st.sampled_from(["tv", "fridge"])),
        sold_on=sold_on,
        delivered_on=delivered_on,
        warranty_months=draw(st.integers(0, 60)),
        warranty_starts_on=sold_on + timedelta(days=draw(st.integers(0, 60))),
        prior_failed_repairs=draw(st.integers(0, 4)),
        days_in_repair=draw(st.integers(0, 120)),
        longest_repair_days_repairer_fault=draw(st.integers(0, 60)),
        days_unrepaired_for_parts=draw(st.integers(0, 150)),
        repair_chosen_under_eu_guarantee_on=(
            None if repair_lag is None else (delivered_on or sold_on) + timedelta(days=repair_lag)
        ),
        repair_or_replacement_overdue=draw(st.booleans()),
    )
    fault = Fault(
        performance_failure=draw(st.booleans()),
        misuse=draw(st.booleans() if draw(st.booleans()) else st.just(False)),
        unauthorised_repair=draw(st.booleans() if draw(st.booleans()) else st.just(False)),
        proof_of_purchase=draw(st.just(True) if draw(st.booleans()) else st.booleans()),
    )
    policy = BrandPolicy(
        doa_days=draw(st.integers(0, 30)),
        failed_repairs_for_replacement=draw(st.integers(1, 4)),
        refund_days=draw(st.integers(0, 60)),
    )
    earliest_report = delivered_on or sold_on
    reported_on = earliest_report + timedelta(days=draw(st.integers(0, 2500)))
    return {
        "unit": facts,
        "fault": fault,
        "reported_on": reported_on,
        "jurisdiction": draw(st.none() | st.sampled_from([CN, EU, BRAND])),
        "brand_policy": policy,
        "cn_disabled_categories": draw(st.sampled_from([frozenset(), frozenset({"fridge"})])),
    }


def free(verdict: Verdict) -> frozenset[Remedy]:
    return frozenset(verdict.allowed) - {Remedy.PAID_REPAIR}


def assert_not_wider(older: Verdict, younger: Verdict) -> None:
    """Every remedy owed for the older sale is owed for the younger one too."""
    assert free(older) <= free(younger), (older.rule_ids, younger.rule_ids)
    if younger.allowed == (Remedy.PAID_REPAIR,):
        assert older.allowed == (Remedy.PAID_REPAIR,)


def shifted(facts: UnitFacts, days: int) -> UnitFacts:
    """The same unit and history, every date of its timeline `days` earlier."""
    delta = timedelta(days=days)
    return dataclasses.replace(
        facts,
        sold_on=facts.sold_on - delta,
        delivered_on=None if facts.delivered_on is None else facts.delivered_on - delta,
        warranty_starts_on=facts.warranty_starts_on - delta,
        repair_chosen_under_eu_guarantee_on=(
            None
            if facts.repair_chosen_under_eu_guarantee_on is None
            else facts.repair_chosen_under_eu_guarantee_on - delta
        ),
    )


@settings(max_examples=400, deadline=None)
@given(scenario=scenarios(), age=st.integers(1, 1500))
def test_an_older_sale_never_widens_the_verdict(scenario: dict[str, Any], age: int) -> None:
    younger = evaluate(**scenario)
    older = evaluate(**{**scenario, "unit": shifted(scenario["unit"], age)})
    assert_well_formed(younger)
    assert_well_formed(older)
    assert_not_wider(older, younger)


@settings(max_examples=400, deadline=None)
@given(scenario=scenarios(), earlier=st.integers(1, 2500))
def test_an_earlier_report_never_narrows_the_verdict(
    scenario: dict[str, Any], earlier: int
) -> None:
    facts: UnitFacts = scenario["unit"]
    floor = facts.delivered_on or facts.sold_on
    earlier_report = max(floor, scenario["reported_on"] - timedelta(days=earlier))
    later = evaluate(**scenario)
    sooner = evaluate(**{**scenario, "reported_on": earlier_report})
    assert_well_formed(sooner)
    assert_not_wider(later, sooner)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_every_verdict_is_well_formed(scenario: dict[str, Any]) -> None:
    verdict = evaluate(**scenario)
    assert_well_formed(verdict)
    assert verdict.days_since_sale == (scenario["reported_on"] - scenario["unit"].sold_on).days
    excluded = any(rule.id in {"CN-EXCLUDED", "EU-EXCLUDED"} for rule in verdict.rules)
    if excluded:
        assert verdict.allowed == (Remedy.PAID_REPAIR,)
    if verdict.jurisdiction != EU:
        assert verdict.burden_of_proof is None
