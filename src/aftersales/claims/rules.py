"""Partner warranty claims: the validation rules, the outcome of a submission, a reviewer's
line decisions, statement totals, audit sampling, and the keys that find the same customer
on many claims.

Pure: frozen dataclasses in, verdicts out; no ORM, no I/O, no clock. The services gather the
facts (`ClaimFacts`) from the database and store what comes out. docs/decisions/0011-claims.md
records the lifecycle these decisions drive.

Validation (`validate`) runs every rule and returns one `Finding` per rule, or, for the rules
about single lines (PARTS_FIT, LABOUR_STANDARD, DEFECTIVE_RETURNED), one per line the rule is
about, or a single passed finding when no line is. The order is fixed: the rules in the order
of `RULES`, lines in their order within a rule. A hard failure rejects the claim; a soft one
sends it to a reviewer (`outcome`).

Sentences name the facts that decided them, so a partner can see why without asking. Line
numbers in sentences count from 1; `Finding.line` is the 0-based index into `facts.lines`.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.claims.choices import AuditReason, ClaimStatus, LineKind, ReasonCode

__all__ = [
    "HARD",
    "RULES",
    "ClaimFacts",
    "DecisionError",
    "Finding",
    "FindingCode",
    "LineDecision",
    "LineFacts",
    "StatementTotals",
    "address_key",
    "decide_lines",
    "draw_audit_sample",
    "is_round_amount",
    "normalise_phone",
    "outcome",
    "random_share",
    "statement_totals",
    "submission_deadline",
    "validate",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class FindingCode(StrEnum):
    UNIT_SOLD = "UNIT_SOLD"
    IN_COVERAGE = "IN_COVERAGE"
    WORK_ORDER = "WORK_ORDER"
    PARTS_FIT = "PARTS_FIT"
    LABOUR_STANDARD = "LABOUR_STANDARD"
    NO_DUPLICATE = "NO_DUPLICATE"
    PARTNER_AUTHORISED = "PARTNER_AUTHORISED"
    SUBMITTED_IN_TIME = "SUBMITTED_IN_TIME"
    DEFECTIVE_RETURNED = "DEFECTIVE_RETURNED"
    LINES_PRESENT = "LINES_PRESENT"


C = FindingCode

# The rules in the order `validate` reports them.
RULES: tuple[FindingCode, ...] = tuple(FindingCode)

# A hard rule's failure rejects the claim; the others send it to review.
HARD: frozenset[FindingCode] = frozenset(
    {
        C.UNIT_SOLD,
        C.IN_COVERAGE,
        C.WORK_ORDER,
        C.NO_DUPLICATE,
        C.PARTNER_AUTHORISED,
        C.SUBMITTED_IN_TIME,
        C.LINES_PRESENT,
    }
)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class LineFacts:
    kind: str  # LineKind value
    amount: Decimal  # quantity × unit_price, already computed
    quantity: int = 1
    unit_price: Decimal = Decimal("0")
    labour_code: str = ""
    minutes: int | None = None
    standard_minutes: int | None = None  # None: no standard known for this code
    part_number: str = ""
    part_known: bool = True  # the part number exists in the catalogue
    part_fits: bool = True  # the part fits the unit's product
    defective_required: bool = False
    defective_returned: bool = False


@dataclass(frozen=True)
class ClaimFacts:
    repair_date: date
    submitted_on: date
    unit_known: bool  # a unit with this serial exists
    sold_on: date | None  # None: never sold
    covered: bool  # warranty or contract covered the unit on repair_date
    coverage_ends_on: date | None  # last covered day (warranty or contract)
    work_order_number: str  # "" when the claim names none
    work_order_found: bool  # exists and belongs to this partner
    work_order_completed: bool
    work_order_accepted: bool  # the customer accepted (signed) the job
    completed_on: date | None
    partner_product_lines: frozenset[str]  # empty = all
    partner_regions: frozenset[str]  # empty = all
    product_line: str
    region: str
    submission_days: int  # settings.CLAIM_SUBMISSION_DAYS
    duplicate_of: tuple[str, ...] = ()  # claim numbers, same serial + fault within the window
    same_invoice_as: tuple[str, ...] = ()  # claim numbers with the same partner invoice number
    same_attachment_as: tuple[str, ...] = ()  # claim numbers sharing an attachment hash
    explanation: str = ""
    lines: tuple[LineFacts, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str  # a FindingCode value
    passed: bool
    hard: bool  # a hard failure rejects; a soft failure sends to review
    sentence: str  # one sentence a partner understands, saying why (with the facts)
    line: int | None = None  # index into facts.lines when the finding is about one line

    def as_dict(self) -> dict:
        return {
            "code": str(self.code),
            "passed": self.passed,
            "hard": self.hard,
            "sentence": str(self.sentence),
            "line": self.line,
        }


def _finding(code: FindingCode, passed: bool, sentence: str, line: int | None = None) -> Finding:
    return Finding(code=code, passed=passed, hard=code in HARD, sentence=sentence, line=line)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP)) if amount.is_finite() else str(amount)


def _join(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


# --------------------------------------------------------------------------- the rules


def _unit_sold(facts: ClaimFacts) -> Finding:
    if not facts.unit_known:
        return _finding(C.UNIT_SOLD, False, _("No unit with this serial number is known."))
    if facts.sold_on is None:
        return _finding(C.UNIT_SOLD, False, _("The unit with this serial number was never sold."))
    values = {"sold": facts.sold_on.isoformat(), "repair": facts.repair_date.isoformat()}
    if facts.sold_on > facts.repair_date:
        return _finding(
            C.UNIT_SOLD,
            False,
            _("The unit was sold on %(sold)s, after the repair on %(repair)s.") % values,
        )
    return _finding(C.UNIT_SOLD, True, _("The unit was sold on %(sold)s.") % values)


def _in_coverage(facts: ClaimFacts) -> Finding:
    values = {
        "repair": facts.repair_date.isoformat(),
        "ends": facts.coverage_ends_on.isoformat() if facts.coverage_ends_on else "",
    }
    if facts.covered:
        if facts.coverage_ends_on is None:
            sentence = _("The repair on %(repair)s is covered by a warranty or contract.")
        else:
            sentence = _(
                "The repair on %(repair)s falls within the coverage, which ends on %(ends)s."
            )
        return _finding(C.IN_COVERAGE, True, sentence % values)
    if facts.coverage_ends_on is not None and facts.repair_date > facts.coverage_ends_on:
        sentence = _("The repair on %(repair)s is after the coverage ended on %(ends)s.")
    else:
        sentence = _("No warranty or contract covered the unit on %(repair)s, the repair date.")
    return _finding(C.IN_COVERAGE, False, sentence % values)


def _work_order(facts: ClaimFacts) -> Finding:
    number = facts.work_order_number.strip()
    if not number:
        labour = sum(1 for line in facts.lines if line.kind == LineKind.LABOUR)
        if labour:
            return _finding(
                C.WORK_ORDER,
                False,
                ngettext(
                    "The claim names no work order but claims labour on %(count)s line; "
                    "labour needs a completed work order.",
                    "The claim names no work order but claims labour on %(count)s lines; "
                    "labour needs a completed work order.",
                    labour,
                )
                % {"count": labour},
            )
        return _finding(
            C.WORK_ORDER,
            True,
            _("The claim names no work order; none is needed, as it claims no labour."),
        )
    values = {
        "number": number,
        "completed": facts.completed_on.isoformat() if facts.completed_on else "",
    }
    if not facts.work_order_found:
        sentence = _("Work order %(number)s was not found among this partner's work orders.")
        return _finding(C.WORK_ORDER, False, sentence % values)
    if not facts.work_order_completed:
        return _finding(C.WORK_ORDER, False, _("Work order %(number)s is not completed.") % values)
    if not facts.work_order_accepted:
        sentence = _("Work order %(number)s was not accepted (signed) by the customer.")
        return _finding(C.WORK_ORDER, False, sentence % values)
    if facts.completed_on is None:
        sentence = _(
            "Work order %(number)s is this partner's, completed and accepted by the customer."
        )
    else:
        sentence = _(
            "Work order %(number)s is this partner's, completed on %(completed)s and accepted "
            "by the customer."
        )
    return _finding(C.WORK_ORDER, True, sentence % values)


def _parts_fit(facts: ClaimFacts) -> list[Finding]:
    findings = []
    for index, line in enumerate(facts.lines):
        if line.kind != LineKind.PART:
            continue
        values = {"part": line.part_number or "?", "line": index + 1}
        if not line.part_known:
            sentence = _("Part number %(part)s (line %(line)s) is not in the catalogue.")
            findings.append(_finding(C.PARTS_FIT, False, sentence % values, index))
        elif not line.part_fits:
            sentence = _("Part %(part)s (line %(line)s) does not fit the unit's model.")
            findings.append(_finding(C.PARTS_FIT, False, sentence % values, index))
        else:
            sentence = _("Part %(part)s (line %(line)s) fits the unit's model.")
            findings.append(_finding(C.PARTS_FIT, True, sentence % values, index))
    return findings or [_finding(C.PARTS_FIT, True, _("The claim has no part lines."))]


def _labour_standard(facts: ClaimFacts) -> list[Finding]:
    findings = []
    explained = bool(facts.explanation.strip())
    for index, line in enumerate(facts.lines):
        if line.kind != LineKind.LABOUR:
            continue
        values = {
            "minutes": line.minutes,
            "code": line.labour_code or "?",
            "standard": line.standard_minutes,
            "line": index + 1,
        }
        if line.minutes is None:
            sentence = _(
                "Labour on code %(code)s (line %(line)s) gives no minutes, so it cannot be "
                "measured against a standard."
            )
            findings.append(_finding(C.LABOUR_STANDARD, False, sentence % values, index))
        elif line.standard_minutes is None:
            sentence = _(
                "No standard time is known for labour code %(code)s, so %(minutes)s min "
                "(line %(line)s) could not be checked."
            )
            findings.append(_finding(C.LABOUR_STANDARD, True, sentence % values, index))
        elif line.minutes <= line.standard_minutes:
            sentence = _(
                "Labour %(minutes)s min on code %(code)s is within the standard %(standard)s min."
            )
            findings.append(_finding(C.LABOUR_STANDARD, True, sentence % values, index))
        elif explained:
            sentence = _(
                "Labour %(minutes)s min on code %(code)s is above the standard %(standard)s min; "
                "the partner gave an explanation."
            )
            findings.append(_finding(C.LABOUR_STANDARD, True, sentence % values, index))
        else:
            sentence = _(
                "Labour %(minutes)s min on code %(code)s is above the standard %(standard)s min "
                "and no explanation was given."
            )
            findings.append(_finding(C.LABOUR_STANDARD, False, sentence % values, index))
    return findings or [_finding(C.LABOUR_STANDARD, True, _("The claim has no labour lines."))]


def _no_duplicate(facts: ClaimFacts) -> Finding:
    clauses = []
    if facts.duplicate_of:
        clauses.append(
            _("the same serial and fault code as %(claims)s within the duplicate window")
            % {"claims": _join(facts.duplicate_of)}
        )
    if facts.same_invoice_as:
        clauses.append(
            _("the same invoice number as %(claims)s") % {"claims": _join(facts.same_invoice_as)}
        )
    if facts.same_attachment_as:
        clauses.append(
            _("the same attachment as %(claims)s") % {"claims": _join(facts.same_attachment_as)}
        )
    if clauses:
        sentence = _("This claim repeats another: %(clauses)s.") % {"clauses": "; ".join(clauses)}
        return _finding(C.NO_DUPLICATE, False, sentence)
    return _finding(
        C.NO_DUPLICATE,
        True,
        _("No other claim has the same serial and fault code, invoice number or attachment."),
    )


def _partner_authorised(facts: ClaimFacts) -> Finding:
    line_ok = not facts.partner_product_lines or facts.product_line in facts.partner_product_lines
    region_ok = not facts.partner_regions or facts.region in facts.partner_regions
    values = {
        "product_line": facts.product_line or "?",
        "region": facts.region or "?",
        "lines": _join(facts.partner_product_lines),
        "regions": _join(facts.partner_regions),
    }
    if line_ok and region_ok:
        sentence = _(
            "The partner is authorised for product line %(product_line)s in region %(region)s."
        )
        return _finding(C.PARTNER_AUTHORISED, True, sentence % values)
    if not line_ok and not region_ok:
        sentence = _(
            "The partner is authorised neither for product line %(product_line)s (only "
            "%(lines)s) nor for region %(region)s (only %(regions)s)."
        )
    elif not line_ok:
        sentence = _(
            "The partner is not authorised for product line %(product_line)s (only %(lines)s)."
        )
    else:
        sentence = _("The partner is not authorised for region %(region)s (only %(regions)s).")
    return _finding(C.PARTNER_AUTHORISED, False, sentence % values)


def submission_deadline(facts: ClaimFacts) -> date:
    """The last day a claim may be submitted: N days after the work order's completion, or
    after the repair when no completion date is known."""
    return (facts.completed_on or facts.repair_date) + timedelta(days=facts.submission_days)


def _submitted_in_time(facts: ClaimFacts) -> Finding:
    base = facts.completed_on or facts.repair_date
    values = {
        "submitted": facts.submitted_on.isoformat(),
        "days": (facts.submitted_on - base).days,
        "base": base.isoformat(),
        "limit": facts.submission_days,
    }
    passed = facts.submitted_on <= submission_deadline(facts)
    if facts.completed_on is not None:
        if passed:
            sentence = _(
                "Submitted on %(submitted)s, %(days)s days after the work was completed on "
                "%(base)s (at most %(limit)s days allowed)."
            )
        else:
            sentence = _(
                "Submitted on %(submitted)s, %(days)s days after the work was completed on "
                "%(base)s: more than the %(limit)s days allowed."
            )
    elif passed:
        sentence = _(
            "Submitted on %(submitted)s, %(days)s days after the repair on %(base)s "
            "(at most %(limit)s days allowed)."
        )
    else:
        sentence = _(
            "Submitted on %(submitted)s, %(days)s days after the repair on %(base)s: more than "
            "the %(limit)s days allowed."
        )
    return _finding(C.SUBMITTED_IN_TIME, passed, sentence % values)


def _defective_returned(facts: ClaimFacts) -> list[Finding]:
    findings = []
    for index, line in enumerate(facts.lines):
        if not line.defective_required:
            continue
        values = {"part": line.part_number, "line": index + 1}
        if line.defective_returned:
            if line.part_number:
                sentence = _("The defective part %(part)s (line %(line)s) was returned.")
            else:
                sentence = _("The defective item of line %(line)s was returned.")
        elif line.part_number:
            sentence = _(
                "The defective part %(part)s (line %(line)s) must be returned and was not."
            )
        else:
            sentence = _("The defective item of line %(line)s must be returned and was not.")
        findings.append(
            _finding(C.DEFECTIVE_RETURNED, line.defective_returned, sentence % values, index)
        )
    return findings or [
        _finding(C.DEFECTIVE_RETURNED, True, _("No line requires a defective part to be returned."))
    ]


def _lines_present(facts: ClaimFacts) -> Finding:
    if not facts.lines:
        return _finding(C.LINES_PRESENT, False, _("The claim has no lines."))
    negative = [
        str(index + 1)
        for index, line in enumerate(facts.lines)
        if not line.amount.is_finite() or line.amount < 0
    ]
    if negative:
        sentence = ngettext(
            "Line %(lines)s has a negative or invalid amount.",
            "Lines %(lines)s have a negative or invalid amount.",
            len(negative),
        ) % {"lines": ", ".join(negative)}
        return _finding(C.LINES_PRESENT, False, sentence)
    total = sum((line.amount for line in facts.lines), ZERO)
    sentence = ngettext(
        "The claim has %(count)s line totalling %(total)s.",
        "The claim has %(count)s lines totalling %(total)s.",
        len(facts.lines),
    ) % {
        "count": len(facts.lines),
        "total": _money(total),
    }
    return _finding(C.LINES_PRESENT, True, sentence)


def validate(facts: ClaimFacts) -> list[Finding]:
    """Every rule's finding, passed or not, in the order of `RULES`."""
    return [
        _unit_sold(facts),
        _in_coverage(facts),
        _work_order(facts),
        *_parts_fit(facts),
        *_labour_standard(facts),
        _no_duplicate(facts),
        _partner_authorised(facts),
        _submitted_in_time(facts),
        *_defective_returned(facts),
        _lines_present(facts),
    ]


def outcome(findings: Sequence[Finding], risk_score: int, threshold: int) -> ClaimStatus:
    """A hard failure rejects; a soft failure or a risk at or above the threshold sends to
    review; otherwise the claim is approved as claimed."""
    if any(not finding.passed and finding.hard for finding in findings):
        return ClaimStatus.AUTO_REJECTED
    if any(not finding.passed for finding in findings) or risk_score >= threshold:
        return ClaimStatus.REVIEW
    return ClaimStatus.AUTO_APPROVED


# --------------------------------------------------------------------------- decisions


class DecisionError(Exception):
    """A reviewer's line decision that cannot stand. `field` names what is wrong
    (`lines`, `lines.<index>.approved_amount`, `lines.<index>.reason_code`)."""

    def __init__(self, field: str, message: str, line: int | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.line = line


@dataclass(frozen=True)
class LineDecision:
    amount: Decimal  # claimed amount of the line
    approved: Decimal
    reason_code: str = ""  # ReasonCode value; required when approved < amount


_REASON_CODES = frozenset(code.value for code in ReasonCode)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def decide_lines(decisions: Sequence[LineDecision]) -> tuple[ClaimStatus, Decimal]:
    """The status and approved total of a reviewer's per-line decision: APPROVED when every
    line is paid in full, REJECTED when nothing is paid, PARTIALLY_APPROVED otherwise."""
    if not decisions:
        raise DecisionError("lines", _("Decide at least one line."))
    total = ZERO
    all_full = True
    for index, decision in enumerate(decisions):
        field = f"lines.{index}.approved_amount"
        values = {"line": index + 1}
        amount = _decimal(decision.amount)
        approved = _decimal(decision.approved)
        if amount is None or amount < 0:
            raise DecisionError(
                f"lines.{index}.amount",
                _("Line %(line)s has no valid claimed amount.") % values,
                index,
            )
        if approved is None:
            raise DecisionError(
                field, _("The approved amount of line %(line)s is not a number.") % values, index
            )
        values.update(approved=str(approved), amount=_money(amount))
        if approved != approved.quantize(CENT, rounding=ROUND_HALF_UP):
            raise DecisionError(
                field,
                _("The approved amount %(approved)s of line %(line)s has more than two decimals.")
                % values,
                index,
            )
        if approved < 0:
            raise DecisionError(
                field,
                _("The approved amount %(approved)s of line %(line)s is negative.") % values,
                index,
            )
        if approved > amount:
            raise DecisionError(
                field,
                _(
                    "The approved amount %(approved)s of line %(line)s is more than the "
                    "%(amount)s claimed."
                )
                % values,
                index,
            )
        code = (decision.reason_code or "").strip()
        if code and code not in _REASON_CODES:
            raise DecisionError(
                f"lines.{index}.reason_code",
                _("Line %(line)s: %(code)s is not a known reason code.") % {**values, "code": code},
                index,
            )
        if approved < amount:
            all_full = False
            if not code:
                raise DecisionError(
                    f"lines.{index}.reason_code",
                    _(
                        "Line %(line)s pays %(approved)s of the %(amount)s claimed: give a "
                        "reason code."
                    )
                    % values,
                    index,
                )
        total += approved
    total = total.quantize(CENT)
    if all_full:
        return ClaimStatus.APPROVED, total
    if total == 0:
        return ClaimStatus.REJECTED, total
    return ClaimStatus.PARTIALLY_APPROVED, total


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class StatementTotals:
    approved: Decimal
    charged_back: Decimal
    net: Decimal


def statement_totals(
    approved_amounts: Iterable[Decimal], chargebacks: Iterable[Decimal]
) -> StatementTotals:
    """Approved claims minus chargebacks (given as positive amounts). Net may be negative."""
    approved = sum(approved_amounts, ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
    charged_back = sum(chargebacks, ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
    return StatementTotals(
        approved=approved, charged_back=charged_back, net=approved - charged_back
    )


# --------------------------------------------------------------------------- audit sampling


def random_share(size: int, random_percent: int) -> int:
    """How many of `size` audits are drawn uniformly at random (rounded half up)."""
    percent = min(max(random_percent, 0), 100)
    return int((Decimal(size) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def draw_audit_sample(
    candidates: Sequence[tuple[int, int]], size: int, random_percent: int, rng: random.Random
) -> list[tuple[int, AuditReason]]:
    """Draw `size` distinct claims for audit (all of them when there are fewer).

    `candidates` are `(claim_id, risk_score)`; an id listed twice counts once (its first
    entry). First `size - k` claims are drawn weighted by `risk + 1` without replacement
    (Efraimidis–Spirakis: the largest keys `u ** (1 / w)`), then `k = round(size ×
    random_percent / 100)` uniformly at random from the claims not yet drawn, so that a low
    risk never guarantees a claim escapes audit. `random_percent` is clamped to 0..100.
    Deterministic for a seeded `rng`: it consumes one number per candidate, then a sample.
    """
    if size < 0:
        raise ValueError(f"size is {size}; it cannot be negative.")
    seen: dict[int, int] = {}
    for claim_id, risk in candidates:
        seen.setdefault(claim_id, risk)
    pool = list(seen.items())
    size = min(size, len(pool))
    if size == 0:
        return []
    uniform = random_share(size, random_percent)
    weighted = size - uniform

    keys = []
    for _claim_id, risk in pool:
        u = rng.random()
        # log(u ** (1 / w)) orders the claims as the key itself does, without underflow.
        keys.append(math.log(u) / (max(risk, 0) + 1) if u > 0 else -math.inf)
    order = sorted(range(len(pool)), key=lambda position: (-keys[position], position))
    chosen = set(order[:weighted])
    by_risk = [pool[position][0] for position in order[:weighted]]
    rest = [claim_id for position, (claim_id, _risk) in enumerate(pool) if position not in chosen]
    at_random = rng.sample(rest, uniform)
    return [(claim_id, AuditReason.RISK) for claim_id in by_risk] + [
        (claim_id, AuditReason.RANDOM) for claim_id in at_random
    ]


# --------------------------------------------------------------------------- matching keys


def normalise_phone(phone: str) -> str:
    """Digits only (any script's decimal digits, as ASCII), a leading "+" kept."""
    text = (phone or "").strip()
    digits = "".join(str(unicodedata.decimal(char)) for char in text if char.isdecimal())
    if not digits:
        return ""
    return ("+" if text.startswith(("+", "＋")) else "") + digits


def address_key(address: str) -> str:
    """Lowercase, punctuation and symbols removed, spaces collapsed: the same address typed
    twice gives the same key."""
    text = unicodedata.normalize("NFKC", address or "").lower()
    kept = "".join(" " if unicodedata.category(char)[0] in "PSZC" else char for char in text)
    return " ".join(kept.split())


def is_round_amount(amount: Decimal) -> bool:
    """At least 100, no cents, and a multiple of 50: the amounts people make up."""
    if not amount.is_finite() or amount < 100:
        return False
    return amount == amount.to_integral_value() and amount % 50 == 0
