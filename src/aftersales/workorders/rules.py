"""Service vouchers (work orders): which status may follow which, what each step requires,
repeat repairs, routing to a centre or partner, and the money on a repair card.

Pure: plain values in, verdicts out. Money is Decimal, rounded half up to the cent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MINUTES_PER_HOUR = Decimal(60)


class Kind(StrEnum):
    ON_SITE = "on_site"
    WORKSHOP = "workshop"
    REMOTE = "remote"
    INSTALLATION = "installation"
    PREVENTIVE = "preventive"


# Jobs done at the customer's place end with the customer's acceptance there.
VISIT_KINDS = frozenset({Kind.ON_SITE, Kind.INSTALLATION, Kind.PREVENTIVE})


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    WAITING_PARTS = "waiting_parts"
    WAITING_APPROVAL = "waiting_approval"
    COMPLETED = "completed"
    VERIFIED = "verified"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Result(StrEnum):
    FIXED = "fixed"
    NEEDS_PARTS = "needs_parts"
    NEEDS_WORKSHOP = "needs_workshop"
    NOT_REPAIRABLE = "not_repairable"
    NO_FAULT_FOUND = "no_fault_found"


# Results that end the job; the others say what it waits for.
FINAL_RESULTS = frozenset({Result.FIXED, Result.NOT_REPAIRABLE, Result.NO_FAULT_FOUND})


class CustodyKind(StrEnum):
    PICKED_UP = "picked_up"
    RECEIVED = "received"
    MOVED = "moved"
    SHIPPED = "shipped"
    RETURNED = "returned"


class QuoteStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    OTHER = "other"


STATUS_LABELS = {
    Status.DRAFT: _("draft"),
    Status.SCHEDULED: _("scheduled"),
    Status.DISPATCHED: _("dispatched"),
    Status.IN_PROGRESS: _("in progress"),
    Status.WAITING_PARTS: _("waiting for parts"),
    Status.WAITING_APPROVAL: _("waiting for the customer's approval"),
    Status.COMPLETED: _("completed"),
    Status.VERIFIED: _("verified"),
    Status.CLOSED: _("closed"),
    Status.CANCELLED: _("cancelled"),
}

KIND_LABELS = {
    Kind.ON_SITE: _("on site"),
    Kind.WORKSHOP: _("workshop"),
    Kind.REMOTE: _("remote"),
    Kind.INSTALLATION: _("installation"),
    Kind.PREVENTIVE: _("preventive maintenance"),
}

RESULT_LABELS = {
    Result.FIXED: _("fixed"),
    Result.NEEDS_PARTS: _("needs parts"),
    Result.NEEDS_WORKSHOP: _("needs the workshop"),
    Result.NOT_REPAIRABLE: _("not repairable"),
    Result.NO_FAULT_FOUND: _("no fault found"),
}

CUSTODY_LABELS = {
    CustodyKind.PICKED_UP: _("picked up from the customer"),
    CustodyKind.RECEIVED: _("received at the service centre"),
    CustodyKind.MOVED: _("moved"),
    CustodyKind.SHIPPED: _("on its way back"),
    CustodyKind.RETURNED: _("returned to the customer"),
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SCHEDULED, Status.DISPATCHED, Status.CANCELLED}),
    Status.SCHEDULED: frozenset({Status.DRAFT, Status.DISPATCHED, Status.CANCELLED}),
    Status.DISPATCHED: frozenset(
        {Status.DRAFT, Status.SCHEDULED, Status.IN_PROGRESS, Status.CANCELLED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.WAITING_PARTS, Status.WAITING_APPROVAL, Status.COMPLETED, Status.CANCELLED}
    ),
    Status.WAITING_PARTS: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.WAITING_APPROVAL: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    # A failed quality check sends the job back to the bench.
    Status.COMPLETED: frozenset({Status.VERIFIED, Status.IN_PROGRESS}),
    Status.VERIFIED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

OPEN = frozenset(set(Status) - {Status.CLOSED, Status.CANCELLED})
# Until the job starts, the plan (who, when) may still change.
PLANNING = frozenset({Status.DRAFT, Status.SCHEDULED, Status.DISPATCHED})
# Where the technician is doing the work and may add to the repair card.
WORKING = frozenset({Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL})

_NUMBER = re.compile(r"^WO-(\d{6,})$")
_RECEIPT = re.compile(r"^PR-(\d{6,})$")


def work_order_number(pk: int) -> str:
    return f"WO-{pk:06d}"


def parse_work_order_number(number: str) -> int | None:
    match = _NUMBER.match(number.strip().upper())
    return int(match.group(1)) if match else None


def receipt_number(pk: int) -> str:
    return f"PR-{pk:06d}"


def parse_receipt_number(number: str) -> int | None:
    match = _RECEIPT.match(number.strip().upper())
    return int(match.group(1)) if match else None


def invoice_number(year: int, sequence: int, series: str = "INV") -> str:
    """Billing documents are numbered per series and year without gaps: INV-2026-000001,
    INV-2026-000002, …; credit notes CRN-2026-000001, …"""
    return f"{series}-{year}-{sequence:06d}"


def can_move(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def planning_status(*, has_window: bool, has_assignee: bool) -> Status:
    """Before work starts the status says how far the plan is: a time window makes the job
    scheduled; a time window and someone to do it makes it dispatched."""
    if has_window and has_assignee:
        return Status.DISPATCHED
    if has_window:
        return Status.SCHEDULED
    return Status.DRAFT


@dataclass(frozen=True)
class CompletionFacts:
    kind: str
    category: str
    result: str | None
    has_acceptance: bool
    quote_status: str | None


def completion_refusal(facts: CompletionFacts) -> str | None:
    """Why the job cannot be completed yet, or None."""
    if not facts.result:
        return str(_("Record the result of the repair first."))
    if facts.result not in FINAL_RESULTS:
        return str(
            _("A job whose result is “%(result)s” is not finished: it waits for that first.")
            % {"result": RESULT_LABELS[Result(facts.result)]}
        )
    if facts.kind in VISIT_KINDS and not facts.has_acceptance:
        return str(_("An on-site job is completed with the customer's acceptance."))
    paid_repair = facts.category == "A" and facts.result == Result.FIXED
    if paid_repair and facts.quote_status != QuoteStatus.ACCEPTED:
        return str(_("Paid work needs the customer's accepted quote before it is completed."))
    return None


@dataclass(frozen=True)
class ClosingFacts:
    kind: str
    category: str
    product_in_custody: bool
    invoiced: bool
    paid: bool
    chargeable: bool


def closing_refusal(facts: ClosingFacts) -> str | None:
    """Why a verified job cannot be archived yet, or None."""
    if facts.product_in_custody:
        return str(_("The customer's product is still with us: return it first."))
    if facts.category == "A" and facts.chargeable:
        if not facts.invoiced:
            return str(_("Paid work is invoiced before the voucher is archived."))
        if not facts.paid:
            return str(_("The invoice is not paid yet."))
    return None


def is_repeat(*, earlier_completions: Iterable[datetime], now: datetime, window_days: int) -> bool:
    """A new job on a unit repaired within the window is a repeat repair."""
    since = now - timedelta(days=window_days)
    return any(done >= since for done in earlier_completions)


def custody_next(last: str | None) -> frozenset[CustodyKind]:
    """Which custody events may follow the last one for a product in our hands."""
    if last is None or last == CustodyKind.RETURNED:
        return frozenset({CustodyKind.PICKED_UP, CustodyKind.RECEIVED})
    if last == CustodyKind.SHIPPED:
        return frozenset({CustodyKind.RETURNED, CustodyKind.RECEIVED})
    if last == CustodyKind.PICKED_UP:
        return frozenset({CustodyKind.RECEIVED, CustodyKind.MOVED, CustodyKind.RETURNED})
    return frozenset(
        {CustodyKind.MOVED, CustodyKind.SHIPPED, CustodyKind.RETURNED, CustodyKind.RECEIVED}
    )


def in_custody(last: str | None) -> bool:
    return last is not None and last != CustodyKind.RETURNED


# --- routing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A centre or a partner that could take the job."""

    kind: str  # "centre" or "partner"
    code: str
    regions: frozenset[str]
    product_lines: frozenset[str]


def route(providers: Sequence[Provider], *, region: str, product_line: str) -> list[Provider]:
    """Who should do a job, best first: those serving the customer's region and the product
    line; the brand's own centres before partners; then by code for a stable answer. A
    provider with no product lines listed repairs every line."""
    region = region.strip().lower()
    line = product_line.strip().lower()

    def fits(p: Provider) -> bool:
        regions = {r.lower() for r in p.regions}
        lines = {pl.lower() for pl in p.product_lines}
        return (not region or region in regions) and (not lines or line in lines)

    return sorted((p for p in providers if fits(p)), key=lambda p: (p.kind != "centre", p.code))


# --- money -------------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LabourPrice:
    hourly: Decimal | None = None
    flat: Decimal | None = None


@dataclass(frozen=True)
class RateCard:
    currency: str
    labour: dict[str, LabourPrice]
    default_hourly: Decimal
    travel_per_visit: Decimal
    travel_per_km: Decimal
    tax_rate: Decimal  # percent


@dataclass(frozen=True)
class LabourItem:
    code: str
    minutes: int


@dataclass(frozen=True)
class PartItem:
    number: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class TravelItem:
    km: Decimal


@dataclass(frozen=True)
class CostLine:
    kind: str  # labour, part, travel
    reference: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Costing:
    currency: str
    lines: tuple[CostLine, ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def labour_amount(card: RateCard, item: LabourItem) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, unit price, amount) of one labour line: a flat-rate code is charged once per
    line whatever the time; anything else by the hour, per started minute."""
    price = card.labour.get(item.code)
    if price is not None and price.flat is not None:
        return Decimal(1), money(price.flat), money(price.flat)
    hourly = price.hourly if price is not None and price.hourly is not None else card.default_hourly
    hours = Decimal(item.minutes) / MINUTES_PER_HOUR
    return hours.quantize(Decimal("0.01")), money(hourly), money(hourly * hours)


def cost(
    card: RateCard,
    *,
    labour: Iterable[LabourItem] = (),
    parts: Iterable[PartItem] = (),
    travel: Iterable[TravelItem] = (),
) -> Costing:
    lines: list[CostLine] = []
    for item in labour:
        quantity, unit_price, amount = labour_amount(card, item)
        lines.append(CostLine("labour", item.code, quantity, unit_price, amount))
    for part in parts:
        unit_price = money(part.unit_price)
        lines.append(
            CostLine(
                "part", part.number, Decimal(part.quantity), unit_price, unit_price * part.quantity
            )
        )
    for trip in travel:
        amount = money(card.travel_per_visit + card.travel_per_km * trip.km)
        lines.append(CostLine("travel", "visit", Decimal(1), amount, amount))
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    tax = money(subtotal * card.tax_rate / 100)
    return Costing(card.currency, tuple(lines), subtotal, card.tax_rate, tax, subtotal + tax)


# --- the monthly service record ------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following
