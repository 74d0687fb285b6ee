"""The claim rules: every validation rule passing and failing, the outcome, reviewer line
decisions, statement totals, audit sampling and the matching keys.

Pure tests: no database. Sentences are checked in English.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.claims import rules
from aftersales.claims.choices import AuditReason, ClaimStatus, LineKind, ReasonCode
from aftersales.claims.rules import (
    HARD,
    RULES,
    ClaimFacts,
    DecisionError,
    Finding,
    FindingCode,
    LineDecision,
    LineFacts,
    address_key,
    decide_lines,
    draw_audit_sample,
    is_round_amount,
    normalise_phone,
    outcome,
    statement_totals,
    validate,
)

C = FindingCode
D = Decimal
REPAIR = date(2025, 6, 10)


@pytest.fixture(autouse=True, scope="module")
def english():
    # Module scope: hypothesis refuses function-scoped fixtures around @given tests.
    with translation.override("en"):
        yield


def labour(minutes: int | None = 60, standard: int | None = 90, **kw: Any) -> LineFacts:
    return LineFacts(
        kind=LineKind.LABOUR,
        amount=kw.pop("amount", D("45.00")),
        labour_code=kw.pop("labour_code", "WM-PUMP"),
        minutes=minutes,
        standard_minutes=standard,
        **kw,
    )


def part(number: str = "PMP-200", **kw: Any) -> LineFacts:
    values: dict[str, Any] = {"amount": D("80.00"), "unit_price": D("80.00")}
    values.update(kw)
    return LineFacts(kind=LineKind.PART, part_number=number, **values)


def claim(**overrides: Any) -> ClaimFacts:
    """A claim every rule passes."""
    values: dict[str, Any] = {
        "repair_date": REPAIR,
        "submitted_on": REPAIR + timedelta(days=5),
        "unit_known": True,
        "sold_on": date(2025, 1, 15),
        "covered": True,
        "coverage_ends_on": date(2026, 1, 14),
        "work_order_number": "WO-000123",
        "work_order_found": True,
        "work_order_completed": True,
        "work_order_accepted": True,
        "completed_on": REPAIR,
        "partner_product_lines": frozenset({"washers", "dryers"}),
        "partner_regions": frozenset({"north"}),
        "product_line": "washers",
        "region": "north",
        "submission_days": 30,
        "lines": (labour(), part(defective_required=True, defective_returned=True)),
    }
    values.update(overrides)
    return ClaimFacts(**values)


def only(findings: list[Finding], code: FindingCode) -> Finding:
    [finding] = [finding for finding in findings if finding.code == code]
    return finding


def failed(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings if not finding.passed]


# --------------------------------------------------------------------------- validation


def test_a_clean_claim_passes_every_rule_in_the_stable_order() -> None:
    findings = validate(claim())
    assert [finding.code for finding in findings] == list(RULES)
    assert all(finding.passed for finding in findings), failed(findings)
    assert all(finding.hard == (finding.code in HARD) for finding in findings)
    assert all(finding.sentence.endswith(".") for finding in findings)
    assert outcome(findings, risk_score=0, threshold=50) == ClaimStatus.AUTO_APPROVED


def test_hard_and_soft_rules() -> None:
    soft = {C.PARTS_FIT, C.LABOUR_STANDARD, C.DEFECTIVE_RETURNED}
    assert set(RULES) == set(HARD) | soft
    assert not (HARD & soft)


# Each case: name, overrides, the rule, whether it passes, fragments its sentence must hold.
RULE_CASES: list[tuple[str, dict[str, Any], FindingCode, bool, list[str]]] = [
    # UNIT_SOLD
    ("sold", {}, C.UNIT_SOLD, True, ["2025-01-15"]),
    ("unit unknown", {"unit_known": False, "sold_on": None}, C.UNIT_SOLD, False, ["No unit"]),
    ("never sold", {"sold_on": None}, C.UNIT_SOLD, False, ["never sold"]),
    ("sold after the repair", {"sold_on": REPAIR + timedelta(days=1)}, C.UNIT_SOLD, False,
     ["2025-06-11", "2025-06-10"]),
    ("sold on the repair day", {"sold_on": REPAIR}, C.UNIT_SOLD, True, ["2025-06-10"]),
    # IN_COVERAGE
    ("covered", {}, C.IN_COVERAGE, True, ["2025-06-10", "2026-01-14"]),
    ("covered, open-ended", {"coverage_ends_on": None}, C.IN_COVERAGE, True, ["2025-06-10"]),
    ("coverage ended", {"covered": False, "coverage_ends_on": date(2025, 6, 9)}, C.IN_COVERAGE,
     False, ["2025-06-10", "2025-06-09", "after"]),
    ("never covered", {"covered": False, "coverage_ends_on": None}, C.IN_COVERAGE, False,
     ["No warranty or contract", "2025-06-10"]),
    # WORK_ORDER
    ("work order fine", {}, C.WORK_ORDER, True, ["WO-000123", "2025-06-10", "accepted"]),
    ("work order fine, no date", {"completed_on": None}, C.WORK_ORDER, True, ["WO-000123"]),
    ("work order not found", {"work_order_found": False}, C.WORK_ORDER, False,
     ["WO-000123", "not found"]),
    ("work order open", {"work_order_completed": False, "work_order_accepted": False},
     C.WORK_ORDER, False, ["WO-000123", "not completed"]),
    ("work order not accepted", {"work_order_accepted": False}, C.WORK_ORDER, False,
     ["WO-000123", "not accepted"]),
    ("no work order, no labour", {"work_order_number": "", "work_order_found": False,
     "lines": (part(),)}, C.WORK_ORDER, True, ["names no work order", "no labour"]),
    ("no work order, labour", {"work_order_number": "  ", "work_order_found": False},
     C.WORK_ORDER, False, ["names no work order", "1 line"]),
    # PARTS_FIT
    ("part fits", {}, C.PARTS_FIT, True, ["PMP-200", "line 2", "fits"]),
    ("no parts", {"lines": (labour(),)}, C.PARTS_FIT, True, ["no part lines"]),
    ("part unknown", {"lines": (part("XX-1", part_known=False, part_fits=False),)}, C.PARTS_FIT,
     False, ["XX-1", "not in the catalogue"]),
    ("part does not fit", {"lines": (part(part_fits=False),)}, C.PARTS_FIT, False,
     ["PMP-200", "does not fit"]),
    # LABOUR_STANDARD
    ("labour within", {}, C.LABOUR_STANDARD, True, ["60 min", "WM-PUMP", "90 min", "within"]),
    ("labour at the standard", {"lines": (labour(90, 90),)}, C.LABOUR_STANDARD, True,
     ["90 min", "within"]),
    ("labour above, no explanation", {"lines": (labour(240, 90),)}, C.LABOUR_STANDARD, False,
     ["240 min", "WM-PUMP", "90 min", "no explanation"]),
    ("labour above, blank explanation", {"lines": (labour(91, 90),), "explanation": "  "},
     C.LABOUR_STANDARD, False, ["91 min", "no explanation"]),
    ("labour above, explained", {"lines": (labour(240, 90),), "explanation": "Seized bearing."},
     C.LABOUR_STANDARD, True, ["240 min", "90 min", "explanation"]),
    ("labour without a standard", {"lines": (labour(240, None),)}, C.LABOUR_STANDARD, True,
     ["No standard time", "WM-PUMP", "240 min"]),
    ("labour without minutes", {"lines": (labour(None, 90),)}, C.LABOUR_STANDARD, False,
     ["WM-PUMP", "no minutes"]),
    ("no labour", {"lines": (part(),)}, C.LABOUR_STANDARD, True, ["no labour lines"]),
    # NO_DUPLICATE
    ("unique", {}, C.NO_DUPLICATE, True, ["No other claim"]),
    ("same serial and fault", {"duplicate_of": ("CLM-0000007",)}, C.NO_DUPLICATE, False,
     ["CLM-0000007", "serial and fault code"]),
    ("same invoice", {"same_invoice_as": ("CLM-0000008", "CLM-0000003")}, C.NO_DUPLICATE, False,
     ["CLM-0000003, CLM-0000008", "invoice number"]),
    ("same attachment", {"same_attachment_as": ("CLM-0000009",)}, C.NO_DUPLICATE, False,
     ["CLM-0000009", "attachment"]),
    # PARTNER_AUTHORISED
    ("authorised", {}, C.PARTNER_AUTHORISED, True, ["washers", "north"]),
    ("authorised for everything", {"partner_product_lines": frozenset(),
     "partner_regions": frozenset(), "product_line": "ovens"}, C.PARTNER_AUTHORISED, True,
     ["ovens"]),
    ("wrong product line", {"product_line": "ovens"}, C.PARTNER_AUTHORISED, False,
     ["ovens", "dryers, washers"]),
    ("wrong region", {"region": "south"}, C.PARTNER_AUTHORISED, False, ["south", "north"]),
    ("wrong both", {"region": "south", "product_line": "ovens"}, C.PARTNER_AUTHORISED, False,
     ["south", "ovens", "neither"]),
    # SUBMITTED_IN_TIME
    ("in time", {}, C.SUBMITTED_IN_TIME, True, ["2025-06-15", "5 days", "2025-06-10", "30"]),
    ("on the last day", {"submitted_on": REPAIR + timedelta(days=30)}, C.SUBMITTED_IN_TIME,
     True, ["30 days"]),
    ("a day late", {"submitted_on": REPAIR + timedelta(days=31)}, C.SUBMITTED_IN_TIME, False,
     ["2025-07-11", "31 days", "completed on 2025-06-10", "30 days allowed"]),
    ("late after the repair, no completion", {"completed_on": None,
     "submitted_on": REPAIR + timedelta(days=40)}, C.SUBMITTED_IN_TIME, False,
     ["40 days", "repair on 2025-06-10"]),
    ("counted from completion", {"completed_on": REPAIR + timedelta(days=20),
     "submitted_on": REPAIR + timedelta(days=45)}, C.SUBMITTED_IN_TIME, True,
     ["25 days", "2025-06-30"]),
    # DEFECTIVE_RETURNED
    ("defective back", {}, C.DEFECTIVE_RETURNED, True, ["PMP-200", "returned"]),
    ("nothing to return", {"lines": (part(),)}, C.DEFECTIVE_RETURNED, True, ["No line"]),
    ("defective kept", {"lines": (part(defective_required=True),)}, C.DEFECTIVE_RETURNED, False,
     ["PMP-200", "must be returned"]),
    ("DOA unit kept", {"lines": (LineFacts(kind=LineKind.DOA, amount=D("300"),
     defective_required=True),)}, C.DEFECTIVE_RETURNED, False, ["line 1", "must be returned"]),
    # LINES_PRESENT
    ("lines", {}, C.LINES_PRESENT, True, ["2 lines", "125.00"]),
    ("one free line", {"lines": (part(amount=D("0")),)}, C.LINES_PRESENT, True,
     ["1 line ", "0.00"]),
    ("no lines", {"lines": (), "work_order_number": ""}, C.LINES_PRESENT, False, ["no lines"]),
    ("negative line", {"lines": (labour(), part(amount=D("-1")))}, C.LINES_PRESENT, False,
     ["Line 2 ", "negative"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "code", "passed", "fragments"),
    [case[1:] for case in RULE_CASES],
    ids=[case[0] for case in RULE_CASES],
)
def test_each_rule(
    overrides: dict[str, Any], code: FindingCode, passed: bool, fragments: list[str]
) -> None:
    findings = validate(claim(**overrides))
    finding = only(findings, code)
    assert finding.passed is passed
    assert finding.hard is (code in HARD)
    for fragment in fragments:
        assert fragment in finding.sentence, f"{fragment!r} missing from: {finding.sentence}"
    # A failing case fails only the rule it is about (and the rules that depend on its facts).
    if passed:
        assert failed(findings) == [], failed(findings)
    else:
        assert code in failed(findings)
        expected_status = ClaimStatus.AUTO_REJECTED if code in HARD else ClaimStatus.REVIEW
        assert outcome(findings, 0, 50) == expected_status


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    cases = {(case[2], case[3]) for case in RULE_CASES}
    for code in RULES:
        assert (code, True) in cases and (code, False) in cases, code


def test_the_example_sentence_from_the_brief() -> None:
    finding = only(validate(claim(lines=(labour(240, 90),))), C.LABOUR_STANDARD)
    assert finding.sentence == (
        "Labour 240 min on code WM-PUMP is above the standard 90 min and no explanation was given."
    )
    assert finding.as_dict() == {
        "code": "LABOUR_STANDARD",
        "passed": False,
        "hard": False,
        "sentence": finding.sentence,
        "line": 0,
    }


def test_per_line_rules_report_each_line_in_order() -> None:
    lines = (
        part("A-1"),
        labour(30, 20, labour_code="X-1"),
        part("B-2", part_fits=False, defective_required=True),
        labour(50, 60, labour_code="X-2"),
        part("C-3", part_known=False, defective_required=True, defective_returned=True),
        LineFacts(kind=LineKind.TRAVEL, amount=D("20")),
    )
    findings = validate(claim(lines=lines))
    assert [(f.code, f.line, f.passed) for f in findings] == [
        (C.UNIT_SOLD, None, True),
        (C.IN_COVERAGE, None, True),
        (C.WORK_ORDER, None, True),
        (C.PARTS_FIT, 0, True),
        (C.PARTS_FIT, 2, False),
        (C.PARTS_FIT, 4, False),
        (C.LABOUR_STANDARD, 1, False),
        (C.LABOUR_STANDARD, 3, True),
        (C.NO_DUPLICATE, None, True),
        (C.PARTNER_AUTHORISED, None, True),
        (C.SUBMITTED_IN_TIME, None, True),
        (C.DEFECTIVE_RETURNED, 2, False),
        (C.DEFECTIVE_RETURNED, 4, True),
        (C.LINES_PRESENT, None, True),
    ]
    assert outcome(findings, 0, 50) == ClaimStatus.REVIEW
    # The same facts give the same findings.
    assert validate(claim(lines=lines)) == findings


def test_a_phantom_repair_fails_several_hard_rules() -> None:
    facts = claim(
        unit_known=False,
        sold_on=None,
        covered=False,
        coverage_ends_on=None,
        work_order_number="",
        work_order_found=False,
        work_order_completed=False,
        work_order_accepted=False,
        completed_on=None,
    )
    findings = validate(facts)
    assert failed(findings) == [C.UNIT_SOLD, C.IN_COVERAGE, C.WORK_ORDER]
    assert outcome(findings, 0, 50) == ClaimStatus.AUTO_REJECTED


def test_sentences_are_translated() -> None:
    with translation.override("es"):
        spanish = validate(claim(lines=(labour(240, 90),)))
    # Without a Spanish catalogue entry the English text stands; either way the facts remain.
    finding = only(spanish, C.LABOUR_STANDARD)
    assert "240" in finding.sentence and "WM-PUMP" in finding.sentence


# --------------------------------------------------------------------------- outcome


def f(code: FindingCode, passed: bool) -> Finding:
    return Finding(code=code, passed=passed, hard=code in HARD, sentence="…")


@pytest.mark.parametrize(
    ("findings", "risk", "expected"),
    [
        ([f(C.UNIT_SOLD, True), f(C.PARTS_FIT, True)], 0, ClaimStatus.AUTO_APPROVED),
        ([f(C.UNIT_SOLD, True)], 49, ClaimStatus.AUTO_APPROVED),
        ([f(C.UNIT_SOLD, True)], 50, ClaimStatus.REVIEW),
        ([f(C.UNIT_SOLD, True), f(C.PARTS_FIT, False)], 0, ClaimStatus.REVIEW),
        ([f(C.UNIT_SOLD, False), f(C.PARTS_FIT, True)], 0, ClaimStatus.AUTO_REJECTED),
        # A hard failure wins over a soft failure and over a high risk.
        ([f(C.PARTS_FIT, False), f(C.NO_DUPLICATE, False)], 99, ClaimStatus.AUTO_REJECTED),
        ([f(C.LABOUR_STANDARD, False)], 99, ClaimStatus.REVIEW),
        ([], 0, ClaimStatus.AUTO_APPROVED),
        ([], 100, ClaimStatus.REVIEW),
    ],
)
def test_outcome_precedence(findings: list[Finding], risk: int, expected: ClaimStatus) -> None:
    assert outcome(findings, risk_score=risk, threshold=50) == expected


# --------------------------------------------------------------------------- line decisions

OTHER = ReasonCode.OTHER.value


def test_decide_lines_full_partial_zero() -> None:
    full = [LineDecision(D("100.00"), D("100.00")), LineDecision(D("20.50"), D("20.50"))]
    assert decide_lines(full) == (ClaimStatus.APPROVED, D("120.50"))
    partial = [
        LineDecision(D("100.00"), D("60.00"), ReasonCode.LABOUR_ABOVE_STANDARD),
        LineDecision(D("20.50"), D("20.50")),
    ]
    assert decide_lines(partial) == (ClaimStatus.PARTIALLY_APPROVED, D("80.50"))
    one_line_zero = [LineDecision(D("100"), D("0"), OTHER), LineDecision(D("5"), D("5"))]
    assert decide_lines(one_line_zero) == (ClaimStatus.PARTIALLY_APPROVED, D("5.00"))
    zero = [
        LineDecision(D("100.00"), D("0"), ReasonCode.DUPLICATE),
        LineDecision(D("20.50"), D("0.00"), ReasonCode.NO_EVIDENCE),
    ]
    assert decide_lines(zero) == (ClaimStatus.REJECTED, D("0.00"))
    # A line claiming nothing is paid in full by paying nothing.
    assert decide_lines([LineDecision(D("0"), D("0"))]) == (ClaimStatus.APPROVED, D("0.00"))
    # A reason code on a line paid in full is allowed.
    assert decide_lines([LineDecision(D("10"), D("10"), OTHER)])[0] == ClaimStatus.APPROVED


@pytest.mark.parametrize(
    ("decisions", "field", "message"),
    [
        ([], "lines", "at least one line"),
        ([LineDecision(D("10"), D("-1"), OTHER)], "lines.0.approved_amount", "negative"),
        (
            [LineDecision(D("10"), D("10")), LineDecision(D("10"), D("10.01"))],
            "lines.1.approved_amount",
            "more than the 10.00 claimed",
        ),
        ([LineDecision(D("10"), D("5"))], "lines.0.reason_code", "give a reason code"),
        ([LineDecision(D("10"), D("5"), "  ")], "lines.0.reason_code", "give a reason code"),
        ([LineDecision(D("10"), D("5"), "greed")], "lines.0.reason_code", "greed"),
        ([LineDecision(D("10"), D("10"), "greed")], "lines.0.reason_code", "greed"),
        ([LineDecision(D("10"), D("5.001"), OTHER)], "lines.0.approved_amount", "two decimals"),
        ([LineDecision(D("10"), D("NaN"), OTHER)], "lines.0.approved_amount", "not a number"),
        ([LineDecision(D("10"), "abc", OTHER)], "lines.0.approved_amount", "not a number"),  # type: ignore[arg-type]
        ([LineDecision(D("-10"), D("0"), OTHER)], "lines.0.amount", "claimed amount"),
    ],
)
def test_decide_lines_refuses(decisions: list[LineDecision], field: str, message: str) -> None:
    with pytest.raises(DecisionError) as caught:
        decide_lines(decisions)
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message
    assert caught.value.message.endswith(".")


cents = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def line_decisions(draw: st.DrawFn) -> list[LineDecision]:
    decisions = []
    for _ in range(draw(st.integers(1, 8))):
        amount = draw(cents)
        approved = draw(st.integers(0, amount) | st.just(amount) | st.just(0))
        code = draw(st.sampled_from([c.value for c in ReasonCode])) if approved < amount else ""
        decisions.append(LineDecision(D(amount) / 100, D(approved) / 100, code))
    return decisions


@settings(max_examples=300, deadline=None)
@given(decisions=line_decisions())
def test_decide_lines_total_is_the_sum_and_never_exceeds_the_claim(
    decisions: list[LineDecision],
) -> None:
    status, total = decide_lines(decisions)
    assert total == sum(decision.approved for decision in decisions)
    assert total <= sum(decision.amount for decision in decisions)
    assert total.as_tuple().exponent == -2
    if all(decision.approved == decision.amount for decision in decisions):
        assert status == ClaimStatus.APPROVED
    elif total == 0:
        assert status == ClaimStatus.REJECTED
    else:
        assert status == ClaimStatus.PARTIALLY_APPROVED


@settings(max_examples=100, deadline=None)
@given(decisions=line_decisions(), extra=st.integers(1, 1000), where=st.integers(0, 7))
def test_decide_lines_refuses_paying_more_than_claimed(
    decisions: list[LineDecision], extra: int, where: int
) -> None:
    index = where % len(decisions)
    over = dataclasses.replace(decisions[index], approved=decisions[index].amount + D(extra) / 100)
    decisions[index] = over
    with pytest.raises(DecisionError) as caught:
        decide_lines(decisions)
    assert caught.value.line is not None and caught.value.line <= index


# --------------------------------------------------------------------------- statements


def test_statement_totals() -> None:
    totals = statement_totals([D("100.00"), D("20.50")], [D("30")])
    assert totals == rules.StatementTotals(D("120.50"), D("30.00"), D("90.50"))
    empty = statement_totals([], [])
    assert (empty.approved, empty.charged_back, empty.net) == (D("0"), D("0"), D("0"))
    assert str(empty.net) == "0.00"
    # Chargebacks larger than the period's approvals leave the partner owing.
    assert statement_totals([D("10")], [D("25.00")]).net == D("-15.00")
    # Any iterable will do, generators included.
    assert statement_totals((D(n) for n in (1, 2)), iter([])).approved == D("3.00")


money_lists = st.lists(cents.map(lambda c: D(c) / 100), max_size=30)


@settings(max_examples=200, deadline=None)
@given(approved=money_lists, charged=money_lists)
def test_statement_net_is_approved_minus_charged_back(
    approved: list[Decimal], charged: list[Decimal]
) -> None:
    totals = statement_totals(approved, charged)
    assert totals.approved == sum(approved)
    assert totals.charged_back == sum(charged)
    assert totals.net == totals.approved - totals.charged_back == sum(approved) - sum(charged)


# --------------------------------------------------------------------------- audit sampling


def population(n: int = 100) -> list[tuple[int, int]]:
    return [(1000 + i, i % 101) for i in range(n)]


def test_sample_size_distinct_and_random_share() -> None:
    sample = draw_audit_sample(population(), 20, 30, random.Random(1))
    assert len(sample) == 20
    ids = [claim_id for claim_id, _ in sample]
    assert len(set(ids)) == 20
    assert set(ids) <= {claim_id for claim_id, _ in population()}
    reasons = Counter(reason for _, reason in sample)
    assert reasons == {AuditReason.RISK: 14, AuditReason.RANDOM: 6}
    # The risk draws come first, then the random share.
    assert [reason for _, reason in sample] == [AuditReason.RISK] * 14 + [AuditReason.RANDOM] * 6


@pytest.mark.parametrize(
    ("size", "percent", "random_count"),
    [(10, 30, 3), (10, 0, 0), (10, 100, 10), (5, 30, 2), (5, 50, 3), (1, 49, 0), (1, 50, 1),
     (3, 250, 3), (3, -5, 0)],
)  # fmt: skip
def test_random_share_rounds_half_up(size: int, percent: int, random_count: int) -> None:
    assert rules.random_share(size, percent) == random_count
    sample = draw_audit_sample(population(), size, percent, random.Random(3))
    assert sum(reason == AuditReason.RANDOM for _, reason in sample) == random_count
    assert len(sample) == size


def test_sample_is_deterministic_for_a_seeded_rng() -> None:
    first = draw_audit_sample(population(), 15, 30, random.Random(42))
    assert first == draw_audit_sample(population(), 15, 30, random.Random(42))
    assert first != draw_audit_sample(population(), 15, 30, random.Random(43))


def test_sample_edges() -> None:
    few = [(1, 10), (2, 90), (3, 0)]
    everything = draw_audit_sample(few, 10, 30, random.Random(0))
    assert sorted(claim_id for claim_id, _ in everything) == [1, 2, 3]
    assert Counter(reason for _, reason in everything)[AuditReason.RANDOM] == 1  # round(0.9)
    assert draw_audit_sample(few, 0, 30, random.Random(0)) == []
    assert draw_audit_sample([], 10, 30, random.Random(0)) == []
    twice = draw_audit_sample([(7, 50), (7, 0), (8, 1)], 5, 0, random.Random(0))
    assert sorted(claim_id for claim_id, _ in twice) == [7, 8]
    # A negative risk weighs as zero risk; it never breaks the draw.
    assert len(draw_audit_sample([(1, -5), (2, 3)], 1, 0, random.Random(0))) == 1
    with pytest.raises(ValueError, match="negative"):
        draw_audit_sample(few, -1, 30, random.Random(0))


def test_higher_risk_is_drawn_more_often() -> None:
    rng = random.Random(20250610)
    candidates = [(i, risk) for i, risk in enumerate([0] * 40 + [20] * 40 + [80] * 40)]
    drawn: Counter[int] = Counter()
    for _ in range(500):
        for claim_id, reason in draw_audit_sample(candidates, 12, 0, rng):
            assert reason == AuditReason.RISK
            drawn[claim_id] += 1
    per_claim = [sum(drawn[i] for i in range(start, start + 40)) / 40 for start in (0, 40, 80)]
    low, middle, high = per_claim
    assert low < middle < high
    # With weights 1 : 21 : 81 the high-risk claims take most of the draws.
    assert high > 2 * middle and middle > 5 * low
    # Weighted, not a threshold: zero-risk claims are still drawn now and then.
    assert low > 0


def test_the_random_share_reaches_low_risk_claims() -> None:
    rng = random.Random(7)
    candidates = [(i, 0 if i < 90 else 100) for i in range(100)]
    random_hits: Counter[int] = Counter()
    high_by_risk = 0
    for _ in range(300):
        sample = draw_audit_sample(candidates, 10, 30, rng)
        risk_ids = [claim_id for claim_id, reason in sample if reason == AuditReason.RISK]
        assert len(risk_ids) == 7
        high_by_risk += sum(claim_id >= 90 for claim_id in risk_ids)
        for claim_id, reason in sample:
            if reason == AuditReason.RANDOM:
                random_hits[claim_id] += 1
    # The seven draws by risk land mostly on the ten high-risk claims.
    assert high_by_risk / 300 > 5.5
    # The random share is uniform over what is left: every low-risk claim gets its turn.
    low_hits = [random_hits[i] for i in range(90)]
    assert min(low_hits) > 0
    assert sum(low_hits) / 90 == pytest.approx(300 * 3 / 93, rel=0.2)


@settings(max_examples=200, deadline=None)
@given(
    candidates=st.lists(st.tuples(st.integers(1, 60), st.integers(0, 100)), max_size=60),
    size=st.integers(0, 80),
    percent=st.integers(0, 100),
    seed=st.integers(0, 2**32),
)
def test_sample_never_repeats_and_never_exceeds_the_size(
    candidates: list[tuple[int, int]], size: int, percent: int, seed: int
) -> None:
    sample = draw_audit_sample(candidates, size, percent, random.Random(seed))
    ids = [claim_id for claim_id, _ in sample]
    distinct = {claim_id for claim_id, _ in candidates}
    assert len(ids) == len(set(ids)) == min(size, len(distinct))
    assert set(ids) <= distinct
    assert sum(reason == AuditReason.RANDOM for _, reason in sample) == rules.random_share(
        len(ids), percent
    )
    assert sample == draw_audit_sample(candidates, size, percent, random.Random(seed))


# --------------------------------------------------------------------------- matching keys


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+34 600 12-34-56", "+34600123456"),
        ("(600) 123 456", "600123456"),
        ("  +1 (555) 010-9999 ext. 12", "+1555010999912"),
        ("0034.600.123.456", "0034600123456"),
        ("６００１２３", "600123"),  # full-width digits
        ("＋34 600", "+34600"),
        ("600 +34", "60034"),  # a "+" counts only in front
        ("+", ""),
        ("", ""),
        ("n/a", ""),
    ],
)
def test_normalise_phone(phone: str, expected: str) -> None:
    assert normalise_phone(phone) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Calle Mayor, 12 – 3ºB", "calle mayor 12 3ob"),
        ("  CALLE   MAYOR 12,  3ºB. ", "calle mayor 12 3ob"),
        ("12 Main St.\nApt #4", "12 main st apt 4"),
        ("Rue de l'Église", "rue de l église"),
        ("", ""),
        ("...", ""),
    ],
)
def test_address_key(address: str, expected: str) -> None:
    assert address_key(address) == expected


def test_address_key_finds_the_same_address_typed_twice() -> None:
    assert address_key("C/ Alcalá 45, 2º-Izq") == address_key("c/  alcalá 45 2º izq.")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("100", True),
        ("100.00", True),
        ("150", True),
        ("2500.00", True),
        ("50", False),  # below 100
        ("99.99", False),
        ("120", False),
        ("150.50", False),
        ("149.99", False),
        ("0", False),
        ("-200", False),
        ("NaN", False),
        ("1E+3", True),
    ],
)
def test_is_round_amount(amount: str, expected: bool) -> None:
    assert is_round_amount(D(amount)) is expected
