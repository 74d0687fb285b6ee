"""Every write on a work order. Each function is one transaction that locks the work order,
checks the rules, records what happened on the case's timeline, and queues any message to
the customer through the outbox."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.accounts import rules as access
from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.cases import selectors as case_selectors
from aftersales.cases.services import case_record_event
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.errors import Conflict, Forbidden, Invalid, NotFound
from aftersales.network.models import Partner, ServiceCentre
from aftersales.notifications.services import notify_customer
from aftersales.workorders import rules, selectors
from aftersales.workorders.models import (
    Attachment,
    CustodyEvent,
    FaultCode,
    LabourLine,
    PartLine,
    PickupReceipt,
    QualityCheck,
    Quote,
    Visit,
    WorkOrder,
)
from aftersales.workorders.rules import CustodyKind, Kind, QuoteStatus, Result, Status

MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _event(
    wo: WorkOrder,
    body: str,
    *,
    actor: User | None,
    data: dict | None = None,
    visible_to_customer: bool = False,
) -> None:
    case_record_event(
        case=wo.case,
        body=body,
        actor=actor,
        visible_to_customer=visible_to_customer,
        data={"work_order": wo.number, **(data or {})},
    )


def locked_work_order(actor: User, number: str) -> WorkOrder:
    """The work order, locked, if the actor may see it; otherwise the same 404 as a missing
    one, so nobody learns what exists outside their scope."""
    wo_id = rules.parse_work_order_number(number)
    wo = None
    if wo_id is not None:
        wo = (
            selectors.visible_work_orders(actor)
            .select_for_update(of=("self",))
            .select_related("case", "case__customer", "unit", "unit__product", "centre", "partner")
            .filter(pk=wo_id)
            .first()
        )
    if wo is None:
        raise NotFound(_("Work order %(number)s") % {"number": number})
    return wo


def _refuse_move(wo: WorkOrder, target: Status) -> None:
    if not rules.can_move(wo.status, target):
        raise Conflict(
            "invalid_transition",
            _("A work order that is %(current)s cannot become %(target)s.")
            % {
                "current": rules.STATUS_LABELS[Status(wo.status)],
                "target": rules.STATUS_LABELS[target],
            },
            {"from": wo.status, "to": target.value},
        )


def _move(wo: WorkOrder, target: Status, *, actor: User | None, reason: str = "") -> None:
    _refuse_move(wo, target)
    old = wo.status
    wo.status = target.value
    wo.updated_at = clock.now()
    body = _("Work order %(number)s: %(old)s → %(new)s") % {
        "number": wo.number,
        "old": rules.STATUS_LABELS[Status(old)],
        "new": rules.STATUS_LABELS[target],
    }
    if reason:
        body = f"{body}. {reason}"
    _event(
        wo,
        body,
        actor=actor,
        data={"status": {"from": old, "to": target.value}},
        visible_to_customer=target in CUSTOMER_VISIBLE_STATUSES,
    )


# The steps a customer is told about on the tracking page.
CUSTOMER_VISIBLE_STATUSES = frozenset(
    {Status.DISPATCHED, Status.IN_PROGRESS, Status.WAITING_PARTS, Status.COMPLETED}
)


def _require_worker(actor: User, wo: WorkOrder) -> None:
    """Only the assigned technician, the assigned partner's people, or a supervisor may work
    on the repair card."""
    if actor.role in (Role.SUPERVISOR, Role.ADMIN, Role.MANAGER):
        return
    if actor.is_partner and wo.partner_id == actor.partner_id:
        return
    if actor.role == Role.TECHNICIAN and wo.technician_id == actor.pk:
        return
    raise Forbidden(
        "not_assigned",
        _("Only whoever is assigned to %(number)s may do this.") % {"number": wo.number},
    )


# --- creating and planning ------------------------------------------------------------------


@transaction.atomic
def work_order_create(
    *,
    actor: User,
    case_number: str,
    kind: str,
    centre_code: str | None = None,
    partner_code: str | None = None,
    category: str | None = None,
    category_reason: str = "",
    instructions: str = "",
) -> WorkOrder:
    """A new service voucher for a case. It belongs to the centre or partner named, or to the
    first one routing suggests for the customer's region and the product line."""
    case = case_selectors.case_get(actor, case_number)
    if case is None:
        raise NotFound(_("Case %(number)s") % {"number": case_number})
    if case.status in ("closed", "cancelled"):
        raise Conflict("case_closed", _("Case %(number)s is closed.") % {"number": case.number})
    if kind not in {k.value for k in Kind}:
        raise Invalid("kind", _("kind must be one of: %(k)s.") % {"k": ", ".join(Kind)})
    centre, partner = _owner_for(actor, case, centre_code, partner_code)
    now = clock.now()
    wo = WorkOrder(
        case=case,
        unit=case.unit,
        kind=kind,
        status=Status.DRAFT,
        category=case.category,
        category_reason=case.category_reason,
        centre=centre,
        partner=partner,
        instructions=instructions.strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    if category and category != case.category:
        _check_override(actor, category, category_reason)
        wo.category, wo.category_reason, wo.category_overridden = (
            category,
            category_reason.strip(),
            True,
        )
    if case.unit_id is not None:
        earlier = selectors.latest_completed_on_unit(case.unit_id)
        if earlier is not None and rules.is_repeat(
            earlier_completions=[earlier.completed_at],
            now=now,
            window_days=settings.WORKORDER_REPEAT_DAYS,
        ):
            wo.repeat_of = earlier
    wo.save()
    body = _("Work order %(number)s opened (%(kind)s) for %(owner)s.") % {
        "number": wo.number,
        "kind": rules.KIND_LABELS[Kind(kind)],
        "owner": (partner or centre).name,
    }
    data = {"kind": kind, "category": wo.category}
    if wo.repeat_of_id:
        body += " " + _("Repeat repair: %(earlier)s was completed within %(days)s days.") % {
            "earlier": wo.repeat_of.number,
            "days": settings.WORKORDER_REPEAT_DAYS,
        }
        data["repeat_of"] = wo.repeat_of.number
    if wo.category_overridden:
        body += " " + _("Category %(cat)s set by %(who)s: %(why)s") % {
            "cat": wo.category,
            "who": actor.username,
            "why": wo.category_reason,
        }
    _event(wo, body, actor=actor, data=data)
    return wo


def _owner_for(
    actor: User, case, centre_code: str | None, partner_code: str | None
) -> tuple[ServiceCentre | None, Partner | None]:
    if actor.is_partner:
        # A partner opens work orders for itself only.
        return None, actor.partner
    if centre_code and partner_code:
        raise Invalid("partner_code", _("A work order belongs to a centre or a partner, not both."))
    if partner_code:
        partner = Partner.objects.filter(code=partner_code.strip().upper(), active=True).first()
        if partner is None:
            raise Invalid(
                "partner_code", _("No active partner has code %(c)s.") % {"c": partner_code}
            )
        return None, partner
    if centre_code:
        centre = ServiceCentre.objects.filter(code=centre_code.strip(), active=True).first()
        if centre is None:
            raise Invalid("centre_code", _("No active centre has code %(c)s.") % {"c": centre_code})
        return centre, None
    suggestions = selectors.route_suggestions(case)
    if suggestions:
        return suggestions[0]
    if actor.service_centre_id:
        return actor.service_centre, None
    raise Invalid(
        "centre_code",
        _("No centre or partner serves this customer's region and product line: name one."),
    )


def _check_override(actor: User, category: str, reason: str) -> None:
    if category not in ("A", "B", "C", "D"):
        raise Invalid("category", _("category must be one of A, B, C, D."))
    if actor.role not in (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN):
        raise Forbidden(
            "forbidden",
            _("Only a supervisor may change the service category."),
            {"field": "category"},
        )
    if not reason.strip():
        raise Invalid("category_reason", _("Say why the category differs from the entitlement."))


@transaction.atomic
def work_order_set_category(*, actor: User, number: str, category: str, reason: str) -> WorkOrder:
    wo = locked_work_order(actor, number)
    if wo.status not in rules.OPEN or wo.status in (Status.COMPLETED, Status.VERIFIED):
        raise Conflict("too_late", _("The category is fixed once the work is completed."))
    _check_override(actor, category, reason)
    old = wo.category
    wo.category, wo.category_reason, wo.category_overridden = category, reason.strip(), True
    wo.updated_at = clock.now()
    wo.save(update_fields=["category", "category_reason", "category_overridden", "updated_at"])
    _event(
        wo,
        _("Work order %(number)s: category %(old)s → %(new)s. %(why)s")
        % {"number": wo.number, "old": old, "new": category, "why": wo.category_reason},
        actor=actor,
        data={"category": {"from": old, "to": category}},
    )
    return wo


@transaction.atomic
def work_order_assign(
    *,
    actor: User,
    number: str,
    technician_username: str | None = None,
    partner_code: str | None = None,
) -> WorkOrder:
    """Gives the job to one of our technicians or to a partner organisation (or, with
    neither, takes it back to the unassigned queue)."""
    wo = locked_work_order(actor, number)
    if wo.status not in rules.PLANNING:
        raise Conflict(
            "already_started",
            _("%(number)s has started: it can no longer be reassigned.") % {"number": wo.number},
        )
    if technician_username and partner_code:
        raise Invalid("partner_code", _("Assign a technician or a partner, not both."))
    if technician_username:
        technician = User.objects.filter(
            username=technician_username.strip(), is_active=True
        ).first()
        if technician is None or technician.role != Role.TECHNICIAN:
            raise Invalid(
                "technician",
                _("%(name)s is not an active technician.") % {"name": technician_username},
            )
        if (
            wo.centre_id
            and technician.service_centre_id
            and not selectors.centre_covers(wo.centre, technician.service_centre_id)
        ):
            raise Invalid(
                "technician",
                _("%(name)s is based at another service centre.") % {"name": technician.username},
            )
        wo.technician, wo.partner = technician, None
        if wo.centre_id is None:
            wo.centre = technician.service_centre
        if wo.centre_id is None:
            raise Invalid(
                "technician",
                _("%(name)s is not based at a service centre.") % {"name": technician.username},
            )
        who = technician.get_full_name() or technician.username
        data = {"technician": technician.username}
    elif partner_code:
        partner = Partner.objects.filter(code=partner_code.strip().upper(), active=True).first()
        if partner is None:
            raise Invalid(
                "partner_code", _("No active partner has code %(c)s.") % {"c": partner_code}
            )
        # The dispatching centre keeps the job in its supervisors' view (and quality check);
        # the partner's own rates and stock apply while it does the work.
        wo.technician, wo.partner = None, partner
        who = partner.name
        data = {"partner": partner.code}
    else:
        wo.technician = None
        who = _("nobody")
        data = {"technician": None}
    _event(
        wo,
        _("Work order %(number)s assigned to %(who)s.") % {"number": wo.number, "who": who},
        actor=actor,
        data=data,
    )
    _replan(wo, actor=actor)
    wo.save()
    return wo


@transaction.atomic
def work_order_schedule(
    *, actor: User, number: str, window_start: datetime, window_end: datetime
) -> WorkOrder:
    wo = locked_work_order(actor, number)
    if wo.status not in rules.PLANNING:
        raise Conflict(
            "already_started",
            _("%(number)s has started: its appointment is kept.") % {"number": wo.number},
        )
    if window_end <= window_start:
        raise Invalid("window_end", _("The appointment must end after it starts."))
    wo.window_start, wo.window_end = window_start, window_end
    _event(
        wo,
        _("Appointment for %(number)s: %(start)s – %(end)s.")
        % {"number": wo.number, "start": window_start.isoformat(), "end": window_end.isoformat()},
        actor=actor,
        data={"window": [window_start.isoformat(), window_end.isoformat()]},
        visible_to_customer=True,
    )
    _replan(wo, actor=actor)
    wo.save()
    return wo


def _replan(wo: WorkOrder, *, actor: User) -> None:
    target = rules.planning_status(
        has_window=wo.window_start is not None,
        has_assignee=wo.technician_id is not None or wo.partner_id is not None,
    )
    if target != wo.status:
        _move(wo, target, actor=actor)
    wo.updated_at = clock.now()


# --- doing the work ---------------------------------------------------------------------------


@transaction.atomic
def work_order_start(*, actor: User, number: str) -> WorkOrder:
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    _move(wo, Status.IN_PROGRESS, actor=actor)
    wo.started_at = wo.started_at or clock.now()
    wo.save(update_fields=["status", "updated_at", "started_at"])
    return wo


@transaction.atomic
def work_order_resume(*, actor: User, number: str, reason: str = "") -> WorkOrder:
    """Back to work after waiting for parts."""
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    if wo.status != Status.WAITING_PARTS:
        raise Conflict(
            "not_waiting", _("%(number)s is not waiting for parts.") % {"number": wo.number}
        )
    _move(wo, Status.IN_PROGRESS, actor=actor, reason=reason)
    wo.save(update_fields=["status", "updated_at"])
    return wo


def _check_fault_code(wo: WorkOrder, code: str) -> str:
    code = code.strip().upper()
    if not code:
        return ""
    category = wo.unit.product.category if wo.unit_id else ""
    configured = FaultCode.objects.filter(product_category=category, active=True)
    if configured.exists() and not configured.filter(code=code).exists():
        raise Invalid(
            "fault_code",
            _("%(code)s is not a fault code for %(category)s.")
            % {"code": code, "category": category},
        )
    return code


@dataclass(frozen=True)
class VisitInput:
    travel_started_at: datetime | None = None
    arrived_at: datetime | None = None
    departed_at: datetime | None = None
    distance_km: Decimal | None = None
    fault_code: str = ""
    cause: str = ""
    action_taken: str = ""
    result: str = ""
    notes: str = ""


@transaction.atomic
def work_order_record_visit(*, actor: User, number: str, visit: VisitInput) -> Visit:
    """Records a visit (or a workshop session) and what it found; the repair card takes the
    latest fault, cause, action and result. A result that needs parts parks the job."""
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    if wo.status not in rules.WORKING:
        raise Conflict(
            "not_in_progress",
            _("Start %(number)s before recording a visit.") % {"number": wo.number},
        )
    times = [t for t in (visit.travel_started_at, visit.arrived_at, visit.departed_at) if t]
    if times != sorted(times):
        raise Invalid(
            "departed_at", _("Travel start, arrival and departure must be in that order.")
        )
    if visit.result and visit.result not in {r.value for r in Result}:
        raise Invalid("result", _("result must be one of: %(r)s.") % {"r": ", ".join(Result)})
    if visit.distance_km is not None and visit.distance_km < 0:
        raise Invalid("distance_km", _("A distance cannot be negative."))
    fault = _check_fault_code(wo, visit.fault_code)
    now = clock.now()
    row = Visit.objects.create(
        work_order=wo,
        technician=actor if actor.role == Role.TECHNICIAN else wo.technician,
        travel_started_at=visit.travel_started_at,
        arrived_at=visit.arrived_at,
        departed_at=visit.departed_at,
        distance_km=visit.distance_km,
        fault_code=fault,
        cause=visit.cause.strip(),
        action_taken=visit.action_taken.strip(),
        result=visit.result,
        notes=visit.notes.strip(),
        recorded_at=now,
        recorded_by=actor,
    )
    if fault:
        wo.fault_code = fault
        wo.same_fault_repairs = selectors.same_fault_repairs(wo.unit_id, fault, excluding=wo.pk)
    for field in ("cause", "action_taken"):
        if getattr(row, field):
            setattr(wo, field, getattr(row, field))
    if visit.result:
        wo.result = visit.result
    body = _("Visit recorded on %(number)s") % {"number": wo.number}
    if visit.result:
        body += ": " + str(rules.RESULT_LABELS[Result(visit.result)])
    _event(
        wo, body, actor=actor, data={"visit": row.pk, "result": visit.result, "fault_code": fault}
    )
    if visit.result == Result.NEEDS_PARTS and wo.status == Status.IN_PROGRESS:
        _move(wo, Status.WAITING_PARTS, actor=actor)
    wo.updated_at = now
    wo.save()
    return row


@transaction.atomic
def work_order_attach(
    *,
    actor: User,
    number: str,
    filename: str,
    content_type: str,
    content: bytes,
    visit_id: int | None = None,
) -> Attachment:
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    if not content:
        raise Invalid("file", _("The file is empty."))
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise Invalid("file", _("A file may be at most 8 MB."))
    visit = None
    if visit_id is not None:
        visit = wo.visits.filter(pk=visit_id).first()
        if visit is None:
            raise Invalid("visit_id", _("That visit is not on %(number)s.") % {"number": wo.number})
    row = Attachment.objects.create(
        work_order=wo,
        visit=visit,
        filename=(filename or "file")[:200],
        content_type=(content_type or "application/octet-stream")[:100],
        size=len(content),
        content=content,
        uploaded_at=clock.now(),
        uploaded_by=actor,
    )
    _event(
        wo,
        _("Photo or file added to %(number)s: %(name)s")
        % {"number": wo.number, "name": row.filename},
        actor=actor,
        data={"attachment": row.pk},
    )
    return row


@transaction.atomic
def work_order_add_labour(
    *,
    actor: User,
    number: str,
    minutes: int,
    labour_code: str,
    description: str = "",
    technician_username: str | None = None,
    performed_on: date | None = None,
    planned: bool = False,
) -> LabourLine:
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    _require_card_open(wo, planned=planned)
    if minutes <= 0 or minutes > 24 * 60:
        raise Invalid("minutes", _("Labour is between 1 minute and 24 hours a line."))
    if not labour_code.strip():
        raise Invalid("labour_code", _("Name the labour code."))
    technician = None
    if technician_username:
        technician = User.objects.filter(username=technician_username, role=Role.TECHNICIAN).first()
        if technician is None:
            raise Invalid(
                "technician", _("%(name)s is not a technician.") % {"name": technician_username}
            )
    elif actor.role == Role.TECHNICIAN:
        technician = actor
    else:
        technician = wo.technician
    now = clock.now()
    line = LabourLine.objects.create(
        work_order=wo,
        technician=technician,
        labour_code=labour_code.strip().upper(),
        minutes=minutes,
        description=description.strip(),
        planned=planned,
        performed_on=performed_on or clock.today(),
        recorded_at=now,
    )
    _event(
        wo,
        _("%(what)s on %(number)s: %(code)s, %(minutes)s min")
        % {
            "what": _("Planned labour") if planned else _("Labour"),
            "number": wo.number,
            "code": line.labour_code,
            "minutes": minutes,
        },
        actor=actor,
        data={"labour": line.pk, "planned": planned},
    )
    return line


@transaction.atomic
def work_order_add_part(
    *,
    actor: User,
    number: str,
    part_number: str,
    quantity: int,
    location_code: str | None = None,
    planned: bool = False,
    fit_override_reason: str = "",
) -> PartLine:
    """Records a part planned for the job or fitted, at the catalogue's list price. The part
    must fit the unit's model unless someone says why it may anyway. With a stock location,
    a planned part is reserved there and a fitted one is issued from there (consuming its
    reservation): the stock ledger follows the repair card. A planned part the location
    cannot give parks a started job in `waiting_parts` and says when more is expected."""
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    _require_card_open(wo, planned=planned)
    if quantity <= 0 or quantity > 1000:
        raise Invalid("quantity", _("Quantity is between 1 and 1000."))
    part = Part.objects.filter(number=part_number.strip().upper()).first()
    if part is None:
        raise Invalid("part_number", _("No part has number %(n)s.") % {"n": part_number})
    misfit = wo.unit_id is not None and not part.fits.filter(pk=wo.unit.product_id).exists()
    if misfit and not fit_override_reason.strip():
        raise Invalid(
            "part_number",
            _("%(part)s is not listed for this unit's model: give a reason to fit it anyway.")
            % {"part": part.number},
            code="part_does_not_fit",
        )
    location = None
    if location_code:
        location = selectors.locations_for(wo).filter(code=location_code.strip()).first()
        if location is None:
            raise Invalid(
                "location_code",
                _("%(code)s is not a stock location this job may take parts from.")
                % {"code": location_code},
            )
    line = PartLine.objects.create(
        work_order=wo,
        part_number=part.number,
        description=part.name,
        quantity=quantity,
        unit_price=part.list_price,
        location=location,
        planned=planned,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    _event(
        wo,
        _("%(what)s on %(number)s: %(qty)s × %(part)s")
        % {
            "what": _("Planned part") if planned else _("Part fitted"),
            "number": wo.number,
            "qty": quantity,
            "part": part.number,
        },
        actor=actor,
        data={"part": line.pk, "planned": planned},
    )
    if location is not None:
        _stock_follows_part_line(wo, line, actor=actor, fit_override_reason=fit_override_reason)
    return line


def _stock_follows_part_line(
    wo: WorkOrder, line: PartLine, *, actor: User, fit_override_reason: str
):
    from aftersales.inventory import services as stock
    from aftersales.inventory.models import Reservation, ReservationStatus

    if not line.planned:
        reservation = (
            Reservation.objects.filter(
                work_order=wo,
                part__number=line.part_number,
                location=line.location,
                status=ReservationStatus.ACTIVE,
                quantity__gte=line.quantity,
            )
            .order_by("id")
            .first()
        )
        if reservation is not None:
            stock.reservation_consume(actor=actor, number=reservation.pk, quantity=line.quantity)
        else:
            stock.stock_issue(
                actor=actor,
                work_order_number=wo.number,
                part_number=line.part_number,
                location_code=line.location.code,
                quantity=line.quantity,
                fit_override_reason=fit_override_reason,
            )
        return
    try:
        stock.reservation_create(
            actor=actor,
            work_order_number=wo.number,
            part_number=line.part_number,
            location_code=line.location.code,
            quantity=line.quantity,
            part_line_id=line.pk,
            fit_override_reason=fit_override_reason,
        )
    except Conflict as refusal:
        if refusal.code != "insufficient_stock":
            raise
        expected = refusal.details.get("expected_arrival")
        body = _("%(part)s is not available at %(location)s.") % {
            "part": line.part_number,
            "location": line.location.code,
        }
        if expected:
            body += " " + _("More is expected on %(date)s.") % {"date": expected}
        _event(
            wo,
            body,
            actor=actor,
            data={"part": line.pk, "waiting_for_part": line.part_number, "expected": expected},
            visible_to_customer=True,
        )
        if wo.status == Status.IN_PROGRESS:
            _move(wo, Status.WAITING_PARTS, actor=actor)
            wo.save(update_fields=["status", "updated_at"])


def _release_reservations(wo: WorkOrder, *, actor: User | None) -> None:
    from aftersales.inventory import services as stock
    from aftersales.inventory.models import ReservationStatus

    for reservation_id in wo.reservations.filter(status=ReservationStatus.ACTIVE).values_list(
        "pk", flat=True
    ):
        stock.reservation_release(actor=actor, number=reservation_id)


def _require_card_open(wo: WorkOrder, *, planned: bool) -> None:
    allowed = rules.WORKING | (rules.PLANNING if planned else frozenset())
    if wo.status not in allowed:
        raise Conflict(
            "card_closed",
            _("The repair card of %(number)s takes lines only while the work is in progress.")
            % {"number": wo.number},
        )


@dataclass(frozen=True)
class Acceptance:
    name: str
    signature_png: bytes | None = None
    typed: bool = False


@transaction.atomic
def work_order_complete(
    *,
    actor: User,
    number: str,
    result: str | None = None,
    acceptance: Acceptance | None = None,
    tests_performed: str = "",
    notes: str = "",
) -> WorkOrder:
    wo = locked_work_order(actor, number)
    _require_worker(actor, wo)
    _refuse_move(wo, Status.COMPLETED)
    if result:
        if result not in {r.value for r in Result}:
            raise Invalid("result", _("result must be one of: %(r)s.") % {"r": ", ".join(Result)})
        wo.result = result
    has_acceptance = False
    if acceptance is not None:
        has_acceptance = _take_acceptance(wo, acceptance)
    refusal = rules.completion_refusal(
        rules.CompletionFacts(
            kind=wo.kind,
            category=wo.category,
            result=wo.result or None,
            has_acceptance=has_acceptance,
            quote_status=selectors.latest_quote_status(wo),
        )
    )
    if refusal:
        # The field is named from the facts, in the rules' order: the message is translated.
        if not wo.result or wo.result not in rules.FINAL_RESULTS:
            field = "result"
        elif wo.kind in rules.VISIT_KINDS and not has_acceptance:
            field = "acceptance"
        else:
            field = "quote"
        raise Invalid(field, refusal, code="cannot_complete")
    if tests_performed.strip():
        wo.tests_performed = tests_performed.strip()
    if notes.strip():
        wo.notes = notes.strip()
    now = clock.now()
    wo.completed_at = now
    _move(wo, Status.COMPLETED, actor=actor)
    wo.save()
    return wo


def _take_acceptance(wo: WorkOrder, acceptance: Acceptance) -> bool:
    name = acceptance.name.strip()
    if not name:
        raise Invalid("acceptance", _("Write the name of the person accepting the job."))
    signature = acceptance.signature_png
    if signature:
        if len(signature) > MAX_SIGNATURE_BYTES or not signature.startswith(PNG_MAGIC):
            raise Invalid("acceptance", _("The signature must be a PNG image under 512 KB."))
    elif not acceptance.typed:
        raise Invalid("acceptance", _("The customer signs, or confirms acceptance in writing."))
    wo.accepted_by = name[:200]
    wo.accepted_at = clock.now()
    wo.acceptance_signature = signature or None
    wo.acceptance_typed = not signature
    return True


@transaction.atomic
def work_order_verify(*, actor: User, number: str, passed: bool, notes: str = "") -> WorkOrder:
    """The supervisor's quality check: a pass verifies the job; a fail sends it back to the
    bench with the notes."""
    wo = locked_work_order(actor, number)
    if wo.status != Status.COMPLETED:
        raise Conflict("not_completed", _("Only a completed job is checked."))
    if not passed and not notes.strip():
        raise Invalid("notes", _("Say what failed the check."))
    now = clock.now()
    QualityCheck.objects.create(
        work_order=wo, passed=passed, notes=notes.strip(), checked_by=actor, checked_at=now
    )
    if passed:
        wo.verified_at, wo.verified_by = now, actor
        _move(wo, Status.VERIFIED, actor=actor, reason=_("Quality check passed."))
        if selectors.product_in_custody(wo):
            _event(
                wo,
                _("Your product is repaired and ready for pickup."),
                actor=actor,
                data={"ready_for_pickup": True},
                visible_to_customer=True,
            )
            _tell_customer(wo, "workorder.ready_for_pickup")
    else:
        wo.completed_at = None
        _move(
            wo,
            Status.IN_PROGRESS,
            actor=actor,
            reason=_("Quality check failed: %(notes)s") % {"notes": notes.strip()},
        )
    wo.save()
    return wo


@transaction.atomic
def work_order_close(*, actor: User, number: str) -> WorkOrder:
    """Archives the voucher once the product is back with its owner and paid work is paid."""
    wo = locked_work_order(actor, number)
    _refuse_move(wo, Status.CLOSED)
    invoice = selectors.invoice_of(wo)
    refusal = rules.closing_refusal(
        rules.ClosingFacts(
            kind=wo.kind,
            category=wo.category,
            product_in_custody=selectors.product_in_custody(wo),
            invoiced=invoice is not None,
            paid=invoice is not None and selectors.amount_due(invoice) <= 0,
            chargeable=selectors.has_chargeable_lines(wo),
        )
    )
    if refusal:
        raise Conflict("cannot_close", refusal)
    wo.closed_at = clock.now()
    _move(wo, Status.CLOSED, actor=actor)
    wo.save()
    return wo


@transaction.atomic
def work_order_cancel(*, actor: User, number: str, reason: str) -> WorkOrder:
    wo = locked_work_order(actor, number)
    if not reason.strip():
        raise Invalid("reason", _("Say why the work order is cancelled."))
    _move(wo, Status.CANCELLED, actor=actor, reason=reason.strip())
    _release_reservations(wo, actor=actor)
    wo.save()
    return wo


# --- custody ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyInput:
    kind: str
    place: str = ""
    centre_code: str | None = None
    signed_by: str = ""
    note: str = ""
    accessories: str = ""
    condition: str = ""
    receipt_number: str | None = None


@transaction.atomic
def custody_record(*, actor: User, number: str, event: CustodyInput) -> CustodyEvent:
    """One move of the customer's product. Taking it in issues a pickup receipt; handing it
    back (signed for) voids that receipt, and the same receipt is never returned twice."""
    wo = locked_work_order(actor, number)
    if wo.unit_id is None:
        raise Conflict("no_unit", _("%(number)s has no product to hold.") % {"number": wo.number})
    if event.kind not in {k.value for k in CustodyKind}:
        raise Invalid("kind", _("kind must be one of: %(k)s.") % {"k": ", ".join(CustodyKind)})
    # Moves of one product are serialised on its open receipt or, before one exists, the unit.
    type(wo.unit).objects.select_for_update().filter(pk=wo.unit_id).first()
    last = selectors.last_custody_event(wo.unit_id)
    last_kind = last.kind if last else None
    receipt = selectors.open_receipt(wo.unit_id)
    if event.kind == CustodyKind.RETURNED:
        return _custody_return(wo, actor, event, receipt)
    if event.kind not in rules.custody_next(last_kind):
        raise Conflict(
            "custody_order",
            _("The product was last %(last)s: it cannot be %(kind)s now.")
            % {
                "last": rules.CUSTODY_LABELS[CustodyKind(last_kind)]
                if last_kind
                else _("with its owner"),
                "kind": rules.CUSTODY_LABELS[CustodyKind(event.kind)],
            },
        )
    centre = _centre(event.centre_code) or (
        wo.centre if event.kind == CustodyKind.RECEIVED else None
    )
    if receipt is None and event.kind in (CustodyKind.PICKED_UP, CustodyKind.RECEIVED):
        receipt = PickupReceipt.objects.create(
            work_order=wo,
            unit=wo.unit,
            accessories=event.accessories.strip(),
            condition=event.condition.strip(),
            issued_at=clock.now(),
            issued_by=actor,
        )
    row = CustodyEvent.objects.create(
        unit=wo.unit,
        work_order=wo,
        receipt=receipt,
        kind=event.kind,
        place=event.place.strip(),
        centre=centre,
        signed_by=event.signed_by.strip(),
        note=event.note.strip(),
        at=clock.now(),
        actor=actor,
    )
    body = _("Product %(serial)s %(what)s") % {
        "serial": wo.unit.serial_number,
        "what": rules.CUSTODY_LABELS[CustodyKind(event.kind)],
    }
    if row.place:
        body += f" ({row.place})"
    data = {"custody": event.kind, "place": row.place}
    if receipt is not None:
        data["receipt"] = receipt.number
        if receipt.events.count() == 1:
            body += ". " + _("Pickup receipt %(n)s issued.") % {"n": receipt.number}
    _event(wo, body, actor=actor, data=data, visible_to_customer=True)
    return row


def _custody_return(wo: WorkOrder, actor: User, event: CustodyInput, receipt) -> CustodyEvent:
    if event.receipt_number:
        receipt_id = rules.parse_receipt_number(event.receipt_number)
        named = (
            PickupReceipt.objects.filter(pk=receipt_id, unit=wo.unit).first()
            if receipt_id
            else None
        )
        if named is None:
            raise Invalid(
                "receipt_number",
                _("Receipt %(n)s is not for this product.") % {"n": event.receipt_number},
            )
        if named.voided_at is not None:
            raise Conflict(
                "receipt_voided",
                _("Receipt %(n)s was already taken back on %(when)s: the product was returned.")
                % {"n": named.number, "when": named.voided_at.date().isoformat()},
            )
        receipt = named
    if receipt is None:
        raise Conflict(
            "not_in_custody", _("We do not hold this product: there is nothing to return.")
        )
    if not event.signed_by.strip():
        raise Invalid(
            "signed_by", _("The customer signs for the returned product: write their name.")
        )
    now = clock.now()
    receipt.voided_at = now
    receipt.save(update_fields=["voided_at"])
    row = CustodyEvent.objects.create(
        unit=wo.unit,
        work_order=wo,
        receipt=receipt,
        kind=CustodyKind.RETURNED,
        place=event.place.strip(),
        signed_by=event.signed_by.strip(),
        note=event.note.strip(),
        at=now,
        actor=actor,
    )
    _event(
        wo,
        _(
            "Product %(serial)s returned to the customer, signed by %(name)s. "
            "Pickup receipt %(n)s voided."
        )
        % {"serial": wo.unit.serial_number, "name": row.signed_by, "n": receipt.number},
        actor=actor,
        data={"custody": CustodyKind.RETURNED, "receipt": receipt.number},
        visible_to_customer=True,
    )
    return row


def _centre(code: str | None) -> ServiceCentre | None:
    if not code:
        return None
    centre = ServiceCentre.objects.filter(code=code.strip()).first()
    if centre is None:
        raise Invalid("centre_code", _("No centre has code %(c)s.") % {"c": code})
    return centre


# --- paid work: quotes ------------------------------------------------------------------------


def _link_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def quote_issue(*, actor: User, number: str) -> tuple[Quote, str]:
    """Prices the planned labour and parts for the customer and waits for their answer.
    Returns the quote and the secret of the customer's approval link (shown once)."""
    wo = locked_work_order(actor, number)
    if wo.category != "A":
        raise Conflict("not_paid", _("Only paid work (category A) is quoted to the customer."))
    if wo.status not in rules.PLANNING | {Status.IN_PROGRESS}:
        raise Conflict("too_late", _("A quote is made before or during the work."))
    if wo.quotes.filter(status=QuoteStatus.PENDING).exists():
        raise Conflict("quote_pending", _("A quote already waits for the customer's answer."))
    if not (wo.labour.filter(planned=True).exists() or wo.parts.filter(planned=True).exists()):
        raise Conflict("nothing_to_quote", _("Add the planned labour and parts first."))
    costing = selectors.costing(wo, planned=True)
    secret = secrets.token_urlsafe(24)
    quote = Quote.objects.create(
        work_order=wo,
        status=QuoteStatus.PENDING,
        currency=costing.currency,
        lines=selectors.lines_json(costing),
        subtotal=costing.subtotal,
        tax=costing.tax,
        total=costing.total,
        link_digest=_link_digest(secret),
        issued_at=clock.now(),
        issued_by=actor,
    )
    _event(
        wo,
        _("Quote for %(number)s: %(total)s %(cur)s. Waiting for the customer's approval.")
        % {"number": wo.number, "total": quote.total, "cur": quote.currency},
        actor=actor,
        data={"quote": quote.pk, "total": str(quote.total)},
        visible_to_customer=True,
    )
    if wo.status == Status.IN_PROGRESS:
        _move(wo, Status.WAITING_APPROVAL, actor=actor)
        wo.save(update_fields=["status", "updated_at"])
    _tell_customer(
        wo,
        "workorder.quote",
        {"total": str(quote.total), "currency": quote.currency, "link": f"/quotes/{secret}/"},
    )
    return quote, secret


@transaction.atomic
def quote_answer(
    *,
    accept: bool,
    actor: User | None = None,
    number: str | None = None,
    secret: str | None = None,
    answered_by: str = "",
) -> Quote:
    """The customer's answer, from their link (secret) or recorded by an agent (actor and
    work order number). Accepting lets the work go on; declining cancels the job."""
    if secret is not None:
        quote = (
            Quote.objects.select_for_update()
            .select_related("work_order")
            .filter(link_digest=_link_digest(secret))
            .first()
        )
        if quote is None:
            raise NotFound(_("Quote"))
        wo = _locked_by_id(quote.work_order_id)
        via = "portal"
        label = answered_by.strip() or wo.case.customer.name
    else:
        wo = locked_work_order(actor, number or "")
        if not access.allowed(actor.role, "workorders.approve"):
            raise Forbidden(
                "forbidden", _("Your role (%(role)s) may not do this.") % {"role": actor.role}
            )
        quote = wo.quotes.select_for_update().filter(status=QuoteStatus.PENDING).last()
        if quote is None:
            raise Conflict(
                "no_pending_quote", _("No quote waits for an answer on %(n)s.") % {"n": wo.number}
            )
        via = "agent"
        label = answered_by.strip() or wo.case.customer.name
    if quote.status != QuoteStatus.PENDING:
        raise Conflict("already_answered", _("This quote was already answered."))
    quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.DECLINED
    quote.answered_at, quote.answered_via, quote.answered_by_label = clock.now(), via, label[:200]
    quote.save(update_fields=["status", "answered_at", "answered_via", "answered_by_label"])
    _event(
        wo,
        (_("Quote accepted by %(who)s.") if accept else _("Quote declined by %(who)s."))
        % {"who": label},
        actor=actor,
        data={"quote": quote.pk, "accepted": accept, "via": via},
        visible_to_customer=True,
    )
    if wo.status == Status.WAITING_APPROVAL:
        if accept:
            _move(wo, Status.IN_PROGRESS, actor=actor)
        else:
            _move(wo, Status.CANCELLED, actor=actor, reason=_("The customer declined the quote."))
            _release_reservations(wo, actor=actor)
        wo.save(update_fields=["status", "updated_at"])
    elif not accept and wo.status in rules.PLANNING:
        _move(wo, Status.CANCELLED, actor=actor, reason=_("The customer declined the quote."))
        _release_reservations(wo, actor=actor)
        wo.save(update_fields=["status", "updated_at"])
    return quote


def _locked_by_id(wo_id: int) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("case", "case__customer", "unit")
        .get(pk=wo_id)
    )


def _tell_customer(wo: WorkOrder, event: str, extra: dict | None = None) -> None:
    customer = wo.case.customer
    notify_customer(
        event=event,
        email=customer.email,
        language=customer.language,
        context={
            "customer": customer.name,
            "case": wo.case.number,
            "work_order": wo.number,
            "serial": wo.unit.serial_number if wo.unit_id else "",
            "centre": (wo.partner or wo.centre).name if (wo.centre_id or wo.partner_id) else "",
            **(extra or {}),
        },
        case_id=wo.case_id,
    )


def fault_code_create(*, product_category: str, code: str, description: str) -> FaultCode:
    code = code.strip().upper()
    if not code or not product_category.strip():
        raise Invalid("code", _("A fault code needs a product category and a code."))
    try:
        with transaction.atomic():
            return FaultCode.objects.create(
                product_category=product_category.strip(),
                code=code,
                description=description.strip(),
            )
    except IntegrityError:
        raise Conflict(
            "duplicate_fault_code", _("%(code)s already exists.") % {"code": code}
        ) from None
