"""The RMA's lifecycle as pure data: statuses, the moves between them, inspection results,
dispositions and who pays the freight. No ORM (the remedy engine is `rules.py`)."""

from __future__ import annotations

import re
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class RmaStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORISED = "authorised"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    RmaStatus.REQUESTED: _("requested"),
    RmaStatus.AUTHORISED: _("authorised"),
    RmaStatus.AWAITING_SHIPMENT: _("awaiting shipment"),
    RmaStatus.IN_TRANSIT: _("in transit"),
    RmaStatus.RECEIVED: _("received"),
    RmaStatus.INSPECTED: _("inspected"),
    RmaStatus.RESOLVED: _("resolved"),
    RmaStatus.CLOSED: _("closed"),
    RmaStatus.REJECTED: _("rejected"),
    RmaStatus.CANCELLED: _("cancelled"),
}

FINAL = frozenset({RmaStatus.CLOSED, RmaStatus.REJECTED, RmaStatus.CANCELLED})

TRANSITIONS: dict[RmaStatus, frozenset[RmaStatus]] = {
    RmaStatus.REQUESTED: frozenset({RmaStatus.AUTHORISED, RmaStatus.REJECTED, RmaStatus.CANCELLED}),
    RmaStatus.AUTHORISED: frozenset(
        {RmaStatus.AWAITING_SHIPMENT, RmaStatus.IN_TRANSIT, RmaStatus.CANCELLED}
    ),
    RmaStatus.AWAITING_SHIPMENT: frozenset(
        {RmaStatus.IN_TRANSIT, RmaStatus.RECEIVED, RmaStatus.CANCELLED}
    ),
    RmaStatus.IN_TRANSIT: frozenset({RmaStatus.RECEIVED}),
    RmaStatus.RECEIVED: frozenset({RmaStatus.INSPECTED}),
    RmaStatus.INSPECTED: frozenset({RmaStatus.RESOLVED}),
    RmaStatus.RESOLVED: frozenset({RmaStatus.CLOSED}),
    RmaStatus.CLOSED: frozenset(),
    RmaStatus.REJECTED: frozenset(),
    RmaStatus.CANCELLED: frozenset(),
}

# Where a warehouse may book an arrival: an authorised return may arrive before anyone
# recorded the carrier's tracking number.
RECEIVABLE = frozenset({RmaStatus.AUTHORISED, RmaStatus.AWAITING_SHIPMENT, RmaStatus.IN_TRANSIT})


def can_move(current: str, target: str) -> bool:
    return RmaStatus(target) in TRANSITIONS[RmaStatus(current)]


class InspectionResult(StrEnum):
    CONFIRMED = "confirmed"
    NO_FAULT_FOUND = "no_fault_found"
    DAMAGED_BY_CUSTOMER = "damaged_by_customer"
    WRONG_ITEM = "wrong_item"


class Disposition(StrEnum):
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    RETURN_AS_IS = "return_as_is"
    REFURBISH = "refurbish"
    SCRAP = "scrap"
    RETURN_TO_VENDOR = "return_to_vendor"


# What each disposition needs: the customer's unit, or a stock part.
UNIT_DISPOSITIONS = frozenset(
    {Disposition.REPAIR, Disposition.REPLACE, Disposition.REFUND, Disposition.RETURN_AS_IS}
)
PART_DISPOSITIONS = frozenset(
    {
        Disposition.REFUND,
        Disposition.RETURN_AS_IS,
        Disposition.REFURBISH,
        Disposition.SCRAP,
        Disposition.RETURN_TO_VENDOR,
        Disposition.REPLACE,
    }
)


class Direction(StrEnum):
    INBOUND = "inbound"  # customer -> us
    OUTBOUND = "outbound"  # us -> customer


class FreightPayer(StrEnum):
    BUSINESS = "business"
    CUSTOMER = "customer"


def freight_payer(*, inspection_result: str | None, quality_return: bool) -> FreightPayer:
    """The business pays for quality returns (a fault, DOA, or a fault the inspection
    confirmed); a return whose inspection found no fault, the customer's damage or the wrong
    item is at the customer's cost."""
    if inspection_result in {
        InspectionResult.NO_FAULT_FOUND,
        InspectionResult.DAMAGED_BY_CUSTOMER,
        InspectionResult.WRONG_ITEM,
    }:
        return FreightPayer.CUSTOMER
    return FreightPayer.BUSINESS if quality_return else FreightPayer.CUSTOMER


_NUMBER = re.compile(r"^RMA-?(\d{1,12})$")


def rma_number(pk: int) -> str:
    return f"RMA-{pk:06d}"


def parse_rma_number(number: str) -> int | None:
    match = _NUMBER.match((number or "").strip().upper())
    return int(match.group(1)) if match else None


def refund_amount(
    *, sale_price, days_since_sale: int, percent_per_month, depreciate: bool, floor_percent=0
):
    """The sale price minus straight-line depreciation (a percentage per started 30 days of
    use), never below `floor_percent` of the price; no depreciation when the rule that
    grants the refund does not allow it (a DOA or the CN 7-day refund)."""
    from decimal import ROUND_HALF_UP, Decimal

    price = Decimal(sale_price)
    if not depreciate or days_since_sale <= 0:
        return price.quantize(Decimal("0.01"))
    months = -(-days_since_sale // 30)
    kept = Decimal(100) - Decimal(percent_per_month) * months
    kept = max(kept, Decimal(floor_percent), Decimal(0))
    return (price * kept / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
