"""The brand's own policy as a rule table.

The numbers (DOA window, failed repairs before a replacement, refund window) are set per
product category by the brand and reach the engine as a `BrandPolicy`; this table holds
what each rule grants and how it is said. The brand policy is the governing table for
countries outside CN and the EU, and a commercial promise on top of the law everywhere
else (docs/decisions/0006-remedy-rule-tables.md).

Sentence placeholders the engine fills:
  BRAND-DOA        days, limit
  BRAND-WARRANTY   reported_on, months, start, ends_on
  BRAND-REPEAT     repairs, limit, ends_on
  BRAND-REFUND     days, limit
  BRAND-EXCLUDED   reasons
  OUT-OF-COVERAGE  days, months, ends_on
"""

from __future__ import annotations

from datetime import date

from aftersales.returns.jurisdictions import (
    BRAND,
    OUT_OF_COVERAGE,
    BrandTable,
    Remedy,
    RuleSpec,
    rule_map,
)

_POLICY = "the brand's warranty policy for the product category"

RULES = rule_map(
    RuleSpec(
        id="BRAND-DOA",
        title="Dead on arrival: a performance failure within the DOA window is replaced",
        grants=(Remedy.REPLACEMENT,),
        recommends=Remedy.REPLACEMENT,
        sentence=(
            "Reported {days} days after sale (≤ {limit}, the dead-on-arrival window) with a "
            "performance failure: the unit is replaced."
        ),
        sources=(_POLICY, "[D1]", "[D2]"),
    ),
    RuleSpec(
        id="BRAND-WARRANTY",
        title="Within the brand warranty: free repair",
        grants=(Remedy.REPAIR,),
        sentence=(
            "Reported on {reported_on}, within the {months}-month brand warranty from {start} "
            "that ends on {ends_on}: repair is free of charge."
        ),
        sources=(_POLICY,),
    ),
    RuleSpec(
        id="BRAND-REPEAT",
        title="Repeated failed repairs within the warranty: replacement",
        grants=(Remedy.REPLACEMENT,),
        recommends=Remedy.REPLACEMENT,
        sentence=(
            "Repaired {repairs} times before for the same failure (≥ {limit}) and failing again "
            "within the brand warranty that ends on {ends_on}: the unit is replaced."
        ),
        sources=(_POLICY,),
    ),
    RuleSpec(
        id="BRAND-REFUND",
        title="Within the brand's refund window: refund",
        grants=(Remedy.REFUND,),
        sentence=(
            "Reported {days} days after sale (≤ {limit}, the brand's refund window): the "
            "customer may have a refund."
        ),
        sources=(_POLICY,),
    ),
    RuleSpec(
        id="BRAND-EXCLUDED",
        title="Misuse, unauthorised repair or no proof of purchase: no brand warranty",
        grants=(Remedy.PAID_REPAIR,),
        recommends=Remedy.PAID_REPAIR,
        sentence="{reasons}: the brand warranty does not cover this fault.",
        sources=(_POLICY,),
    ),
    RuleSpec(
        id=OUT_OF_COVERAGE,
        title="Outside the brand warranty: paid repair",
        grants=(Remedy.PAID_REPAIR,),
        recommends=Remedy.PAID_REPAIR,
        sentence=(
            "Reported {days} days after sale, after the {months}-month brand warranty ended on "
            "{ends_on}: only a paid repair is offered."
        ),
        sources=(_POLICY,),
    ),
)

BRAND_1 = BrandTable(
    jurisdiction=BRAND,
    version="BRAND-1",
    effective_from=date.min,
    title="The brand's own after-sales policy",
    rules=RULES,
)

TABLES: tuple[BrandTable, ...] = (BRAND_1,)
