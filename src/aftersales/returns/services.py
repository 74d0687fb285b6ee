"""Every write in returns: remedy decisions (with the supervisor's override) and the RMA's
lifecycle — create, authorise or reject, shipments both ways, receive, inspect, resolve each
line (repair, replace, refund, return as is, refurbish, scrap, return to vendor), close.

Each function is one transaction, locks the RMA first, and writes a timeline entry on the
RMA's case. Messages to the customer go through the notifications outbox."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts import rules as access
from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.billing import services as billing
from aftersales.cases import selectors as case_selectors
from aftersales.cases.services import case_open, case_record_event
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.errors import Conflict, Forbidden, Invalid, NotFound
from aftersales.customers.models import Customer, Unit
from aftersales.customers.services import unit_register
from aftersales.inventory import services as stock
from aftersales.notifications.services import notify_customer
from aftersales.returns import rules, selectors
from aftersales.returns.lifecycle import (
    FINAL,
    PART_DISPOSITIONS,
    RECEIVABLE,
    STATUS_LABELS,
    UNIT_DISPOSITIONS,
    Direction,
    Disposition,
    FreightPayer,
    InspectionResult,
    RmaStatus,
    can_move,
    freight_payer,
    parse_rma_number,
    refund_amount,
)
from aftersales.returns.models import Evidence, RemedyDecision, Rma, RmaLine, Shipment

REMEDY_VALUES = frozenset(r.value for r in rules.Remedy)
EVIDENCE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


# --- remedy decisions ----------------------------------------------------------------------


@transaction.atomic
def remedy_decide(
    *,
    actor: User,
    case_number: str,
    chosen: str,
    reason: str = "",
    reported_on: date | None = None,
    fault: rules.Fault | None = None,
) -> RemedyDecision:
    """Records the remedy for the case's unit. Choosing anything but the engine's recommended
    remedy is an override: a supervisor's (returns.override), with a reason."""
    case = case_selectors.case_get(actor, case_number)
    if case is None:
        raise NotFound(_("Case %(number)s") % {"number": case_number})
    if case.unit_id is None:
        raise Conflict("no_unit", _("Case %(number)s names no unit.") % {"number": case.number})
    if chosen not in REMEDY_VALUES:
        raise Invalid(
            "chosen", _("chosen must be one of: %(r)s.") % {"r": ", ".join(sorted(REMEDY_VALUES))}
        )
    reported_on = reported_on or case.opened_at.date()
    fault = fault or rules.Fault(performance_failure=True)
    unit = selectors.unit_by_serial(case.unit.serial_number)
    try:
        verdict, _facts = selectors.unit_verdict(unit, reported_on=reported_on, fault=fault)
    except rules.RemedyInputError as exc:
        raise Invalid("reported_on", str(exc)) from None
    overridden = chosen != verdict.recommended
    reason = (reason or "").strip()
    if overridden:
        if not access.allowed(actor.role, "returns.override"):
            raise Forbidden(
                "forbidden",
                _("Only a supervisor may choose a remedy other than the recommended one."),
                {"action": "returns.override"},
            )
        if not reason:
            raise Invalid("reason", _("Say why the recommended remedy is not the one chosen."))
    decision = RemedyDecision.objects.create(
        case=case,
        unit=unit,
        reported_on=reported_on,
        verdict=selectors.verdict_dict(verdict),
        recommended=str(verdict.recommended),
        chosen=chosen,
        overridden=overridden,
        reason=reason,
        decided_by=actor,
        decided_at=clock.now(),
    )
    if overridden:
        body = _(
            "Remedy overridden: %(chosen)s instead of the recommended %(recommended)s "
            "(rules %(rules)s). Reason: %(reason)s"
        ) % {
            "chosen": chosen,
            "recommended": verdict.recommended,
            "rules": ", ".join(verdict.rule_ids),
            "reason": reason,
        }
    else:
        body = _("Remedy decided: %(chosen)s, as recommended by rules %(rules)s.") % {
            "chosen": chosen,
            "rules": ", ".join(verdict.rule_ids),
        }
    case_record_event(
        case=case,
        body=body,
        actor=actor,
        data={
            "remedy_decision": decision.pk,
            "chosen": chosen,
            "recommended": str(verdict.recommended),
            "overridden": overridden,
            "rules": list(verdict.rule_ids),
        },
    )
    return decision


# --- helpers -------------------------------------------------------------------------------


def _locked(actor: User | None, number: str) -> Rma:
    """The RMA, locked, if the actor may see it; otherwise the same 404 as a missing one."""
    pk = parse_rma_number(number)
    rma = None
    if pk is not None:
        rows = selectors.visible_rmas(actor) if actor is not None else Rma.objects.all()
        rma = rows.select_for_update(of=("self",)).filter(pk=pk).first()
    if rma is None:
        raise NotFound(_("Return %(number)s") % {"number": number})
    return rma


def _event(
    rma: Rma,
    body: str,
    *,
    actor: User | None,
    data: dict | None = None,
    visible_to_customer: bool = False,
) -> None:
    case_record_event(
        case=rma.case,
        body=body,
        actor=actor,
        visible_to_customer=visible_to_customer,
        data={"rma": rma.number, **(data or {})},
    )


def _move(
    rma: Rma, target: RmaStatus, *, actor: User | None, note: str = "", visible: bool = True
) -> None:
    if not can_move(rma.status, target):
        raise Conflict(
            "invalid_transition",
            _("Return %(number)s is %(status)s; it cannot become %(target)s.")
            % {
                "number": rma.number,
                "status": STATUS_LABELS[RmaStatus(rma.status)],
                "target": STATUS_LABELS[target],
            },
            {"status": rma.status, "target": target.value},
        )
    old = rma.status
    rma.status = target.value
    rma.updated_at = clock.now()
    body = _("Return %(number)s: %(old)s → %(new)s") % {
        "number": rma.number,
        "old": STATUS_LABELS[RmaStatus(old)],
        "new": STATUS_LABELS[target],
    }
    if note:
        body = f"{body}. {note}"
    _event(
        rma,
        body,
        actor=actor,
        data={"status": {"from": old, "to": target.value}},
        visible_to_customer=visible,
    )


def _notify(rma: Rma, event: str, **context) -> None:
    customer = rma.customer
    notify_customer(
        event=event,
        email=customer.email,
        language=customer.language,
        context={"rma": rma.number, "customer_name": customer.name, **context},
        case_id=rma.case_id,
    )


def _line(rma: Rma, line_id) -> RmaLine:
    line = (
        rma.lines.select_related("unit", "unit__product", "part").filter(pk=line_id).first()
        if isinstance(line_id, int)
        else None
    )
    if line is None:
        raise Invalid(
            "line_id",
            _("Return %(number)s has no line %(id)s.") % {"number": rma.number, "id": line_id},
        )
    return line


def _evidence(rma: Rma, items: Sequence[dict], label: str) -> int:
    count = 0
    for item in items or ():
        name = str(item.get("filename") or "").strip()[:200]
        ctype = str(item.get("content_type") or "").strip().lower()
        content = item.get("content")
        if content is None:
            try:
                content = base64.b64decode(item.get("content_base64") or "", validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("evidence", _("Evidence content is not valid base64.")) from None
        if not name or not content:
            raise Invalid("evidence", _("Each piece of evidence needs a file name and content."))
        if ctype not in EVIDENCE_TYPES:
            raise Invalid("evidence", _("Evidence must be a photo, a PDF or a text test result."))
        if len(content) > EVIDENCE_MAX_BYTES:
            raise Invalid("evidence", _("A piece of evidence may be at most 5 MB."))
        Evidence.objects.create(
            rma=rma,
            filename=name,
            content_type=ctype,
            size=len(content),
            content=bytes(content),
            uploaded_at=clock.now(),
            uploaded_by_label=label,
        )
        count += 1
    return count


# --- create --------------------------------------------------------------------------------


@transaction.atomic
def rma_create(
    *,
    actor: User | None,
    lines: Sequence[dict],
    customer_id: int | None = None,
    case_number: str | None = None,
    reason: str = "",
    doa: bool = False,
    fault: rules.Fault | None = None,
    reported_on: date | None = None,
    evidence: Sequence[dict] = (),
    actor_label: str = "",
    channel: str = "api",
    dealer: str = "",
) -> Rma:
    """A return request. Lines name a unit (serial_number) or a part (part_number, quantity).
    Each unit line carries the remedy engine's verdict as of the report. A DOA claim (asked
    for, or a performance failure within the brand's DOA window) needs evidence and is
    flagged for the claims desk. A return a dealer filed for its customer names the dealer.
    Without a case, one is opened for the first unit."""
    if not lines:
        raise Invalid("lines", _("A return needs at least one line."))
    fault = fault or rules.Fault(performance_failure=True)
    reported_on = reported_on or clock.today()
    label = actor_label or (actor.username if actor is not None else "customer")
    built: list[RmaLine] = []
    customer: Customer | None = None
    seen: set[int] = set()
    for index, raw in enumerate(lines):
        serial = str(raw.get("serial_number") or "").strip()
        part_number = str(raw.get("part_number") or "").strip()
        field = f"lines.{index}"
        if bool(serial) == bool(part_number):
            raise Invalid(field, _("A line names a unit's serial number or a part number."))
        requested = str(raw.get("remedy_requested") or "").strip()
        if requested and requested not in REMEDY_VALUES:
            raise Invalid(
                f"{field}.remedy_requested", _("Unknown remedy %(r)s.") % {"r": requested}
            )
        quantity = raw.get("quantity") or 1
        if not isinstance(quantity, int) or quantity < 1 or quantity > 10000:
            raise Invalid(f"{field}.quantity", _("quantity must be a whole number from 1."))
        line = RmaLine(
            reason=str(raw.get("reason") or "").strip(),
            remedy_requested=requested,
            quantity=quantity,
        )
        if serial:
            unit = selectors.unit_by_serial(serial)
            if unit is None:
                raise Invalid(
                    f"{field}.serial_number", _("No unit has serial number %(s)s.") % {"s": serial}
                )
            if quantity != 1:
                raise Invalid(f"{field}.quantity", _("A unit line returns one unit."))
            if unit.pk in seen:
                raise Invalid(f"{field}.serial_number", _("The unit is on the return twice."))
            seen.add(unit.pk)
            if customer is not None and unit.customer_id != customer.pk:
                raise Invalid(field, _("All units on one return belong to one customer."))
            customer = unit.customer
            try:
                verdict, _facts = selectors.unit_verdict(unit, reported_on=reported_on, fault=fault)
            except rules.RemedyInputError as exc:
                raise Invalid("reported_on", str(exc)) from None
            line.unit = unit
            line.verdict = selectors.verdict_dict(verdict)
            doa = doa or verdict.doa
        else:
            part = Part.objects.filter(number=part_number).first()
            if part is None:
                raise Invalid(
                    f"{field}.part_number", _("No part has number %(p)s.") % {"p": part_number}
                )
            line.part = part
        built.append(line)
    if customer is None:
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
        if customer is None:
            raise Invalid("customer_id", _("A return of parts names the customer."))
    elif customer_id is not None and customer_id != customer.pk:
        raise Invalid("customer_id", _("The units belong to another customer."))
    if doa and not evidence:
        raise Invalid(
            "evidence", _("A dead-on-arrival claim needs evidence: a photo or a test result.")
        )

    if case_number:
        case = case_selectors.case_get(actor, case_number) if actor is not None else None
        if case is None:
            raise NotFound(_("Case %(number)s") % {"number": case_number})
    else:
        first_unit = next((line.unit for line in built if line.unit is not None), None)
        case, _reused = case_open(
            actor=actor,
            type="repair",
            channel=channel,
            summary=(reason or _("Return request"))[:200],
            customer_id=customer.pk,
            serial_number=first_unit.serial_number if first_unit else None,
            actor_label=label,
        )
    partner = actor.partner if actor is not None and actor.role == Role.PARTNER else None
    now = clock.now()
    rma = Rma.objects.create(
        customer=customer,
        partner=partner,
        case=case,
        reason=reason.strip(),
        doa=doa,
        dealer=dealer.strip()[:200],
        flagged_for_claims=doa,
        freight_payer=FreightPayer.BUSINESS if fault.performance_failure else FreightPayer.CUSTOMER,
        created_by=actor,
        created_by_label=label,
        created_at=now,
        updated_at=now,
    )
    for line in built:
        line.rma = rma
        line.save()
    _evidence(rma, evidence, label)
    body = _("Return %(number)s requested: %(n)s line(s).") % {
        "number": rma.number,
        "n": len(built),
    }
    if rma.dealer:
        body += " " + _("Filed by the dealer %(dealer)s.") % {"dealer": rma.dealer}
    if doa:
        body += " " + _("Dead-on-arrival claim, flagged for the claims desk.")
    _event(
        rma,
        body,
        actor=actor,
        data={"status": {"from": None, "to": rma.status}, "doa": doa, "dealer": rma.dealer},
        visible_to_customer=True,
    )
    _notify(rma, "rma.requested")
    return rma


# --- authorise / reject / cancel ------------------------------------------------------------


@transaction.atomic
def rma_authorise(
    *,
    actor: User,
    number: str,
    approve: bool = True,
    reason: str = "",
    advance_replacement: bool = False,
    return_due_days: int | None = None,
) -> Rma:
    """Authorises the return (the label is issued: the RMA awaits the customer's shipment),
    or rejects it with a reason. With an advance replacement the replacement may ship before
    the faulty unit arrives; it is due back within `return_due_days`."""
    rma = _locked(actor, number)
    if not approve:
        if not reason.strip():
            raise Invalid("reason", _("Say why the return is rejected."))
        rma.rejection_reason = reason.strip()
        _move(rma, RmaStatus.REJECTED, actor=actor, note=reason.strip())
        rma.save()
        _notify(rma, "rma.rejected", reason=reason.strip())
        return rma
    _move(rma, RmaStatus.AUTHORISED, actor=actor, note=reason.strip())
    now = clock.now()
    rma.authorised_at = now
    if advance_replacement:
        days = (
            return_due_days
            if return_due_days is not None
            else getattr(settings, "RETURNS_ADVANCE_DUE_DAYS", 14)
        )
        if days < 1 or days > 365:
            raise Invalid("return_due_days", _("return_due_days must be between 1 and 365."))
        rma.advance_replacement = True
        rma.return_due_on = clock.today() + timedelta(days=days)
        _event(
            rma,
            _("Advance replacement: the faulty unit is due back by %(due)s.")
            % {"due": rma.return_due_on.isoformat()},
            actor=actor,
            data={"advance_replacement": True, "return_due_on": rma.return_due_on.isoformat()},
            visible_to_customer=True,
        )
    _move(
        rma, RmaStatus.AWAITING_SHIPMENT, actor=actor, note=_("The return label is ready to print.")
    )
    rma.save()
    _notify(rma, "rma.authorised")
    return rma


@transaction.atomic
def rma_cancel(*, actor: User | None, number: str, reason: str = "") -> Rma:
    rma = _locked(actor, number)
    _move(rma, RmaStatus.CANCELLED, actor=actor, note=reason.strip())
    rma.save()
    return rma


# --- shipments -----------------------------------------------------------------------------


@transaction.atomic
def rma_ship(
    *,
    actor: User | None,
    number: str,
    direction: str,
    carrier: str,
    tracking_number: str = "",
    freight_payer_: str | None = None,
    line_id: int | None = None,
) -> Shipment:
    """A shipment. Inbound (the customer's return) puts the RMA in transit; outbound carries a
    replacement or a repaired unit back (after the line is resolved, or before the return
    arrives for an advance replacement). The business pays the freight of quality returns."""
    rma = _locked(actor, number)
    if direction not in {d.value for d in Direction}:
        raise Invalid("direction", _("direction is inbound or outbound."))
    carrier = (carrier or "").strip()
    if not carrier:
        raise Invalid("carrier", _("Name the carrier."))
    line = _line(rma, line_id) if line_id is not None else None
    inspected = [ln.inspection_result for ln in rma.lines.all() if ln.inspection_result]
    payer = freight_payer_ or freight_payer(
        inspection_result=inspected[0] if len(set(inspected)) == 1 else None,
        quality_return=rma.freight_payer == FreightPayer.BUSINESS,
    )
    if payer not in {p.value for p in FreightPayer}:
        raise Invalid("freight_payer", _("freight_payer is business or customer."))
    if direction == Direction.INBOUND:
        if rma.status not in {RmaStatus.AUTHORISED, RmaStatus.AWAITING_SHIPMENT}:
            raise Conflict(
                "not_awaiting_shipment",
                _("Return %(number)s is not waiting for the customer's shipment.")
                % {"number": rma.number},
            )
        _move(
            rma,
            RmaStatus.IN_TRANSIT,
            actor=actor,
            note=_("%(carrier)s %(tracking)s") % {"carrier": carrier, "tracking": tracking_number},
        )
    else:
        if rma.status in FINAL:
            raise Conflict(
                "rma_final", _("Return %(number)s is finished.") % {"number": rma.number}
            )
        early = rma.advance_replacement and rma.status in {
            RmaStatus.AUTHORISED,
            RmaStatus.AWAITING_SHIPMENT,
            RmaStatus.IN_TRANSIT,
        }
        if not early and (line is None or not line.resolved_at):
            raise Conflict(
                "not_resolved",
                _(
                    "Ship to the customer once the line is resolved (or authorise an "
                    "advance replacement)."
                ),
            )
    shipment = Shipment.objects.create(
        rma=rma,
        direction=direction,
        carrier=carrier,
        tracking_number=(tracking_number or "").strip(),
        freight_payer=payer,
        line=line,
        shipped_at=clock.now(),
        created_by=actor,
    )
    body = _(
        "Shipment %(direction)s by %(carrier)s, tracking %(tracking)s; freight paid by the "
        "%(payer)s."
    ) % {
        "direction": direction,
        "carrier": carrier,
        "tracking": tracking_number or "-",
        "payer": payer,
    }
    if line is not None and line.replacement_unit_id:
        body += " " + _("Replacement unit %(serial)s.") % {
            "serial": line.replacement_unit.serial_number
        }
    _event(
        rma,
        body,
        actor=actor,
        data={"shipment": shipment.pk, "direction": direction},
        visible_to_customer=True,
    )
    rma.updated_at = clock.now()
    rma.save()
    if direction == Direction.OUTBOUND:
        _notify(rma, "rma.shipped", carrier=carrier, tracking_number=tracking_number)
    return shipment


# --- receive / inspect ---------------------------------------------------------------------


@transaction.atomic
def rma_receive(
    *,
    actor: User,
    number: str,
    lines: Sequence[dict] = (),
    location_code: str = "",
) -> Rma:
    """Books the arrival: quantities and condition per line (every line in full when none is
    given). A returned part enters stock at `location_code` (an inventory move)."""
    rma = _locked(actor, number)
    if rma.status not in RECEIVABLE:
        raise Conflict(
            "not_receivable",
            _("Return %(number)s is %(status)s: nothing is expected.")
            % {"number": rma.number, "status": STATUS_LABELS[RmaStatus(rma.status)]},
        )
    given = {item.get("line_id"): item for item in lines or ()}
    for key in given:
        _line(rma, key)
    for line in rma.lines.select_related("part"):
        item = given.get(line.pk, {} if not given else None)
        if item is None:
            continue
        quantity = item.get("quantity", line.quantity)
        if not isinstance(quantity, int) or quantity < 0 or quantity > line.quantity:
            raise Invalid(
                "quantity",
                _("Received quantity must be between 0 and %(n)s.") % {"n": line.quantity},
            )
        line.received_quantity = quantity
        line.condition = str(item.get("condition") or "").strip()
        line.save(update_fields=["received_quantity", "condition"])
        if line.part_id and quantity:
            if not location_code:
                raise Invalid("location_code", _("Name the stock location the parts go to."))
            stock.stock_adjust(
                actor=actor,
                part_number=line.part.number,
                location_code=location_code,
                delta=quantity,
                reason=_("Returned by the customer on %(n)s") % {"n": rma.number},
                reference=rma.number,
            )
    now = clock.now()
    rma.received_at = now
    if rma.status == RmaStatus.AUTHORISED:
        _move(rma, RmaStatus.AWAITING_SHIPMENT, actor=actor)
    _move(rma, RmaStatus.RECEIVED, actor=actor)
    rma.save()
    _notify(rma, "rma.received")
    return rma


@transaction.atomic
def rma_inspect(
    *, actor: User, number: str, lines: Sequence[dict], photos: Sequence[dict] = ()
) -> Rma:
    """The result per line: confirmed, no_fault_found, damaged_by_customer or wrong_item;
    photos of what the inspector saw are kept as evidence."""
    rma = _locked(actor, number)
    if rma.status != RmaStatus.RECEIVED:
        raise Conflict("not_received", _("Inspect a return once it has been received."))
    if not lines:
        raise Invalid("lines", _("Give the inspection result of each line."))
    results = {}
    for item in lines:
        line = _line(rma, item.get("line_id"))
        result = str(item.get("result") or "")
        if result not in {r.value for r in InspectionResult}:
            raise Invalid(
                "result",
                _("result must be one of: %(r)s.")
                % {"r": ", ".join(r.value for r in InspectionResult)},
            )
        line.inspection_result = result
        line.inspection_notes = str(item.get("notes") or "").strip()
        line.save(update_fields=["inspection_result", "inspection_notes"])
        results[line.pk] = result
        if line.unit_id and result != InspectionResult.WRONG_ITEM:
            # The claims desk's no-fault-found rate reads this off the partner's DOA claims.
            from aftersales.claims.services import claims_mark_inspection

            claims_mark_inspection(
                serial_number=line.unit.serial_number,
                no_fault_found=result == InspectionResult.NO_FAULT_FOUND,
            )
    missing = [ln.pk for ln in rma.lines.all() if not ln.inspection_result]
    if missing:
        raise Invalid(
            "lines",
            _("Lines %(ids)s have no inspection result.") % {"ids": ", ".join(map(str, missing))},
        )
    _evidence(rma, photos, actor.username)
    rma.inspected_at = clock.now()
    _move(
        rma,
        RmaStatus.INSPECTED,
        actor=actor,
        note=", ".join(f"#{k}: {v}" for k, v in results.items()),
    )
    rma.save()
    return rma


# --- resolve -------------------------------------------------------------------------------


def _resolve_repair(actor: User, rma: Rma, line: RmaLine, centre_code: str | None) -> None:
    from aftersales.workorders.services import work_order_create

    wo = work_order_create(
        actor=actor,
        case_number=rma.case.number,
        kind="workshop",
        centre_code=centre_code,
        instructions=_("Repair under return %(n)s.") % {"n": rma.number},
    )
    line.work_order = wo


def _resolve_replace(actor: User, rma: Rma, line: RmaLine, serial_number: str) -> None:
    original = line.unit
    if not serial_number.strip():
        raise Invalid("serial_number", _("Give the replacement unit's serial number."))
    verdict = line.verdict or {}
    jurisdiction = verdict.get("jurisdiction") or "BRAND"
    start = rules.coverage_start_after_replacement(
        jurisdiction,
        clock.today(),
        original.sold_on,
        selectors.brand_policy_for(original.product.category),
    )
    new = unit_register(
        serial_number=serial_number,
        sku=original.product.sku,
        customer_id=original.customer_id,
        sold_on=start,
        country=original.country,
        dealer=original.dealer,
    )
    Unit.objects.filter(pk=new.pk).update(
        replaces=original, sale_price=original.sale_price, sale_currency=original.sale_currency
    )
    line.replacement_unit = new
    _event(
        rma,
        _("Replacement unit %(new)s registered for %(old)s; coverage from %(start)s.")
        % {"new": new.serial_number, "old": original.serial_number, "start": start.isoformat()},
        actor=actor,
        data={"replacement": new.serial_number, "replaces": original.serial_number},
        visible_to_customer=True,
    )


def _resolve_refund(actor: User, rma: Rma, line: RmaLine) -> None:
    verdict = line.verdict or {}
    if line.unit_id:
        price = line.unit.sale_price
        currency = line.unit.sale_currency or getattr(settings, "RETURNS_CURRENCY", "EUR")
    else:
        price = line.part.list_price * line.received_quantity if line.part.list_price else None
        currency = getattr(settings, "RETURNS_CURRENCY", "EUR")
    if price is None:
        raise Conflict("no_sale_price", _("The unit has no sale price to refund."))
    rule_ids = {r.get("id") for r in verdict.get("rules", [])}
    depreciate = not verdict.get("doa") and "CN-7D" not in rule_ids
    line.refund_amount = refund_amount(
        sale_price=price,
        days_since_sale=verdict.get("days_since_sale", 0),
        percent_per_month=Decimal(
            str(getattr(settings, "RETURNS_DEPRECIATION_PERCENT_PER_MONTH", "0"))
        ),
        depreciate=depreciate,
        floor_percent=Decimal(str(getattr(settings, "RETURNS_DEPRECIATION_FLOOR_PERCENT", "0"))),
    )
    line.refund_currency = currency
    if line.refund_amount > 0:
        line.credit_note = billing.credit_note_issue(
            actor=actor,
            customer_id=rma.customer_id,
            currency=currency,
            amount=line.refund_amount,
            reason=_("Refund on return %(number)s, line %(id)s.")
            % {"number": rma.number, "id": line.pk},
            source=rma.number,
        )


def _part_move(
    actor: User,
    rma: Rma,
    line: RmaLine,
    disposition: str,
    location_code: str,
    to_location_code: str,
) -> None:
    qty = line.received_quantity
    if not qty:
        return
    if not location_code:
        raise Invalid("location_code", _("Name the stock location the returned parts are in."))
    part = line.part.number
    if disposition == Disposition.SCRAP:
        stock.stock_scrap(
            actor=actor,
            part_number=part,
            location_code=location_code,
            quantity=qty,
            reason=_("Scrapped under %(n)s") % {"n": rma.number},
        )
    elif disposition == Disposition.RETURN_TO_VENDOR:
        stock.stock_return_to_vendor(
            actor=actor,
            part_number=part,
            location_code=location_code,
            quantity=qty,
            reason=rma.number,
            reference=rma.number,
        )
    elif disposition == Disposition.REFURBISH:
        if not to_location_code:
            raise Invalid("to_location_code", _("Name the refurbished-stock location."))
        stock.stock_transfer(
            actor=actor,
            part_number=part,
            from_code=location_code,
            to_code=to_location_code,
            quantity=qty,
            reference=rma.number,
        )
    elif disposition == Disposition.RETURN_AS_IS:
        # The part goes back to the customer: it leaves our stock again. (A refunded or
        # replaced part stays where it was received until the warehouse disposes of it.)
        stock.stock_adjust(
            actor=actor,
            part_number=part,
            location_code=location_code,
            delta=-qty,
            reason=_("Returned as is under %(n)s") % {"n": rma.number},
            reference=rma.number,
        )


@transaction.atomic
def rma_resolve(
    *,
    actor: User,
    number: str,
    line_id: int,
    disposition: str,
    remedy_decided: str = "",
    serial_number: str = "",
    centre_code: str | None = None,
    location_code: str = "",
    to_location_code: str = "",
) -> RmaLine:
    """Resolves one line; lines resolve independently and the RMA is resolved with its last."""
    rma = _locked(actor, number)
    if rma.status != RmaStatus.INSPECTED and not (
        rma.advance_replacement
        and disposition == Disposition.REPLACE
        and rma.status
        in {
            RmaStatus.AUTHORISED,
            RmaStatus.AWAITING_SHIPMENT,
            RmaStatus.IN_TRANSIT,
            RmaStatus.RECEIVED,
        }
    ):
        raise Conflict("not_inspected", _("Resolve a return's lines once it has been inspected."))
    line = _line(rma, line_id)
    if line.resolved_at:
        raise Conflict("line_resolved", _("Line %(id)s is already resolved.") % {"id": line.pk})
    if disposition not in {d.value for d in Disposition}:
        raise Invalid(
            "disposition",
            _("disposition must be one of: %(d)s.")
            % {"d": ", ".join(d.value for d in Disposition)},
        )
    allowed = UNIT_DISPOSITIONS if line.unit_id else PART_DISPOSITIONS
    if disposition not in allowed:
        raise Invalid("disposition", _("%(d)s does not apply to this line.") % {"d": disposition})
    if remedy_decided and remedy_decided not in REMEDY_VALUES:
        raise Invalid("remedy_decided", _("Unknown remedy %(r)s.") % {"r": remedy_decided})
    if line.unit_id:
        if disposition == Disposition.REPAIR:
            _resolve_repair(actor, rma, line, centre_code)
        elif disposition == Disposition.REPLACE:
            _resolve_replace(actor, rma, line, serial_number)
        elif disposition == Disposition.REFUND:
            _resolve_refund(actor, rma, line)
    else:
        if disposition == Disposition.REFUND:
            _resolve_refund(actor, rma, line)
        _part_move(actor, rma, line, disposition, location_code, to_location_code)
    implied = {
        Disposition.REPAIR: "repair",
        Disposition.REPLACE: "replacement",
        Disposition.REFUND: "refund",
    }.get(Disposition(disposition), "")
    line.disposition = disposition
    line.remedy_decided = remedy_decided or implied
    line.resolved_at = clock.now()
    line.save()
    body = _("Return %(number)s line %(id)s resolved: %(d)s.") % {
        "number": rma.number,
        "id": line.pk,
        "d": disposition,
    }
    if line.credit_note_id is not None:
        body += " " + _("Refund %(amount)s %(currency)s (credit note %(note)s).") % {
            "amount": line.refund_amount,
            "currency": line.refund_currency,
            "note": credit_note_number(line),
        }
    _event(
        rma,
        body,
        actor=actor,
        data={"line": line.pk, "disposition": disposition},
        visible_to_customer=True,
    )
    if (
        not rma.lines.filter(resolved_at__isnull=True).exists()
        and rma.status == RmaStatus.INSPECTED
    ):
        rma.resolved_at = clock.now()
        _move(rma, RmaStatus.RESOLVED, actor=actor)
    rma.updated_at = clock.now()
    rma.save()
    _notify(rma, "rma.resolved", disposition=disposition)
    return line


def credit_note_number(line: RmaLine) -> str | None:
    return line.credit_note.number if line.credit_note_id else None


@transaction.atomic
def rma_close(*, actor: User, number: str) -> Rma:
    rma = _locked(actor, number)
    _move(rma, RmaStatus.CLOSED, actor=actor)
    rma.save()
    return rma


@transaction.atomic
def rma_charge_unreturned(*, number: str, on: date | None = None) -> Rma | None:
    """An advance replacement whose faulty unit did not arrive by its due date is charged the
    replacement's sale price, invoiced to the customer; run daily by the worker."""
    rma = _locked(None, number)
    on = on or clock.today()
    if not rma.advance_replacement or rma.received_at or rma.advance_charge is not None:
        return None
    if rma.return_due_on is None or on <= rma.return_due_on:
        return None
    prices = [ln.unit.sale_price for ln in rma.lines.select_related("unit") if ln.unit_id]
    rma.advance_charge = sum((p for p in prices if p is not None), Decimal("0"))
    if rma.advance_charge > 0:
        currency = next(
            (
                ln.unit.sale_currency
                for ln in rma.lines.all()
                if ln.unit_id and ln.unit.sale_currency
            ),
            getattr(settings, "RETURNS_CURRENCY", "EUR"),
        )
        rma.advance_invoice = billing.charge_invoice_issue(
            actor=None,
            customer_id=rma.customer_id,
            currency=currency,
            lines=[
                {
                    "kind": "charge",
                    "reference": ln.unit.serial_number,
                    "quantity": "1",
                    "unit_price": str(ln.unit.sale_price),
                    "amount": ln.unit.sale_price,
                }
                for ln in rma.lines.select_related("unit")
                if ln.unit_id and ln.unit.sale_price
            ],
            source=rma.number,
        )
    rma.save(update_fields=["advance_charge", "advance_invoice"])
    _event(
        rma,
        _("The faulty unit was due back by %(due)s and has not arrived: %(amount)s is charged.")
        % {"due": rma.return_due_on.isoformat(), "amount": rma.advance_charge},
        actor=None,
        data={"advance_charge": str(rma.advance_charge)},
        visible_to_customer=True,
    )
    return rma


@transaction.atomic
def portal_auto_authorise(*, number: str) -> Rma:
    """A customer's own return is authorised at once when every unit line is owed a free
    remedy (settings.RETURNS_AUTO_AUTHORISE, default on): the customer prints the label
    straight away. Anything else waits for the office."""
    rma = _locked(None, number)
    if not getattr(settings, "RETURNS_AUTO_AUTHORISE", True) or rma.status != RmaStatus.REQUESTED:
        return rma
    lines = list(rma.lines.all())
    owed = all(
        line.unit_id and line.verdict and line.verdict.get("allowed") != ["paid_repair"]
        for line in lines
    )
    if not owed:
        return rma
    return rma_authorise(
        actor=None, number=number, reason=_("A free remedy is owed: authorised automatically.")
    )
