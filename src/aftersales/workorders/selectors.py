"""Reads about work orders: who may see which, the dispatch board, a technician's day, where
a customer's product is, what a job costs, and the monthly service record."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.billing.models import Invoice, RateCard
from aftersales.core import rows
from aftersales.inventory.models import StockLocation
from aftersales.network.models import Partner, ServiceCentre
from aftersales.workorders import rules
from aftersales.workorders.models import (
    CustodyEvent,
    LabourLine,
    PickupReceipt,
    Visit,
    WorkOrder,
)
from aftersales.workorders.rules import CustodyKind, Status


def centre_tree_ids(centre_id: int) -> list[int]:
    """A centre and its branches."""
    return [
        centre_id,
        *ServiceCentre.objects.filter(parent_id=centre_id).values_list("id", flat=True),
    ]


def centre_covers(centre: ServiceCentre, other_id: int) -> bool:
    """Whether staff based at `other_id` work for `centre` (the same one, a branch of it, or
    the main centre of it)."""
    return other_id in centre_tree_ids(centre.pk) or other_id == centre.parent_id


def visible_work_orders(viewer: User) -> QuerySet[WorkOrder]:
    """What a user may see at all. A partner sees its organisation's jobs; a technician the
    jobs assigned to them; a supervisor (or warehouse clerk) based at a centre that centre's
    and its branches' jobs; the office sees everything."""
    orders = WorkOrder.objects.all()
    if viewer.is_partner:
        return orders.filter(partner_id=viewer.partner_id)
    if viewer.role == Role.TECHNICIAN:
        return orders.filter(technician_id=viewer.pk)
    if viewer.role in (Role.SUPERVISOR, Role.WAREHOUSE) and viewer.service_centre_id:
        return orders.filter(centre_id__in=centre_tree_ids(viewer.service_centre_id))
    return orders


def work_order_get(viewer: User, number: str) -> WorkOrder | None:
    wo_id = rules.parse_work_order_number(number)
    if wo_id is None:
        return None
    return (
        visible_work_orders(viewer)
        .select_related(
            "case",
            "case__customer",
            "unit",
            "unit__product",
            "centre",
            "partner",
            "technician",
            "repeat_of",
            "verified_by",
        )
        .filter(pk=wo_id)
        .first()
    )


@dataclass(frozen=True)
class WorkOrderFilters:
    status: list[str] | None = None
    technician: str | None = None
    partner: str | None = None
    centre: str | None = None
    day: date | None = None
    case: str | None = None
    unassigned: bool = False


def work_order_list(viewer: User, filters: WorkOrderFilters) -> QuerySet[WorkOrder]:
    orders = visible_work_orders(viewer).select_related(
        "case", "case__customer", "unit", "centre", "partner", "technician"
    )
    if filters.status:
        orders = orders.filter(status__in=filters.status)
    if filters.technician:
        orders = orders.filter(technician__username=filters.technician)
    if filters.partner:
        orders = orders.filter(partner__code=filters.partner.upper())
    if filters.centre:
        orders = orders.filter(centre__code=filters.centre)
    if filters.day:
        start = timezone.make_aware(datetime.combine(filters.day, datetime.min.time()))
        orders = orders.filter(window_start__gte=start, window_start__lt=start + timedelta(days=1))
    if filters.case:
        from aftersales.cases.rules import parse_case_number

        orders = orders.filter(case_id=parse_case_number(filters.case) or 0)
    if filters.unassigned:
        orders = orders.filter(technician__isnull=True, partner__isnull=True)
    return orders


def work_orders_for_case(viewer: User, case_id: int) -> QuerySet[WorkOrder]:
    return (
        visible_work_orders(viewer)
        .filter(case_id=case_id)
        .select_related("technician", "partner", "centre")
        .order_by("id")
    )


# --- dispatch ---------------------------------------------------------------------------------


@dataclass
class BoardLane:
    key: str  # "tech:<username>" or "partner:<code>"
    label: str
    by_day: dict[date, list] = field(default_factory=lambda: defaultdict(list))
    conflicts: set[int] = field(default_factory=set)


@dataclass
class DispatchBoard:
    days: list[date]
    lanes: list[BoardLane]
    unassigned: list
    unscheduled: list
    total: int


BOARD_FIELDS = (
    "id",
    "kind",
    "status",
    "category",
    "window_start",
    "window_end",
    "technician_id",
    "partner_id",
    "case_id",
    "case__summary",
    "case__customer__name",
    "case__priority",
    "unit__serial_number",
    "repeat_of_id",
)


def _instant(value):
    """A timestamp column as an aware datetime: PostgreSQL's driver gives one already;
    SQLite gives the UTC value Django stored, naive (or as text)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _board_rows(queryset) -> list[dict]:
    """The board's rows as dicts, fetched with the ORM's SQL but without its per-value
    converters: thousands of rows, two timestamps each, and the converters were a third of
    the board's time."""
    sql, params = queryset.values_list(*BOARD_FIELDS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    start, end = BOARD_FIELDS.index("window_start"), BOARD_FIELDS.index("window_end")
    rows = []
    for values in fetched:
        row = dict(zip(BOARD_FIELDS, values, strict=True))
        row["window_start"], row["window_end"] = _instant(values[start]), _instant(values[end])
        rows.append(row)
    return rows


def dispatch_board(viewer: User, *, week_of: date, tz) -> DispatchBoard:
    """A week of jobs by technician or partner and by day, with overlapping appointments of
    the same person marked, plus the queues waiting for someone or for a time."""
    start_day = week_of - timedelta(days=week_of.weekday())
    days = [start_day + timedelta(days=i) for i in range(7)]
    start = timezone.make_aware(datetime.combine(start_day, datetime.min.time()), tz)
    end = start + timedelta(days=7)
    visible = visible_work_orders(viewer)
    active = visible.exclude(status__in=[Status.CLOSED, Status.CANCELLED])
    rows = _board_rows(
        active.filter(window_start__gte=start, window_start__lt=end).order_by("window_start", "id")
    )
    technicians = _technicians_for(viewer)
    names = {t.pk: t for t in technicians}
    partners = (
        {p.pk: p for p in Partner.objects.filter(active=True)}
        if not viewer.is_partner
        else {viewer.partner_id: viewer.partner}
    )
    lanes: dict[str, BoardLane] = {}
    for tech in technicians:
        lanes[f"tech:{tech.username}"] = BoardLane(
            f"tech:{tech.username}", tech.get_full_name() or tech.username
        )
    unassigned = []
    for row in rows:
        row["number"] = rules.work_order_number(row["id"])
        row["local_start"] = timezone.localtime(row["window_start"], tz)
        if row["technician_id"]:
            tech = names.get(row["technician_id"])
            if tech is None:
                tech = User.objects.get(pk=row["technician_id"])
                names[tech.pk] = tech
            key = f"tech:{tech.username}"
            label = tech.get_full_name() or tech.username
        elif row["partner_id"]:
            partner = partners.get(row["partner_id"]) or Partner.objects.get(pk=row["partner_id"])
            key, label = f"partner:{partner.code}", partner.name
        else:
            unassigned.append(row)
            continue
        lane = lanes.setdefault(key, BoardLane(key, label))
        lane.by_day[row["local_start"].date()].append(row)
    for lane in lanes.values():
        if lane.key.startswith("tech:"):
            lane.conflicts = _overlaps([r for day in lane.by_day.values() for r in day])
    unscheduled = list(
        active.filter(window_start__isnull=True, status=Status.DRAFT)
        .order_by("id")
        .values(*BOARD_FIELDS)[:200]
    )
    for row in unscheduled:
        row["number"] = rules.work_order_number(row["id"])
    return DispatchBoard(days, list(lanes.values()), unassigned, unscheduled, len(rows))


def _overlaps(rows: list[dict]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(rows, key=lambda r: r["window_start"])
    latest_end, latest_id = None, None
    for row in ordered:
        end = row["window_end"] or row["window_start"]
        if latest_end is not None and row["window_start"] < latest_end:
            found.update({row["id"], latest_id})
        if latest_end is None or end > latest_end:
            latest_end, latest_id = end, row["id"]
    return found


def _technicians_for(viewer: User) -> list[User]:
    if viewer.is_partner:
        return []
    techs = User.objects.filter(role=Role.TECHNICIAN, is_active=True).order_by("username")
    if viewer.role == Role.SUPERVISOR and viewer.service_centre_id:
        techs = techs.filter(service_centre_id__in=centre_tree_ids(viewer.service_centre_id))
    elif viewer.role == Role.TECHNICIAN:
        techs = techs.filter(pk=viewer.pk)
    return list(techs)


def technician_conflicts(wo: WorkOrder) -> list[WorkOrder]:
    """Other open jobs of the same technician whose appointment overlaps this one."""
    if not (wo.technician_id and wo.window_start and wo.window_end):
        return []
    return list(
        WorkOrder.objects.filter(
            technician_id=wo.technician_id,
            window_start__lt=wo.window_end,
            window_end__gt=wo.window_start,
        )
        .exclude(pk=wo.pk)
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
    )


def my_day(technician: User, day: date, tz) -> QuerySet[WorkOrder]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    return (
        visible_work_orders(technician)
        .filter(
            Q(window_start__gte=start, window_start__lt=start + timedelta(days=1))
            | Q(status__in=[Status.IN_PROGRESS, Status.WAITING_PARTS])
        )
        .exclude(status__in=[Status.CLOSED, Status.CANCELLED])
        .select_related("case", "case__customer", "unit", "unit__product")
        .order_by("window_start", "id")
    )


# --- routing ---------------------------------------------------------------------------------


def route_suggestions(case) -> list[tuple[ServiceCentre | None, Partner | None]]:
    region = case.customer.region or ""
    line = case.unit.product.category if case.unit_id else ""
    centres = {c.code: c for c in ServiceCentre.objects.filter(active=True)}
    partners = {p.code: p for p in Partner.objects.filter(active=True)}
    providers = [
        rules.Provider("centre", c.code, frozenset({c.region}), frozenset(c.product_lines))
        for c in centres.values()
    ] + [
        rules.Provider("partner", p.code, frozenset(p.regions), frozenset(p.product_lines))
        for p in partners.values()
    ]
    ranked = rules.route(providers, region=region, product_line=line)
    return [
        (centres[p.code], None) if p.kind == "centre" else (None, partners[p.code]) for p in ranked
    ]


# --- repeat repairs -----------------------------------------------------------------------------


def latest_completed_on_unit(unit_id: int) -> WorkOrder | None:
    return (
        WorkOrder.objects.filter(unit_id=unit_id, completed_at__isnull=False)
        .exclude(status=Status.CANCELLED)
        .order_by("-completed_at")
        .first()
    )


def same_fault_repairs(unit_id: int | None, fault_code: str, *, excluding: int) -> int:
    """How many earlier jobs on this unit completed a repair of the same fault: the returns
    rules ask whether a product was "repaired twice and still failing"."""
    if unit_id is None or not fault_code:
        return 0
    return (
        WorkOrder.objects.filter(unit_id=unit_id, fault_code=fault_code, completed_at__isnull=False)
        .exclude(pk=excluding)
        .exclude(status=Status.CANCELLED)
        .count()
    )


def unit_fault_repairs(unit_id: int) -> dict[str, int]:
    """Completed repairs per fault code on a unit."""
    rows = (
        WorkOrder.objects.filter(unit_id=unit_id, completed_at__isnull=False)
        .exclude(status=Status.CANCELLED)
        .exclude(fault_code="")
        .values("fault_code")
        .annotate(n=Count("id"))
    )
    return {r["fault_code"]: r["n"] for r in rows}


# --- custody -------------------------------------------------------------------------------------


def last_custody_event(unit_id: int) -> CustodyEvent | None:
    return (
        CustodyEvent.objects.filter(unit_id=unit_id)
        .select_related("centre", "receipt", "work_order")
        .order_by("-id")
        .first()
    )


def open_receipt(unit_id: int) -> PickupReceipt | None:
    return PickupReceipt.objects.filter(unit_id=unit_id, voided_at__isnull=True).first()


def product_in_custody(wo: WorkOrder) -> bool:
    if wo.unit_id is None:
        return False
    last = last_custody_event(wo.unit_id)
    return last is not None and last.work_order_id == wo.pk and rules.in_custody(last.kind)


@dataclass(frozen=True)
class Whereabouts:
    serial_number: str
    in_our_hands: bool
    kind: str | None
    place: str
    centre: str
    since: datetime | None
    work_order: str | None
    receipt: str | None
    ready_for_pickup: bool

    @property
    def label(self) -> str:
        return str(rules.CUSTODY_LABELS[CustodyKind(self.kind)]) if self.kind else ""


def unit_whereabouts(unit) -> Whereabouts:
    """Where a customer's product is, and since when."""
    last = last_custody_event(unit.pk)
    if last is None:
        return Whereabouts(unit.serial_number, False, None, "", "", None, None, None, False)
    ready = rules.in_custody(last.kind) and last.work_order.status == Status.VERIFIED
    return Whereabouts(
        serial_number=unit.serial_number,
        in_our_hands=rules.in_custody(last.kind),
        kind=last.kind,
        place=last.place,
        centre=last.centre.name if last.centre_id else "",
        since=last.at,
        work_order=last.work_order.number,
        receipt=last.receipt.number if last.receipt_id else None,
        ready_for_pickup=ready,
    )


@rows.statement
def _whereabouts_sql() -> str:
    Unit = CustodyEvent._meta.get_field("unit").related_model
    col = rows.column
    latest = (
        f"(SELECT e2.id FROM {rows.table(CustodyEvent)} e2"
        f" WHERE {col(CustodyEvent, 'unit', 'e2')} = u.id ORDER BY e2.id DESC LIMIT 1)"
    )
    return (
        f"SELECT u.id, {col(Unit, 'serial_number', 'u')}, {col(CustodyEvent, 'kind', 'e')},"
        f" {col(CustodyEvent, 'place', 'e')}, {col(CustodyEvent, 'at', 'e')},"
        f" {col(ServiceCentre, 'name', 'c')}, {col(CustodyEvent, 'work_order', 'e')},"
        f" {col(WorkOrder, 'status', 'w')}, {col(CustodyEvent, 'receipt', 'e')}"
        f" FROM {rows.table(Unit)} u"
        f" LEFT JOIN {rows.table(CustodyEvent)} e ON e.id = {latest}"
        f" LEFT JOIN {rows.table(ServiceCentre)} c ON c.id = {col(CustodyEvent, 'centre', 'e')}"
        f" LEFT JOIN {rows.table(WorkOrder)} w ON w.id = {col(CustodyEvent, 'work_order', 'e')}"
        f" WHERE {col(Unit, 'serial_number', 'u')} = %s"
    )


def whereabouts_by_serial(serial_number: str) -> tuple[int, Whereabouts] | None:
    """The unit's id and where it is, in one query written by hand (core.rows): "where is
    my product" is asked far more often than anything changes."""
    with rows.cursor() as cursor:
        cursor.execute(_whereabouts_sql(), [serial_number])
        row = cursor.fetchone()
    if row is None:
        return None
    unit_id, serial, kind, place, at, centre, wo_id, wo_status, receipt_id = row
    if kind is None:
        return unit_id, Whereabouts(serial, False, None, "", "", None, None, None, False)
    held = rules.in_custody(kind)
    return unit_id, Whereabouts(
        serial_number=serial,
        in_our_hands=held,
        kind=kind,
        place=place,
        centre=centre or "",
        since=_instant(at),
        work_order=rules.work_order_number(wo_id),
        receipt=rules.receipt_number(receipt_id) if receipt_id else None,
        ready_for_pickup=held and wo_status == Status.VERIFIED,
    )


def custody_chain(wo: WorkOrder) -> QuerySet[CustodyEvent]:
    return wo.custody.select_related("centre", "receipt", "actor").order_by("at", "id")


def receipt_get(viewer: User, number: str) -> PickupReceipt | None:
    receipt_id = rules.parse_receipt_number(number)
    if receipt_id is None:
        return None
    return (
        PickupReceipt.objects.filter(pk=receipt_id, work_order__in=visible_work_orders(viewer))
        .select_related(
            "work_order", "work_order__case__customer", "unit", "unit__product", "issued_by"
        )
        .first()
    )


# --- money ----------------------------------------------------------------------------------------


def rate_card_for(wo: WorkOrder) -> RateCard | None:
    """The partner's card, else the centre's, else its main centre's, else the brand's."""
    if wo.partner_id:
        card = RateCard.objects.filter(partner_id=wo.partner_id).first()
        if card:
            return card
    if wo.centre_id and not wo.partner_id:
        card = RateCard.objects.filter(centre_id=wo.centre_id).first()
        if card is None and wo.centre.parent_id:
            card = RateCard.objects.filter(centre_id=wo.centre.parent_id).first()
        if card:
            return card
    return RateCard.objects.filter(centre__isnull=True, partner__isnull=True).order_by("id").first()


def _card_rules(card: RateCard | None, wo: WorkOrder) -> rules.RateCard:
    if card is None:
        # Without a card a partner's labour rate still prices its time; nothing else is charged.
        hourly = wo.partner.labour_rate if wo.partner_id else Decimal("0")
        currency = (
            wo.partner.currency
            if wo.partner_id
            else (wo.centre.currency if wo.centre_id else "EUR")
        )
        return rules.RateCard(currency, {}, hourly, Decimal("0"), Decimal("0"), Decimal("0"))
    return rules.RateCard(
        currency=card.currency,
        labour={
            r.labour_code: rules.LabourPrice(hourly=r.hourly_rate, flat=r.flat_rate)
            for r in card.labour_rates.all()
        },
        default_hourly=card.hourly_rate,
        travel_per_visit=card.travel_per_visit,
        travel_per_km=card.travel_per_km,
        tax_rate=card.tax_rate,
    )


def costing(wo: WorkOrder, *, planned: bool = False) -> rules.Costing:
    """The money on the repair card: what was done (or, for a quote, what is planned)."""
    card = _card_rules(rate_card_for(wo), wo)
    labour = [
        rules.LabourItem(line.labour_code, line.minutes)
        for line in wo.labour.filter(planned=planned)
    ]
    parts = [
        rules.PartItem(line.part_number, line.quantity, line.unit_price)
        for line in wo.parts.filter(planned=planned)
    ]
    travel = []
    if wo.kind in rules.VISIT_KINDS:
        if planned:
            travel = [rules.TravelItem(Decimal("0"))]
        else:
            travel = [
                rules.TravelItem(v.distance_km or Decimal("0"))
                for v in wo.visits.all()
                if v.arrived_at or v.travel_started_at
            ]
    return rules.cost(card, labour=labour, parts=parts, travel=travel)


def lines_json(costing_: rules.Costing) -> list[dict]:
    return [
        {
            "kind": line.kind,
            "reference": line.reference,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
        }
        for line in costing_.lines
    ]


def has_chargeable_lines(wo: WorkOrder) -> bool:
    return bool(costing(wo).lines) and costing(wo).total > 0


def latest_quote_status(wo: WorkOrder) -> str | None:
    quote = wo.quotes.order_by("-issued_at", "-id").first()
    return quote.status if quote else None


def invoice_of(wo: WorkOrder) -> Invoice | None:
    return Invoice.objects.filter(work_order=wo).first()


def amount_due(invoice: Invoice) -> Decimal:
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return invoice.total - paid


def locations_for(wo: WorkOrder) -> QuerySet[StockLocation]:
    """Where this job may take parts from: its partner's locations, or its centre's (and
    the main centre's)."""
    if wo.partner_id:
        return StockLocation.objects.filter(partner_id=wo.partner_id, active=True)
    if wo.centre_id:
        ids = centre_tree_ids(wo.centre_id)
        if wo.centre.parent_id:
            ids.append(wo.centre.parent_id)
        return StockLocation.objects.filter(centre_id__in=ids, active=True)
    return StockLocation.objects.none()


# --- the monthly service record -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRecordRow:
    work_order: str
    case: str
    kind: str
    category: str
    customer: str
    serial: str
    result: str
    visits: int
    labour_minutes: int
    completed_at: datetime | None


@dataclass(frozen=True)
class ServiceRecord:
    technician: User
    year: int
    month: int
    rows: list[ServiceRecordRow]

    @property
    def total_minutes(self) -> int:
        return sum(r.labour_minutes for r in self.rows)

    @property
    def jobs(self) -> int:
        return len(self.rows)

    @property
    def visits(self) -> int:
        return sum(r.visits for r in self.rows)


def monthly_service_record(technician: User, year: int, month: int) -> ServiceRecord:
    """Every job a technician worked on in a month, with their visits and labour time in it,
    as the service manual asks each serviceman to report monthly."""
    first, following = rules.month_bounds(year, month)
    labour = (
        LabourLine.objects.filter(
            technician=technician,
            planned=False,
            performed_on__gte=first,
            performed_on__lt=following,
        )
        .values("work_order_id")
        .annotate(minutes=Sum("minutes"))
    )
    minutes = {r["work_order_id"]: r["minutes"] for r in labour}
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(following, datetime.min.time()))
    visits = (
        Visit.objects.filter(technician=technician, recorded_at__gte=start, recorded_at__lt=end)
        .values("work_order_id")
        .annotate(n=Count("id"))
    )
    visit_counts = {r["work_order_id"]: r["n"] for r in visits}
    ids = set(minutes) | set(visit_counts)
    orders = (
        WorkOrder.objects.filter(pk__in=ids).select_related("case__customer", "unit").order_by("id")
    )
    rows = [
        ServiceRecordRow(
            work_order=wo.number,
            case=wo.case.number,
            kind=wo.kind,
            category=wo.category,
            customer=wo.case.customer.name,
            serial=wo.unit.serial_number if wo.unit_id else "",
            result=wo.result,
            visits=visit_counts.get(wo.pk, 0),
            labour_minutes=minutes.get(wo.pk, 0),
            completed_at=wo.completed_at,
        )
        for wo in orders
    ]
    return ServiceRecord(technician, year, month, rows)
