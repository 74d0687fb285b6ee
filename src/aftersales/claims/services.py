"""Every write about claims: submission (facts gathered, validated, scored, decided), the
reviewer's decisions and the partner's replies, bulk approval, statements, chargebacks,
audit samples, labour standards, and the inspection result of a returned DOA unit.

Each function is one transaction, checks the actor's permission (accounts.rules, the
`claims.*` actions), locks the claim it changes, and writes a `ClaimEvent` for every change
of state. A partner's people reach only their own partner's claims: anyone else's answers
404, exactly like a claim that does not exist."""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.accounts import rules as access
from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.claims import rules, selectors
from aftersales.claims.choices import (
    OPEN_FOR_REVIEW,
    PAYABLE,
    AuditOutcome,
    ClaimStatus,
    EventKind,
    LineKind,
    ReasonCode,
    parse_claim_number,
)
from aftersales.claims.models import (
    AuditSample,
    Chargeback,
    Claim,
    ClaimAttachment,
    ClaimEvent,
    ClaimLine,
    ClaimRisk,
    LabourStandard,
    Statement,
    StatementLine,
)
from aftersales.core import clock
from aftersales.core.errors import Conflict, Forbidden, Invalid, NotFound
from aftersales.network.models import Partner
from aftersales.warranty.rules import Category
from aftersales.warranty.selectors import unit_entitlement, unit_with_coverage

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")  # what a 12-digit, 2-decimal column holds
ATTACHMENT_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_LINES = 100
MAX_BULK = 500
RECHECK_BATCH = 1000  # claims per UPDATE when the nightly recheck sends claims back to review
LINE_KINDS = frozenset(k.value for k in LineKind)
REASON_CODES = frozenset(r.value for r in ReasonCode)
STATUS_WORDS = {
    ClaimStatus.AUTO_APPROVED: gettext_lazy("approved automatically"),
    ClaimStatus.AUTO_REJECTED: gettext_lazy("rejected automatically"),
    ClaimStatus.REVIEW: gettext_lazy("sent to a reviewer"),
    ClaimStatus.INFO_REQUESTED: gettext_lazy("waiting for information"),
    ClaimStatus.APPROVED: gettext_lazy("approved"),
    ClaimStatus.PARTIALLY_APPROVED: gettext_lazy("partially approved"),
    ClaimStatus.REJECTED: gettext_lazy("rejected"),
}


# --- helpers -------------------------------------------------------------------------------


def _require(actor: User, action: str) -> None:
    if actor is None or not access.allowed(actor.role, action):
        raise Forbidden(
            "forbidden",
            _("Your role (%(role)s) may not do this.")
            % {"role": getattr(actor, "role", "anonymous")},
            {"action": action},
        )


def _status_word(status: str) -> str:
    return str(STATUS_WORDS.get(ClaimStatus(status), status))


def _locked(actor: User, number: str) -> Claim:
    """The claim, locked, if the actor may see it; otherwise the same 404 as a missing one."""
    pk = parse_claim_number(str(number or ""))
    claim = None
    if pk is not None:
        claim = (
            selectors.visible_claims(actor)
            .select_for_update(of=("self",))
            .select_related("partner")
            .filter(pk=pk)
            .first()
        )
    if claim is None:
        raise NotFound(_("Claim %(number)s") % {"number": number})
    return claim


def _event(
    claim: Claim, kind: EventKind, body: str, *, actor: User | None, data: dict | None = None
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        kind=kind.value,
        body=body,
        data=data or {},
        actor=actor,
        actor_label=actor.username if actor is not None else "",
        at=clock.now(),
    )


def _touch(claim: Claim) -> None:
    claim.updated_at = clock.now()
    claim.version += 1


def _money(value, field: str, *, positive: bool = False) -> Decimal:
    """A money amount from the caller: finite, at most two decimals, not negative (or, with
    `positive`, above zero), within what the columns hold."""
    if isinstance(value, bool) or value is None or value == "":
        raise Invalid(field, _("Give an amount."))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(field, _("%(value)s is not an amount.") % {"value": value}) from None
    if not amount.is_finite():
        raise Invalid(field, _("%(value)s is not an amount.") % {"value": value})
    if amount != amount.quantize(CENT):
        raise Invalid(field, _("An amount has at most two decimals."))
    if amount < 0 or (positive and amount == 0):
        raise Invalid(
            field, _("The amount must be above zero.") if positive else _("No negative amounts.")
        )
    if amount > MAX_MONEY:
        raise Invalid(field, _("The amount is too large."))
    return amount.quantize(CENT)


def _whole(value, field: str, *, low: int, high: int, default=None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise Invalid(field, _("Give a whole number."))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(field, _("Give a whole number.")) from None
    if isinstance(value, float) and value != number:
        raise Invalid(field, _("Give a whole number."))
    if number < low or number > high:
        raise Invalid(
            field,
            _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
        )
    return number


def _text(value, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise Invalid(field, _("At most %(n)s characters.") % {"n": limit})
    return text


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _prepare_attachments(items: Sequence[Mapping], field: str = "attachments") -> list[dict]:
    """Checked files, with their SHA-256: photos, PDFs or text, at most 5 MB each."""
    items = list(items or ())
    if len(items) > MAX_ATTACHMENTS:
        raise Invalid(field, _("At most %(n)s attachments.") % {"n": MAX_ATTACHMENTS})
    files = []
    for index, item in enumerate(items):
        where = f"{field}.{index}"
        name = str(item.get("filename") or "").strip()[:200]
        ctype = str(item.get("content_type") or "").strip().lower()
        content = item.get("content")
        if content is None:
            try:
                content = base64.b64decode(item.get("content_base64") or "", validate=True)
            except (binascii.Error, ValueError):
                raise Invalid(where, _("The attachment is not valid base64.")) from None
        if isinstance(content, str):
            content = content.encode()
        if not name or not content:
            raise Invalid(where, _("Each attachment needs a file name and content."))
        if ctype not in ATTACHMENT_TYPES:
            raise Invalid(where, _("An attachment must be a photo, a PDF or a text file."))
        if len(content) > ATTACHMENT_MAX_BYTES:
            raise Invalid(where, _("An attachment may be at most 5 MB."))
        content = bytes(content)
        files.append(
            {
                "filename": name,
                "content_type": ctype,
                "content": content,
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
    return files


def _save_attachments(claim: Claim, files: list[dict], label: str) -> None:
    now = clock.now()
    ClaimAttachment.objects.bulk_create(
        [
            ClaimAttachment(
                claim=claim,
                filename=f["filename"],
                content_type=f["content_type"],
                size=len(f["content"]),
                sha256=f["sha256"],
                content=f["content"],
                uploaded_at=now,
                uploaded_by_label=label,
            )
            for f in files
        ]
    )


# --- submission ----------------------------------------------------------------------------


def _claiming_partner(actor: User, partner_code: str | None) -> Partner:
    code = (partner_code or "").strip()
    if actor.role == Role.PARTNER:
        partner = Partner.objects.get(pk=actor.partner_id)  # fresh: its authorisations
        if code and code != partner.code:
            raise Invalid(
                "partner_code",
                _("You claim for your own organisation, %(code)s.") % {"code": partner.code},
            )
        return partner
    if not code:
        raise Invalid("partner_code", _("Name the partner the claim is for."))
    partner = selectors.partner_by_code(code)
    if partner is None:
        raise Invalid("partner_code", _("No partner has code %(code)s.") % {"code": code})
    return partner


def _parse_lines(lines: Sequence[Mapping]) -> list[dict]:
    lines = list(lines or ())
    if len(lines) > MAX_LINES:
        raise Invalid("lines", _("At most %(n)s lines.") % {"n": MAX_LINES})
    parsed = []
    for index, raw in enumerate(lines):
        field = f"lines.{index}"
        if not isinstance(raw, Mapping):
            raise Invalid(field, _("A line is an object with a kind and an amount."))
        kind = str(raw.get("kind") or "").strip()
        if kind not in LINE_KINDS:
            raise Invalid(
                f"{field}.kind",
                _("kind must be one of: %(k)s.") % {"k": ", ".join(k.value for k in LineKind)},
            )
        quantity = _whole(raw.get("quantity"), f"{field}.quantity", low=1, high=10000, default=1)
        unit_price = _money(
            raw.get("unit_price") if raw.get("unit_price") not in (None, "") else "0",
            f"{field}.unit_price",
        )
        amount = (unit_price * quantity).quantize(CENT)
        if amount > MAX_MONEY:
            raise Invalid(f"{field}.unit_price", _("The amount is too large."))
        part_number = _text(raw.get("part_number"), f"{field}.part_number", 60)
        if kind == LineKind.PART and not part_number:
            raise Invalid(f"{field}.part_number", _("A part line names the part number."))
        labour_code = _text(raw.get("labour_code"), f"{field}.labour_code", 30)
        minutes = _whole(raw.get("minutes"), f"{field}.minutes", low=0, high=100000)
        if kind == LineKind.LABOUR and minutes is None:
            raise Invalid(f"{field}.minutes", _("A labour line says how many minutes."))
        parsed.append(
            {
                "kind": kind,
                "description": _text(raw.get("description"), f"{field}.description", 200),
                "labour_code": labour_code if kind == LineKind.LABOUR else "",
                "minutes": minutes if kind == LineKind.LABOUR else None,
                "part_number": part_number,
                "quantity": quantity,
                "unit_price": unit_price,
                "amount": amount,
                "defective_returned": _flag(raw.get("defective_returned")),
            }
        )
    return parsed


def _coverage(unit, on: date) -> tuple[bool, date | None]:
    """Whether a warranty or a contract covered the unit that day, and the last covered day
    (the latest of what covered it; the warranty's end when nothing did)."""
    verdict = unit_entitlement(unit, on)
    covered = verdict.category in (Category.WARRANTY, Category.CONTRACT)
    ends = []
    if verdict.warranty_active:
        ends.append(verdict.warranty.ends_on)
    if verdict.contract is not None:
        ends.append(verdict.contract.ends_on)
    return covered, max(ends) if ends else verdict.warranty.ends_on


@transaction.atomic
def claim_submit(
    *,
    actor: User,
    lines: Sequence[Mapping],
    work_order_number: str | None = None,
    serial_number: str | None = None,
    repair_date: date | None = None,
    fault_code: str = "",
    invoice_number: str = "",
    explanation: str = "",
    attachments: Sequence[Mapping] = (),
    partner_code: str | None = None,
) -> Claim:
    """A partner's claim: the facts gathered from the database and kept on the claim, every
    rule run, the risk scored, and the claim left auto-approved, auto-rejected or in review.
    Input that cannot make a claim at all is refused (422); everything else is stored and
    judged, so the partner sees why."""
    from aftersales.claims import scoring

    _require(actor, "claims.submit")
    partner = _claiming_partner(actor, partner_code)
    parsed = _parse_lines(lines)
    files = _prepare_attachments(attachments)
    fault_code = _text(fault_code, "fault_code", 20)
    invoice_number = _text(invoice_number, "invoice_number", 60)
    explanation = _text(explanation, "explanation", 4000)
    wo_number = _text(work_order_number, "work_order_number", 30).upper()

    # The work order: found only when it is this partner's.
    wo = selectors.work_order_for_claim(wo_number) if wo_number else None
    if wo is not None and wo.partner_id != partner.pk:
        wo = None
    serial = _text(serial_number, "serial_number", 80)
    if not serial and wo is not None and wo.unit_id:
        serial = wo.unit.serial_number
    if not serial:
        raise Invalid("serial_number", _("Give the serial number of the unit repaired."))
    if wo is not None and wo.unit_id and wo.unit.serial_number != serial:
        raise Invalid(
            "serial_number",
            _("Work order %(wo)s is for unit %(unit)s, not %(serial)s.")
            % {"wo": wo.number, "unit": wo.unit.serial_number, "serial": serial},
        )
    completed_on = timezone.localdate(wo.completed_at) if wo and wo.completed_at else None
    completed = wo is not None and wo.status in selectors.WORK_DONE and wo.completed_at is not None
    today = clock.today()
    if repair_date is None:
        repair_date = completed_on
    if repair_date is None:
        raise Invalid("repair_date", _("Give the repair date."))
    if repair_date > today:
        raise Invalid("repair_date", _("The repair date is in the future."))

    # The unit, its coverage, the customer and where the repair was.
    # Locked: two claims on one unit are judged one after the other (duplicates).
    unit = unit_with_coverage(serial, with_customer=True, lock=True)
    covered, coverage_ends_on = _coverage(unit, repair_date) if unit else (False, None)
    product_line = unit.product.category if unit else ""
    customer = wo.case.customer if wo is not None else (unit.customer if unit else None)
    region = (customer.region if customer is not None else "") or (
        wo.centre.region if wo is not None and wo.centre_id else ""
    )

    # The lines against the catalogue and the standard times.
    standards = selectors.labour_standards_for(
        product_line, [p["labour_code"] for p in parsed if p["kind"] == LineKind.LABOUR]
    )
    parts = selectors.parts_by_number(p["part_number"] for p in parsed)
    fitting = selectors.parts_fitting(
        [p.pk for p in parts.values()], unit.product_id if unit else None
    )
    line_facts = []
    rows = []
    for p in parsed:
        part = parts.get(p["part_number"]) if p["part_number"] else None
        standard = standards.get(p["labour_code"]) if p["kind"] == LineKind.LABOUR else None
        required = bool(part and part.defective_return_required and p["kind"] == LineKind.PART)
        fits = True if unit is None or part is None else part.pk in fitting
        line_facts.append(
            rules.LineFacts(
                kind=p["kind"],
                amount=p["amount"],
                quantity=p["quantity"],
                unit_price=p["unit_price"],
                labour_code=p["labour_code"],
                minutes=p["minutes"],
                standard_minutes=standard,
                part_number=p["part_number"],
                part_known=part is not None or p["kind"] != LineKind.PART,
                part_fits=fits,
                defective_required=required,
                defective_returned=p["defective_returned"],
            )
        )
        rows.append(
            ClaimLine(
                kind=p["kind"],
                description=p["description"],
                labour_code=p["labour_code"],
                minutes=p["minutes"],
                standard_minutes=standard,
                part=part,
                part_number=p["part_number"],
                quantity=p["quantity"],
                unit_price=p["unit_price"],
                amount=p["amount"],
                defective_required=required,
                defective_returned=p["defective_returned"],
            )
        )
    labour = [f for f in line_facts if f.kind == LineKind.LABOUR]
    part_lines = [f for f in line_facts if f.kind == LineKind.PART]
    total = sum((p["amount"] for p in parsed), Decimal("0.00"))
    if total > MAX_MONEY:
        raise Invalid("lines", _("The claim's total is too large."))

    duplicates = selectors.duplicate_claims(
        serial_number=serial, fault_code=fault_code, repair_date=repair_date
    )
    same_invoice = selectors.same_invoice_claims(
        partner_id=partner.pk, invoice_number=invoice_number
    )
    same_attachment = selectors.same_attachment_claims({f["sha256"] for f in files})

    now = clock.now()
    claim = Claim.objects.create(
        partner=partner,
        work_order=wo,
        serial_number=serial,
        unit=unit,
        customer=customer,
        status=ClaimStatus.REVIEW,
        outcome=ClaimStatus.REVIEW,
        fault_code=fault_code,
        repair_date=repair_date,
        invoice_number=invoice_number,
        explanation=explanation,
        currency=partner.currency,
        claimed_amount=total,
        region=region,
        product_line=product_line,
        sold_on=unit.sold_on if unit else None,
        sold_region=(unit.customer.region or "") if unit else "",
        coverage_ends_on=coverage_ends_on,
        customer_phone=rules.normalise_phone(customer.phone) if customer else "",
        customer_address_key=rules.address_key(customer.address)[:200] if customer else "",
        labour_minutes=sum(f.minutes or 0 for f in labour),
        standard_minutes=sum(f.standard_minutes or 0 for f in labour),
        parts_count=sum(f.quantity for f in part_lines),
        parts_amount=sum((f.amount for f in part_lines), Decimal("0.00")),
        defectives_missing=sum(
            f.quantity for f in part_lines if f.defective_required and not f.defective_returned
        ),
        doa=any(f.kind == LineKind.DOA for f in line_facts),
        submitted_by=actor,
        submitted_at=now,
        updated_at=now,
    )
    for row in rows:
        row.claim = claim
    ClaimLine.objects.bulk_create(rows)
    _save_attachments(claim, files, actor.username)
    _event(
        claim,
        EventKind.SUBMITTED,
        _("Claim %(number)s submitted by %(partner)s: %(n)s line(s), %(total)s %(cur)s.")
        % {
            "number": claim.number,
            "partner": partner.code,
            "n": len(rows),
            "total": total,
            "cur": claim.currency,
        },
        actor=actor,
        data={"work_order": wo_number, "claimed": str(total), "attachments": len(files)},
    )

    facts = rules.ClaimFacts(
        repair_date=repair_date,
        submitted_on=today,
        unit_known=unit is not None,
        sold_on=unit.sold_on if unit else None,
        covered=covered,
        coverage_ends_on=coverage_ends_on,
        work_order_number=wo_number,
        work_order_found=wo is not None,
        work_order_completed=completed,
        work_order_accepted=wo is not None and wo.accepted_at is not None,
        completed_on=completed_on,
        partner_product_lines=frozenset(partner.product_lines or ()),
        partner_regions=frozenset(partner.regions or ()),
        product_line=product_line,
        region=region,
        submission_days=settings.CLAIM_SUBMISSION_DAYS,
        duplicate_of=tuple(duplicates),
        same_invoice_as=tuple(same_invoice),
        same_attachment_as=tuple(same_attachment),
        explanation=explanation,
        lines=tuple(line_facts),
    )
    findings = rules.validate(facts)
    failed = [f for f in findings if not f.passed]
    claim.findings = [f.as_dict() for f in findings]
    _event(
        claim,
        EventKind.VALIDATED,
        (
            _("All %(n)s checks passed.") % {"n": len(findings)}
            if not failed
            else _("%(failed)s of %(n)s checks failed: %(codes)s.")
            % {
                "failed": len(failed),
                "n": len(findings),
                "codes": ", ".join(dict.fromkeys(str(f.code) for f in failed)),
            }
        ),
        actor=None,
        data={
            "failed": [str(f.code) for f in failed],
            "hard": [str(f.code) for f in failed if f.hard],
        },
    )

    risk = scoring.score_claim(claim)
    decided = rules.outcome(findings, risk.score, settings.CLAIM_REVIEW_THRESHOLD)
    ClaimRisk.objects.create(claim=claim, score=risk.score, reasons=risk.as_list(), scored_at=now)
    claim.status = claim.outcome = decided.value
    if decided == ClaimStatus.AUTO_APPROVED:
        claim.approved_amount = total
        claim.lines.update(approved_amount=F("amount"))
    elif decided == ClaimStatus.AUTO_REJECTED:
        claim.approved_amount = Decimal("0.00")
    if decided != ClaimStatus.REVIEW:
        claim.decided_at = now
    claim.save()
    top = ", ".join(r.code for r in risk.reasons[:3])
    body = _("Risk %(score)s of 100 (review from %(threshold)s): %(outcome)s.") % {
        "score": risk.score,
        "threshold": settings.CLAIM_REVIEW_THRESHOLD,
        "outcome": _status_word(decided),
    }
    if top:
        body += " " + _("Main reasons: %(codes)s.") % {"codes": top}
    _event(
        claim,
        EventKind.SCORED,
        body,
        actor=None,
        data={
            "score": risk.score,
            "reasons": [r.code for r in risk.reasons],
            "outcome": decided.value,
        },
    )
    return claim


@transaction.atomic
def claims_recheck_unpaid() -> list[str]:
    """Sends back to review every automatically approved claim that is not yet on a statement
    and whose risk has since reached the threshold (a rescoring against moved peer groups, a
    duplicate filed later): what the scorer learns after submission is still acted on before
    the money goes out. Returns the numbers moved."""
    threshold = settings.CLAIM_REVIEW_THRESHOLD
    risky = list(
        Claim.objects.select_for_update(of=("self",))
        .filter(
            status=ClaimStatus.AUTO_APPROVED,
            statement__isnull=True,
            risk__score__gte=threshold,
        )
        .select_related("risk")
        .order_by("id")
    )
    now = clock.now()
    ids = [claim.pk for claim in risky]
    # Plain UPDATEs, the same values for every row: bulk_update would build a CASE per
    # column with a branch per claim, evaluated for every row, quadratic in the claims sent
    # back (the night after the weights change: 17,000 claims did not finish in 17 minutes).
    for first in range(0, len(ids), RECHECK_BATCH):
        batch = ids[first : first + RECHECK_BATCH]
        Claim.objects.filter(pk__in=batch).update(
            status=ClaimStatus.REVIEW.value,
            approved_amount=None,
            decided_at=None,
            decided_by=None,
            updated_at=now,
            version=F("version") + 1,
        )
        ClaimLine.objects.filter(claim__in=batch).update(approved_amount=None)
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim=claim,
            kind=EventKind.SCORED.value,
            body=_(
                "Rescored at %(score)s, at or above the review threshold %(threshold)s: sent "
                "back to a reviewer before payment."
            )
            % {"score": claim.risk.score, "threshold": threshold},
            data={
                "score": claim.risk.score,
                "status": {
                    "from": ClaimStatus.AUTO_APPROVED.value,
                    "to": ClaimStatus.REVIEW.value,
                },
            },
            at=now,
        )
        for claim in risky
    )
    return [claim.number for claim in risky]


# --- the reviewer and the partner ----------------------------------------------------------


def _open_for_review(claim: Claim) -> None:
    if claim.statement_id is not None:
        raise Conflict(
            "on_statement",
            _("Claim %(number)s is on statement %(statement)s and can no longer be decided.")
            % {"number": claim.number, "statement": claim.statement.number},
        )
    if claim.status not in OPEN_FOR_REVIEW:
        raise Conflict(
            "not_in_review",
            _("Claim %(number)s is %(status)s: only a claim in review can be decided.")
            % {"number": claim.number, "status": _status_word(claim.status)},
            {"status": claim.status},
        )


def _decide(
    claim: Claim,
    status: ClaimStatus,
    approved: Decimal,
    *,
    actor: User,
    body: str,
    data: dict,
) -> Claim:
    old = claim.status
    claim.status = status.value
    claim.approved_amount = approved
    claim.decided_at = clock.now()
    claim.decided_by = actor
    _touch(claim)
    claim.save()
    kind = {
        ClaimStatus.APPROVED: EventKind.APPROVED,
        ClaimStatus.PARTIALLY_APPROVED: EventKind.PARTIALLY_APPROVED,
        ClaimStatus.REJECTED: EventKind.REJECTED,
    }[status]
    _event(
        claim,
        kind,
        body,
        actor=actor,
        data={"status": {"from": old, "to": status.value}, "approved": str(approved), **data},
    )
    return claim


@transaction.atomic
def claim_request_info(*, actor: User, number: str, question: str) -> Claim:
    """The reviewer asks the partner something; the claim waits for the reply."""
    _require(actor, "claims.review")
    claim = _locked(actor, number)
    _open_for_review(claim)
    if claim.status != ClaimStatus.REVIEW:
        raise Conflict(
            "already_asked",
            _("Claim %(number)s already waits for the partner's answer.")
            % {"number": claim.number},
        )
    question = _text(question, "question", 4000)
    if not question:
        raise Invalid("question", _("Write the question for the partner."))
    claim.status = ClaimStatus.INFO_REQUESTED.value
    _touch(claim)
    claim.save()
    _event(
        claim,
        EventKind.INFO_REQUESTED,
        question,
        actor=actor,
        data={"status": {"from": ClaimStatus.REVIEW.value, "to": claim.status}},
    )
    return claim


@transaction.atomic
def claim_reply(
    *, actor: User, number: str, message: str, attachments: Sequence[Mapping] = ()
) -> Claim:
    """The partner answers the reviewer's question (with files, if asked for); the claim
    goes back to review."""
    _require(actor, "claims.reply")
    claim = _locked(actor, number)
    if claim.status != ClaimStatus.INFO_REQUESTED:
        raise Conflict(
            "no_question",
            _("Claim %(number)s is not waiting for an answer.") % {"number": claim.number},
            {"status": claim.status},
        )
    message = _text(message, "message", 4000)
    if not message:
        raise Invalid("message", _("Write the answer."))
    files = _prepare_attachments(attachments)
    _save_attachments(claim, files, actor.username)
    claim.status = ClaimStatus.REVIEW.value
    _touch(claim)
    claim.save()
    _event(
        claim,
        EventKind.REPLIED,
        message,
        actor=actor,
        data={
            "status": {"from": ClaimStatus.INFO_REQUESTED.value, "to": claim.status},
            "attachments": [f["filename"] for f in files],
        },
    )
    return claim


def _approve(actor: User, claim: Claim, note: str) -> Claim:
    claim.lines.update(approved_amount=F("amount"), reason_code="", reason="")
    body = _("Approved in full: %(amount)s %(cur)s.") % {
        "amount": claim.claimed_amount,
        "cur": claim.currency,
    }
    if note:
        body += " " + note
    return _decide(
        claim, ClaimStatus.APPROVED, claim.claimed_amount, actor=actor, body=body, data={}
    )


@transaction.atomic
def claim_approve(*, actor: User, number: str, note: str = "") -> Claim:
    _require(actor, "claims.review")
    claim = _locked(actor, number)
    _open_for_review(claim)
    return _approve(actor, claim, _text(note, "note", 4000))


@transaction.atomic
def claim_decide_lines(*, actor: User, number: str, lines: Sequence[Mapping]) -> Claim:
    """Per line: the amount approved (at most the claimed) and, where less, a reason code.
    Every line of the claim is decided once. All in full approves; nothing rejects."""
    _require(actor, "claims.review")
    claim = _locked(actor, number)
    _open_for_review(claim)
    by_id = {line.pk: line for line in claim.lines.all()}
    seen: set[int] = set()
    decisions = []
    chosen = []
    for index, item in enumerate(lines or ()):
        field = f"lines.{index}"
        line_id = item.get("id") if isinstance(item, Mapping) else None
        line = by_id.get(line_id) if isinstance(line_id, int) else None
        if line is None:
            raise Invalid(
                f"{field}.id",
                _("Claim %(number)s has no line %(id)s.") % {"number": claim.number, "id": line_id},
            )
        if line.pk in seen:
            raise Invalid(f"{field}.id", _("Line %(id)s is decided twice.") % {"id": line.pk})
        seen.add(line.pk)
        approved = item.get("approved_amount")
        try:
            approved = Decimal(str(approved)) if approved not in (None, "") else None
        except (InvalidOperation, ValueError):
            approved = None
        if approved is None or not approved.is_finite():
            raise Invalid(f"{field}.approved_amount", _("Give the approved amount."))
        code = str(item.get("reason_code") or "").strip()
        decisions.append(
            rules.LineDecision(amount=line.amount, approved=approved, reason_code=code)
        )
        chosen.append((line, approved, code, _text(item.get("reason"), f"{field}.reason", 2000)))
    missing = sorted(set(by_id) - seen)
    if missing:
        raise Invalid(
            "lines",
            _("Decide every line; not decided: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    try:
        status, total = rules.decide_lines(decisions)
    except rules.DecisionError as exc:
        raise Invalid(exc.field, exc.message) from None
    for line, approved, code, reason in chosen:
        line.approved_amount = approved
        line.reason_code = code if approved < line.amount else ""
        line.reason = reason
        line.save(update_fields=["approved_amount", "reason_code", "reason"])
    cut = [
        f"#{line.pk}: {approved} / {line.amount} ({code})"
        for line, approved, code, _reason in chosen
        if approved < line.amount
    ]
    body = _("%(status)s: %(approved)s of %(claimed)s %(cur)s.") % {
        "status": _status_word(status).capitalize(),
        "approved": total,
        "claimed": claim.claimed_amount,
        "cur": claim.currency,
    }
    if cut:
        body += " " + _("Reduced: %(lines)s.") % {"lines": "; ".join(cut)}
    return _decide(
        claim,
        status,
        total,
        actor=actor,
        body=body,
        data={
            "lines": [
                {"id": line.pk, "approved": str(approved), "reason_code": code}
                for line, approved, code, _reason in chosen
            ]
        },
    )


@transaction.atomic
def claim_reject(
    *, actor: User, number: str, reason: str, reason_code: str = ReasonCode.OTHER
) -> Claim:
    _require(actor, "claims.review")
    claim = _locked(actor, number)
    _open_for_review(claim)
    reason = _text(reason, "reason", 4000)
    if not reason:
        raise Invalid("reason", _("Say why the claim is rejected."))
    code = str(reason_code or "").strip() or ReasonCode.OTHER.value
    if code not in REASON_CODES:
        raise Invalid(
            "reason_code",
            _("reason_code must be one of: %(c)s.") % {"c": ", ".join(sorted(REASON_CODES))},
        )
    claim.lines.update(approved_amount=Decimal("0.00"), reason_code=code, reason=reason)
    return _decide(
        claim,
        ClaimStatus.REJECTED,
        Decimal("0.00"),
        actor=actor,
        body=_("Rejected (%(code)s): %(reason)s") % {"code": code, "reason": reason},
        data={"reason_code": code},
    )


@transaction.atomic
def claims_bulk_approve(*, actor: User, numbers: Sequence[str]) -> dict:
    """Approves in full each claim that is in review with a risk below the threshold; the
    others are refused with the reason, and do not stop the rest."""
    _require(actor, "claims.review")
    numbers = list(dict.fromkeys(str(n).strip() for n in numbers or () if str(n).strip()))
    if not numbers:
        raise Invalid("numbers", _("Name the claims to approve."))
    if len(numbers) > MAX_BULK:
        raise Invalid("numbers", _("At most %(n)s claims at once.") % {"n": MAX_BULK})
    threshold = settings.CLAIM_REVIEW_THRESHOLD
    approved: list[str] = []
    refused: dict[str, str] = {}
    for number in numbers:
        try:
            with transaction.atomic():
                claim = _locked(actor, number)
                _open_for_review(claim)
                if claim.status != ClaimStatus.REVIEW:
                    raise Conflict(
                        "waiting_for_partner",
                        _("It waits for the partner's answer."),
                    )
                if claim.risk.score >= threshold:
                    raise Conflict(
                        "too_risky",
                        _("Its risk %(score)s is at or above %(threshold)s: decide it alone.")
                        % {"score": claim.risk.score, "threshold": threshold},
                    )
                _approve(actor, claim, _("Approved in bulk."))
                approved.append(claim.number)
        except (Conflict, NotFound) as exc:
            refused[number] = exc.message
    return {"approved": approved, "refused": refused}


# --- statements and chargebacks ------------------------------------------------------------


def _period(period_start, period_end) -> None:
    if not isinstance(period_start, date) or not isinstance(period_end, date):
        raise Invalid("period_start", _("Give the period as two dates."))
    if period_end < period_start:
        raise Invalid("period_end", _("The period ends before it starts."))


@transaction.atomic
def statement_issue(
    *,
    actor: User,
    partner_code: str,
    period_start: date,
    period_end: date,
    currency: str | None = None,
) -> Statement:
    """What the brand owes a partner for a period: every payable claim decided in it and not
    yet on a statement, less every chargeback not yet on one."""
    _require(actor, "claims.statement")
    _period(period_start, period_end)
    partner = Partner.objects.select_for_update().filter(code=(partner_code or "").strip()).first()
    if partner is None:
        raise NotFound(_("Partner %(code)s") % {"code": partner_code})
    currency = (currency or partner.currency).strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise Invalid("currency", _("currency is a three-letter ISO 4217 code."))
    if Statement.objects.filter(
        partner=partner, period_start=period_start, period_end=period_end, currency=currency
    ).exists():
        raise Conflict(
            "statement_exists",
            _("%(partner)s already has a statement for this period.") % {"partner": partner.code},
        )
    claims = list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("work_order")
        .filter(
            partner=partner,
            currency=currency,
            status__in=[s.value for s in PAYABLE],
            statement__isnull=True,
            decided_at__date__gte=period_start,
            decided_at__date__lte=period_end,
        )
        .order_by("decided_at", "pk")
    )
    chargebacks = list(
        Chargeback.objects.select_for_update(of=("self",))
        .select_related("claim")
        .filter(claim__partner=partner, claim__currency=currency, statement__isnull=True)
        .order_by("pk")
    )
    if not claims and not chargebacks:
        raise Conflict(
            "nothing_to_state",
            _("%(partner)s has no approved claims and no chargebacks to put on a statement.")
            % {"partner": partner.code},
        )
    totals = rules.statement_totals(
        [c.approved_amount or Decimal("0") for c in claims], [cb.amount for cb in chargebacks]
    )
    statement = Statement.objects.create(
        partner=partner,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        approved_total=totals.approved,
        chargeback_total=totals.charged_back,
        net_total=totals.net,
        issued_at=clock.now(),
        issued_by=actor,
    )
    lines = [
        StatementLine(
            statement=statement,
            claim=c,
            kind="claim",
            description=(
                _("Work order %(wo)s, %(serial)s")
                % {"wo": c.work_order.number, "serial": c.serial_number}
                if c.work_order_id
                else c.serial_number
            )[:200],
            amount=c.approved_amount or Decimal("0"),
        )
        for c in claims
    ] + [
        StatementLine(
            statement=statement,
            claim=cb.claim,
            kind="chargeback",
            description=cb.reason[:200],
            amount=-cb.amount,
        )
        for cb in chargebacks
    ]
    StatementLine.objects.bulk_create(lines)
    for c in claims:
        c.statement = statement
        _touch(c)
        c.save(update_fields=["statement", "updated_at", "version"])
        _event(
            c,
            EventKind.ON_STATEMENT,
            _("On statement %(statement)s: %(amount)s %(cur)s to pay.")
            % {"statement": statement.number, "amount": c.approved_amount, "cur": currency},
            actor=actor,
            data={"statement": statement.number, "amount": str(c.approved_amount)},
        )
    for cb in chargebacks:
        cb.statement = statement
        cb.save(update_fields=["statement"])
        _event(
            cb.claim,
            EventKind.ON_STATEMENT,
            _("Chargeback of %(amount)s %(cur)s taken back on statement %(statement)s.")
            % {"statement": statement.number, "amount": cb.amount, "cur": currency},
            actor=actor,
            data={"statement": statement.number, "chargeback": cb.pk, "amount": str(-cb.amount)},
        )
    return statement


def _chargeback(claim: Claim, *, actor: User, amount, reason: str) -> Chargeback:
    if claim.status not in PAYABLE:
        raise Conflict(
            "not_payable",
            _("Claim %(number)s was not paid (%(status)s): there is nothing to take back.")
            % {"number": claim.number, "status": _status_word(claim.status)},
        )
    amount = _money(amount, "amount", positive=True)
    reason = _text(reason, "reason", 4000)
    if not reason:
        raise Invalid("reason", _("Say why the amount is taken back."))
    taken = sum((cb.amount for cb in claim.chargebacks.all()), Decimal("0"))
    left = (claim.approved_amount or Decimal("0")) - taken
    if amount > left:
        raise Invalid(
            "amount",
            _("At most %(left)s %(cur)s of claim %(number)s can still be taken back.")
            % {"left": left, "cur": claim.currency, "number": claim.number},
        )
    chargeback = Chargeback.objects.create(
        claim=claim, amount=amount, reason=reason, created_at=clock.now(), created_by=actor
    )
    _touch(claim)
    claim.save(update_fields=["updated_at", "version"])
    _event(
        claim,
        EventKind.CHARGED_BACK,
        _("%(amount)s %(cur)s charged back: %(reason)s")
        % {"amount": amount, "cur": claim.currency, "reason": reason},
        actor=actor,
        data={"chargeback": chargeback.pk, "amount": str(amount)},
    )
    return chargeback


@transaction.atomic
def chargeback_create(*, actor: User, number: str, amount, reason: str) -> Chargeback:
    """Takes back (part of) what was approved on a claim later found invalid; it lands on
    the partner's next statement."""
    _require(actor, "claims.statement")
    claim = _locked(actor, number)
    return _chargeback(claim, actor=actor, amount=amount, reason=reason)


# --- audits --------------------------------------------------------------------------------


@transaction.atomic
def audit_sample_draw(
    *, actor: User, period_start: date, period_end: date, size: int, seed: int | None = None
) -> list[AuditSample]:
    """Draws approved claims decided in the period (and never drawn before) for audit:
    weighted by risk, with a random share (CLAIM_AUDIT_RANDOM_PERCENT). Why each was drawn
    is kept on the sample, not on the partner's timeline, so the threshold stays unlearnable."""
    _require(actor, "claims.audit")
    _period(period_start, period_end)
    size = _whole(size, "size", low=1, high=10000)
    if size is None:
        raise Invalid("size", _("Say how many claims to draw."))
    candidates = list(
        Claim.objects.filter(
            status__in=[s.value for s in PAYABLE],
            decided_at__date__gte=period_start,
            decided_at__date__lte=period_end,
            audits__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "risk__score")
    )
    rng = random.Random(seed) if seed is not None else random.Random()
    drawn = rules.draw_audit_sample(candidates, size, settings.CLAIM_AUDIT_RANDOM_PERCENT, rng)
    now = clock.now()
    claims = Claim.objects.select_for_update().in_bulk([pk for pk, _reason in drawn])
    samples = []
    for pk, reason in drawn:
        claim = claims[pk]
        samples.append(
            AuditSample.objects.create(
                claim=claim,
                period_start=period_start,
                period_end=period_end,
                reason=str(reason),
                drawn_at=now,
            )
        )
        _event(
            claim,
            EventKind.AUDIT_SAMPLED,
            _("Drawn for audit (period %(start)s – %(end)s).")
            % {"start": period_start.isoformat(), "end": period_end.isoformat()},
            actor=actor,
            data={"audit": samples[-1].pk},
        )
    return samples


@transaction.atomic
def audit_record(
    *, actor: User, audit_id: int, outcome: str, notes: str = "", chargeback_amount=None
) -> AuditSample:
    """The auditor's finding. A failed audit takes money back: `chargeback_amount`, or what is
    left of the approved amount when none is given."""
    _require(actor, "claims.audit")
    sample = (
        AuditSample.objects.select_for_update().filter(pk=audit_id).first()
        if isinstance(audit_id, int)
        else None
    )
    if sample is None:
        raise NotFound(_("Audit %(id)s") % {"id": audit_id})
    if outcome not in (AuditOutcome.PASSED, AuditOutcome.FAILED):
        raise Invalid("outcome", _("outcome is passed or failed."))
    if sample.outcome != AuditOutcome.PENDING:
        raise Conflict("already_audited", _("This audit is already recorded."))
    notes = _text(notes, "notes", 4000)
    if outcome == AuditOutcome.PASSED and chargeback_amount not in (None, ""):
        raise Invalid("chargeback_amount", _("A passed audit takes nothing back."))
    claim = Claim.objects.select_for_update().get(pk=sample.claim_id)
    sample.outcome = outcome
    sample.notes = notes
    sample.audited_at = clock.now()
    sample.audited_by = actor
    sample.save()
    _event(
        claim,
        EventKind.AUDITED,
        (_("Audit passed.") if outcome == AuditOutcome.PASSED else _("Audit failed."))
        + (f" {notes}" if notes else ""),
        actor=actor,
        data={"audit": sample.pk, "outcome": outcome},
    )
    if outcome == AuditOutcome.FAILED:
        if chargeback_amount in (None, ""):
            taken = sum((cb.amount for cb in claim.chargebacks.all()), Decimal("0"))
            chargeback_amount = (claim.approved_amount or Decimal("0")) - taken
            if chargeback_amount <= 0:  # already taken back in full
                return sample
        _chargeback(
            claim,
            actor=actor,
            amount=chargeback_amount,
            reason=notes or _("Failed audit %(id)s.") % {"id": sample.pk},
        )
    return sample


# --- configuration and facts from elsewhere -------------------------------------------------


@transaction.atomic
def labour_standard_set(
    *, actor: User, product_line: str, labour_code: str, minutes: int, description: str = ""
) -> LabourStandard:
    """Sets (creates or changes) the standard time of a labour code on a product line."""
    _require(actor, "claims.configure")
    product_line = _text(product_line, "product_line", 80)
    labour_code = _text(labour_code, "labour_code", 30)
    if not product_line:
        raise Invalid("product_line", _("Name the product line."))
    if not labour_code:
        raise Invalid("labour_code", _("Name the labour code."))
    minutes = _whole(minutes, "minutes", low=1, high=10000)
    if minutes is None:
        raise Invalid("minutes", _("Give the standard minutes."))
    standard, _created = LabourStandard.objects.update_or_create(
        product_line=product_line,
        labour_code=labour_code,
        defaults={"minutes": minutes, "description": _text(description, "description", 200)},
    )
    return standard


def claims_mark_inspection(*, serial_number: str, no_fault_found: bool) -> int:
    """The brand inspected the returned DOA unit with this serial: records on its DOA claims
    whether nothing was wrong with it. Returns the claims updated."""
    serial = (serial_number or "").strip()
    if not serial:
        return 0
    return Claim.objects.filter(serial_number=serial, doa=True).update(
        no_fault_found=bool(no_fault_found)
    )
