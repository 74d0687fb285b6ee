"""Every write on spare-parts stock. Each public function is one transaction.

Stock changes only through `_post`, which appends `StockMove` rows and updates the
`StockBalance` rows of the tracked locations they touch in the same transaction. Locks are
always taken in one order: reservation row, then balance rows sorted by (part_id,
location_id), then serial rows; so two writers never wait on each other in a circle. The
database refuses negative stock and reservations above on hand by CHECK constraints, the
services refuse it first with a 409 `insufficient_stock` (see
docs/decisions/0008-stock-ledger.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.inventory import rules, selectors
from aftersales.inventory.models import (
    DefectiveReturn,
    LocationKind,
    Purchase,
    ReorderRule,
    ReplenishmentLine,
    ReplenishmentRun,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockLocation,
    StockMove,
    StockSerial,
    Transfer,
)
from aftersales.inventory.rules import DefectiveStatus, InspectionOutcome, Kind, MoveKind
from aftersales.network.models import Partner, ServiceCentre

# Work orders that no longer take parts.
_CLOSED_WORK = frozenset({"closed", "cancelled"})


def defective_return_days() -> int:
    return int(getattr(settings, "INVENTORY_DEFECTIVE_RETURN_DAYS", 30))


# --- locations ------------------------------------------------------------------------------


@transaction.atomic
def stock_location_create(
    *,
    code: str,
    name: str,
    kind: str = LocationKind.WAREHOUSE,
    centre_code: str | None = None,
    partner_code: str | None = None,
    technician_username: str | None = None,
) -> StockLocation:
    """A physical stock location held by one centre or one partner; a van also names its
    technician (and is held by the technician's centre or partner unless another is named).
    Virtual locations (supplier, customer, in transit, …) are built in."""
    code = code.strip()
    if not code:
        raise Invalid("code", _("A stock location needs a code."))
    if kind not in rules.PHYSICAL:
        raise Invalid(
            "kind",
            _("kind must be one of: %(k)s.") % {"k": ", ".join(sorted(rules.PHYSICAL))},
        )
    if StockLocation.objects.filter(code=code).exists():
        raise Conflict(
            "duplicate_location", _("Location %(code)s already exists.") % {"code": code}
        )
    technician = None
    if technician_username:
        if kind != Kind.VAN:
            raise Invalid("technician_username", _("Only a van has a technician."))
        technician = User.objects.filter(
            username=technician_username.strip(), is_active=True
        ).first()
        if technician is None or technician.role not in (Role.TECHNICIAN, Role.PARTNER):
            raise Invalid(
                "technician_username",
                _("%(name)s is not an active technician.") % {"name": technician_username},
            )
        if not centre_code and not partner_code:
            if technician.partner_id:
                partner_code = technician.partner.code
            elif technician.service_centre_id:
                centre_code = technician.service_centre.code
    elif kind == Kind.VAN:
        raise Invalid("technician_username", _("Name the technician who drives the van."))
    if bool(centre_code) == bool(partner_code):
        raise Invalid("centre_code", _("A stock location is held by one centre or one partner."))
    centre = partner = None
    if centre_code:
        centre = ServiceCentre.objects.filter(code=centre_code.strip()).first()
        if centre is None:
            raise Invalid("centre_code", _("No centre has code %(code)s.") % {"code": centre_code})
    else:
        partner = Partner.objects.filter(code=(partner_code or "").strip().upper()).first()
        if partner is None:
            raise Invalid(
                "partner_code", _("No partner has code %(code)s.") % {"code": partner_code}
            )
    return StockLocation.objects.create(
        code=code,
        name=name.strip() or code,
        kind=kind,
        centre=centre,
        partner=partner,
        technician=technician,
    )


def virtual_location(kind: Kind) -> StockLocation:
    """The one location of a virtual kind, made when first needed (so a flushed test
    database or a fresh installation needs no fixture)."""
    code = rules.SINGLETON_CODES[kind]
    location = StockLocation.objects.filter(code=code).first()
    if location is not None:
        return location
    try:
        with transaction.atomic():
            return StockLocation.objects.create(
                code=code, name=LocationKind(kind.value).label, kind=kind.value
            )
    except IntegrityError:
        return StockLocation.objects.get(code=code)


# --- lookups --------------------------------------------------------------------------------


def _part(number: str, field: str = "part_number") -> Part:
    part = selectors.part_by_number(number or "")
    if part is None:
        raise Invalid(field, _("No part has number %(n)s.") % {"n": number})
    return part


def _location(code: str, field: str = "location_code", *, physical: bool = True) -> StockLocation:
    location = selectors.location_by_code(code or "")
    if location is None:
        raise Invalid(field, _("No stock location has code %(code)s.") % {"code": code})
    if physical and location.kind not in rules.PHYSICAL:
        raise Invalid(
            field, _("%(code)s is not a place where stock is kept.") % {"code": location.code}
        )
    if physical and not location.active:
        raise Conflict(
            "location_inactive", _("Location %(code)s is closed.") % {"code": location.code}
        )
    return location


def _quantity(quantity: int, field: str = "quantity") -> int:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= 1_000_000
    ):
        raise Invalid(field, _("Quantity is a whole number from 1 to 1,000,000."))
    return quantity


def _work_order(actor: User | None, number: str):
    from aftersales.workorders import rules as wo_rules
    from aftersales.workorders import selectors as wo_selectors
    from aftersales.workorders.models import WorkOrder

    wo_id = wo_rules.parse_work_order_number(number or "")
    orders = wo_selectors.visible_work_orders(actor) if actor else WorkOrder.objects.all()
    wo = None
    if wo_id is not None:
        wo = orders.select_related("unit", "technician", "partner").filter(pk=wo_id).first()
    if wo is None:
        raise NotFound(_("Work order %(number)s") % {"number": number})
    if wo.status in _CLOSED_WORK:
        raise Conflict(
            "work_order_closed",
            _("Work order %(number)s is %(status)s: it takes no parts.")
            % {"number": wo.number, "status": wo.status},
        )
    return wo


def _check_fit(part: Part, wo, override_reason: str) -> None:
    product_id = wo.unit.product_id if wo.unit_id else None
    verdict = rules.fit_verdict(
        fits=selectors.part_fits_product(part, product_id), override_reason=override_reason
    )
    if not verdict.allowed:
        fit = selectors.part_fit(part.number, product_id)
        better = [number for number, fits in fit.successors if fits]
        message = _("%(part)s is not listed for this unit's model.") % {"part": part.number}
        if better:
            message += " " + _("Its successor %(next)s is.") % {"next": better[-1]}
        else:
            message += " " + _("Give a reason to fit it anyway.")
        raise Invalid("part_number", message, code=verdict.code)


def _serials(part: Part, quantity: int, serials: Sequence[str]) -> tuple[str, ...]:
    refusal = rules.serials_refusal(serialised=part.serialised, quantity=quantity, serials=serials)
    messages = {
        "serial_not_expected": _("%(part)s is not serialised: give no serial numbers."),
        "serial_blank": _("A serial number is blank."),
        "serials_count": _("%(part)s is serialised: give one serial number per unit."),
        "serial_repeated": _("A serial number is given twice."),
    }
    if refusal:
        raise Invalid("serials", messages[refusal] % {"part": part.number}, code=refusal)
    return tuple(rules.normalise_serial(s) for s in serials)


# --- the one writer of the ledger -----------------------------------------------------------


@dataclass
class _Move:
    kind: MoveKind
    part: Part
    source: StockLocation
    target: StockLocation
    quantity: int
    serials: tuple[str, ...] = ()
    work_order_id: int | None = None
    reservation: Reservation | None = None
    transfer: Transfer | None = None
    purchase: Purchase | None = None
    reason: str = ""
    reference: str = ""
    # Reserved units at the source this move takes (a consumed reservation).
    unreserve: int = 0


def _lock_balances(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    """The balance rows, created if missing, locked in (part_id, location_id) order."""
    ordered = sorted(set(pairs))
    if not ordered:
        return {}
    where = Q()
    for part_id, location_id in ordered:
        where |= Q(part_id=part_id, location_id=location_id)
    existing = set(StockBalance.objects.filter(where).values_list("part_id", "location_id"))
    missing = [pair for pair in ordered if pair not in existing]
    if missing:
        StockBalance.objects.bulk_create(
            [StockBalance(part_id=p, location_id=loc) for p, loc in missing],
            ignore_conflicts=True,
        )
    rows = StockBalance.objects.select_for_update().filter(where).order_by("part_id", "location_id")
    return {(b.part_id, b.location_id): b for b in rows}


def _insufficient(part: Part, location: StockLocation, requested: int, have: int) -> Conflict:
    info = selectors.availability_of(part.pk, location)
    details = {
        "part": part.number,
        "location": location.code,
        "requested": requested,
        "available": have,
        "incoming": info.incoming,
        "expected_arrival": info.expected_arrival.isoformat() if info.expected_arrival else None,
        "available_elsewhere": selectors.available_elsewhere(part.pk, location.pk),
    }
    message = _("Only %(have)s of %(part)s available at %(location)s (asked %(want)s).") % {
        "have": have,
        "part": part.number,
        "location": location.code,
        "want": requested,
    }
    if info.expected_arrival:
        message += " " + _("%(n)s more expected on %(date)s.") % {
            "n": info.incoming,
            "date": info.expected_arrival.isoformat(),
        }
    elif info.incoming:
        message += " " + _("%(n)s more on the way.") % {"n": info.incoming}
    return Conflict("insufficient_stock", message, details)


def _post(
    moves: Sequence[_Move],
    *,
    actor: User | None,
    reserve: Sequence[tuple[Part, StockLocation, int]] = (),
) -> list[StockMove]:
    """Appends the moves to the ledger and applies them, with any change of reserved units
    (`reserve`: positive reserves, negative releases), to the locked balances. Refuses,
    before writing anything, what would leave a balance negative or reserved above on hand."""
    for move in moves:
        refusal = rules.route_refusal(move.kind, move.source.kind, move.target.kind)
        if refusal:
            raise Invalid(
                "location_code",
                _("A %(kind)s cannot go from %(src)s to %(dst)s.")
                % {"kind": move.kind.value, "src": move.source.code, "dst": move.target.code},
                code=refusal,
            )
    pairs = [(p.pk, loc.pk) for p, loc, _n in reserve]
    for move in moves:
        for loc in (move.source, move.target):
            if rules.is_tracked(loc.kind):
                pairs.append((move.part.pk, loc.pk))
    locked = _lock_balances(pairs)
    now = clock.now()
    for part, location, delta in reserve:
        balance = locked[(part.pk, location.pk)]
        if delta > 0 and balance.available < delta:
            raise _insufficient(part, location, delta, balance.available)
        balance.reserved += delta
    for move in moves:
        if rules.is_tracked(move.source.kind):
            balance = locked[(move.part.pk, move.source.pk)]
            balance.reserved -= move.unreserve
            if balance.on_hand - balance.reserved < move.quantity:
                raise _insufficient(
                    move.part, move.source, move.quantity, balance.on_hand - balance.reserved
                )
            balance.on_hand -= move.quantity
        if rules.is_tracked(move.target.kind):
            locked[(move.part.pk, move.target.pk)].on_hand += move.quantity
    for balance in locked.values():
        if balance.reserved < 0 or balance.reserved > balance.on_hand:
            # A reservation that lost its stock: only a bug gets here; refuse cleanly.
            raise Conflict("reserved_stock", _("The move would take reserved stock."))
        StockBalance.objects.filter(pk=balance.pk).update(
            on_hand=balance.on_hand, reserved=balance.reserved, updated_at=now
        )
    rows: list[StockMove] = []
    for move in moves:
        if move.serials:
            _move_serials(move, now)
        common = dict(
            kind=move.kind.value,
            part=move.part,
            from_location=move.source,
            to_location=move.target,
            work_order_id=move.work_order_id,
            reservation=move.reservation,
            transfer=move.transfer,
            purchase=move.purchase,
            reason=move.reason,
            reference=move.reference,
            unit_cost=move.part.cost_price,
            currency=move.part.currency,
            actor=actor,
            at=now,
        )
        if move.serials:
            rows.extend(StockMove(quantity=1, serial=s, **common) for s in move.serials)
        else:
            rows.append(StockMove(quantity=move.quantity, **common))
    return StockMove.objects.bulk_create(rows)


# Serials may appear for the first time when they come from outside the brand's stock.
_SERIAL_ORIGINS = frozenset({Kind.SUPPLIER, Kind.CUSTOMER, Kind.ADJUSTMENT})


def _move_serials(move: _Move, now) -> None:
    found = {
        row.serial: row
        for row in StockSerial.objects.select_for_update()
        .filter(part=move.part, serial__in=move.serials)
        .select_related("location")
        .order_by("serial")
    }
    for serial in move.serials:
        row = found.get(serial)
        if row is None and move.source.kind in _SERIAL_ORIGINS:
            try:
                with transaction.atomic():
                    StockSerial.objects.create(
                        part=move.part, serial=serial, location=move.target, updated_at=now
                    )
            except IntegrityError:
                raise Conflict(
                    "serial_elsewhere",
                    _("Serial %(serial)s of %(part)s is already recorded elsewhere.")
                    % {"serial": serial, "part": move.part.number},
                ) from None
            continue
        if row is None or row.location_id != move.source.pk:
            raise Conflict(
                "serial_not_here",
                _("Serial %(serial)s of %(part)s is not at %(location)s.")
                % {"serial": serial, "part": move.part.number, "location": move.source.code},
                {
                    "serial": serial,
                    "part": move.part.number,
                    "location": move.source.code,
                    "where": row.location.code if row else None,
                },
            )
        StockSerial.objects.filter(pk=row.pk).update(location=move.target, updated_at=now)


def _reference(reference: str) -> str:
    return (reference or "").strip()[:100]


# --- receipts and purchases -----------------------------------------------------------------


@transaction.atomic
def purchase_create(
    *,
    actor: User | None,
    part_number: str,
    location_code: str,
    quantity: int,
    expected_arrival: date | None = None,
    supplier: str = "",
    reference: str = "",
) -> Purchase:
    """Records stock ordered from the supplier: it counts as incoming at the location."""
    part = _part(part_number)
    location = _location(location_code)
    return Purchase.objects.create(
        part=part,
        location=location,
        quantity=_quantity(quantity),
        expected_arrival=expected_arrival,
        supplier=supplier.strip()[:200],
        reference=_reference(reference),
        created_at=clock.now(),
        created_by=actor,
    )


@transaction.atomic
def purchase_cancel(*, actor: User | None, number: str) -> Purchase:
    pk = rules.parse_document_number("purchase", number)
    purchase = Purchase.objects.select_for_update().filter(pk=pk).first() if pk else None
    if purchase is None:
        raise NotFound(_("Purchase %(number)s") % {"number": number})
    if purchase.status != Purchase.Status.OPEN:
        raise Conflict("purchase_closed", _("%(n)s is not open.") % {"n": purchase.number})
    purchase.status = Purchase.Status.CANCELLED
    purchase.save(update_fields=["status"])
    return purchase


@transaction.atomic
def stock_receive(
    *,
    actor: User | None,
    part_number: str,
    location_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    purchase_number: str | None = None,
    reference: str = "",
) -> list[StockMove]:
    """Goods in from the supplier, against an open purchase when one is named."""
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    serials_ = _serials(part, quantity, serials)
    purchase = None
    if purchase_number:
        pk = rules.parse_document_number("purchase", purchase_number)
        purchase = Purchase.objects.select_for_update().filter(pk=pk).first() if pk else None
        if purchase is None:
            raise Invalid(
                "purchase_number", _("No purchase has number %(n)s.") % {"n": purchase_number}
            )
        if purchase.status != Purchase.Status.OPEN:
            raise Conflict("purchase_closed", _("%(n)s is not open.") % {"n": purchase.number})
        if purchase.part_id != part.pk or purchase.location_id != location.pk:
            raise Invalid(
                "purchase_number",
                _("%(n)s is for another part or location.") % {"n": purchase.number},
            )
        if quantity > purchase.outstanding:
            raise Invalid(
                "quantity",
                _("Only %(n)s are still expected on %(p)s.")
                % {"n": purchase.outstanding, "p": purchase.number},
            )
        purchase.received_quantity += quantity
        if purchase.received_quantity == purchase.quantity:
            purchase.status = Purchase.Status.RECEIVED
        purchase.save(update_fields=["received_quantity", "status"])
    return _post(
        [
            _Move(
                MoveKind.RECEIPT,
                part,
                virtual_location(Kind.SUPPLIER),
                location,
                quantity,
                serials_,
                purchase=purchase,
                reference=_reference(reference) or (purchase.number if purchase else ""),
            )
        ],
        actor=actor,
    )


# --- transfers ------------------------------------------------------------------------------


def _ship(
    *,
    actor: User | None,
    part_number: str,
    from_code: str,
    to_code: str,
    quantity: int,
    serials: Sequence[str],
    expected_arrival: date | None,
    reference: str,
) -> Transfer:
    part = _part(part_number)
    source = _location(from_code, "from_code")
    target = _location(to_code, "to_code")
    if source.pk == target.pk:
        raise Invalid("to_code", _("A transfer goes to another location."))
    quantity = _quantity(quantity)
    serials_ = _serials(part, quantity, serials)
    transfer = Transfer.objects.create(
        part=part,
        quantity=quantity,
        from_location=source,
        to_location=target,
        serials=list(serials_),
        expected_arrival=expected_arrival,
        reference=_reference(reference),
        shipped_at=clock.now(),
        shipped_by=actor,
    )
    _post(
        [
            _Move(
                MoveKind.TRANSFER_OUT,
                part,
                source,
                virtual_location(Kind.IN_TRANSIT),
                quantity,
                serials_,
                transfer=transfer,
                reference=transfer.reference or transfer.number,
            )
        ],
        actor=actor,
    )
    return transfer


def _receive(*, actor: User | None, transfer: Transfer) -> Transfer:
    if transfer.status != Transfer.Status.IN_TRANSIT:
        raise Conflict(
            "transfer_received", _("%(n)s has already arrived.") % {"n": transfer.number}
        )
    transfer.status = Transfer.Status.RECEIVED
    transfer.received_at = clock.now()
    transfer.received_by = actor
    transfer.save(update_fields=["status", "received_at", "received_by"])
    _post(
        [
            _Move(
                MoveKind.TRANSFER_IN,
                transfer.part,
                virtual_location(Kind.IN_TRANSIT),
                transfer.to_location,
                transfer.quantity,
                tuple(transfer.serials),
                transfer=transfer,
                reference=transfer.reference or transfer.number,
            )
        ],
        actor=actor,
    )
    return transfer


@transaction.atomic
def transfer_ship(
    *,
    actor: User | None,
    part_number: str,
    from_code: str,
    to_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    expected_arrival: date | None = None,
    reference: str = "",
) -> Transfer:
    """Sends stock on its way: it leaves the source for in-transit, where it is visible (and
    counted as incoming at the destination) until received."""
    return _ship(
        actor=actor,
        part_number=part_number,
        from_code=from_code,
        to_code=to_code,
        quantity=quantity,
        serials=serials,
        expected_arrival=expected_arrival,
        reference=reference,
    )


@transaction.atomic
def transfer_receive(*, actor: User | None, number: str) -> Transfer:
    pk = rules.parse_document_number("transfer", number)
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("part", "to_location")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if transfer is None:
        raise NotFound(_("Transfer %(number)s") % {"number": number})
    return _receive(actor=actor, transfer=transfer)


@transaction.atomic
def stock_transfer(
    *,
    actor: User | None,
    part_number: str,
    from_code: str,
    to_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    reference: str = "",
) -> Transfer:
    """A hand-over on the spot (warehouse counter to van): shipped and received at once."""
    transfer = _ship(
        actor=actor,
        part_number=part_number,
        from_code=from_code,
        to_code=to_code,
        quantity=quantity,
        serials=serials,
        expected_arrival=None,
        reference=reference,
    )
    return _receive(actor=actor, transfer=transfer)


# --- issues to work orders ------------------------------------------------------------------


def _issue(
    *,
    actor: User | None,
    wo,
    part: Part,
    location: StockLocation,
    quantity: int,
    serials: tuple[str, ...],
    reservation: Reservation | None,
    reference: str,
) -> list[StockMove]:
    rows = _post(
        [
            _Move(
                MoveKind.ISSUE,
                part,
                location,
                virtual_location(Kind.CUSTOMER),
                quantity,
                serials,
                work_order_id=wo.pk,
                reservation=reservation,
                reference=reference or wo.number,
                unreserve=quantity if reservation else 0,
            )
        ],
        actor=actor,
    )
    _ask_for_the_defective_part(wo, part, quantity, rows[0], location)
    return rows


def _ask_for_the_defective_part(wo, part: Part, quantity: int, move, location) -> None:
    """A part consumed under warranty that the supplier wants back opens a defective-return
    line, due within the configured days."""
    if rules.defective_return_needed(
        category=wo.category, required_by_part=part.defective_return_required
    ):
        DefectiveReturn.objects.create(
            work_order=wo,
            part=part,
            quantity=quantity,
            issue_move=move,
            source_location=location,
            technician_id=wo.technician_id,
            partner_id=wo.partner_id,
            due_on=rules.defective_due_on(clock.today(), defective_return_days()),
            created_at=clock.now(),
        )


@transaction.atomic
def stock_issue(
    *,
    actor: User | None,
    work_order_number: str,
    part_number: str,
    location_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    fit_override_reason: str = "",
    reference: str = "",
) -> list[StockMove]:
    """Parts fitted on a job straight from the shelf, without a reservation."""
    wo = _work_order(actor, work_order_number)
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    serials_ = _serials(part, quantity, serials)
    _check_fit(part, wo, fit_override_reason)
    return _issue(
        actor=actor,
        wo=wo,
        part=part,
        location=location,
        quantity=quantity,
        serials=serials_,
        reservation=None,
        reference=_reference(reference) or fit_override_reason.strip()[:100],
    )


@transaction.atomic
def stock_return_unused(
    *,
    actor: User | None,
    work_order_number: str,
    part_number: str,
    location_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    reference: str = "",
) -> list[StockMove]:
    """Parts issued to a job and not fitted come back into stock; never more than the job
    took of that part."""
    wo = _work_order(actor, work_order_number)
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    serials_ = _serials(part, quantity, serials)
    moved = StockMove.objects.filter(work_order=wo, part=part)
    issued = moved.filter(kind=MoveKind.ISSUE).aggregate(n=Sum("quantity", default=0))["n"]
    back = moved.filter(kind=MoveKind.RETURN_UNUSED).aggregate(n=Sum("quantity", default=0))["n"]
    if quantity > issued - back:
        raise Conflict(
            "more_than_issued",
            _("%(number)s took %(n)s of %(part)s that can still come back.")
            % {"number": wo.number, "n": issued - back, "part": part.number},
            {"issued": issued, "returned": back},
        )
    return _post(
        [
            _Move(
                MoveKind.RETURN_UNUSED,
                part,
                virtual_location(Kind.CUSTOMER),
                location,
                quantity,
                serials_,
                work_order_id=wo.pk,
                reference=_reference(reference) or wo.number,
            )
        ],
        actor=actor,
    )


# --- reservations ---------------------------------------------------------------------------


@transaction.atomic
def reservation_create(
    *,
    actor: User | None,
    work_order_number: str,
    part_number: str,
    location_code: str,
    quantity: int,
    part_line_id: int | None = None,
    fit_override_reason: str = "",
) -> Reservation:
    """Promises stock at a location to a work order. Refused with 409 `insufficient_stock`
    (saying what is available and when more is expected) when the location cannot give it:
    the work-order side then moves the job to waiting for parts."""
    wo = _work_order(actor, work_order_number)
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    _check_fit(part, wo, fit_override_reason)
    if part_line_id is not None and not wo.parts.filter(pk=part_line_id).exists():
        raise Invalid("part_line_id", _("That part line is not on %(n)s.") % {"n": wo.number})
    _post([], actor=actor, reserve=[(part, location, quantity)])
    try:
        with transaction.atomic():
            return Reservation.objects.create(
                work_order=wo,
                part_line_id=part_line_id,
                part=part,
                location=location,
                quantity=quantity,
                fit_override_reason=fit_override_reason.strip(),
                created_at=clock.now(),
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            "already_reserved", _("That part line already has an open reservation.")
        ) from None


def _locked_reservation(number: str | int) -> Reservation:
    pk = rules.parse_document_number("reservation", number)
    reservation = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("part", "location", "work_order")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if reservation is None:
        raise NotFound(_("Reservation %(number)s") % {"number": number})
    if reservation.status != ReservationStatus.ACTIVE:
        raise Conflict(
            "reservation_closed",
            _("%(n)s is already %(status)s.")
            % {"n": reservation.number, "status": reservation.status},
        )
    return reservation


@transaction.atomic
def reservation_consume(
    *,
    actor: User | None,
    number: str | int,
    quantity: int | None = None,
    serials: Sequence[str] = (),
) -> list[StockMove]:
    """The reserved parts are fitted: an issue move to the work order. A smaller `quantity`
    consumes that many and releases the rest."""
    reservation = _locked_reservation(number)
    wo = reservation.work_order
    if wo.status in _CLOSED_WORK:
        raise Conflict(
            "work_order_closed", _("Work order %(n)s takes no parts.") % {"n": wo.number}
        )
    open_qty = reservation.quantity - reservation.consumed_quantity
    take = open_qty if quantity is None else _quantity(quantity)
    if take > open_qty:
        raise Invalid("quantity", _("Only %(n)s are reserved.") % {"n": open_qty})
    serials_ = _serials(reservation.part, take, serials)
    rest = open_qty - take
    rows = _post(
        [
            _Move(
                MoveKind.ISSUE,
                reservation.part,
                reservation.location,
                virtual_location(Kind.CUSTOMER),
                take,
                serials_,
                work_order_id=wo.pk,
                reservation=reservation,
                reference=wo.number,
                unreserve=take,
            )
        ],
        actor=actor,
        reserve=[(reservation.part, reservation.location, -rest)] if rest else (),
    )
    _ask_for_the_defective_part(wo, reservation.part, take, rows[0], reservation.location)
    reservation.consumed_quantity += take
    reservation.status = ReservationStatus.CONSUMED
    reservation.closed_at = clock.now()
    reservation.closed_by = actor
    reservation.save(update_fields=["consumed_quantity", "status", "closed_at", "closed_by"])
    return rows


@transaction.atomic
def reservation_release(*, actor: User | None, number: str | int) -> Reservation:
    """Cancels the promise: the units become available again."""
    reservation = _locked_reservation(number)
    open_qty = reservation.quantity - reservation.consumed_quantity
    _post([], actor=actor, reserve=[(reservation.part, reservation.location, -open_qty)])
    reservation.status = ReservationStatus.RELEASED
    reservation.closed_at = clock.now()
    reservation.closed_by = actor
    reservation.save(update_fields=["status", "closed_at", "closed_by"])
    return reservation


# --- scrap, returns to the vendor, adjustments, counts --------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Say why."))
    return reason


@transaction.atomic
def stock_scrap(
    *,
    actor: User | None,
    part_number: str,
    location_code: str,
    quantity: int,
    reason: str,
    serials: Sequence[str] = (),
) -> list[StockMove]:
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    return _post(
        [
            _Move(
                MoveKind.SCRAP,
                part,
                location,
                virtual_location(Kind.SCRAP),
                quantity,
                _serials(part, quantity, serials),
                reason=_reason(reason),
            )
        ],
        actor=actor,
    )


@transaction.atomic
def stock_return_to_vendor(
    *,
    actor: User | None,
    part_number: str,
    location_code: str,
    quantity: int,
    serials: Sequence[str] = (),
    reason: str = "",
    reference: str = "",
) -> list[StockMove]:
    part = _part(part_number)
    location = _location(location_code)
    quantity = _quantity(quantity)
    return _post(
        [
            _Move(
                MoveKind.RETURN_TO_VENDOR,
                part,
                location,
                virtual_location(Kind.SUPPLIER),
                quantity,
                _serials(part, quantity, serials),
                reason=(reason or "").strip(),
                reference=_reference(reference),
            )
        ],
        actor=actor,
    )


@transaction.atomic
def stock_adjust(
    *,
    actor: User,
    part_number: str,
    location_code: str,
    delta: int,
    reason: str,
    serials: Sequence[str] = (),
    reference: str = "",
) -> list[StockMove]:
    """Corrects the book by `delta` units (found: positive, missing: negative), with the
    reason and who said so. Reserved units cannot be written off: release them first."""
    if actor is None:
        raise Invalid("actor", _("An adjustment records who made it."))
    reason = _reason(reason)
    part = _part(part_number)
    location = _location(location_code)
    if not isinstance(delta, int) or delta == 0:
        raise Invalid("delta", _("An adjustment changes the stock by at least one unit."))
    quantity = _quantity(abs(delta), "delta")
    account = virtual_location(Kind.ADJUSTMENT)
    source, target = (account, location) if delta > 0 else (location, account)
    return _post(
        [
            _Move(
                MoveKind.ADJUSTMENT,
                part,
                source,
                target,
                quantity,
                _serials(part, quantity, serials),
                reason=reason,
                reference=_reference(reference),
            )
        ],
        actor=actor,
    )


@transaction.atomic
def stock_count(
    *,
    actor: User,
    part_number: str,
    location_code: str,
    counted: int,
    reason: str = "",
) -> int:
    """A cycle count of a non-serialised part: the book is set to what was counted by an
    adjustment, and the variance (counted − book) is returned."""
    part = _part(part_number)
    location = _location(location_code)
    if part.serialised:
        raise Invalid(
            "part_number", _("Count serialised parts by serial: adjust with the serials.")
        )
    if not isinstance(counted, int) or counted < 0:
        raise Invalid("counted", _("The count is a whole number, zero or more."))
    locked = _lock_balances([(part.pk, location.pk)])
    variance = counted - locked[(part.pk, location.pk)].on_hand
    if variance:
        stock_adjust(
            actor=actor,
            part_number=part.number,
            location_code=location.code,
            delta=variance,
            reason=(reason or "").strip() or _("cycle count"),
            reference="count",
        )
    return variance


@transaction.atomic
def stock_move_create(
    *,
    actor: User,
    kind: str,
    part_number: str,
    quantity: int,
    from_code: str | None = None,
    to_code: str | None = None,
    serials: Sequence[str] = (),
    work_order_number: str | None = None,
    reason: str = "",
    reference: str = "",
) -> list[StockMove]:
    """One entry point for `POST /stock/moves`: the kind picks the typed service. Transfers
    here ship (use `transfer_receive` for the other leg); an adjustment's direction is given
    by which side is named (to_code: found, from_code: missing)."""
    if kind == MoveKind.RECEIPT:
        return stock_receive(
            actor=actor,
            part_number=part_number,
            location_code=to_code or "",
            quantity=quantity,
            serials=serials,
            reference=reference,
        )
    if kind in (MoveKind.TRANSFER_OUT, "transfer"):
        transfer = transfer_ship(
            actor=actor,
            part_number=part_number,
            from_code=from_code or "",
            to_code=to_code or "",
            quantity=quantity,
            serials=serials,
            reference=reference,
        )
        return list(transfer.moves.order_by("id"))
    if kind == MoveKind.ISSUE:
        return stock_issue(
            actor=actor,
            work_order_number=work_order_number or "",
            part_number=part_number,
            location_code=from_code or "",
            quantity=quantity,
            serials=serials,
            fit_override_reason=reason,
            reference=reference,
        )
    if kind == MoveKind.RETURN_UNUSED:
        return stock_return_unused(
            actor=actor,
            work_order_number=work_order_number or "",
            part_number=part_number,
            location_code=to_code or "",
            quantity=quantity,
            serials=serials,
            reference=reference,
        )
    if kind == MoveKind.SCRAP:
        return stock_scrap(
            actor=actor,
            part_number=part_number,
            location_code=from_code or "",
            quantity=quantity,
            reason=reason,
            serials=serials,
        )
    if kind == MoveKind.RETURN_TO_VENDOR:
        return stock_return_to_vendor(
            actor=actor,
            part_number=part_number,
            location_code=from_code or "",
            quantity=quantity,
            serials=serials,
            reason=reason,
            reference=reference,
        )
    if kind == MoveKind.ADJUSTMENT:
        if bool(from_code) == bool(to_code):
            raise Invalid("to_code", _("Name to_code (found) or from_code (missing), not both."))
        return stock_adjust(
            actor=actor,
            part_number=part_number,
            location_code=to_code or from_code or "",
            delta=_quantity(quantity) * (1 if to_code else -1),
            reason=reason,
            serials=serials,
            reference=reference,
        )
    raise Invalid(
        "kind",
        _("kind must be one of: %(k)s.")
        % {
            "k": ", ".join(
                [
                    MoveKind.RECEIPT,
                    "transfer",
                    MoveKind.ISSUE,
                    MoveKind.RETURN_UNUSED,
                    MoveKind.SCRAP,
                    MoveKind.RETURN_TO_VENDOR,
                    MoveKind.ADJUSTMENT,
                ]
            )
        },
    )


# --- defective returns ----------------------------------------------------------------------


def _locked_defective(number: str | int) -> DefectiveReturn:
    pk = rules.parse_document_number("defective", number)
    line = (
        DefectiveReturn.objects.select_for_update(of=("self",))
        .select_related("part", "work_order")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if line is None:
        raise NotFound(_("Defective return %(number)s") % {"number": number})
    return line


def _defective_step(line: DefectiveReturn, expected: DefectiveStatus) -> None:
    if line.status != expected:
        raise Conflict(
            "defective_wrong_step",
            _("%(n)s is %(status)s.") % {"n": line.number, "status": line.status},
            {"status": line.status},
        )


@transaction.atomic
def defective_return_receive(
    *, actor: User | None, number: str | int, serials: Sequence[str] = ()
) -> DefectiveReturn:
    """The removed part arrived at the central warehouse's defective stock."""
    line = _locked_defective(number)
    _defective_step(line, DefectiveStatus.DUE)
    serials_ = _serials(line.part, line.quantity, serials)
    rows = _post(
        [
            _Move(
                MoveKind.DEFECTIVE_RETURN,
                line.part,
                virtual_location(Kind.CUSTOMER),
                virtual_location(Kind.DEFECTIVE),
                line.quantity,
                serials_,
                work_order_id=line.work_order_id,
                reference=line.number,
            )
        ],
        actor=actor,
    )
    line.status = DefectiveStatus.RECEIVED
    line.serial = ",".join(serials_)[:80]
    line.received_at = clock.now()
    line.received_by = actor
    line.receive_move = rows[0]
    line.save(update_fields=["status", "serial", "received_at", "received_by", "receive_move"])
    return line


@transaction.atomic
def defective_return_inspect(
    *, actor: User | None, number: str | int, outcome: str, notes: str = ""
) -> DefectiveReturn:
    line = _locked_defective(number)
    _defective_step(line, DefectiveStatus.RECEIVED)
    if outcome not in InspectionOutcome.__members__.values():
        raise Invalid(
            "outcome",
            _("outcome must be one of: %(o)s.")
            % {"o": ", ".join(o.value for o in InspectionOutcome)},
        )
    line.status = DefectiveStatus.INSPECTED
    line.outcome = outcome
    line.inspection_notes = (notes or "").strip()
    line.inspected_at = clock.now()
    line.inspected_by = actor
    line.save(
        update_fields=["status", "outcome", "inspection_notes", "inspected_at", "inspected_by"]
    )
    return line


@transaction.atomic
def defective_return_close(
    *,
    actor: User | None,
    number: str | int,
    disposition: str,
    recovery_amount: Decimal | str | None = None,
    reference: str = "",
) -> DefectiveReturn:
    """After inspection: a confirmed defect goes back to the supplier with a recovery claim
    (the amount, in the part's currency); anything may be scrapped."""
    line = _locked_defective(number)
    _defective_step(line, DefectiveStatus.INSPECTED)
    refusal = rules.disposition_refusal(outcome=line.outcome or None, disposition=disposition)
    if refusal == "unknown_disposition":
        raise Invalid("disposition", _("disposition must be returned_to_vendor or scrapped."))
    if refusal == "not_defective":
        raise Conflict(
            "not_defective",
            _("Only a confirmed defect goes back to the supplier; %(n)s was %(o)s.")
            % {"n": line.number, "o": line.outcome},
        )
    serials = tuple(s for s in line.serial.split(",") if s) if line.part.serialised else ()
    defective = virtual_location(Kind.DEFECTIVE)
    if disposition == DefectiveStatus.RETURNED_TO_VENDOR:
        try:
            amount = Decimal(str(recovery_amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError, ValueError):
            raise Invalid(
                "recovery_amount", _("Give the amount claimed from the supplier.")
            ) from None
        if recovery_amount is None or amount < 0:
            raise Invalid("recovery_amount", _("Give the amount claimed from the supplier."))
        move = _Move(
            MoveKind.RETURN_TO_VENDOR,
            line.part,
            defective,
            virtual_location(Kind.SUPPLIER),
            line.quantity,
            serials,
            work_order_id=line.work_order_id,
            reference=_reference(reference) or line.number,
        )
        line.recovery_amount, line.recovery_currency = amount, line.part.currency
    else:
        move = _Move(
            MoveKind.SCRAP,
            line.part,
            defective,
            virtual_location(Kind.SCRAP),
            line.quantity,
            serials,
            work_order_id=line.work_order_id,
            reason=_("defective part: %(o)s") % {"o": line.outcome},
            reference=_reference(reference) or line.number,
        )
    rows = _post([move], actor=actor)
    line.status = disposition
    line.disposal_move = rows[0]
    line.closed_at = clock.now()
    line.save(
        update_fields=[
            "status",
            "disposal_move",
            "closed_at",
            "recovery_amount",
            "recovery_currency",
        ]
    )
    return line


# --- replenishment --------------------------------------------------------------------------


@transaction.atomic
def reorder_rule_set(
    *, part_number: str, location_code: str, minimum: int, maximum: int
) -> ReorderRule:
    part = _part(part_number)
    location = _location(location_code)
    refusal = rules.reorder_point_refusal(minimum, maximum)
    if refusal:
        field = "maximum" if refusal == "maximum_not_positive" else "minimum"
        raise Invalid(
            field,
            _("The reorder point is zero or more, the maximum at least one and not below it."),
            code=refusal,
        )
    rule, _created = ReorderRule.objects.update_or_create(
        part=part,
        location=location,
        defaults={"minimum": minimum, "maximum": maximum, "updated_at": clock.now()},
    )
    return rule


@transaction.atomic
def reorder_rule_delete(*, part_number: str, location_code: str) -> None:
    part = _part(part_number)
    location = _location(location_code, physical=False)
    ReorderRule.objects.filter(part=part, location=location).delete()


def _central(source_code: str | None) -> StockLocation:
    if source_code:
        return _location(source_code, "source_code")
    centrals = list(selectors.central_locations()[:2])
    if len(centrals) != 1:
        raise Invalid(
            "source_code",
            _("Name the central warehouse to replenish from (there is none or more than one)."),
        )
    return centrals[0]


@transaction.atomic
def replenishment_run(
    *,
    actor: User | None = None,
    source_code: str | None = None,
    batch: int = 500,
    set_based: bool = True,
) -> ReplenishmentRun:
    """Proposes transfers from the central warehouse to every location at or below its
    reorder point, and purchases for the central warehouse, counting reservations, goods in
    transit and open purchases; writes only proposals.

    The plan is computed in the database by two set-based statements (`_replenish_sql`), the
    same arithmetic as `rules.plan_part` (largest need first, then the location's key): ten
    million reorder rules then cost a few hash joins, a sort and one INSERT … SELECT instead
    of ten million Python objects. `set_based=False` runs `rules.plan_part` part by part in
    batches (the reference the SQL is tested against)."""
    source = _central(source_code)
    run = ReplenishmentRun.objects.create(source=source, at=clock.now(), actor=actor)
    if set_based:
        checked, transfers, purchases = _replenish_sql(run, source)
    else:
        part_ids = list(
            ReorderRule.objects.filter(location__active=True)
            .values_list("part_id", flat=True)
            .distinct()
            .order_by("part_id")
        )
        checked = transfers = purchases = 0
        for start in range(0, len(part_ids), batch):
            chunk = part_ids[start : start + batch]
            lines, n = _replenish_chunk(run, source, chunk)
            checked += n
            transfers += sum(
                1 for line in lines if line.kind == ReplenishmentLine.LineKind.TRANSFER
            )
            purchases += sum(
                1 for line in lines if line.kind == ReplenishmentLine.LineKind.PURCHASE
            )
            ReplenishmentLine.objects.bulk_create(lines, batch_size=1000)
    run.rules_checked, run.transfer_lines, run.purchase_lines = checked, transfers, purchases
    run.save(update_fields=["rules_checked", "transfer_lines", "purchase_lines"])
    return run


# The set-based plan (docs/decisions/0008-stock-ledger.md, "Replenishment at scale"): the
# positions of every active reorder rule that needs stock, and the central warehouse's
# position per part, are materialised once into two temporary tables; the transfer and
# purchase lines are then inserted from them. Portable SQL (PostgreSQL and SQLite): CASE
# instead of GREATEST/LEAST, a window sum for "largest need first, then the location key",
# the same arithmetic as `rules.plan_part`.
_REPLENISH_NEEDS = """
CREATE TEMPORARY TABLE inv_replenish_need AS
WITH rr AS (
    SELECT r.part_id, r.location_id, r.minimum, r.maximum
    FROM inventory_reorderrule r
    JOIN inventory_stocklocation l ON l.id = r.location_id
    WHERE l.active = %(true)s AND r.location_id <> %(source)s
),
incoming AS (
    SELECT part_id, location_id, SUM(q) AS q FROM (
        SELECT t.part_id, t.to_location_id AS location_id, t.quantity AS q
        FROM inventory_transfer t WHERE t.status = 'in_transit'
        UNION ALL
        SELECT p.part_id, p.location_id, p.quantity - p.received_quantity
        FROM inventory_purchase p WHERE p.status = 'open'
    ) AS x GROUP BY part_id, location_id
),
positions AS (
    SELECT rr.part_id, rr.location_id, rr.minimum, rr.maximum,
           COALESCE(b.on_hand, 0) AS on_hand, COALESCE(b.reserved, 0) AS reserved,
           COALESCE(i.q, 0) AS incoming,
           COALESCE(b.on_hand, 0) - COALESCE(b.reserved, 0) + COALESCE(i.q, 0) AS projected
    FROM rr
    LEFT JOIN inventory_stockbalance b
           ON b.part_id = rr.part_id AND b.location_id = rr.location_id
    LEFT JOIN incoming i ON i.part_id = rr.part_id AND i.location_id = rr.location_id
)
SELECT part_id, location_id, minimum, maximum, on_hand, reserved, incoming,
       maximum - projected AS need
FROM positions
WHERE projected <= minimum AND maximum - projected > 0
"""

_REPLENISH_CENTRAL = """
CREATE TEMPORARY TABLE inv_replenish_central AS
WITH parts AS (
    SELECT DISTINCT r.part_id
    FROM inventory_reorderrule r
    JOIN inventory_stocklocation l ON l.id = r.location_id
    WHERE l.active = %(true)s
),
incoming AS (
    SELECT part_id, SUM(q) AS q FROM (
        SELECT t.part_id, t.quantity AS q FROM inventory_transfer t
        WHERE t.status = 'in_transit' AND t.to_location_id = %(source)s
        UNION ALL
        SELECT p.part_id, p.quantity - p.received_quantity FROM inventory_purchase p
        WHERE p.status = 'open' AND p.location_id = %(source)s
    ) AS x GROUP BY part_id
),
wanted AS (
    SELECT part_id, SUM(need) AS total FROM inv_replenish_need GROUP BY part_id
)
SELECT parts.part_id,
       COALESCE(b.on_hand, 0) AS on_hand, COALESCE(b.reserved, 0) AS reserved,
       COALESCE(i.q, 0) AS incoming,
       CASE WHEN COALESCE(b.on_hand, 0) > COALESCE(b.reserved, 0)
            THEN COALESCE(b.on_hand, 0) - COALESCE(b.reserved, 0) ELSE 0 END AS available,
       COALESCE(w.total, 0) AS total,
       cr.minimum, cr.maximum
FROM parts
LEFT JOIN inventory_stockbalance b
       ON b.part_id = parts.part_id AND b.location_id = %(source)s
LEFT JOIN incoming i ON i.part_id = parts.part_id
LEFT JOIN wanted w ON w.part_id = parts.part_id
LEFT JOIN inventory_reorderrule cr
       ON cr.part_id = parts.part_id AND cr.location_id = %(source)s
"""

_REPLENISH_TRANSFERS = """
INSERT INTO inventory_replenishmentline
    (run_id, kind, part_id, from_location_id, to_location_id, quantity, on_hand, reserved,
     incoming, minimum, maximum, unmet)
SELECT %(run)s, 'transfer', part_id, %(source)s, location_id, give, on_hand, reserved,
       incoming, minimum, maximum, 0
FROM (
    SELECT ranked.*,
           CASE WHEN c.available - ranked.prior <= 0 THEN 0
                WHEN c.available - ranked.prior >= ranked.need THEN ranked.need
                ELSE c.available - ranked.prior END AS give
    FROM (
        SELECT n.*, SUM(n.need) OVER (
            PARTITION BY n.part_id
            ORDER BY n.need DESC, CAST(n.location_id AS TEXT)
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) - n.need AS prior
        FROM inv_replenish_need n
    ) AS ranked
    JOIN inv_replenish_central c ON c.part_id = ranked.part_id
) AS given
WHERE give > 0
"""

_REPLENISH_PURCHASES = """
INSERT INTO inventory_replenishmentline
    (run_id, kind, part_id, from_location_id, to_location_id, quantity, on_hand, reserved,
     incoming, minimum, maximum, unmet)
SELECT %(run)s, 'purchase', part_id, NULL, %(source)s, buy, on_hand, reserved, incoming,
       minimum, maximum, unmet
FROM (
    SELECT planned.*,
           CASE WHEN planned.maximum IS NOT NULL THEN
                    CASE WHEN planned.projected_after > planned.minimum THEN 0
                         ELSE planned.maximum - planned.projected_after END
                WHEN planned.projected_after < 0 THEN -planned.projected_after
                ELSE 0 END AS buy
    FROM (
        SELECT c.*,
               CASE WHEN c.total > c.available THEN c.total - c.available ELSE 0 END AS unmet,
               c.on_hand - c.reserved + c.incoming - c.total AS projected_after
        FROM inv_replenish_central c
    ) AS planned
) AS bought
WHERE buy > 0
"""


def _replenish_sql(run: ReplenishmentRun, source: StockLocation) -> tuple[int, int, int]:
    """The whole plan in a few set-based statements; returns (rules checked, transfer lines,
    purchase lines)."""
    from django.db import connection

    params = {"run": run.pk, "source": source.pk, "true": True}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The join of every rule with its balance is one big hash join: give it memory.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        for table in ("inv_replenish_need", "inv_replenish_central"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(_REPLENISH_NEEDS, params)
        cursor.execute(_REPLENISH_CENTRAL, params)
        cursor.execute(_REPLENISH_TRANSFERS, params)
        transfers = cursor.rowcount
        cursor.execute(_REPLENISH_PURCHASES, params)
        purchases = cursor.rowcount
        for table in ("inv_replenish_need", "inv_replenish_central"):
            cursor.execute(f"DROP TABLE {table}")
    lines = ReplenishmentLine.objects.filter(run=run)
    if transfers < 0:  # some drivers do not count an INSERT … SELECT
        transfers = lines.filter(kind=ReplenishmentLine.LineKind.TRANSFER).count()
    if purchases < 0:
        purchases = lines.filter(kind=ReplenishmentLine.LineKind.PURCHASE).count()
    checked = ReorderRule.objects.filter(location__active=True).count()
    return checked, transfers, purchases


def _replenish_chunk(
    run: ReplenishmentRun, source: StockLocation, part_ids: list[int]
) -> tuple[list[ReplenishmentLine], int]:
    points: dict[int, dict[int, rules.ReorderPoint]] = {}
    count = 0
    for part_id, loc_id, minimum, maximum in ReorderRule.objects.filter(
        part_id__in=part_ids, location__active=True
    ).values_list("part_id", "location_id", "minimum", "maximum"):
        points.setdefault(part_id, {})[loc_id] = rules.ReorderPoint(minimum, maximum)
        count += 1
    stock: dict[tuple[int, int], tuple[int, int]] = {
        (p, loc): (on_hand, reserved)
        for p, loc, on_hand, reserved in StockBalance.objects.filter(
            part_id__in=part_ids
        ).values_list("part_id", "location_id", "on_hand", "reserved")
    }
    incoming: dict[tuple[int, int], int] = {}
    for p, loc, qty in (
        Transfer.objects.filter(part_id__in=part_ids, status=Transfer.Status.IN_TRANSIT)
        .values_list("part_id", "to_location_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        incoming[(p, loc)] = incoming.get((p, loc), 0) + qty
    for p, loc, qty, got in (
        Purchase.objects.filter(part_id__in=part_ids, status=Purchase.Status.OPEN)
        .values_list("part_id", "location_id")
        .annotate(n=Sum("quantity"), r=Sum("received_quantity"))
        .order_by()
    ):
        incoming[(p, loc)] = incoming.get((p, loc), 0) + qty - got

    def position(p: int, loc: int) -> rules.Position:
        on_hand, reserved = stock.get((p, loc), (0, 0))
        return rules.Position(on_hand, reserved, incoming.get((p, loc), 0))

    lines: list[ReplenishmentLine] = []
    for part_id in part_ids:
        by_location = points.get(part_id, {})
        central = position(part_id, source.pk)
        others = [
            (loc, position(part_id, loc), point)
            for loc, point in sorted(by_location.items())
            if loc != source.pk
        ]
        central_point = by_location.get(source.pk)
        plan = rules.plan_part(central=central, central_point=central_point, locations=others)
        for loc, qty in plan.transfers:
            pos, point = position(part_id, loc), by_location[loc]
            lines.append(
                ReplenishmentLine(
                    run=run,
                    kind=ReplenishmentLine.LineKind.TRANSFER,
                    part_id=part_id,
                    from_location=source,
                    to_location_id=loc,
                    quantity=qty,
                    on_hand=pos.on_hand,
                    reserved=pos.reserved,
                    incoming=pos.incoming,
                    minimum=point.minimum,
                    maximum=point.maximum,
                )
            )
        if plan.purchase > 0:
            lines.append(
                ReplenishmentLine(
                    run=run,
                    kind=ReplenishmentLine.LineKind.PURCHASE,
                    part_id=part_id,
                    to_location=source,
                    quantity=plan.purchase,
                    on_hand=central.on_hand,
                    reserved=central.reserved,
                    incoming=central.incoming,
                    minimum=central_point.minimum if central_point else None,
                    maximum=central_point.maximum if central_point else None,
                    unmet=plan.unmet,
                )
            )
    return lines, count
