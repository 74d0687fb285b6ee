"""Spare parts and stock under /api/v1: parts, the ledger (moves, receipts, transfers,
adjustments, counts), balances, reservations on work orders, reconciliation, replenishment,
defective returns and supply obligations. Thin: parse, check scope, call one service or
selector, shape the answer. Who may move what: docs/decisions/0008-stock-ledger.md."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.catalog import services as catalog_services
from aftersales.core import clock
from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import Forbidden, Invalid, NotFound
from aftersales.core.permissions import require
from aftersales.inventory import documents, rules, schemas, selectors, services
from aftersales.inventory.models import StockLocation

router = Router(tags=["stock"])


# --- shaping --------------------------------------------------------------------------------


def part_dict(part, viewer) -> dict:
    return {
        "number": part.number,
        "name": part.name,
        "unit_of_measure": part.unit_of_measure,
        "list_price": str(part.list_price),
        "cost_price": None if viewer.is_partner else str(part.cost_price),
        "currency": part.currency,
        "serialised": part.serialised,
        "defective_return_required": part.defective_return_required,
        "supply_obligation_years": part.supply_obligation_years,
        "replaced_by": part.replaced_by.number if part.replaced_by_id else None,
        "active": part.active,
    }


def availability_dict(row: selectors.Availability) -> dict:
    return {
        "location": row.location,
        "location_name": row.location_name,
        "kind": row.kind,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
        "available": row.available,
        "incoming": row.incoming,
        "expected_arrival": row.expected_arrival.isoformat() if row.expected_arrival else None,
    }


def part_detail_dict(viewer, number: str) -> dict:
    part = selectors.part_detail(number)
    if part is None:
        raise NotFound(_("Part %(number)s") % {"number": number})
    chain = selectors.supersession_of(part)
    out = part_dict(part, viewer)
    out["fits"] = sorted(p.sku for p in part.fits.all())
    out["supersession"] = {"replaces": chain.replaces, "successors": chain.successors}
    out["availability"] = [
        availability_dict(a) for a in selectors.availability_for(viewer, part.number)
    ]
    return out


def _wo_number(pk: int | None) -> str | None:
    from aftersales.workorders.rules import work_order_number

    return work_order_number(pk) if pk else None


def move_dict(move) -> dict:
    return {
        "id": move.pk,
        "kind": move.kind,
        "part": move.part.number,
        "quantity": move.quantity,
        "from_location": move.from_location.code,
        "to_location": move.to_location.code,
        "serial": move.serial,
        "work_order": _wo_number(move.work_order_id),
        "reason": move.reason,
        "reference": move.reference,
        "actor": move.actor.username if move.actor_id else None,
        "at": move.at.isoformat(),
    }


def transfer_dict(transfer) -> dict:
    return {
        "number": transfer.number,
        "part": transfer.part.number,
        "quantity": transfer.quantity,
        "from_location": transfer.from_location.code,
        "to_location": transfer.to_location.code,
        "serials": list(transfer.serials),
        "status": transfer.status,
        "expected_arrival": (
            transfer.expected_arrival.isoformat() if transfer.expected_arrival else None
        ),
        "reference": transfer.reference,
        "shipped_at": transfer.shipped_at.isoformat(),
        "received_at": transfer.received_at.isoformat() if transfer.received_at else None,
    }


def reservation_dict(reservation) -> dict:
    return {
        "number": reservation.number,
        "work_order": reservation.work_order.number,
        "part": reservation.part.number,
        "location": reservation.location.code,
        "quantity": reservation.quantity,
        "consumed_quantity": reservation.consumed_quantity,
        "status": reservation.status,
        "fit_override_reason": reservation.fit_override_reason,
        "created_at": reservation.created_at.isoformat(),
    }


def defective_dict(line, today: date) -> dict:
    received_on = line.received_at.date() if line.received_at else None
    return {
        "number": line.number,
        "work_order": line.work_order.number,
        "part": line.part.number,
        "quantity": line.quantity,
        "due_on": line.due_on.isoformat(),
        "overdue": line.status == rules.DefectiveStatus.DUE
        and rules.is_overdue(due_on=line.due_on, received_on=received_on, as_of=today),
        "status": line.status,
        "technician": line.technician.username if line.technician_id else None,
        "partner": line.partner.code if line.partner_id else None,
        "serial": line.serial,
        "outcome": line.outcome,
        "inspection_notes": line.inspection_notes,
        "recovery_amount": str(line.recovery_amount) if line.recovery_amount is not None else None,
        "recovery_currency": line.recovery_currency,
        "created_at": line.created_at.isoformat(),
        "received_at": line.received_at.isoformat() if line.received_at else None,
    }


def figures_dict(figures: rules.Reconciliation) -> dict:
    return {
        "opening": figures.opening,
        "received": figures.received,
        "consumed": figures.consumed,
        "returned_unused": figures.returned_unused,
        "scrapped": figures.scrapped,
        "closing": figures.closing,
        "expected_closing": figures.expected_closing,
        "difference": figures.difference,
    }


def line_dict(line) -> dict:
    return {
        "id": line.pk,
        "kind": line.kind,
        "part": line.part.number,
        "from_location": line.from_location.code if line.from_location_id else None,
        "to_location": line.to_location.code,
        "quantity": line.quantity,
        "on_hand": line.on_hand,
        "reserved": line.reserved,
        "incoming": line.incoming,
        "minimum": line.minimum,
        "maximum": line.maximum,
        "unmet": line.unmet,
    }


def run_dict(run) -> dict:
    return {
        "id": run.pk,
        "source": run.source.code,
        "at": run.at.isoformat(),
        "actor": run.actor.username if run.actor_id else None,
        "rules_checked": run.rules_checked,
        "transfer_lines": run.transfer_lines,
        "purchase_lines": run.purchase_lines,
    }


# --- scope ----------------------------------------------------------------------------------


def readable_location(viewer, code: str) -> StockLocation:
    """A location the user may read; another organisation's answers 404, like a missing one."""
    location = selectors.location_by_code(code or "")
    if location is None or not selectors.location_visible(viewer, location):
        raise NotFound(_("Stock location %(code)s") % {"code": code})
    return location


def movable_location(viewer, code: str | None, field: str) -> None:
    """The user may take stock from or put it into this location (unknown codes are left to
    the service, which names the field)."""
    if not code:
        return
    location = selectors.location_by_code(code)
    if location is None:
        return
    if not selectors.location_visible(viewer, location):
        raise NotFound(_("Stock location %(code)s") % {"code": code})
    if not selectors.may_move_at(viewer, location):
        raise Forbidden(
            "not_your_stock",
            _("You move stock only at your own locations; %(code)s is not one.")
            % {"code": location.code},
            {"field": field, "location": location.code},
        )


def ship_destination(viewer, code: str | None) -> None:
    if not code:
        return
    location = selectors.location_by_code(code)
    if location is not None and not selectors.may_ship_to(viewer, location):
        raise NotFound(_("Stock location %(code)s") % {"code": code})


# --- parts ----------------------------------------------------------------------------------


class PartQuery(schemas.Schema):
    q: str | None = None
    fits: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/parts", response=schemas.PartPage, tags=["parts"])
def part_list(request, query: Query[PartQuery]):
    user = require(request, "stock.read")
    items, next_cursor = page_by_id_desc(
        selectors.part_search(q=query.q, fits=query.fits), cursor=query.cursor, limit=query.limit
    )
    return {"items": [part_dict(p, user) for p in items], "next": next_cursor}


@router.post(
    "/parts", response={201: schemas.PartDetailOut, 200: schemas.PartDetailOut}, tags=["parts"]
)
def part_create(request, payload: schemas.PartIn):
    user = require(request, "catalog.write")

    def create():
        part = catalog_services.part_create(**payload.model_dump())
        return 201, part_detail_dict(user, part.number)

    return idempotent(request, "parts", create)


@router.get("/parts/{number}", response=schemas.PartDetailOut, tags=["parts"])
def part_get(request, number: str):
    user = require(request, "stock.read")
    return json_response(200, part_detail_dict(user, number))


@router.patch("/parts/{number}", response=schemas.PartDetailOut, tags=["parts"])
def part_update(request, number: str, payload: schemas.PartPatch):
    user = require(request, "catalog.write")
    part = catalog_services.part_update(number=number, **payload.model_dump(exclude_unset=True))
    return json_response(200, part_detail_dict(user, part.number))


@router.put("/parts/{number}/fits", response=schemas.PartDetailOut, tags=["parts"])
def part_set_fits(request, number: str, payload: schemas.FitsIn):
    user = require(request, "catalog.write")
    part = catalog_services.part_set_fits(number=number, skus=payload.skus)
    return json_response(200, part_detail_dict(user, part.number))


@router.post("/parts/{number}/supersede", response=schemas.PartDetailOut, tags=["parts"])
def part_supersede(request, number: str, payload: schemas.SupersedeIn):
    user = require(request, "catalog.write")
    part = catalog_services.part_supersede(number=number, replaced_by=payload.replaced_by)
    return json_response(200, part_detail_dict(user, part.number))


# --- balances and history -------------------------------------------------------------------


class BalanceQuery(schemas.Schema):
    location: str | None = None
    part: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/stock/balances", response=schemas.BalancePage)
def balance_list(request, query: Query[BalanceQuery]):
    user = require(request, "stock.read")
    if query.location:
        readable_location(user, query.location)
    rows = selectors.balances(location_code=query.location, part_number=query.part)
    visible = selectors.visible_location_ids(user)
    if visible is not None:
        rows = rows.filter(location_id__in=visible)
    items, next_cursor = page_by_id_desc(rows, cursor=query.cursor, limit=query.limit)
    return {
        "items": [
            {
                "part": b.part.number,
                "location": b.location.code,
                "on_hand": b.on_hand,
                "reserved": b.reserved,
                "available": b.available,
            }
            for b in items
        ],
        "next": next_cursor,
    }


class MoveQuery(schemas.Schema):
    part: str | None = None
    location: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/stock/moves", response=schemas.MovePage)
def move_list(request, query: Query[MoveQuery]):
    user = require(request, "stock.read")
    if not query.part and not query.location:
        raise Invalid("part", _("Name a part or a location (or both)."))
    if query.location:
        readable_location(user, query.location)
    rows = selectors.moves(
        part_number=query.part,
        location_code=query.location,
        location_ids=selectors.visible_location_ids(user),
    )
    items, next_cursor = page_by_id_desc(rows, cursor=query.cursor, limit=query.limit)
    return {"items": [move_dict(m) for m in items], "next": next_cursor}


# --- moves ----------------------------------------------------------------------------------


@router.post("/stock/moves", response={201: schemas.MovesOut, 200: schemas.MovesOut})
def move_create(request, payload: schemas.MoveIn):
    user = require(request, "stock.write")
    if payload.kind == "adjustment":
        require(request, "stock.adjust")
    if payload.kind in ("transfer", "transfer_out"):
        movable_location(user, payload.from_code, "from_code")
        ship_destination(user, payload.to_code)
    else:
        movable_location(user, payload.from_code, "from_code")
        movable_location(user, payload.to_code, "to_code")

    def create():
        rows = services.stock_move_create(actor=user, **payload.model_dump())
        return 201, {"moves": [move_dict(m) for m in rows]}

    return idempotent(request, "stock-moves", create)


@router.post("/stock/receipts", response={201: schemas.MovesOut, 200: schemas.MovesOut})
def receipt_create(request, payload: schemas.ReceiptIn):
    user = require(request, "stock.write")
    movable_location(user, payload.location_code, "location_code")

    def create():
        rows = services.stock_receive(actor=user, **payload.model_dump())
        return 201, {"moves": [move_dict(m) for m in rows]}

    return idempotent(request, "stock-receipts", create)


@router.post("/stock/transfers", response={201: schemas.TransferOut, 200: schemas.TransferOut})
def transfer_create(request, payload: schemas.TransferIn):
    user = require(request, "stock.write")
    movable_location(user, payload.from_code, "from_code")
    ship_destination(user, payload.to_code)
    if payload.received:
        movable_location(user, payload.to_code, "to_code")

    def create():
        data = payload.model_dump()
        received = data.pop("received")
        if received:
            data.pop("expected_arrival")
            transfer = services.stock_transfer(actor=user, **data)
        else:
            transfer = services.transfer_ship(actor=user, **data)
        return 201, transfer_dict(selectors.transfer_get(transfer.number))

    return idempotent(request, "stock-transfers", create)


@router.get("/stock/transfers", response=list[schemas.TransferOut])
def transfer_list(request, to: str | None = None):
    """Transfers on their way, to one location or (default) to every location you may see."""
    user = require(request, "stock.read")
    ids = selectors.visible_location_ids(user)
    if to:
        ids = [readable_location(user, to).pk]
    return [transfer_dict(t) for t in selectors.transfers_to(ids)[:500]]


@router.post("/stock/transfers/{number}/receive", response=schemas.TransferOut)
def transfer_receive(request, number: str):
    user = require(request, "stock.write")
    transfer = selectors.transfer_get(number)
    if transfer is None or not selectors.location_visible(user, transfer.to_location):
        raise NotFound(_("Transfer %(number)s") % {"number": number})
    movable_location(user, transfer.to_location.code, "number")
    services.transfer_receive(actor=user, number=number)
    return json_response(200, transfer_dict(selectors.transfer_get(number)))


@router.post("/stock/adjustments", response={201: schemas.MovesOut, 200: schemas.MovesOut})
def adjustment_create(request, payload: schemas.AdjustmentIn):
    user = require(request, "stock.adjust")

    def create():
        rows = services.stock_adjust(actor=user, **payload.model_dump())
        return 201, {"moves": [move_dict(m) for m in rows]}

    return idempotent(request, "stock-adjustments", create)


@router.post("/stock/counts", response={201: schemas.CountOut, 200: schemas.CountOut})
def count_create(request, payload: schemas.CountIn):
    user = require(request, "stock.adjust")

    def create():
        variance = services.stock_count(actor=user, **payload.model_dump())
        return 201, {
            "part": payload.part_number.strip().upper(),
            "location": payload.location_code.strip(),
            "counted": payload.counted,
            "variance": variance,
        }

    return idempotent(request, "stock-counts", create)


@router.put("/stock/reorder-rules", response=schemas.ReorderRuleOut)
def reorder_rule_set(request, payload: schemas.ReorderRuleIn):
    require(request, "stock.plan")
    rule = services.reorder_rule_set(**payload.model_dump())
    return {
        "part": rule.part.number,
        "location": rule.location.code,
        "minimum": rule.minimum,
        "maximum": rule.maximum,
    }


# --- reservations ---------------------------------------------------------------------------


@router.post(
    "/work-orders/{number}/reservations",
    response={201: schemas.ReservationOut, 200: schemas.ReservationOut},
)
def reservation_create(request, number: str, payload: schemas.ReservationIn):
    user = require(request, "stock.write")
    movable_location(user, payload.location_code, "location_code")

    def create():
        reservation = services.reservation_create(
            actor=user, work_order_number=number, **payload.model_dump()
        )
        return 201, reservation_dict(reservation)

    return idempotent(request, f"reservations:{number}", create)


@router.get("/work-orders/{number}/reservations", response=list[schemas.ReservationOut])
def reservation_list(request, number: str):
    user = require(request, "stock.read")
    from aftersales.workorders.selectors import work_order_get

    wo = work_order_get(user, number)
    if wo is None:
        raise NotFound(_("Work order %(number)s") % {"number": number})
    return [reservation_dict(r) for r in selectors.reservations_of(wo).order_by("id")]


@router.get("/work-orders/{number}/van-check")
def van_check(request, number: str, technician: str | None = None):
    """Can this technician (by default the one assigned) do the job with their van's stock?
    The job's planned parts against what the van has available (and holds for it)."""
    user = require(request, "stock.read")
    from aftersales.accounts.models import User
    from aftersales.workorders.selectors import work_order_get

    wo = work_order_get(user, number)
    if wo is None:
        raise NotFound(_("Work order %(number)s") % {"number": number})
    who = (
        User.objects.filter(username=technician, role="technician").first()
        if technician
        else wo.technician
    )
    if who is None:
        raise Invalid("technician", _("Name a technician, or assign one to the job first."))
    check = selectors.van_check(technician=who, work_order=wo)
    return json_response(
        200,
        {
            "technician": check.technician,
            "vans": check.vans,
            "ok": check.ok,
            "lines": [
                {
                    "part_number": line.part,
                    "needed": line.needed,
                    "available": line.available,
                    "short": line.short,
                }
                for line in check.lines
            ],
        },
    )


def _my_reservation(user, number: str):
    from aftersales.workorders.selectors import visible_work_orders

    reservation = selectors.reservation_get(number)
    if (
        reservation is None
        or not visible_work_orders(user).filter(pk=reservation.work_order_id).exists()
    ):
        raise NotFound(_("Reservation %(number)s") % {"number": number})
    movable_location(user, reservation.location.code, "number")
    return reservation


@router.post("/stock/reservations/{number}/consume", response=schemas.MovesOut)
def reservation_consume(request, number: str, payload: schemas.ConsumeIn):
    user = require(request, "stock.write")
    _my_reservation(user, number)
    rows = services.reservation_consume(actor=user, number=number, **payload.model_dump())
    return json_response(200, {"moves": [move_dict(m) for m in rows]})


@router.post("/stock/reservations/{number}/release", response=schemas.ReservationOut)
def reservation_release(request, number: str):
    user = require(request, "stock.write")
    _my_reservation(user, number)
    services.reservation_release(actor=user, number=number)
    return json_response(200, reservation_dict(selectors.reservation_get(number)))


# --- reconciliation -------------------------------------------------------------------------


class ReconciliationQuery(schemas.Schema):
    holder: str
    date_from: date | None = None
    date_to: date | None = None


def reconciliation_dict(holder: str, date_from: date | None, date_to: date | None) -> dict:
    found = selectors.reconciliation_holder(holder)
    if found is None:
        raise NotFound(_("A technician or partner called %(h)s") % {"h": holder})
    technician, partner_id, label = found
    date_to = date_to or clock.today()
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise Invalid("from", _("The period starts after it ends."))
    if (date_to - date_from) > timedelta(days=366 * 3):
        raise Invalid("from", _("A period is at most three years."))
    report = selectors.reconciliation(
        date_from=date_from, date_to=date_to, technician=technician, partner_id=partner_id
    )
    return {
        "holder": label,
        "locations": report.locations,
        "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(),
        "total": figures_dict(report.total),
        "parts": [{"part": p.part, **figures_dict(p.figures)} for p in report.parts],
        "defective_due": report.defective_due,
        "defective_received": report.defective_received,
        "defective_overdue": report.defective_overdue,
        "defective_outstanding": report.defective_outstanding,
    }


@router.get("/stock/reconciliation", response=schemas.ReconciliationOut)
def reconciliation(
    request,
    holder: str,
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
):
    require(request, "stock.reconcile")
    return json_response(200, reconciliation_dict(holder, date_from, date_to))


@router.get("/stock/reconciliation/csv", response={200: str})
def reconciliation_csv(
    request,
    holder: str,
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
):
    require(request, "stock.reconcile")
    return documents.reconciliation_csv_response(reconciliation_dict(holder, date_from, date_to))


# --- replenishment --------------------------------------------------------------------------


@router.post("/stock/replenishment/runs", response={201: schemas.RunOut, 200: schemas.RunOut})
def replenishment_run(request, payload: schemas.RunIn):
    user = require(request, "stock.plan")

    def create():
        run = services.replenishment_run(actor=user, source_code=payload.source_code)
        return 201, run_dict(run)

    return idempotent(request, "replenishment-runs", create)


def _latest_run():
    run = selectors.replenishment_latest()
    if run is None:
        raise NotFound(_("A replenishment run"))
    return run


@router.get("/stock/replenishment/runs/latest", response=schemas.RunDetailOut)
def replenishment_latest(
    request, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE, kind: str | None = None
):
    require(request, "stock.plan")
    run = _latest_run()
    lines = selectors.replenishment_lines(run.pk)
    if kind:
        lines = lines.filter(kind=kind)
    items, next_cursor = page_by_id_desc(lines, cursor=cursor, limit=limit)
    return json_response(
        200, {**run_dict(run), "lines": [line_dict(x) for x in items], "next": next_cursor}
    )


@router.get("/stock/replenishment/runs/latest/csv", response={200: str})
def replenishment_latest_csv(request):
    require(request, "stock.plan")
    return documents.replenishment_csv_response(_latest_run())


@router.get("/stock/replenishment/runs/latest/pdf", response={200: str})
def replenishment_latest_pdf(request):
    require(request, "stock.plan")
    run = _latest_run()
    response = HttpResponse(documents.replenishment_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="replenishment-{run.pk}.pdf"'
    return response


# --- defective returns ----------------------------------------------------------------------


class DefectiveQuery(schemas.Schema):
    status: str | None = None
    overdue: bool = False
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/stock/defective-returns", response=schemas.DefectivePage)
def defective_list(request, query: Query[DefectiveQuery]):
    user = require(request, "stock.read")
    today = clock.today()
    if query.status and query.status not in {s.value for s in rules.DefectiveStatus}:
        raise Invalid(
            "status",
            _("status must be one of: %(s)s.")
            % {"s": ", ".join(s.value for s in rules.DefectiveStatus)},
        )
    rows = selectors.defective_returns_for(
        user, status=query.status or None, overdue_on=today if query.overdue else None
    )
    items, next_cursor = page_by_id_desc(rows, cursor=query.cursor, limit=query.limit)
    return {"items": [defective_dict(x, today) for x in items], "next": next_cursor}


def _defective(user, number: str):
    line = selectors.defective_get(number)
    if line is None or not selectors.defective_returns_for(user).filter(pk=line.pk).exists():
        raise NotFound(_("Defective return %(number)s") % {"number": number})
    return line


@router.get("/stock/defective-returns/{number}", response=schemas.DefectiveOut)
def defective_get(request, number: str):
    user = require(request, "stock.read")
    return json_response(200, defective_dict(_defective(user, number), clock.today()))


@router.post("/stock/defective-returns/{number}/receive", response=schemas.DefectiveOut)
def defective_receive(request, number: str, payload: schemas.DefectiveReceiveIn):
    user = require(request, "stock.adjust")
    _defective(user, number)
    services.defective_return_receive(actor=user, number=number, serials=payload.serials)
    return json_response(200, defective_dict(selectors.defective_get(number), clock.today()))


@router.post("/stock/defective-returns/{number}/inspect", response=schemas.DefectiveOut)
def defective_inspect(request, number: str, payload: schemas.InspectIn):
    user = require(request, "stock.adjust")
    _defective(user, number)
    services.defective_return_inspect(actor=user, number=number, **payload.model_dump())
    return json_response(200, defective_dict(selectors.defective_get(number), clock.today()))


@router.post("/stock/defective-returns/{number}/close", response=schemas.DefectiveOut)
def defective_close(request, number: str, payload: schemas.CloseIn):
    user = require(request, "stock.adjust")
    _defective(user, number)
    services.defective_return_close(actor=user, number=number, **payload.model_dump())
    return json_response(200, defective_dict(selectors.defective_get(number), clock.today()))


# --- supply obligation ----------------------------------------------------------------------


@router.get("/stock/supply-at-risk", response=list[schemas.SupplyAtRiskOut])
def supply_at_risk(request, minimum: int = 1):
    require(request, "stock.plan")
    if not 1 <= minimum <= 1_000_000:
        raise Invalid("minimum", _("minimum is from 1 to 1,000,000."))
    return [
        {
            "part": r.part,
            "name": r.name,
            "years": r.years,
            "obligation_until": r.obligation_until,
            "stock": r.stock,
            "reason": r.reason,
        }
        for r in selectors.supply_at_risk(minimum=minimum)
    ]
