"""The EU legal guarantee of conformity as versioned rule tables.

Directive 1999/44/EC (from 2002), Directive (EU) 2019/771 (contracts from 1 January 2022)
and its amendment by Directive (EU) 2024/1799 (from 31 July 2026: choosing repair extends
the seller's liability by 12 months). The legal guarantee counts from delivery. A country
not in a `*_by_country` table gets the directive's default; only deviations that could be
sourced are listed (docs/remedy-law-sources.md, with the uncertain ones marked).

A national change is a new table version with its own `effective_from`, built from the
previous one, so a sale is always judged by the numbers in force on its sale date.

Sentence placeholders the engine fills:
  EU-CONFORMITY     days, delivered_on, months, country, ends_on
  EU-SECOND         trigger, ends_on
  EU-BURDEN         days, relation, presumption, country, presumption_ends_on, holder
  EU-REPAIR-PLUS12  sold_on, since, repaired_on, months, ends_on
  EU-EXCLUDED       reasons
  OUT-OF-COVERAGE   days, months, country, ends_on
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from aftersales.returns.jurisdictions import (
    EU,
    OUT_OF_COVERAGE,
    EuTable,
    Remedy,
    RuleSpec,
    rule_map,
)

# ISO 3166-1 alpha-2 codes of the 27 member states (Greece is GR, not the EU's "EL").
# fmt: off
MEMBER_STATES: frozenset[str] = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
# fmt: on

REPAIR_EXTENSION_SINCE = date(2026, 7, 31)


def _rules(*, directive: str, remedies: str, burden: str) -> Mapping[str, RuleSpec]:
    return rule_map(
        RuleSpec(
            id="EU-CONFORMITY",
            title="Within the legal guarantee: repair or replacement at the customer's choice",
            grants=(Remedy.REPAIR, Remedy.REPLACEMENT),
            sentence=(
                "Reported {days} days after delivery on {delivered_on}, within the {months}-month "
                "legal guarantee for {country} that ends on {ends_on}: the customer may choose "
                "repair or replacement, unless the chosen one is impossible or disproportionate."
            ),
            sources=(f"{directive} (liability period)", f"{remedies} (remedies)"),
        ),
        RuleSpec(
            id="EU-SECOND",
            title="A repair or replacement failed or was not made in reasonable time: "
            "price reduction or refund",
            grants=(Remedy.PRICE_REDUCTION, Remedy.REFUND),
            recommends=Remedy.PRICE_REDUCTION,
            sentence=(
                "{trigger}, within the legal guarantee that ends on {ends_on}: the customer may "
                "ask for a price reduction or a refund (termination of the sale)."
            ),
            sources=(f"{remedies} (price reduction or termination)", "[E5]"),
        ),
        RuleSpec(
            id="EU-BURDEN",
            title="Who must prove the defect existed at delivery",
            grants=(),
            sentence=(
                "Reported {days} days after delivery, {relation} the {presumption}-month "
                "presumption for {country} (last day {presumption_ends_on}): the {holder} "
                "bears the burden of proving whether the defect existed at delivery."
            ),
            sources=(burden, "[E3]", "[E13]"),
        ),
        RuleSpec(
            id="EU-REPAIR-PLUS12",
            title="Sales from 31 July 2026: choosing repair extends the guarantee by 12 months",
            grants=(),
            sentence=(
                "Sold on {sold_on} (on or after {since}) and repair chosen on {repaired_on}: "
                "the legal guarantee is extended by {months} months to {ends_on}."
            ),
            sources=("[E6] Directive (EU) 2024/1799", "[E7]", "[E12]"),
        ),
        RuleSpec(
            id="EU-EXCLUDED",
            title="Damage caused by the consumer, or no proof of the sale: paid repair only",
            grants=(Remedy.PAID_REPAIR,),
            recommends=Remedy.PAID_REPAIR,
            sentence=(
                "{reasons}: the seller's legal guarantee covers only defects present at "
                "delivery in goods it sold, so only a paid repair is offered."
            ),
            sources=(f"{directive} (lack of conformity existing at delivery)",),
        ),
        RuleSpec(
            id=OUT_OF_COVERAGE,
            title="Nothing free is owed: paid repair",
            grants=(Remedy.PAID_REPAIR,),
            recommends=Remedy.PAID_REPAIR,
            sentence=(
                "Reported {days} days after delivery, after the {months}-month legal guarantee "
                "for {country} ended on {ends_on}, and no brand rule applies: only a paid repair "
                "is offered."
            ),
            sources=(directive,),
        ),
    )


def _frozen(mapping: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping))


# Directive 1999/44/EC, to be applied by the member states from 1 January 2002.
EU_2002 = EuTable(
    jurisdiction=EU,
    version="EU-2002.1",
    effective_from=date(2002, 1, 1),
    title="Directive 1999/44/EC (consumer sales and guarantees)",
    rules=_rules(
        directive="[E14] Directive 1999/44/EC Art. 5(1)",
        remedies="[E14] Directive 1999/44/EC Art. 3",
        burden="[E14] Directive 1999/44/EC Art. 5(3)",
    ),
    guarantee_months=24,
    guarantee_months_by_country=_frozen({"SE": 36, "IE": 72}),
    presumption_months=6,
    presumption_months_by_country=_frozen({}),
    failed_remedies_for_second_tier=1,
    repair_extension_months=0,
    period_restarts_on_replacement=False,
)

# France: the presumption becomes 24 months from 18 March 2016 (loi Hamon).
EU_2016 = dataclasses.replace(
    EU_2002,
    version="EU-2016.1",
    effective_from=date(2016, 3, 18),
    title="Directive 1999/44/EC; France's 24-month presumption",
    presumption_months_by_country=_frozen({"FR": 24}),
)

# Directive (EU) 2019/771, for contracts concluded from 1 January 2022. Sweden's new law
# applies to contracts from 1 May 2022 and Ireland's Consumer Rights Act 2022 from
# 29 November 2022; until then their old presumption of 6 months stays.
EU_2022 = EuTable(
    jurisdiction=EU,
    version="EU-2022.1",
    effective_from=date(2022, 1, 1),
    title="Directive (EU) 2019/771 (sale of goods)",
    rules=_rules(
        directive="[E1] Directive (EU) 2019/771 Art. 10",
        remedies="[E1] Directive (EU) 2019/771 Art. 13",
        burden="[E1] Directive (EU) 2019/771 Art. 11",
    ),
    guarantee_months=24,
    guarantee_months_by_country=_frozen({"ES": 36, "PT": 36, "SE": 36, "IE": 72}),
    presumption_months=12,
    presumption_months_by_country=_frozen({"ES": 24, "PT": 24, "FR": 24, "SE": 6, "IE": 6}),
    failed_remedies_for_second_tier=1,
    repair_extension_months=0,
    period_restarts_on_replacement=False,
)

EU_2022_SE = dataclasses.replace(
    EU_2022,
    version="EU-2022.2",
    effective_from=date(2022, 5, 1),
    title="Directive (EU) 2019/771; Sweden's Consumer Sales Act 2022:260",
    presumption_months_by_country=_frozen({"ES": 24, "PT": 24, "FR": 24, "SE": 24, "IE": 6}),
)

EU_2022_IE = dataclasses.replace(
    EU_2022_SE,
    version="EU-2022.3",
    effective_from=date(2022, 11, 29),
    title="Directive (EU) 2019/771; Ireland's Consumer Rights Act 2022",
    presumption_months_by_country=_frozen({"ES": 24, "PT": 24, "FR": 24, "SE": 24}),
)

# Poland moves consumer sales into the Consumer Rights Act from 1 January 2023.
EU_2023_PL = dataclasses.replace(
    EU_2022_IE,
    version="EU-2023.1",
    effective_from=date(2023, 1, 1),
    title="Directive (EU) 2019/771; Poland's amended Consumer Rights Act",
    presumption_months_by_country=_frozen({"ES": 24, "PT": 24, "FR": 24, "SE": 24, "PL": 24}),
)

# Directive (EU) 2024/1799 amends 2019/771: applies from 31 July 2026.
EU_2026 = dataclasses.replace(
    EU_2023_PL,
    version="EU-2026.1",
    effective_from=REPAIR_EXTENSION_SINCE,
    title="Directive (EU) 2019/771 as amended by Directive (EU) 2024/1799 (repair)",
    repair_extension_months=12,
)

TABLES: tuple[EuTable, ...] = (
    EU_2002,
    EU_2016,
    EU_2022,
    EU_2022_SE,
    EU_2022_IE,
    EU_2023_PL,
    EU_2026,
)
