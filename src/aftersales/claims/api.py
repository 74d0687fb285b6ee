"""Partner warranty claims over HTTP: submission and the partner's replies, the brand's
review queue and decisions, statements (JSON, PDF, CSV), partner scorecards, audit samples
and labour standards.

Who may see a claim or a statement is decided by the selectors: a partner's token sees its
own partner's; anything else answers 404 exactly like a number that does not exist."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.claims import schemas, selectors, services
from aftersales.claims.models import AuditSample, Chargeback, Claim, LabourStandard, Statement
from aftersales.core.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    idempotent,
    json_response,
    page_by_id_desc,
)
from aftersales.core.errors import Invalid, NotFound
from aftersales.core.permissions import require

router = Router(tags=["claims"])


def _when(value):
    return value.isoformat() if value is not None else None


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- shapes ---------------------------------------------------------------------------------


def claim_summary(claim: Claim) -> dict:
    return {
        "number": claim.number,
        "status": claim.status,
        "outcome": claim.outcome,
        "partner": claim.partner.code,
        "work_order": claim.work_order.number if claim.work_order_id else None,
        "serial_number": claim.serial_number,
        "repair_date": claim.repair_date.isoformat(),
        "fault_code": claim.fault_code,
        "currency": claim.currency,
        "claimed_amount": _money(claim.claimed_amount),
        "approved_amount": _money(claim.approved_amount),
        "risk_score": claim.risk.score,
        "risk_reasons": list(claim.risk.reasons or []),
        "statement": claim.statement.number if claim.statement_id else None,
        "submitted_at": _when(claim.submitted_at),
        "decided_at": _when(claim.decided_at),
    }


def chargeback_dict(chargeback: Chargeback) -> dict:
    return {
        "id": chargeback.pk,
        "claim": chargeback.claim.number,
        "amount": _money(chargeback.amount),
        "currency": chargeback.claim.currency,
        "reason": chargeback.reason,
        "created_at": _when(chargeback.created_at),
        "statement": chargeback.statement.number if chargeback.statement_id else None,
    }


def claim_detail(claim: Claim, *, with_history: bool) -> dict:
    out = claim_summary(claim)
    out.update(
        {
            "invoice_number": claim.invoice_number,
            "explanation": claim.explanation,
            "region": claim.region,
            "product_line": claim.product_line,
            "sold_on": _when(claim.sold_on),
            "coverage_ends_on": _when(claim.coverage_ends_on),
            "doa": claim.doa,
            "no_fault_found": claim.no_fault_found,
            "submitted_by": claim.submitted_by.username if claim.submitted_by_id else None,
            "decided_by": claim.decided_by.username if claim.decided_by_id else None,
            "lines": [
                {
                    "id": line.pk,
                    "kind": line.kind,
                    "description": line.description,
                    "labour_code": line.labour_code,
                    "minutes": line.minutes,
                    "standard_minutes": line.standard_minutes,
                    "part_number": line.part_number,
                    "quantity": line.quantity,
                    "unit_price": _money(line.unit_price),
                    "amount": _money(line.amount),
                    "defective_required": line.defective_required,
                    "defective_returned": line.defective_returned,
                    "approved_amount": _money(line.approved_amount),
                    "reason_code": line.reason_code,
                    "reason": line.reason,
                }
                for line in claim.lines.all()
            ],
            "findings": list(claim.findings or []),
            "attachments": [
                {
                    "id": a.pk,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "uploaded_at": _when(a.uploaded_at),
                }
                for a in claim.attachments.defer("content")
            ],
            "events": [
                {
                    "kind": e.kind,
                    "body": e.body,
                    "data": e.data,
                    "actor": e.actor_label,
                    "at": _when(e.at),
                }
                for e in claim.events.all()
            ],
            "chargebacks": [
                chargeback_dict(cb) for cb in claim.chargebacks.select_related("claim", "statement")
            ],
            "history": selectors.claim_history(claim) if with_history else None,
        }
    )
    return out


def _visible(user, number: str) -> Claim:
    claim = selectors.claim_get(user, number)
    if claim is None:
        raise NotFound(_("Claim %(number)s") % {"number": number})
    return claim


def _detail(user, number: str, status: int = 200):
    claim = _visible(user, number)
    return json_response(status, claim_detail(claim, with_history=not user.is_partner))


# --- claims ---------------------------------------------------------------------------------


@router.post("/claims", response={201: schemas.ClaimOut})
def claim_submit(request, payload: schemas.ClaimIn):
    user = require(request, "claims.submit")

    def create():
        claim = services.claim_submit(
            actor=user,
            lines=[line.model_dump() for line in payload.lines],
            work_order_number=payload.work_order_number,
            serial_number=payload.serial_number,
            repair_date=payload.repair_date,
            fault_code=payload.fault_code,
            invoice_number=payload.invoice_number,
            explanation=payload.explanation,
            attachments=[a.model_dump() for a in payload.attachments],
            partner_code=payload.partner_code,
        )
        claim = _visible(user, claim.number)
        return 201, claim_detail(claim, with_history=not user.is_partner)

    return idempotent(request, "claims", create)


class ClaimQuery(schemas.Schema):
    status: list[schemas.StatusField] | None = None
    partner: str | None = None
    min_risk: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/claims", response=schemas.ClaimPage)
def claim_list(request, query: Query[ClaimQuery]):
    user = require(request, "claims.read")
    _check_risk(query.min_risk)
    items, next_cursor = page_by_id_desc(
        selectors.claim_list(
            user, status=query.status, partner_code=query.partner, min_risk=query.min_risk
        ),
        cursor=query.cursor,
        limit=query.limit,
    )
    return json_response(200, {"items": [claim_summary(c) for c in items], "next": next_cursor})


def _check_risk(min_risk: int | None) -> None:
    if min_risk is not None and not 0 <= min_risk <= 100:
        raise Invalid("min_risk", _("min_risk is from 0 to 100."))


def _risk_cursor(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        risk, pk = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return int(risk), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("cursor", _("The cursor is not one this API gave out.")) from None


def _page_by_risk(queryset, *, cursor: str | None, limit: int):
    """Riskiest first, newest first within a risk: keyed on (risk, id), no OFFSET."""
    if limit < 1 or limit > MAX_PAGE_SIZE:
        raise Invalid("limit", _("limit must be between 1 and %(max)s.") % {"max": MAX_PAGE_SIZE})
    rows, last = selectors.riskiest_page(queryset, after=_risk_cursor(cursor), limit=limit)
    if last is None:
        return rows, None
    token = f"{last[0]}:{last[1]}".encode()
    return rows, base64.urlsafe_b64encode(token).decode().rstrip("=")


class QueueQuery(schemas.Schema):
    partner: str | None = None
    min_risk: int | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/claims/review-queue", response=schemas.ClaimPage)
def claim_review_queue(request, query: Query[QueueQuery]):
    """The claims waiting for a decision, riskiest first, with the reasons."""
    user = require(request, "claims.review")
    _check_risk(query.min_risk)
    items, next_cursor = _page_by_risk(
        selectors.review_queue(user, partner_code=query.partner, min_risk=query.min_risk),
        cursor=query.cursor,
        limit=query.limit,
    )
    return json_response(200, {"items": [claim_summary(c) for c in items], "next": next_cursor})


@router.post("/claims/bulk-approve", response=schemas.BulkApproveOut)
def claim_bulk_approve(request, payload: schemas.BulkApproveIn):
    user = require(request, "claims.review")
    return json_response(200, services.claims_bulk_approve(actor=user, numbers=payload.numbers))


@router.get("/claims/{number}", response=schemas.ClaimOut)
def claim_get(request, number: str):
    user = require(request, "claims.read")
    return _detail(user, number)


@router.post("/claims/{number}/reply", response=schemas.ClaimOut)
def claim_reply(request, number: str, payload: schemas.ReplyIn):
    user = require(request, "claims.reply")
    services.claim_reply(
        actor=user,
        number=number,
        message=payload.message,
        attachments=[a.model_dump() for a in payload.attachments],
    )
    return _detail(user, number)


@router.post("/claims/{number}/request-info", response=schemas.ClaimOut)
def claim_request_info(request, number: str, payload: schemas.RequestInfoIn):
    user = require(request, "claims.review")
    services.claim_request_info(actor=user, number=number, question=payload.question)
    return _detail(user, number)


@router.post("/claims/{number}/approve", response=schemas.ClaimOut)
def claim_approve(request, number: str, payload: schemas.ApproveIn):
    user = require(request, "claims.review")
    services.claim_approve(actor=user, number=number, note=payload.note)
    return _detail(user, number)


@router.post("/claims/{number}/decide-lines", response=schemas.ClaimOut)
def claim_decide_lines(request, number: str, payload: schemas.DecideLinesIn):
    user = require(request, "claims.review")
    services.claim_decide_lines(
        actor=user, number=number, lines=[line.model_dump() for line in payload.lines]
    )
    return _detail(user, number)


@router.post("/claims/{number}/reject", response=schemas.ClaimOut)
def claim_reject(request, number: str, payload: schemas.RejectIn):
    user = require(request, "claims.review")
    services.claim_reject(
        actor=user, number=number, reason=payload.reason, reason_code=payload.reason_code
    )
    return _detail(user, number)


@router.post("/claims/{number}/chargebacks", response={201: schemas.ChargebackOut})
def claim_chargeback(request, number: str, payload: schemas.ChargebackIn):
    user = require(request, "claims.statement")

    def create():
        chargeback = services.chargeback_create(
            actor=user, number=number, amount=payload.amount, reason=payload.reason
        )
        return 201, chargeback_dict(chargeback)

    return idempotent(request, f"claim_chargebacks:{number}", create)


# --- statements -----------------------------------------------------------------------------


def statement_summary(statement: Statement) -> dict:
    return {
        "number": statement.number,
        "partner": statement.partner.code,
        "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(),
        "currency": statement.currency,
        "approved_total": _money(statement.approved_total),
        "chargeback_total": _money(statement.chargeback_total),
        "net_total": _money(statement.net_total),
        "issued_at": _when(statement.issued_at),
    }


def statement_detail(statement: Statement) -> dict:
    out = statement_summary(statement)
    out.update(
        {
            "issued_by": statement.issued_by.username if statement.issued_by_id else None,
            "lines": [
                {
                    **row,
                    "repair_date": _when(row["repair_date"]),
                    "amount": _money(row["amount"]),
                }
                for row in selectors.statement_rows(statement)
            ],
            "pdf_url": f"/api/v1/claim-statements/{statement.number}.pdf",
            "csv_url": f"/api/v1/claim-statements/{statement.number}.csv",
        }
    )
    return out


def _statement(user, number: str) -> Statement:
    statement = selectors.statement_get(user, number)
    if statement is None:
        raise NotFound(_("Statement %(number)s") % {"number": number})
    return statement


@router.post("/claim-statements", response={201: schemas.StatementOut})
def statement_issue(request, payload: schemas.StatementIn):
    user = require(request, "claims.statement")

    def create():
        statement = services.statement_issue(
            actor=user,
            partner_code=payload.partner_code,
            period_start=payload.period_start,
            period_end=payload.period_end,
            currency=payload.currency,
        )
        return 201, statement_detail(_statement(user, statement.number))

    return idempotent(request, "claim_statements", create)


class StatementQuery(schemas.Schema):
    partner: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/claim-statements", response=schemas.StatementPage)
def statement_list(request, query: Query[StatementQuery]):
    user = require(request, "claims.read")
    rows = selectors.visible_statements(user).select_related("partner")
    if query.partner:
        rows = rows.filter(partner__code=query.partner)
    items, next_cursor = page_by_id_desc(rows, cursor=query.cursor, limit=query.limit)
    return json_response(200, {"items": [statement_summary(s) for s in items], "next": next_cursor})


@router.get("/claim-statements/{number}.pdf")
def statement_pdf(request, number: str):
    user = require(request, "claims.read")
    statement = _statement(user, number)
    from aftersales.claims import documents

    response = HttpResponse(documents.statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{statement.number}.pdf"'
    return response


@router.get("/claim-statements/{number}.csv")
def statement_csv(request, number: str):
    user = require(request, "claims.read")
    statement = _statement(user, number)
    from aftersales.claims import documents

    response = HttpResponse(
        documents.statement_csv(statement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.csv"'
    return response


@router.get("/claim-statements/{number}", response=schemas.StatementOut)
def statement_get(request, number: str):
    user = require(request, "claims.read")
    return json_response(200, statement_detail(_statement(user, number)))


# --- scorecards -----------------------------------------------------------------------------


@router.get("/partners/{code}/scorecard", response=schemas.ScorecardOut)
def partner_scorecard(request, code: str, months: int = 12):
    user = require(request, "claims.read")
    if user.is_partner and (user.partner is None or user.partner.code != code):
        raise NotFound(_("Partner %(code)s") % {"code": code})
    if not 1 <= months <= 120:
        raise Invalid("months", _("months is from 1 to 120."))
    return json_response(200, selectors.partner_scorecard(code, months=months))


# --- audits ---------------------------------------------------------------------------------


def audit_dict(sample: AuditSample) -> dict:
    claim = sample.claim
    return {
        "id": sample.pk,
        "claim": claim.number,
        "partner": claim.partner.code,
        "risk_score": claim.risk.score,
        "approved_amount": _money(claim.approved_amount),
        "currency": claim.currency,
        "period_start": sample.period_start.isoformat(),
        "period_end": sample.period_end.isoformat(),
        "reason": sample.reason,
        "outcome": sample.outcome,
        "notes": sample.notes,
        "drawn_at": _when(sample.drawn_at),
        "audited_at": _when(sample.audited_at),
        "audited_by": sample.audited_by.username if sample.audited_by_id else None,
    }


class AuditQuery(schemas.Schema):
    period_start: schemas.dt.date | None = None
    period_end: schemas.dt.date | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/claim-audits", response=schemas.AuditPage)
def audit_list(request, query: Query[AuditQuery]):
    require(request, "claims.audit")
    items, next_cursor = page_by_id_desc(
        selectors.audit_samples(period_start=query.period_start, period_end=query.period_end),
        cursor=query.cursor,
        limit=query.limit,
    )
    return json_response(200, {"items": [audit_dict(a) for a in items], "next": next_cursor})


@router.post("/claim-audits", response={201: schemas.AuditDrawOut})
def audit_draw(request, payload: schemas.AuditDrawIn):
    user = require(request, "claims.audit")

    def create():
        samples = services.audit_sample_draw(
            actor=user,
            period_start=payload.period_start,
            period_end=payload.period_end,
            size=payload.size,
            seed=payload.seed,
        )
        ids = [s.pk for s in samples]
        rows = {a.pk: a for a in selectors.audit_samples().filter(pk__in=ids)}
        return 201, {"items": [audit_dict(rows[pk]) for pk in ids]}

    return idempotent(request, "claim_audits", create)


@router.post("/claim-audits/{audit_id}", response=schemas.AuditOut)
def audit_record(request, audit_id: int, payload: schemas.AuditRecordIn):
    user = require(request, "claims.audit")
    sample = services.audit_record(
        actor=user,
        audit_id=audit_id,
        outcome=payload.outcome,
        notes=payload.notes,
        chargeback_amount=payload.chargeback_amount,
    )
    return json_response(200, audit_dict(selectors.audit_samples().get(pk=sample.pk)))


# --- labour standards -----------------------------------------------------------------------


def standard_dict(standard: LabourStandard) -> dict:
    return {
        "id": standard.pk,
        "product_line": standard.product_line,
        "labour_code": standard.labour_code,
        "minutes": standard.minutes,
        "description": standard.description,
    }


class StandardQuery(schemas.Schema):
    product_line: str | None = None
    cursor: str | None = None
    limit: int = MAX_PAGE_SIZE


@router.get("/labour-standards", response=schemas.LabourStandardPage)
def labour_standard_list(request, query: Query[StandardQuery]):
    require(request, "claims.read")
    items, next_cursor = page_by_id_desc(
        selectors.labour_standards(product_line=query.product_line),
        cursor=query.cursor,
        limit=query.limit,
    )
    return json_response(200, {"items": [standard_dict(s) for s in items], "next": next_cursor})


@router.post("/labour-standards", response=schemas.LabourStandardOut)
def labour_standard_set(request, payload: schemas.LabourStandardIn):
    user = require(request, "claims.configure")
    standard = services.labour_standard_set(actor=user, **payload.model_dump())
    return json_response(200, standard_dict(standard))
