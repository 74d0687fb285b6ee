"""Reads about spare parts and stock: availability (from the balance table, never the
ledger), move history, location stock, the van check, fit, replenishment proposals,
defective returns, reconciliation per technician or partner, supply obligations at risk, and
`stock_verify`, which recomputes every balance from the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F, Min, Q, QuerySet, Sum
from django.utils import timezone

from aftersales.accounts.models import User
from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.inventory import rules
from aftersales.inventory.models import (
    DefectiveReturn,
    Purchase,
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
from aftersales.inventory.rules import DefectiveStatus, Kind, MoveKind


def part_by_number(number: str) -> Part | None:
    return Part.objects.filter(number=number.strip().upper()).first()


def location_by_code(code: str) -> StockLocation | None:
    return StockLocation.objects.filter(code=code.strip()).first()


def central_locations() -> QuerySet[StockLocation]:
    return StockLocation.objects.filter(kind=Kind.CENTRAL, active=True)


def vans_of(technician_id: int) -> QuerySet[StockLocation]:
    return StockLocation.objects.filter(kind=Kind.VAN, technician_id=technician_id, active=True)


# --- availability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    """One part at one location."""

    location: str
    location_name: str
    kind: str
    on_hand: int
    reserved: int
    incoming: int = 0
    expected_arrival: date | None = None

    @property
    def available(self) -> int:
        return rules.available(self.on_hand, self.reserved)


def incoming_to(
    part_id: int, location_ids: list[int] | None = None
) -> dict[int, tuple[int, date | None]]:
    """Units on their way to each location (open transfers and purchases) with the earliest
    expected arrival."""
    out: dict[int, tuple[int, date | None]] = {}

    def add(location_id: int, qty: int, when: date | None) -> None:
        old_qty, old_when = out.get(location_id, (0, None))
        dates = [d for d in (old_when, when) if d is not None]
        out[location_id] = (old_qty + qty, min(dates) if dates else None)

    transfers = Transfer.objects.filter(part_id=part_id, status=Transfer.Status.IN_TRANSIT)
    purchases = Purchase.objects.filter(part_id=part_id, status=Purchase.Status.OPEN)
    if location_ids is not None:
        transfers = transfers.filter(to_location_id__in=location_ids)
        purchases = purchases.filter(location_id__in=location_ids)
    for row in transfers.values("to_location_id").annotate(
        qty=Sum("quantity"), first=Min("expected_arrival")
    ):
        add(row["to_location_id"], row["qty"], row["first"])
    for row in purchases.values("location_id").annotate(
        qty=Sum(F("quantity") - F("received_quantity")), first=Min("expected_arrival")
    ):
        add(row["location_id"], row["qty"], row["first"])
    return out


_AVAILABILITY_SQL = """
WITH part AS (SELECT id FROM catalog_part WHERE number = %(number)s)
SELECT l.code, l.name, l.kind, x.on_hand, x.reserved, x.incoming, x.arrival
FROM (
    SELECT b.location_id, b.on_hand, b.reserved, 0 AS incoming, NULL AS arrival
    FROM inventory_stockbalance b
    WHERE b.part_id = (SELECT id FROM part) AND (b.on_hand > 0 OR b.reserved > 0)
    UNION ALL
    SELECT t.to_location_id, 0, 0, t.quantity, t.expected_arrival
    FROM inventory_transfer t
    WHERE t.part_id = (SELECT id FROM part) AND t.status = 'in_transit'
    UNION ALL
    SELECT p.location_id, 0, 0, p.quantity - p.received_quantity, p.expected_arrival
    FROM inventory_purchase p
    WHERE p.part_id = (SELECT id FROM part) AND p.status = 'open'
) AS x
JOIN inventory_stocklocation l ON l.id = x.location_id
"""


def part_availability(part_number: str) -> list[Availability]:
    """A part at every tracked location that holds or expects it: one statement over one
    index range of the balance table (unique part, location) plus the partial indexes of
    open transfers and purchases; never the ledger, whatever its size. An unknown part
    holds nothing."""
    return _availability({"number": part_number.strip().upper()})


def _availability(params: dict) -> list[Availability]:
    from django.db import connection

    found: dict[str, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(_AVAILABILITY_SQL, params)
        for code, name, kind, on_hand, reserved, incoming, arrival in cursor.fetchall():
            row = found.setdefault(code, [name, kind, 0, 0, 0, None])
            row[2] += on_hand
            row[3] += reserved
            row[4] += incoming
            if isinstance(arrival, str):  # SQLite hands dates back as text in raw SQL
                arrival = date.fromisoformat(arrival)
            if arrival is not None and (row[5] is None or arrival < row[5]):
                row[5] = arrival
    return [
        Availability(code, name, kind, on_hand, reserved, incoming, arrival)
        for code, (name, kind, on_hand, reserved, incoming, arrival) in sorted(found.items())
    ]


def part_availability_at(part_number: str, location_code: str) -> Availability | None:
    """What the lead needs to decide between reserving and `waiting_parts`: on hand,
    reserved, available, and what is on its way (with the earliest expected arrival)."""
    part = part_by_number(part_number)
    location = location_by_code(location_code)
    if part is None or location is None:
        return None
    return availability_of(part.pk, location)


def availability_of(part_id: int, location: StockLocation) -> Availability:
    balance = StockBalance.objects.filter(part_id=part_id, location_id=location.pk).first()
    qty, when = incoming_to(part_id, [location.pk]).get(location.pk, (0, None))
    return Availability(
        location.code,
        location.name,
        location.kind,
        balance.on_hand if balance else 0,
        balance.reserved if balance else 0,
        qty,
        when,
    )


def available_elsewhere(part_id: int, excluding: int) -> int:
    """Available units of a part at the other physical locations."""
    total = (
        StockBalance.objects.filter(part_id=part_id, location__kind__in=rules.PHYSICAL)
        .exclude(location_id=excluding)
        .aggregate(n=Sum(F("on_hand") - F("reserved")))["n"]
    )
    return int(total or 0)


def balances(
    *, location_code: str | None = None, part_number: str | None = None
) -> QuerySet[StockBalance]:
    """Balance rows for the stock lists; filtered by location and/or part, stable order."""
    rows = StockBalance.objects.select_related("part", "location").filter(
        Q(on_hand__gt=0) | Q(reserved__gt=0)
    )
    if location_code:
        rows = rows.filter(location__code=location_code.strip())
    if part_number:
        rows = rows.filter(part__number=part_number.strip().upper())
    return rows.order_by("location_id", "part_id")


def location_stock(location_code: str) -> QuerySet[StockBalance]:
    return balances(location_code=location_code).order_by("part__number")


def part_moves(
    part_number: str, *, limit: int = 100, before_id: int | None = None
) -> list[StockMove]:
    """The part's ledger, newest first; page on with the last id shown."""
    part = part_by_number(part_number)
    if part is None:
        return []
    moves = StockMove.objects.filter(part_id=part.pk)
    if before_id is not None:
        moves = moves.filter(id__lt=before_id)
    return list(
        moves.select_related("from_location", "to_location", "actor").order_by("-at", "-id")[:limit]
    )


def serial_whereabouts(part_number: str, serial: str) -> StockSerial | None:
    return (
        StockSerial.objects.select_related("location")
        .filter(part__number=part_number.strip().upper(), serial=rules.normalise_serial(serial))
        .first()
    )


# --- fit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    fits: bool
    # Successors of the part (newest last) and whether each fits the unit's model.
    successors: list[tuple[str, bool]] = field(default_factory=list)


def part_fits_product(part: Part, product_id: int | None) -> bool:
    if product_id is None:
        return True
    return part.fits.filter(pk=product_id).exists()


def part_fit(part_number: str, product_id: int | None) -> Fit:
    """Does the part fit this product model? Supersession does not imply fit: a successor
    fits only the models listed on it; the successors are shown so the clerk can pick one."""
    part = part_by_number(part_number)
    if part is None:
        return Fit(False)
    replaced_by = dict(
        Part.objects.filter(replaced_by__isnull=False).values_list("id", "replaced_by_id")
    )
    chain = rules.supersession_chain(part.pk, replaced_by)[1:]
    successors = []
    if chain:
        numbers = dict(Part.objects.filter(pk__in=chain).values_list("id", "number"))
        fitting = (
            set(
                Part.fits.through.objects.filter(
                    part_id__in=chain, product_id=product_id
                ).values_list("part_id", flat=True)
            )
            if product_id is not None
            else set(chain)
        )
        successors = [(numbers[pk], pk in fitting) for pk in chain]
    return Fit(part_fits_product(part, product_id), successors)


# --- the van check --------------------------------------------------------------------------


@dataclass(frozen=True)
class VanLine:
    part: str
    needed: int
    available: int

    @property
    def short(self) -> int:
        return max(0, self.needed - self.available)


@dataclass(frozen=True)
class VanCheck:
    technician: str
    vans: list[str]
    lines: list[VanLine]

    @property
    def ok(self) -> bool:
        return bool(self.vans) and all(line.short == 0 for line in self.lines)


def van_check(*, technician: User, work_order) -> VanCheck:
    """Can this technician do the job with what is in their van(s)? The job's planned part
    lines against the vans' available stock plus what is already reserved there for it."""
    from aftersales.workorders.models import PartLine  # the job's lines, read only

    vans = list(vans_of(technician.pk).values_list("id", "code"))
    van_ids = [pk for pk, _ in vans]
    needed: dict[str, int] = defaultdict(int)
    for number, qty in PartLine.objects.filter(work_order=work_order, planned=True).values_list(
        "part_number", "quantity"
    ):
        needed[number] += qty
    parts = dict(Part.objects.filter(number__in=needed).values_list("number", "id"))
    have: dict[int, int] = defaultdict(int)
    for part_id, on_hand, reserved in StockBalance.objects.filter(
        location_id__in=van_ids, part_id__in=parts.values()
    ).values_list("part_id", "on_hand", "reserved"):
        have[part_id] += rules.available(on_hand, reserved)
    for part_id, qty in (
        Reservation.objects.filter(
            work_order=work_order,
            status=ReservationStatus.ACTIVE,
            location_id__in=van_ids,
            part_id__in=parts.values(),
        )
        .values_list("part_id")
        .annotate(n=Sum(F("quantity") - F("consumed_quantity")))
    ):
        have[part_id] += qty
    lines = [
        VanLine(number, qty, have.get(parts.get(number, 0), 0))
        for number, qty in sorted(needed.items())
    ]
    return VanCheck(technician.username, [code for _, code in vans], lines)


# --- reservations, replenishment, defective returns -----------------------------------------


def reservations_of(work_order) -> QuerySet[Reservation]:
    return Reservation.objects.filter(work_order=work_order).select_related("part", "location")


def replenishment_latest() -> ReplenishmentRun | None:
    return ReplenishmentRun.objects.order_by("-at", "-id").first()


def replenishment_lines(run_id: int) -> QuerySet[ReplenishmentLine]:
    return (
        ReplenishmentLine.objects.filter(run_id=run_id)
        .select_related("part", "from_location", "to_location")
        .order_by("kind", "to_location__code", "part__number")
    )


def defective_returns(
    *,
    status: str | None = None,
    technician_id: int | None = None,
    partner_id: int | None = None,
    overdue_on: date | None = None,
) -> QuerySet[DefectiveReturn]:
    rows = DefectiveReturn.objects.select_related("part", "work_order", "technician", "partner")
    if status:
        rows = rows.filter(status=status)
    if technician_id is not None:
        rows = rows.filter(technician_id=technician_id)
    if partner_id is not None:
        rows = rows.filter(partner_id=partner_id)
    if overdue_on is not None:
        rows = rows.filter(status=DefectiveStatus.DUE, due_on__lt=overdue_on)
    return rows.order_by("due_on", "id")


# --- reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class PartReconciliation:
    part: str
    figures: rules.Reconciliation


@dataclass(frozen=True)
class HolderReconciliation:
    holder: str
    locations: list[str]
    date_from: date
    date_to: date
    parts: list[PartReconciliation]
    total: rules.Reconciliation
    defective_due: int
    defective_received: int
    defective_overdue: int

    @property
    def defective_outstanding(self) -> int:
        return self.defective_due - self.defective_received


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def reconciliation(
    *,
    date_from: date,
    date_to: date,
    technician: User | None = None,
    partner_id: int | None = None,
    as_of: date | None = None,
) -> HolderReconciliation:
    """Parts received, consumed on work orders (net of those returned from jobs), returned
    unused (sent back out), scrapped, the book at both ends of the period, and the
    difference the counts found; with the defective returns due, received and overdue for
    jobs in the period. Dates are inclusive, in the installation's time zone."""
    if technician is not None:
        locations = StockLocation.objects.filter(kind=Kind.VAN, technician=technician)
        holder = technician.username
        defective = DefectiveReturn.objects.filter(technician=technician)
    else:
        locations = StockLocation.objects.filter(partner_id=partner_id)
        holder = str(partner_id)
        defective = DefectiveReturn.objects.filter(partner_id=partner_id)
    located = list(locations.values_list("id", "code"))
    ids = [pk for pk, _ in located]
    start, end = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    into = Q(to_location_id__in=ids) & ~Q(from_location_id__in=ids)
    out = Q(from_location_id__in=ids) & ~Q(to_location_id__in=ids)
    before, during = Q(at__lt=start), Q(at__gte=start, at__lt=end)

    def total(condition: Q):
        return Sum("quantity", filter=condition, default=0)

    rows = (
        StockMove.objects.filter(into | out, at__lt=end)
        .values("part__number")
        .annotate(
            in_before=total(into & before),
            out_before=total(out & before),
            received=total(into & during & Q(kind__in=[MoveKind.RECEIPT, MoveKind.TRANSFER_IN])),
            from_jobs=total(into & during & Q(kind=MoveKind.RETURN_UNUSED)),
            issued=total(out & during & Q(kind=MoveKind.ISSUE)),
            sent_back=total(
                out & during & Q(kind__in=[MoveKind.TRANSFER_OUT, MoveKind.RETURN_TO_VENDOR])
            ),
            scrapped=total(out & during & Q(kind=MoveKind.SCRAP)),
            in_all=total(into),
            out_all=total(out),
        )
        .order_by("part__number")
    )
    parts = []
    for row in rows:
        figures = rules.Reconciliation(
            opening=row["in_before"] - row["out_before"],
            received=row["received"],
            consumed=row["issued"] - row["from_jobs"],
            returned_unused=row["sent_back"],
            scrapped=row["scrapped"],
            closing=row["in_all"] - row["out_all"],
        )
        parts.append(PartReconciliation(row["part__number"], figures))
    total_figures = rules.Reconciliation(
        *(
            sum(getattr(p.figures, f) for p in parts)
            for f in ("opening", "received", "consumed", "returned_unused", "scrapped", "closing")
        )
    )
    as_of = as_of or clock.today()
    lines = defective.filter(created_at__gte=start, created_at__lt=end)
    due = received = overdue = 0
    for qty, due_on, received_at in lines.values_list("quantity", "due_on", "received_at"):
        due += qty
        received_on = timezone.localdate(received_at) if received_at else None
        if received_on is not None:
            received += qty
        if rules.is_overdue(due_on=due_on, received_on=received_on, as_of=as_of):
            overdue += qty
    return HolderReconciliation(
        holder=holder,
        locations=[code for _, code in located],
        date_from=date_from,
        date_to=date_to,
        parts=parts,
        total=total_figures,
        defective_due=due,
        defective_received=received,
        defective_overdue=overdue,
    )


# --- supply obligation ----------------------------------------------------------------------


@dataclass(frozen=True)
class SupplyAtRisk:
    part: str
    name: str
    years: int
    obligation_until: date | None
    stock: int
    reason: str


def supply_at_risk(*, on: date | None = None, minimum: int = 1) -> list[SupplyAtRisk]:
    """Parts the brand must keep available (N years after the end of production of the
    models they fit) whose network stock, available plus incoming, is below `minimum`."""
    on = on or clock.today()
    parts = list(
        Part.objects.filter(supply_obligation_years__isnull=False).prefetch_related("fits")
    )
    if not parts:
        return []
    ids = [p.pk for p in parts]
    stock: dict[int, int] = defaultdict(int)
    for part_id, on_hand, reserved in StockBalance.objects.filter(
        part_id__in=ids, location__kind__in=rules.PHYSICAL | {Kind.IN_TRANSIT}
    ).values_list("part_id", "on_hand", "reserved"):
        stock[part_id] += rules.available(on_hand, reserved)
    for part_id, qty in (
        Purchase.objects.filter(part_id__in=ids, status=Purchase.Status.OPEN)
        .values_list("part_id")
        .annotate(n=Sum(F("quantity") - F("received_quantity")))
    ):
        stock[part_id] += qty
    out = []
    for part in parts:
        ends = [p.end_of_production for p in part.fits.all()]
        verdict = rules.supply_risk(
            ends_of_production=ends,
            years=part.supply_obligation_years,
            on=on,
            active=part.active,
            stock=stock[part.pk],
            minimum=minimum,
        )
        if verdict.at_risk:
            until = [rules.obligation_until(d, part.supply_obligation_years) for d in ends]
            out.append(
                SupplyAtRisk(
                    part=part.number,
                    name=part.name,
                    years=part.supply_obligation_years,
                    obligation_until=None if None in until else max(until),
                    stock=stock[part.pk],
                    reason=verdict.reason,
                )
            )
    return sorted(out, key=lambda r: r.part)


# --- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    what: str  # on_hand, reserved, in_transit, serial
    part: str
    location: str
    book: object
    ledger: object


def stock_verify() -> list[Difference]:
    """Recomputes every balance from the ledger and the active reservations, the in-transit
    stock from the open transfers, and every serial's place from its last move; returns each
    difference (none means the books are right)."""
    tracked = dict(StockLocation.objects.filter(kind__in=rules.TRACKED).values_list("id", "code"))
    ledger: dict[tuple[int, int], int] = defaultdict(int)
    for part_id, loc_id, qty in (
        StockMove.objects.filter(to_location_id__in=tracked)
        .values_list("part_id", "to_location_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        ledger[(part_id, loc_id)] += qty
    for part_id, loc_id, qty in (
        StockMove.objects.filter(from_location_id__in=tracked)
        .values_list("part_id", "from_location_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        ledger[(part_id, loc_id)] -= qty
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    for part_id, loc_id, qty in (
        Reservation.objects.filter(status=ReservationStatus.ACTIVE)
        .values_list("part_id", "location_id")
        .annotate(n=Sum(F("quantity") - F("consumed_quantity")))
        .order_by()
    ):
        reserved[(part_id, loc_id)] += qty
    book = {
        (p, loc): (on_hand, res)
        for p, loc, on_hand, res in StockBalance.objects.values_list(
            "part_id", "location_id", "on_hand", "reserved"
        )
    }
    numbers = dict(Part.objects.values_list("id", "number"))
    codes = dict(StockLocation.objects.values_list("id", "code"))
    out: list[Difference] = []
    for key in sorted(set(ledger) | set(book) | set(reserved)):
        part_id, loc_id = key
        on_hand, res = book.get(key, (0, 0))
        if on_hand != ledger.get(key, 0):
            out.append(
                Difference("on_hand", numbers[part_id], codes[loc_id], on_hand, ledger.get(key, 0))
            )
        if res != reserved.get(key, 0):
            out.append(
                Difference("reserved", numbers[part_id], codes[loc_id], res, reserved.get(key, 0))
            )
        if key in book and loc_id not in tracked:
            out.append(Difference("untracked", numbers[part_id], codes[loc_id], on_hand, None))
    transit = {
        pk
        for pk, kind in StockLocation.objects.values_list("id", "kind")
        if kind == Kind.IN_TRANSIT
    }
    open_transfers: dict[int, int] = defaultdict(int)
    for part_id, qty in (
        Transfer.objects.filter(status=Transfer.Status.IN_TRANSIT)
        .values_list("part_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        open_transfers[part_id] += qty
    on_road: dict[int, int] = defaultdict(int)
    for (part_id, loc_id), (on_hand, _) in book.items():
        if loc_id in transit:
            on_road[part_id] += on_hand
    for part_id in sorted(set(open_transfers) | set(on_road)):
        if open_transfers[part_id] != on_road[part_id]:
            out.append(
                Difference(
                    "in_transit", numbers[part_id], "", on_road[part_id], open_transfers[part_id]
                )
            )
    out.extend(_serial_differences(numbers, codes))
    return out


def _serial_differences(numbers: dict[int, str], codes: dict[int, str]) -> list[Difference]:
    last: dict[tuple[int, str], int] = {}
    for part_id, serial, to_id in (
        StockMove.objects.exclude(serial="")
        .order_by("id")
        .values_list("part_id", "serial", "to_location_id")
    ):
        last[(part_id, serial)] = to_id
    out = []
    places = {
        (p, s): loc
        for p, s, loc in StockSerial.objects.values_list("part_id", "serial", "location_id")
    }
    for key in sorted(set(last) | set(places)):
        if last.get(key) != places.get(key):
            out.append(
                Difference(
                    "serial",
                    f"{numbers[key[0]]}/{key[1]}",
                    codes.get(places.get(key), ""),
                    codes.get(places.get(key)),
                    codes.get(last.get(key)),
                )
            )
    return out


# --- who sees and moves which stock (docs/decisions/0008-stock-ledger.md) -------------------


def visible_location_ids(viewer: User) -> list[int] | None:
    """The locations whose stock a user may read: a partner its organisation's own; everyone
    else every location (None)."""
    if viewer.is_partner:
        return list(
            StockLocation.objects.filter(partner_id=viewer.partner_id).values_list("id", flat=True)
        )
    return None


def location_visible(viewer: User, location: StockLocation) -> bool:
    return not viewer.is_partner or location.partner_id == viewer.partner_id


def may_move_at(viewer: User, location: StockLocation) -> bool:
    """May the user take stock from, or put stock into, this location? A partner only its
    own organisation's; a technician only their own van; the warehouse and dispatchers all."""
    if viewer.is_partner:
        return location.partner_id == viewer.partner_id
    if viewer.role == "technician":
        return location.kind == Kind.VAN and location.technician_id == viewer.pk
    return True


def may_ship_to(viewer: User, location: StockLocation) -> bool:
    """The destination of a transfer someone ships from their own stock: any place of the
    brand, or their own organisation's; never another partner's."""
    if location.partner_id is None:
        return True
    return not viewer.is_partner or location.partner_id == viewer.partner_id


def locations_for(viewer: User) -> QuerySet[StockLocation]:
    rows = StockLocation.objects.filter(kind__in=rules.PHYSICAL, active=True)
    ids = visible_location_ids(viewer)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.select_related("centre", "partner", "technician").order_by("code")


def movable_locations(viewer: User) -> list[StockLocation]:
    return [loc for loc in locations_for(viewer) if may_move_at(viewer, loc)]


def availability_for(viewer: User, part_number: str) -> list[Availability]:
    rows = part_availability(part_number)
    if viewer.is_partner:
        own = set(
            StockLocation.objects.filter(partner_id=viewer.partner_id).values_list(
                "code", flat=True
            )
        )
        rows = [row for row in rows if row.location in own]
    return rows


# --- parts ----------------------------------------------------------------------------------


def part_search(*, q: str | None = None, fits: str | None = None) -> QuerySet[Part]:
    """Parts by number prefix or name, and/or those fitting a product model (SKU)."""
    parts = Part.objects.select_related("replaced_by")
    if q and q.strip():
        text = q.strip()
        parts = parts.filter(Q(number__startswith=text.upper()) | Q(name__icontains=text))
    if fits and fits.strip():
        parts = parts.filter(fits__sku=fits.strip())
    return parts


def part_detail(number: str) -> Part | None:
    return (
        Part.objects.select_related("replaced_by")
        .prefetch_related("fits")
        .filter(number=number.strip().upper())
        .first()
    )


@dataclass(frozen=True)
class Supersession:
    replaces: list[str]
    successors: list[str]


def supersession_of(part: Part) -> Supersession:
    replaced_by = dict(
        Part.objects.filter(replaced_by__isnull=False).values_list("id", "replaced_by_id")
    )
    chain = rules.supersession_chain(part.pk, replaced_by)[1:]
    numbers = dict(Part.objects.filter(pk__in=chain).values_list("id", "number"))
    return Supersession(
        replaces=list(
            Part.objects.filter(replaced_by=part)
            .order_by("number")
            .values_list("number", flat=True)
        ),
        successors=[numbers[pk] for pk in chain],
    )


# --- documents and history ------------------------------------------------------------------


def moves(
    *,
    part_number: str | None = None,
    location_code: str | None = None,
    location_ids: list[int] | None = None,
) -> QuerySet[StockMove]:
    """The ledger filtered by part and/or location (either side), for the history lists."""
    rows = StockMove.objects.select_related("part", "from_location", "to_location", "actor")
    if part_number:
        rows = rows.filter(part__number=part_number.strip().upper())
    if location_code:
        location = location_by_code(location_code)
        rows = (
            rows.filter(Q(from_location=location) | Q(to_location=location))
            if location
            else rows.none()
        )
    if location_ids is not None:
        rows = rows.filter(
            Q(from_location_id__in=location_ids) | Q(to_location_id__in=location_ids)
        )
    return rows


def transfer_get(number: str) -> Transfer | None:
    pk = rules.parse_document_number("transfer", number)
    if pk is None:
        return None
    return (
        Transfer.objects.select_related("part", "from_location", "to_location")
        .filter(pk=pk)
        .first()
    )


def transfers_to(location_ids: list[int] | None = None) -> QuerySet[Transfer]:
    rows = Transfer.objects.select_related("part", "from_location", "to_location").filter(
        status=Transfer.Status.IN_TRANSIT
    )
    if location_ids is not None:
        rows = rows.filter(to_location_id__in=location_ids)
    return rows.order_by("expected_arrival", "id")


def reservation_get(number: str) -> Reservation | None:
    pk = rules.parse_document_number("reservation", number)
    if pk is None:
        return None
    return (
        Reservation.objects.select_related("part", "location", "work_order").filter(pk=pk).first()
    )


def defective_get(number: str) -> DefectiveReturn | None:
    pk = rules.parse_document_number("defective", number)
    if pk is None:
        return None
    return (
        DefectiveReturn.objects.select_related("part", "work_order", "technician", "partner")
        .filter(pk=pk)
        .first()
    )


def defective_returns_for(viewer: User, **filters) -> QuerySet[DefectiveReturn]:
    """Defective returns a user may see: a partner its organisation's, a technician their
    own, everyone else all."""
    if viewer.is_partner:
        filters["partner_id"] = viewer.partner_id
    elif viewer.role == "technician":
        filters["technician_id"] = viewer.pk
    return defective_returns(**filters)


def reconciliation_holder(holder: str) -> tuple[User | None, int | None, str] | None:
    """A technician's username or a partner's code → (technician, partner id, label)."""
    from aftersales.network.models import Partner

    holder = (holder or "").strip()
    if not holder:
        return None
    partner = Partner.objects.filter(code=holder.upper()).first()
    if partner is not None:
        return None, partner.pk, partner.code
    user = User.objects.filter(username=holder).first()
    if user is not None:
        return user, None, user.username
    return None


def holders() -> list[tuple[str, str]]:
    """Who carries stock: technicians with a van, partners with a location (value, label)."""
    from aftersales.network.models import Partner

    techs = (
        User.objects.filter(vans__isnull=False)
        .distinct()
        .order_by("username")
        .values_list("username", flat=True)
    )
    partners = (
        Partner.objects.filter(stock_locations__isnull=False)
        .distinct()
        .order_by("code")
        .values_list("code", "name")
    )
    return [(u, u) for u in techs] + [(code, f"{code} · {name}") for code, name in partners]


def available_totals(part_ids: list[int], location_ids: list[int] | None = None) -> dict[int, int]:
    """Available units per part over the physical locations (or the given ones)."""
    rows = StockBalance.objects.filter(part_id__in=part_ids, location__kind__in=rules.PHYSICAL)
    if location_ids is not None:
        rows = rows.filter(location_id__in=location_ids)
    return {
        part_id: int(n or 0)
        for part_id, n in rows.values_list("part_id")
        .annotate(n=Sum(F("on_hand") - F("reserved")))
        .order_by()
    }


def locations_for_shipping(viewer: User) -> list[StockLocation]:
    """Where a user may send stock: every active physical location of the brand, plus (for a
    partner) its own organisation's."""
    rows = StockLocation.objects.filter(kind__in=rules.PHYSICAL, active=True)
    if viewer.is_partner:
        rows = rows.filter(Q(partner_id=viewer.partner_id) | Q(partner__isnull=True))
    return list(rows.order_by("code"))
