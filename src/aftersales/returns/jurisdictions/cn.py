"""China's three guarantees (三包: repair, exchange, refund) as a rule table.

Basis: 部分商品修理更换退货责任规定 (国经贸〔1995〕458号, 25 August 1995) and the later
mobile-phone (2001) and microcomputer (2002) rules; sources in docs/remedy-law-sources.md.
The engine applies this table to every product category unless the caller switches it off
for a category (`cn_disabled_categories`).

Sentence placeholders the engine fills:
  CN-7D           days, limit
  CN-15D          days, low, limit
  CN-WARRANTY     reported_on, months, start, extra_days, ends_on
  CN-TWICE        repairs, limit, ends_on
  CN-REPAIR-30    repair_days, limit, ends_on
  CN-PARTS-90     wait_days, limit, ends_on
  CN-EXCLUDED     reasons
  OUT-OF-COVERAGE days, ends_on
"""

from __future__ import annotations

from datetime import date

from aftersales.returns.jurisdictions import (
    CN,
    OUT_OF_COVERAGE,
    CnTable,
    Remedy,
    RuleSpec,
    rule_map,
)

RULES = rule_map(
    RuleSpec(
        id="CN-7D",
        title="Performance failure within 7 days of sale: refund, replacement or repair",
        grants=(Remedy.REFUND, Remedy.REPLACEMENT, Remedy.REPAIR),
        sentence=(
            "Reported {days} days after sale (≤ {limit}) with a performance failure: "
            "the customer may choose refund, replacement or repair."
        ),
        sources=("[C1] 三包 Art. 9–11", "[C2]"),
    ),
    RuleSpec(
        id="CN-15D",
        title="Performance failure on days 8 to 15 after sale: replacement or repair",
        grants=(Remedy.REPLACEMENT, Remedy.REPAIR),
        sentence=(
            "Reported {days} days after sale (between {low} and {limit}) with a performance "
            "failure: the customer may choose replacement or repair."
        ),
        sources=("[C1] 三包 Art. 9–11", "[C4]"),
    ),
    RuleSpec(
        id="CN-WARRANTY",
        title="Within the three-guarantee period (extended by repair time): free repair",
        grants=(Remedy.REPAIR,),
        sentence=(
            "Reported on {reported_on}, within the {months}-month three-guarantee period from "
            "{start}, extended by {extra_days} days in repair or waiting for parts, which ends "
            "on {ends_on}: repair is free of charge."
        ),
        sources=("[C3]", "[C4]", "[C10] (free parts and labour)"),
    ),
    RuleSpec(
        id="CN-TWICE",
        title="Repaired twice for the same performance failure and failing again: "
        "replacement or refund",
        grants=(Remedy.REPLACEMENT, Remedy.REFUND),
        recommends=Remedy.REPLACEMENT,
        sentence=(
            "Repaired {repairs} times before for the same performance failure (≥ {limit}) and "
            "failing again within the three-guarantee period ending on {ends_on}: the customer "
            "may choose replacement or refund."
        ),
        sources=("[C1]", "[C3]", "[C4]"),
    ),
    RuleSpec(
        id="CN-REPAIR-30",
        title="A repair took over 30 days through the repairer's fault: replacement",
        grants=(Remedy.REPLACEMENT,),
        recommends=Remedy.REPLACEMENT,
        sentence=(
            "A repair took {repair_days} days through the repairer's fault (over {limit}) "
            "within the three-guarantee period ending on {ends_on}: the unit is replaced free "
            "of charge."
        ),
        sources=("[C5]", "[C6]"),
    ),
    RuleSpec(
        id="CN-PARTS-90",
        title="Unrepaired for over 90 days for lack of parts: replacement",
        grants=(Remedy.REPLACEMENT,),
        recommends=Remedy.REPLACEMENT,
        sentence=(
            "Unrepaired for {wait_days} days for lack of parts (over {limit}) within the "
            "three-guarantee period ending on {ends_on}: the unit is replaced free of charge."
        ),
        sources=("[C5]", "[C6]"),
    ),
    RuleSpec(
        id="CN-EXCLUDED",
        title="Misuse, unauthorised dismantling or no proof of purchase: paid repair only",
        grants=(Remedy.PAID_REPAIR,),
        recommends=Remedy.PAID_REPAIR,
        sentence="{reasons}: the three guarantees do not apply, only a paid repair is offered.",
        sources=("[C4]", "[C10]"),
    ),
    RuleSpec(
        id=OUT_OF_COVERAGE,
        title="Nothing free is owed: paid repair",
        grants=(Remedy.PAID_REPAIR,),
        recommends=Remedy.PAID_REPAIR,
        sentence=(
            "Reported {days} days after sale, after the three-guarantee period ended on "
            "{ends_on}, and no brand rule applies: only a paid repair is offered."
        ),
        sources=("[C4]",),
    ),
)

CN_1995 = CnTable(
    jurisdiction=CN,
    version="CN-1995.1",
    effective_from=date(1995, 8, 25),
    title="三包 (国经贸〔1995〕458号) with the 2001 phone and 2002 PC rules",
    rules=RULES,
    refund_days=7,
    exchange_days=15,
    repairs_before_exchange=2,
    repairer_fault_repair_days=30,
    parts_wait_days=90,
    period_restarts_on_replacement=True,
)

TABLES: tuple[CnTable, ...] = (CN_1995,)
