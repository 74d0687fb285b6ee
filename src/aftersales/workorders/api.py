"""Service vouchers over HTTP: open, plan, dispatch, work, check, quote, invoice and archive a
work order, follow the customer's product, and a technician's monthly service record.

Who may see a work order is decided by `selectors.visible_work_orders`: a partner's token
sees its organisation's jobs, a technician's the jobs assigned to them. Anything else answers
404 exactly like a number that does not exist."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router
from ninja.files import UploadedFile

from aftersales.accounts.models import User
from aftersales.accounts.rules import DISPATCHERS, Role
from aftersales.billing import selectors as billing_selectors
from aftersales.billing import services as billing
from aftersales.cases import selectors as case_selectors
from aftersales.core import clock
from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import Invalid, NotFound
from aftersales.core.permissions import require
from aftersales.workorders import rules, schemas, selectors, services
from aftersales.workorders.models import WorkOrder
from aftersales.workorders.rules import CustodyKind, Status

router = Router(tags=["work orders"])

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


# --- shaping --------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return str(rules.money(value if value is not None else Decimal("0")))


def _name(user) -> str | None:
    return user.username if user is not None else None


def _when(value):
    return value.isoformat() if value is not None else None


def _lines(lines: list[dict]) -> list[dict]:
    return [
        {
            "kind": line["kind"],
            "reference": line["reference"],
            "quantity": str(line["quantity"]),
            "unit_price": _money(Decimal(str(line["unit_price"]))),
            "amount": _money(Decimal(str(line["amount"]))),
        }
        for line in lines
    ]


def work_order_summary(wo: WorkOrder) -> dict:
    return {
        "number": wo.number,
        "case": wo.case.number,
        "kind": wo.kind,
        "status": wo.status,
        "status_label": str(rules.STATUS_LABELS[Status(wo.status)]),
        "category": wo.category,
        "category_reason": wo.category_reason,
        "category_overridden": wo.category_overridden,
        "customer": wo.case.customer.name,
        "unit_serial": wo.unit.serial_number if wo.unit_id else None,
        "centre": wo.centre.code if wo.centre_id else None,
        "partner": wo.partner.code if wo.partner_id else None,
        "technician": wo.technician.username if wo.technician_id else None,
        "window_start": _when(wo.window_start),
        "window_end": _when(wo.window_end),
        "repeat_of": rules.work_order_number(wo.repeat_of_id) if wo.repeat_of_id else None,
        "created_at": _when(wo.created_at),
        "updated_at": _when(wo.updated_at),
        "started_at": _when(wo.started_at),
        "completed_at": _when(wo.completed_at),
        "verified_at": _when(wo.verified_at),
        "closed_at": _when(wo.closed_at),
    }


def visit_dict(visit) -> dict:
    return {
        "id": visit.pk,
        "technician": _name(visit.technician),
        "travel_started_at": _when(visit.travel_started_at),
        "arrived_at": _when(visit.arrived_at),
        "departed_at": _when(visit.departed_at),
        "distance_km": (
            str(Decimal(visit.distance_km).quantize(Decimal("0.1")))
            if visit.distance_km is not None
            else None
        ),
        "fault_code": visit.fault_code,
        "cause": visit.cause,
        "action_taken": visit.action_taken,
        "result": visit.result,
        "notes": visit.notes,
        "recorded_at": _when(visit.recorded_at),
        "recorded_by": _name(visit.recorded_by),
    }


def labour_dict(line) -> dict:
    return {
        "id": line.pk,
        "technician": _name(line.technician),
        "labour_code": line.labour_code,
        "minutes": line.minutes,
        "description": line.description,
        "planned": line.planned,
        "performed_on": line.performed_on.isoformat(),
        "recorded_at": _when(line.recorded_at),
    }


def part_dict(line) -> dict:
    return {
        "id": line.pk,
        "part_number": line.part_number,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price),
        "location": line.location.code if line.location_id else None,
        "planned": line.planned,
        "recorded_at": _when(line.recorded_at),
    }


def quote_dict(quote) -> dict:
    return {
        "id": quote.pk,
        "status": quote.status,
        "currency": quote.currency,
        "lines": _lines(quote.lines),
        "subtotal": _money(quote.subtotal),
        "tax": _money(quote.tax),
        "total": _money(quote.total),
        "issued_at": _when(quote.issued_at),
        "issued_by": _name(quote.issued_by),
        "answered_at": _when(quote.answered_at),
        "answered_via": quote.answered_via,
        "answered_by": quote.answered_by_label,
    }


def custody_dict(event) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "label": str(rules.CUSTODY_LABELS[CustodyKind(event.kind)]),
        "place": event.place,
        "centre": event.centre.code if event.centre_id else None,
        "signed_by": event.signed_by,
        "note": event.note,
        "at": _when(event.at),
        "actor": _name(event.actor),
        "receipt": event.receipt.number if event.receipt_id else None,
    }


def receipt_dict(receipt) -> dict:
    return {
        "number": receipt.number,
        "accessories": receipt.accessories,
        "condition": receipt.condition,
        "issued_at": _when(receipt.issued_at),
        "issued_by": _name(receipt.issued_by),
        "voided_at": _when(receipt.voided_at),
    }


def attachment_dict(wo: WorkOrder, row) -> dict:
    return {
        "id": row.pk,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "visit_id": row.visit_id,
        "uploaded_at": _when(row.uploaded_at),
        "uploaded_by": _name(row.uploaded_by),
        "url": f"/api/v1/work-orders/{wo.number}/attachments/{row.pk}",
    }


def invoice_summary(invoice) -> dict:
    due = selectors.amount_due(invoice)
    return {
        "number": invoice.number,
        "currency": invoice.currency,
        "total": _money(invoice.total),
        "paid": _money(invoice.total - due),
        "amount_due": _money(due),
        "issued_at": _when(invoice.issued_at),
    }


def payment_dict(payment, invoice, due: Decimal) -> dict:
    return {
        "id": payment.pk,
        "invoice": invoice.number,
        "amount": _money(payment.amount),
        "currency": invoice.currency,
        "method": payment.method,
        "reference": payment.reference,
        "received_at": _when(payment.received_at),
        "amount_due": _money(due),
    }


def invoice_dict(invoice) -> dict:
    wo = invoice.work_order
    payments = list(invoice.payments.order_by("received_at", "id"))
    out = invoice_summary(invoice)
    paid_so_far = Decimal("0")
    rows = []
    for payment in payments:
        paid_so_far += payment.amount
        rows.append(payment_dict(payment, invoice, invoice.total - paid_so_far))
    out.update(
        {
            "work_order": wo.number,
            "case": wo.case.number,
            "customer": invoice.customer.name,
            "lines": _lines(invoice.lines),
            "subtotal": _money(invoice.subtotal),
            "tax_rate": str(invoice.tax_rate),
            "tax": _money(invoice.tax),
            "payments": rows,
        }
    )
    return out


def costing_dict(costing: rules.Costing) -> dict:
    return {
        "currency": costing.currency,
        "lines": _lines(selectors.lines_json(costing)),
        "subtotal": _money(costing.subtotal),
        "tax_rate": str(costing.tax_rate),
        "tax": _money(costing.tax),
        "total": _money(costing.total),
    }


def allowed_statuses(wo: WorkOrder) -> list[str]:
    following = rules.TRANSITIONS[Status(wo.status)]
    return [s.value for s in Status if s in following]


def work_order_detail(wo: WorkOrder) -> dict:
    out = work_order_summary(wo)
    invoice = selectors.invoice_of(wo)
    out.update(
        {
            "instructions": wo.instructions,
            "fault_code": wo.fault_code,
            "same_fault_repairs": wo.same_fault_repairs,
            "cause": wo.cause,
            "action_taken": wo.action_taken,
            "result": wo.result,
            "tests_performed": wo.tests_performed,
            "notes": wo.notes,
            "accepted_by": wo.accepted_by,
            "accepted_at": _when(wo.accepted_at),
            "acceptance_signed": bool(wo.acceptance_signature),
            "acceptance_typed": wo.acceptance_typed,
            "verified_by": _name(wo.verified_by) if wo.verified_by_id else None,
            "visits": [
                visit_dict(v) for v in wo.visits.select_related("technician", "recorded_by")
            ],
            "labour": [labour_dict(line) for line in wo.labour.select_related("technician")],
            "parts": [part_dict(line) for line in wo.parts.select_related("location")],
            "quality_checks": [
                {
                    "id": c.pk,
                    "passed": c.passed,
                    "notes": c.notes,
                    "checked_by": _name(c.checked_by),
                    "checked_at": _when(c.checked_at),
                }
                for c in wo.checks.select_related("checked_by")
            ],
            "quotes": [quote_dict(q) for q in wo.quotes.select_related("issued_by")],
            "custody": [custody_dict(e) for e in selectors.custody_chain(wo)],
            "receipts": [receipt_dict(r) for r in wo.receipts.select_related("issued_by")],
            "attachments": [
                attachment_dict(wo, a)
                for a in wo.attachments.defer("content").select_related("uploaded_by")
            ],
            "invoice": invoice_summary(invoice) if invoice is not None else None,
            "costing": costing_dict(selectors.costing(wo)),
            "allowed_statuses": allowed_statuses(wo),
            "conflicts": [
                {
                    "number": other.number,
                    "status": other.status,
                    "window_start": _when(other.window_start),
                    "window_end": _when(other.window_end),
                }
                for other in selectors.technician_conflicts(wo)
            ],
        }
    )
    return out


def _visible(user, number: str) -> WorkOrder:
    wo = selectors.work_order_get(user, number)
    if wo is None:
        raise NotFound(_("Work order %(number)s") % {"number": number})
    return wo


def _after(user, wo: WorkOrder) -> dict:
    """The work order as it stands after a write. Read again for its relations; the actor just
    changed it, so a job that left their view (e.g. unassigned) is still shown this once."""
    fresh = selectors.work_order_get(user, wo.number)
    return work_order_detail(fresh or wo)


def _detail_response(user, wo: WorkOrder, status: int = 200):
    return json_response(status, _after(user, wo))


# --- creating, listing, reading -----------------------------------------------------------


@router.post("/cases/{number}/work-orders", response={201: schemas.WorkOrderDetailOut})
def work_order_create(request, number: str, payload: schemas.WorkOrderIn):
    user = require(request, "workorders.create")

    def create():
        wo = services.work_order_create(actor=user, case_number=number, **payload.model_dump())
        return 201, _after(user, wo)

    return idempotent(request, "workorders", create)


class WorkOrderQuery(schemas.Schema):
    status: list[schemas.StatusField] | None = None
    technician: str | None = None
    partner: str | None = None
    centre: str | None = None
    date: dt.date | None = None
    case: str | None = None
    unassigned: bool = False
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/work-orders", response=schemas.WorkOrderPage)
def work_order_list(request, query: Query[WorkOrderQuery]):
    user = require(request, "workorders.read")
    filters = selectors.WorkOrderFilters(
        status=query.status,
        technician=query.technician,
        partner=query.partner,
        centre=query.centre,
        day=query.date,
        case=query.case,
        unassigned=query.unassigned,
    )
    items, next_cursor = page_by_id_desc(
        selectors.work_order_list(user, filters), cursor=query.cursor, limit=query.limit
    )
    return json_response(
        200, {"items": [work_order_summary(wo) for wo in items], "next": next_cursor}
    )


@router.get("/work-orders/{number}", response=schemas.WorkOrderDetailOut)
def work_order_get(request, number: str):
    user = require(request, "workorders.read")
    return json_response(200, work_order_detail(_visible(user, number)))


# --- planning ------------------------------------------------------------------------------


@router.post("/work-orders/{number}/assign", response=schemas.WorkOrderDetailOut)
def work_order_assign(request, number: str, payload: schemas.AssignIn):
    user = require(request, "workorders.dispatch")
    wo = services.work_order_assign(
        actor=user,
        number=number,
        technician_username=payload.technician,
        partner_code=payload.partner_code,
    )
    return _detail_response(user, wo)


@router.post("/work-orders/{number}/schedule", response=schemas.WorkOrderDetailOut)
def work_order_schedule(request, number: str, payload: schemas.ScheduleIn):
    user = require(request, "workorders.dispatch")
    wo = services.work_order_schedule(
        actor=user,
        number=number,
        window_start=payload.window_start,
        window_end=payload.window_end,
    )
    return _detail_response(user, wo)


@router.post("/work-orders/{number}/category", response=schemas.WorkOrderDetailOut)
def work_order_category(request, number: str, payload: schemas.CategoryIn):
    user = require(request, "workorders.dispatch")
    wo = services.work_order_set_category(
        actor=user, number=number, category=payload.category, reason=payload.reason
    )
    return _detail_response(user, wo)


@router.post("/work-orders/{number}/cancel", response=schemas.WorkOrderDetailOut)
def work_order_cancel(request, number: str, payload: schemas.CancelIn):
    user = require(request, "workorders.close")
    wo = services.work_order_cancel(actor=user, number=number, reason=payload.reason)
    return _detail_response(user, wo)


# --- doing the work --------------------------------------------------------------------------


@router.post("/work-orders/{number}/start", response=schemas.WorkOrderDetailOut)
def work_order_start(request, number: str):
    user = require(request, "workorders.work")
    return _detail_response(user, services.work_order_start(actor=user, number=number))


@router.post("/work-orders/{number}/resume", response=schemas.WorkOrderDetailOut)
def work_order_resume(request, number: str, payload: schemas.ReasonIn | None = None):
    user = require(request, "workorders.work")
    reason = payload.reason if payload is not None else ""
    return _detail_response(
        user, services.work_order_resume(actor=user, number=number, reason=reason)
    )


@router.post("/work-orders/{number}/visit", response={201: schemas.VisitOut})
def work_order_visit(request, number: str, payload: schemas.VisitIn):
    user = require(request, "workorders.work")
    data = payload.model_dump()
    data["result"] = data["result"] or ""
    visit = services.work_order_record_visit(
        actor=user, number=number, visit=services.VisitInput(**data)
    )
    return json_response(201, visit_dict(visit))


def _signature(acceptance: schemas.AcceptanceIn) -> bytes | None:
    encoded = (acceptance.signature_png_base64 or "").strip()
    if not encoded:
        return None
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(
            "acceptance.signature_png_base64", _("The signature is not valid base64.")
        ) from None


@router.post("/work-orders/{number}/complete", response=schemas.WorkOrderDetailOut)
def work_order_complete(request, number: str, payload: schemas.CompleteIn):
    user = require(request, "workorders.work")
    acceptance = None
    if payload.acceptance is not None:
        acceptance = services.Acceptance(
            name=payload.acceptance.name,
            signature_png=_signature(payload.acceptance),
            typed=payload.acceptance.typed,
        )
    wo = services.work_order_complete(
        actor=user,
        number=number,
        result=payload.result,
        acceptance=acceptance,
        tests_performed=payload.tests_performed,
        notes=payload.notes,
    )
    return _detail_response(user, wo)


@router.post("/work-orders/{number}/verify", response=schemas.WorkOrderDetailOut)
def work_order_verify(request, number: str, payload: schemas.VerifyIn):
    user = require(request, "workorders.verify")
    wo = services.work_order_verify(
        actor=user, number=number, passed=payload.passed, notes=payload.notes
    )
    return _detail_response(user, wo)


@router.post("/work-orders/{number}/close", response=schemas.WorkOrderDetailOut)
def work_order_close(request, number: str):
    user = require(request, "workorders.close")
    return _detail_response(user, services.work_order_close(actor=user, number=number))


@router.post("/work-orders/{number}/labour", response={201: schemas.LabourOut})
def work_order_labour(request, number: str, payload: schemas.LabourIn):
    user = require(request, "workorders.work")

    def create():
        line = services.work_order_add_labour(
            actor=user,
            number=number,
            minutes=payload.minutes,
            labour_code=payload.labour_code,
            description=payload.description,
            technician_username=payload.technician,
            performed_on=payload.performed_on,
            planned=payload.planned,
        )
        return 201, labour_dict(line)

    return idempotent(request, "workorders.labour", create)


@router.post("/work-orders/{number}/parts", response={201: schemas.PartOut})
def work_order_parts(request, number: str, payload: schemas.PartIn):
    user = require(request, "workorders.work")

    def create():
        line = services.work_order_add_part(actor=user, number=number, **payload.model_dump())
        return 201, part_dict(line)

    return idempotent(request, "workorders.parts", create)


@router.post("/work-orders/{number}/attachments", response={201: schemas.AttachmentOut})
def work_order_attach(
    request, number: str, file: File[UploadedFile], visit_id: Form[int | None] = None
):
    user = require(request, "workorders.work")
    row = services.work_order_attach(
        actor=user,
        number=number,
        filename=file.name or "file",
        content_type=file.content_type or "application/octet-stream",
        content=file.read(),
        visit_id=visit_id,
    )
    return json_response(201, attachment_dict(row.work_order, row))


@router.get("/work-orders/{number}/attachments/{int:attachment_id}")
def work_order_attachment(request, number: str, attachment_id: int):
    user = require(request, "workorders.read")
    wo = _visible(user, number)
    row = wo.attachments.filter(pk=attachment_id).first()
    if row is None:
        raise NotFound(_("Attachment %(id)s") % {"id": attachment_id})
    content_type = row.content_type if row.content_type in INLINE_TYPES else None
    response = HttpResponse(
        bytes(row.content), content_type=content_type or "application/octet-stream"
    )
    disposition = "inline" if content_type else "attachment"
    safe_name = row.filename.replace('"', "").replace("\r", "").replace("\n", "")
    response["Content-Disposition"] = f'{disposition}; filename="{safe_name}"'
    # A file someone uploaded is never run as a page of this site.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- custody ----------------------------------------------------------------------------------


@router.post("/work-orders/{number}/custody", response={201: schemas.CustodyRecordedOut})
def work_order_custody(request, number: str, payload: schemas.CustodyIn):
    user = require(request, "workorders.custody")

    def create():
        event = services.custody_record(
            actor=user, number=number, event=services.CustodyInput(**payload.model_dump())
        )
        return 201, {
            "event": custody_dict(event),
            "receipt_number": event.receipt.number if event.receipt_id else None,
        }

    return idempotent(request, "workorders.custody", create)


def _whereabouts_dict(where: selectors.Whereabouts) -> dict:
    return {
        "serial_number": where.serial_number,
        "in_our_hands": where.in_our_hands,
        "kind": where.kind,
        "label": where.label,
        "place": where.place,
        "centre": where.centre,
        "since": _when(where.since),
        "work_order": where.work_order,
        "receipt": where.receipt,
        "ready_for_pickup": where.ready_for_pickup,
    }


@router.get("/units/{serial_number}/location", response=schemas.WhereaboutsOut)
def unit_location(request, serial_number: str):
    """Where a customer's product is and since when. Brand staff may ask about any unit; a
    partner only about units on its organisation's cases or work orders (else 404), and it
    is not told which other organisation's job holds the product."""
    user = require(request, "workorders.read")
    found = selectors.whereabouts_by_serial(serial_number)
    if found is not None and user.is_partner:
        unit_id = found[0]
        ours = (
            case_selectors.visible_cases(user).filter(unit_id=unit_id).exists()
            or selectors.visible_work_orders(user).filter(unit_id=unit_id).exists()
        )
        if not ours:
            found = None
    if found is None:
        raise NotFound(_("Unit %(serial)s") % {"serial": serial_number})
    out = _whereabouts_dict(found[1])
    hidden = user.is_partner and out["work_order"]
    if hidden and selectors.work_order_get(user, out["work_order"]) is None:
        out["work_order"] = out["receipt"] = None
    return json_response(200, out)


# --- paid work --------------------------------------------------------------------------------


@router.post("/work-orders/{number}/quote", response={201: schemas.QuoteIssuedOut})
def work_order_quote(request, number: str):
    user = require(request, "workorders.quote")
    quote, secret = services.quote_issue(actor=user, number=number)
    out = quote_dict(quote)
    out["approval_link"] = request.build_absolute_uri(f"/quotes/{secret}/")
    return json_response(201, out)


@router.post("/work-orders/{number}/approve", response=schemas.QuoteOut)
def work_order_approve(request, number: str, payload: schemas.ApproveIn):
    """The customer's answer to the pending quote, recorded by an agent (e.g. on the phone)."""
    user = require(request, "workorders.approve")
    quote = services.quote_answer(
        accept=payload.accept, actor=user, number=number, answered_by=payload.answered_by
    )
    return json_response(200, quote_dict(quote))


@router.post("/work-orders/{number}/invoice", response={201: schemas.InvoiceOut})
def work_order_invoice(request, number: str):
    user = require(request, "billing.invoice")
    invoice = billing.invoice_issue(actor=user, number=number)
    return json_response(201, invoice_dict(invoice))


@router.post("/work-orders/{number}/payment", response={201: schemas.PaymentOut})
def work_order_payment(request, number: str, payload: schemas.PaymentIn):
    user = require(request, "billing.payment")

    def create():
        payment = billing.payment_record(
            actor=user,
            number=number,
            amount=payload.amount,
            method=payload.method,
            reference=payload.reference,
        )
        invoice = payment.invoice
        return 201, payment_dict(payment, invoice, selectors.amount_due(invoice))

    return idempotent(request, "workorders.payment", create)


@router.get("/invoices/{number}", response=schemas.InvoiceOut)
def invoice_get(request, number: str):
    user = require(request, "workorders.read")
    invoice = billing_selectors.invoice_get(user, number)
    if invoice is None:
        raise NotFound(_("Invoice %(number)s") % {"number": number})
    return json_response(200, invoice_dict(invoice))


# --- the monthly service record ----------------------------------------------------------------


class RecordQuery(schemas.Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)


@router.get("/technicians/{username}/service-record", response=schemas.ServiceRecordOut)
def service_record(request, username: str, query: Query[RecordQuery]):
    """A technician's jobs, visits and labour time in a month (this month by default).
    Technicians read their own; dispatchers anyone's; another technician's answers 404."""
    user = require(request, "workorders.report")
    technician = None
    if user.role in DISPATCHERS or user.username == username:
        technician = User.objects.filter(username=username, role=Role.TECHNICIAN).first()
    if technician is None:
        raise NotFound(_("Technician %(name)s") % {"name": username})
    today = clock.today()
    year, month = query.year or today.year, query.month or today.month
    record = selectors.monthly_service_record(technician, year, month)
    return json_response(
        200,
        {
            "technician": technician.username,
            "name": technician.get_full_name() or technician.username,
            "year": year,
            "month": month,
            "rows": [
                {
                    "work_order": r.work_order,
                    "case": r.case,
                    "kind": r.kind,
                    "category": r.category,
                    "customer": r.customer,
                    "serial": r.serial,
                    "result": r.result,
                    "visits": r.visits,
                    "labour_minutes": r.labour_minutes,
                    "completed_at": _when(r.completed_at),
                }
                for r in record.rows
            ],
            "totals": {
                "jobs": record.jobs,
                "visits": record.visits,
                "labour_minutes": record.total_minutes,
            },
        },
    )
