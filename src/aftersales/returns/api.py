"""Returns over HTTP: the remedy verdict for a unit (what-if facts override its history), a
recorded remedy decision for a case, and the RMA lifecycle.

Who may see an RMA is decided by `selectors.visible_rmas`: a partner's token sees its own
organisation's returns; anything else answers 404 exactly like a number that does not exist."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import Invalid, NotFound
from aftersales.core.permissions import require
from aftersales.returns import documents, rules, schemas, selectors, services
from aftersales.returns.lifecycle import STATUS_LABELS, RmaStatus
from aftersales.returns.models import Rma, RmaLine

router = Router(tags=["returns"])


def _when(value):
    return value.isoformat() if value is not None else None


def _fault(payload: schemas.FaultIn | None) -> rules.Fault:
    if payload is None:
        return rules.Fault(performance_failure=True)
    return rules.Fault(
        performance_failure=payload.performance_failure,
        misuse=payload.misuse,
        unauthorised_repair=payload.unauthorised_repair,
        proof_of_purchase=payload.proof_of_purchase,
    )


# --- remedies -------------------------------------------------------------------------------


@router.post("/remedies/evaluate", response=schemas.EvaluateOut)
def remedy_evaluate(request, payload: schemas.EvaluateIn):
    require(request, "returns.read")
    unit = selectors.unit_by_serial(payload.serial_number)
    if unit is None or not _may_see_unit(request.auth, unit):
        raise NotFound(_("Unit %(serial)s") % {"serial": payload.serial_number})
    what_if = selectors.WhatIf(
        prior_failed_repairs=payload.prior_failed_repairs,
        days_in_repair=payload.days_in_repair,
        days_unrepaired_for_parts=payload.days_unrepaired_for_parts,
        longest_repair_days_repairer_fault=payload.longest_repair_days_repairer_fault,
        jurisdiction=payload.jurisdiction,
    )
    try:
        verdict, facts = selectors.unit_verdict(
            unit,
            reported_on=payload.reported_on,
            fault=_fault(payload.fault),
            fault_code=payload.fault.code,
            what_if=what_if,
        )
    except rules.RemedyInputError as exc:
        raise Invalid("reported_on", str(exc), code="impossible_facts") from None
    body = selectors.verdict_dict(verdict)
    body.update(
        {
            "serial_number": unit.serial_number,
            "reported_on": payload.reported_on.isoformat(),
            "facts": selectors.facts_dict(facts),
        }
    )
    return json_response(200, body)


def _may_see_unit(user, unit) -> bool:
    """Units are readable by every role (units.read); kept as one place to narrow it."""
    return user is not None


def decision_dict(decision) -> dict:
    return {
        "id": decision.pk,
        "case": decision.case.number if decision.case_id else "",
        "serial_number": decision.unit.serial_number,
        "recommended": decision.recommended,
        "chosen": decision.chosen,
        "overridden": decision.overridden,
        "reason": decision.reason,
        "decided_by": decision.decided_by.username,
        "decided_at": _when(decision.decided_at),
    }


@router.post("/cases/{number}/remedy-decisions", response={201: schemas.DecisionOut})
def remedy_decide(request, number: str, payload: schemas.DecisionIn):
    user = require(request, "returns.write")

    def create():
        decision = services.remedy_decide(
            actor=user,
            case_number=number,
            chosen=payload.chosen,
            reason=payload.reason,
            reported_on=payload.reported_on,
            fault=_fault(payload.fault) if payload.fault else None,
        )
        return 201, decision_dict(decision)

    return idempotent(request, "remedy_decisions", create)


# --- RMAs -----------------------------------------------------------------------------------


def rma_summary(rma: Rma) -> dict:
    return {
        "number": rma.number,
        "status": rma.status,
        "status_label": str(STATUS_LABELS[RmaStatus(rma.status)]),
        "customer": rma.customer.name,
        "partner": rma.partner.code if rma.partner_id else None,
        "case": rma.case.number,
        "doa": rma.doa,
        "dealer": rma.dealer,
        "flagged_for_claims": rma.flagged_for_claims,
        "created_at": _when(rma.created_at),
        "updated_at": _when(rma.updated_at),
    }


def line_dict(line: RmaLine) -> dict:
    return {
        "id": line.pk,
        "serial_number": line.unit.serial_number if line.unit_id else None,
        "part_number": line.part.number if line.part_id else None,
        "quantity": line.quantity,
        "reason": line.reason,
        "remedy_requested": line.remedy_requested,
        "remedy_decided": line.remedy_decided,
        "verdict": line.verdict,
        "received_quantity": line.received_quantity,
        "condition": line.condition,
        "inspection_result": line.inspection_result,
        "disposition": line.disposition,
        "work_order": line.work_order.number if line.work_order_id else None,
        "replacement_serial": (
            line.replacement_unit.serial_number if line.replacement_unit_id else None
        ),
        "refund_amount": str(line.refund_amount) if line.refund_amount is not None else None,
        "refund_currency": line.refund_currency,
        "credit_note": (
            services.credit_note_number(line) if line.refund_amount is not None else None
        ),
        "resolved_at": _when(line.resolved_at),
    }


def rma_detail(rma: Rma) -> dict:
    out = rma_summary(rma)
    lines = rma.lines.select_related("unit", "part", "work_order", "replacement_unit")
    out.update(
        {
            "reason": rma.reason,
            "advance_replacement": rma.advance_replacement,
            "return_due_on": _when(rma.return_due_on),
            "advance_charge": str(rma.advance_charge) if rma.advance_charge is not None else None,
            "advance_invoice": rma.advance_invoice.number if rma.advance_invoice_id else None,
            "freight_payer": rma.freight_payer,
            "rejection_reason": rma.rejection_reason,
            "authorised_at": _when(rma.authorised_at),
            "received_at": _when(rma.received_at),
            "inspected_at": _when(rma.inspected_at),
            "resolved_at": _when(rma.resolved_at),
            "lines": [line_dict(line) for line in lines],
            "shipments": [
                {
                    "id": s.pk,
                    "direction": s.direction,
                    "carrier": s.carrier,
                    "tracking_number": s.tracking_number,
                    "freight_payer": s.freight_payer,
                    "line_id": s.line_id,
                    "shipped_at": _when(s.shipped_at),
                }
                for s in rma.shipments.all()
            ],
            "evidence": [
                {"id": e.pk, "filename": e.filename, "content_type": e.content_type, "size": e.size}
                for e in rma.evidence.defer("content")
            ],
            "label_url": f"/api/v1/rmas/{rma.number}/label.pdf",
        }
    )
    return out


def _visible(user, number: str) -> Rma:
    rma = selectors.rma_get(user, number)
    if rma is None:
        raise NotFound(_("Return %(number)s") % {"number": number})
    return rma


def _after(user, rma: Rma, status: int = 200):
    return json_response(status, rma_detail(_visible(user, rma.number)))


@router.post("/rmas", response={201: schemas.RmaOut})
def rma_create(request, payload: schemas.RmaIn):
    user = require(request, "returns.write")

    def create():
        rma = services.rma_create(
            actor=user,
            lines=[line.model_dump() for line in payload.lines],
            customer_id=payload.customer_id,
            case_number=payload.case_number,
            reason=payload.reason,
            doa=payload.doa,
            dealer=payload.dealer,
            fault=_fault(payload.fault) if payload.fault else None,
            reported_on=payload.reported_on,
            evidence=[e.model_dump() for e in payload.evidence],
            channel="partner" if user.is_partner else "api",
        )
        return 201, rma_detail(_visible(user, rma.number))

    return idempotent(request, "rmas", create)


class RmaQuery(schemas.Schema):
    status: list[schemas.StatusField] | None = None
    customer: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/rmas", response=schemas.RmaPage)
def rma_list(request, query: Query[RmaQuery]):
    user = require(request, "returns.read")
    items, next_cursor = page_by_id_desc(
        selectors.rma_list(user, status=query.status, customer=query.customer),
        cursor=query.cursor,
        limit=query.limit,
    )
    return json_response(200, {"items": [rma_summary(r) for r in items], "next": next_cursor})


@router.get("/rmas/{number}", response=schemas.RmaOut)
def rma_get(request, number: str):
    user = require(request, "returns.read")
    return json_response(200, rma_detail(_visible(user, number)))


@router.get("/rmas/{number}/label.pdf")
def rma_label(request, number: str):
    user = require(request, "returns.read")
    rma = _visible(user, number)
    return _pdf(documents.return_label_pdf(rma), f"{rma.number}-label.pdf")


@router.get("/rmas/{number}/lines/{line_id}/credit-note.pdf")
def rma_credit_note(request, number: str, line_id: int):
    user = require(request, "returns.read")
    rma = _visible(user, number)
    line = rma.lines.filter(pk=line_id, credit_note__isnull=False).first()
    if line is None:
        raise NotFound(_("Credit note"))
    return _pdf(documents.credit_note_pdf(line), f"{services.credit_note_number(line)}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.post("/rmas/{number}/authorise", response=schemas.RmaOut)
def rma_authorise(request, number: str, payload: schemas.AuthoriseIn):
    user = require(request, "returns.authorise")
    rma = services.rma_authorise(actor=user, number=number, **payload.model_dump())
    return _after(user, rma)


@router.post("/rmas/{number}/shipments", response={201: schemas.RmaOut})
def rma_ship(request, number: str, payload: schemas.ShipmentIn):
    user = require(
        request, "returns.receive" if payload.direction == "inbound" else "returns.resolve"
    )

    def create():
        services.rma_ship(
            actor=user,
            number=number,
            direction=payload.direction,
            carrier=payload.carrier,
            tracking_number=payload.tracking_number,
            freight_payer_=payload.freight_payer,
            line_id=payload.line_id,
        )
        return 201, rma_detail(_visible(user, number))

    return idempotent(request, "rma_shipments", create)


@router.post("/rmas/{number}/receive", response=schemas.RmaOut)
def rma_receive(request, number: str, payload: schemas.ReceiveIn):
    user = require(request, "returns.receive")
    rma = services.rma_receive(
        actor=user,
        number=number,
        lines=[line.model_dump() for line in payload.lines],
        location_code=payload.location_code,
    )
    return _after(user, rma)


@router.post("/rmas/{number}/inspect", response=schemas.RmaOut)
def rma_inspect(request, number: str, payload: schemas.InspectIn):
    user = require(request, "returns.inspect")
    rma = services.rma_inspect(
        actor=user,
        number=number,
        lines=[line.model_dump() for line in payload.lines],
        photos=[photo.model_dump() for photo in payload.photos],
    )
    return _after(user, rma)


@router.post("/rmas/{number}/resolve", response=schemas.RmaOut)
def rma_resolve(request, number: str, payload: schemas.ResolveIn):
    user = require(request, "returns.resolve")
    data = payload.model_dump()
    data["remedy_decided"] = data["remedy_decided"] or ""
    services.rma_resolve(actor=user, number=number, **data)
    return json_response(200, rma_detail(_visible(user, number)))


@router.post("/rmas/{number}/close", response=schemas.RmaOut)
def rma_close(request, number: str):
    user = require(request, "returns.resolve")
    rma = services.rma_close(actor=user, number=number)
    return _after(user, rma)
