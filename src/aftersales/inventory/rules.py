"""Spare-parts stock: which move may go where, what is available, what to replenish, whether a
part fits, when a defective part is due back, which supply obligations are at risk, and the
reconciliation arithmetic.

Pure: plain values in, verdicts out. Quantities are whole units of a part's unit of measure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from aftersales.core.dates import add_months


class Kind(StrEnum):
    """Where stock sits. The first six are places people can put a hand in; the rest are
    virtual ends of the ledger."""

    CENTRAL = "central"
    WAREHOUSE = "warehouse"  # a service centre's or partner's store (kept for existing data)
    CENTRE_STORE = "centre_store"
    PARTNER_STORE = "partner_store"
    VAN = "van"
    BENCH = "bench"
    SHELF = "shelf"
    IN_TRANSIT = "in_transit"
    DEFECTIVE = "defective"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    SCRAP = "scrap"
    ADJUSTMENT = "adjustment"


PHYSICAL = frozenset(
    {
        Kind.CENTRAL,
        Kind.WAREHOUSE,
        Kind.CENTRE_STORE,
        Kind.PARTNER_STORE,
        Kind.VAN,
        Kind.BENCH,
        Kind.SHELF,
    }
)
VIRTUAL = frozenset(set(Kind) - PHYSICAL)
# Balances are kept where stock can be counted: the physical places, goods on the road and
# defective parts waiting for inspection. Supplier, customer, scrap and the adjustment
# account are ends of the ledger: stock flows in and out of them without a balance.
TRACKED = PHYSICAL | {Kind.IN_TRANSIT, Kind.DEFECTIVE}
# One location of each of these exists; services create it when first needed.
SINGLETON_CODES: dict[Kind, str] = {
    Kind.IN_TRANSIT: "IN-TRANSIT",
    Kind.DEFECTIVE: "DEFECTIVE",
    Kind.SUPPLIER: "SUPPLIER",
    Kind.CUSTOMER: "CUSTOMER",
    Kind.SCRAP: "SCRAP",
    Kind.ADJUSTMENT: "ADJUSTMENT",
}


def is_tracked(kind: str) -> bool:
    return kind in TRACKED


class MoveKind(StrEnum):
    RECEIPT = "receipt"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ISSUE = "issue"
    RETURN_UNUSED = "return_unused"
    DEFECTIVE_RETURN = "defective_return"
    SCRAP = "scrap"
    RETURN_TO_VENDOR = "return_to_vendor"
    ADJUSTMENT = "adjustment"


_P = PHYSICAL
ROUTES: dict[MoveKind, tuple[frozenset[str], frozenset[str]]] = {
    MoveKind.RECEIPT: (frozenset({Kind.SUPPLIER}), _P),
    MoveKind.TRANSFER_OUT: (_P, frozenset({Kind.IN_TRANSIT})),
    MoveKind.TRANSFER_IN: (frozenset({Kind.IN_TRANSIT}), _P),
    MoveKind.ISSUE: (_P, frozenset({Kind.CUSTOMER})),
    MoveKind.RETURN_UNUSED: (frozenset({Kind.CUSTOMER}), _P),
    MoveKind.DEFECTIVE_RETURN: (frozenset({Kind.CUSTOMER}), frozenset({Kind.DEFECTIVE})),
    MoveKind.SCRAP: (_P | {Kind.DEFECTIVE}, frozenset({Kind.SCRAP})),
    MoveKind.RETURN_TO_VENDOR: (_P | {Kind.DEFECTIVE}, frozenset({Kind.SUPPLIER})),
    MoveKind.ADJUSTMENT: (
        _P | {Kind.ADJUSTMENT},
        _P | {Kind.ADJUSTMENT},
    ),
}


def route_refusal(kind: str, from_kind: str, to_kind: str) -> str | None:
    """Why a move of `kind` may not go from a `from_kind` location to a `to_kind` one."""
    if kind not in MoveKind.__members__.values():
        return "unknown_kind"
    sources, targets = ROUTES[MoveKind(kind)]
    if from_kind not in sources or to_kind not in targets:
        return "wrong_route"
    if kind == MoveKind.ADJUSTMENT and (from_kind == Kind.ADJUSTMENT) == (
        to_kind == Kind.ADJUSTMENT
    ):
        return "wrong_route"
    return None


def balance_deltas(
    moves: Iterable[tuple[int, int, int, int]], tracked: set[int] | frozenset[int]
) -> dict[tuple[int, int], int]:
    """On hand per (part, location) implied by moves (part, from, to, quantity); only tracked
    locations count."""
    out: dict[tuple[int, int], int] = {}
    for part, source, target, quantity in moves:
        if source in tracked:
            out[(part, source)] = out.get((part, source), 0) - quantity
        if target in tracked:
            out[(part, target)] = out.get((part, target), 0) + quantity
    return out


def available(on_hand: int, reserved: int) -> int:
    return max(0, on_hand - reserved)


# --- serials --------------------------------------------------------------------------------


def serials_refusal(*, serialised: bool, quantity: int, serials: Sequence[str]) -> str | None:
    """A serialised part moves with one distinct serial per unit; others carry none."""
    if not serialised:
        return "serial_not_expected" if serials else None
    if any(not s.strip() for s in serials):
        return "serial_blank"
    if len(serials) != quantity:
        return "serials_count"
    if len({s.strip().upper() for s in serials}) != len(serials):
        return "serial_repeated"
    return None


def normalise_serial(serial: str) -> str:
    return serial.strip().upper()


# --- replenishment --------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A part at a location: what is there, promised to jobs, and on its way in."""

    on_hand: int
    reserved: int = 0
    incoming: int = 0

    @property
    def projected(self) -> int:
        return self.on_hand - self.reserved + self.incoming


@dataclass(frozen=True)
class ReorderPoint:
    """Replenish when the projected stock is at or below `minimum`, up to `maximum`."""

    minimum: int
    maximum: int


def reorder_point_refusal(minimum: int, maximum: int) -> str | None:
    if minimum < 0:
        return "minimum_negative"
    if maximum < 1:
        return "maximum_not_positive"
    if minimum > maximum:
        return "minimum_above_maximum"
    return None


def replenish_quantity(position: Position, point: ReorderPoint) -> int:
    """How much to bring in: nothing while the projection is above the reorder point, else
    enough to reach the maximum. Reservations lower the projection, goods in transit and
    open purchases raise it."""
    projected = position.projected
    if projected > point.minimum:
        return 0
    return max(0, point.maximum - projected)


def allocate(
    available_qty: int, requests: Sequence[tuple[object, int]]
) -> list[tuple[object, int]]:
    """Shares what the source can give among requests, in the order given (callers sort by
    priority), never more than asked nor in total more than available."""
    left = max(0, available_qty)
    out = []
    for key, wanted in requests:
        give = min(left, max(0, wanted))
        out.append((key, give))
        left -= give
    return out


@dataclass(frozen=True)
class PartPlan:
    transfers: list[tuple[object, int]]  # (location key, quantity) from the central store
    purchase: int  # to buy for the central store
    unmet: int  # asked by locations and not coverable from central stock now


def plan_part(
    *,
    central: Position,
    central_point: ReorderPoint | None,
    locations: Sequence[tuple[object, Position, ReorderPoint]],
) -> PartPlan:
    """One part's replenishment: locations at or below their reorder point get transfers
    from what the central store has available (largest need first, then the key); the
    central store buys what it could not give, and (with a reorder point of its own) what
    brings it back to its maximum, counting its reservations and incoming purchases."""
    needs = [(key, replenish_quantity(pos, point)) for key, pos, point in locations]
    needs = [(key, qty) for key, qty in needs if qty > 0]
    needs.sort(key=lambda item: (-item[1], str(item[0])))
    central_available = available(central.on_hand, central.reserved)
    transfers = [(k, q) for k, q in allocate(central_available, needs) if q > 0]
    given = sum(q for _, q in transfers)
    unmet = sum(q for _, q in needs) - given
    # What is left for the central store once the transfers leave and the unmet needs are
    # served from what arrives next.
    after = Position(central.on_hand - given, central.reserved + unmet, central.incoming)
    if central_point is not None:
        purchase = replenish_quantity(after, central_point)
    else:
        purchase = max(0, -after.projected)
    return PartPlan(transfers=transfers, purchase=purchase, unmet=unmet)


# --- fit and supersession -------------------------------------------------------------------


@dataclass(frozen=True)
class FitVerdict:
    allowed: bool
    fits: bool
    overridden: bool
    code: str = ""


def fit_verdict(*, fits: bool, override_reason: str = "") -> FitVerdict:
    """A part goes into a unit only if it is listed for the unit's model, or someone says
    why it may anyway. Supersession does not imply fit."""
    if fits:
        return FitVerdict(allowed=True, fits=True, overridden=False)
    if override_reason.strip():
        return FitVerdict(allowed=True, fits=False, overridden=True)
    return FitVerdict(allowed=False, fits=False, overridden=False, code="part_does_not_fit")


def supersession_chain(start: int, replaced_by: Mapping[int, int | None]) -> list[int]:
    """The part and its successors, newest last; stops at a loop."""
    chain = [start]
    seen = {start}
    current = replaced_by.get(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = replaced_by.get(current)
    return chain


# --- defective returns ----------------------------------------------------------------------


class DefectiveStatus(StrEnum):
    DUE = "due"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RETURNED_TO_VENDOR = "returned_to_vendor"
    SCRAPPED = "scrapped"


class InspectionOutcome(StrEnum):
    CONFIRMED_DEFECTIVE = "confirmed_defective"
    NO_FAULT_FOUND = "no_fault_found"
    WRONG_PART = "wrong_part"


WARRANTY_CATEGORY = "C"


def defective_return_needed(*, category: str, required_by_part: bool) -> bool:
    return required_by_part and category == WARRANTY_CATEGORY


def defective_due_on(consumed_on: date, days: int) -> date:
    return consumed_on + timedelta(days=days)


def is_overdue(*, due_on: date, received_on: date | None, as_of: date) -> bool:
    """Late when not back by the end of the due day (or came back after it)."""
    if received_on is not None:
        return received_on > due_on
    return as_of > due_on


def disposition_refusal(*, outcome: str | None, disposition: str) -> str | None:
    if outcome is None:
        return "not_inspected"
    if disposition == DefectiveStatus.RETURNED_TO_VENDOR:
        return None if outcome == InspectionOutcome.CONFIRMED_DEFECTIVE else "not_defective"
    if disposition == DefectiveStatus.SCRAPPED:
        return None
    return "unknown_disposition"


# --- supply obligation ----------------------------------------------------------------------


def obligation_until(end_of_production: date | None, years: int) -> date | None:
    """The last day the part must be available; None while a fitted model is in production
    (the obligation has no end yet)."""
    if end_of_production is None:
        return None
    return add_months(end_of_production, 12 * years)


@dataclass(frozen=True)
class SupplyRisk:
    at_risk: bool
    reason: str = ""


def supply_risk(
    *,
    ends_of_production: Sequence[date | None],
    years: int,
    on: date,
    active: bool,
    stock: int,
    minimum: int = 1,
) -> SupplyRisk:
    """A part under a supply obligation is at risk while the obligation runs and the network
    holds (available plus incoming) fewer than `minimum`, or the part is no longer active."""
    if not ends_of_production:
        return SupplyRisk(False)
    ends = [obligation_until(d, years) for d in ends_of_production]
    running = any(e is None or on <= e for e in ends)
    if not running:
        return SupplyRisk(False)
    if not active:
        return SupplyRisk(True, "inactive")
    if stock <= 0:
        return SupplyRisk(True, "no_stock")
    if stock < minimum:
        return SupplyRisk(True, "low_stock")
    return SupplyRisk(False)


# --- reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    opening: int
    received: int
    consumed: int
    returned_unused: int
    scrapped: int
    closing: int

    @property
    def expected_closing(self) -> int:
        return self.opening + self.received - self.consumed - self.returned_unused - self.scrapped

    @property
    def difference(self) -> int:
        """What the book holds against what the flows explain: negative means units went
        missing (written off at a count)."""
        return self.closing - self.expected_closing


# --- document numbers -----------------------------------------------------------------------

PREFIXES = {"transfer": "TR", "purchase": "PO", "reservation": "RS", "defective": "DR"}


def document_number(what: str, pk: int) -> str:
    return f"{PREFIXES[what]}-{pk:06d}"


def parse_document_number(what: str, number: str | int) -> int | None:
    """The id in 'TR-000042' (or a bare id); None when it is not such a number."""
    if isinstance(number, int):
        return number if number > 0 else None
    text = number.strip().upper()
    prefix = PREFIXES[what] + "-"
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return int(text) if text.isdigit() and int(text) > 0 else None
