from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

UomField = Literal["pc", "set", "m", "l", "kg"]
MoveKindField = Literal[
    "receipt",
    "transfer",
    "transfer_out",
    "issue",
    "return_unused",
    "scrap",
    "return_to_vendor",
    "adjustment",
]
Money = str | float | int


# --- parts ----------------------------------------------------------------------------------


class PartIn(Schema):
    number: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=200)
    unit_of_measure: UomField = "pc"
    list_price: Money = "0"
    cost_price: Money = "0"
    currency: str = Field("EUR", min_length=3, max_length=3)
    serialised: bool = False
    defective_return_required: bool = False
    supply_obligation_years: int | None = Field(None, ge=1, le=50)
    fits: list[str] = []
    replaced_by: str | None = Field(None, max_length=60)


class PartPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    unit_of_measure: UomField | None = None
    list_price: Money | None = None
    cost_price: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    serialised: bool | None = None
    defective_return_required: bool | None = None
    supply_obligation_years: int | None = Field(None, ge=1, le=50)
    active: bool | None = None


class FitsIn(Schema):
    skus: list[str]


class SupersedeIn(Schema):
    replaced_by: str | None = Field(None, max_length=60)


class PartOut(Schema):
    number: str
    name: str
    unit_of_measure: str
    list_price: str
    cost_price: str | None = Field(None, description="Hidden from partner users.")
    currency: str
    serialised: bool
    defective_return_required: bool
    supply_obligation_years: int | None
    replaced_by: str | None
    active: bool


class AvailabilityOut(Schema):
    location: str
    location_name: str
    kind: str
    on_hand: int
    reserved: int
    available: int
    incoming: int
    expected_arrival: date | None


class SupersessionOut(Schema):
    replaces: list[str] = Field(description="Parts this one replaces (direct predecessors).")
    successors: list[str] = Field(description="Parts that replace this one, newest last.")


class PartDetailOut(PartOut):
    fits: list[str]
    supersession: SupersessionOut
    availability: list[AvailabilityOut]


class PartPage(Schema):
    items: list[PartOut]
    next: str | None


# --- stock ----------------------------------------------------------------------------------


class BalanceOut(Schema):
    part: str
    location: str
    on_hand: int
    reserved: int
    available: int


class BalancePage(Schema):
    items: list[BalanceOut]
    next: str | None


class MoveOut(Schema):
    id: int
    kind: str
    part: str
    quantity: int
    from_location: str
    to_location: str
    serial: str
    work_order: str | None
    reason: str
    reference: str
    actor: str | None
    at: datetime


class MovePage(Schema):
    items: list[MoveOut]
    next: str | None


class MovesOut(Schema):
    moves: list[MoveOut]


class MoveIn(Schema):
    kind: MoveKindField
    part_number: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=1_000_000)
    from_code: str | None = Field(None, max_length=40)
    to_code: str | None = Field(None, max_length=40)
    serials: list[str] = []
    work_order_number: str | None = Field(None, max_length=40)
    reason: str = Field("", max_length=2000)
    reference: str = Field("", max_length=100)


class ReceiptIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1_000_000)
    serials: list[str] = []
    purchase_number: str | None = Field(None, max_length=40)
    reference: str = Field("", max_length=100)


class TransferIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    from_code: str = Field(min_length=1, max_length=40)
    to_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1_000_000)
    serials: list[str] = []
    expected_arrival: date | None = None
    reference: str = Field("", max_length=100)
    received: bool = Field(False, description="A hand-over on the spot: shipped and received.")


class TransferOut(Schema):
    number: str
    part: str
    quantity: int
    from_location: str
    to_location: str
    serials: list[str]
    status: str
    expected_arrival: date | None
    reference: str
    shipped_at: datetime
    received_at: datetime | None


class AdjustmentIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    delta: int = Field(
        description="Found: positive; missing: negative.", ge=-1_000_000, le=1_000_000
    )
    reason: str = Field(min_length=1, max_length=2000)
    serials: list[str] = []
    reference: str = Field("", max_length=100)


class CountIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    counted: int = Field(ge=0, le=10_000_000)
    reason: str = Field("", max_length=2000)


class CountOut(Schema):
    part: str
    location: str
    counted: int
    variance: int


class ReorderRuleIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    minimum: int = Field(ge=0, le=1_000_000)
    maximum: int = Field(ge=1, le=1_000_000)


class ReorderRuleOut(Schema):
    part: str
    location: str
    minimum: int
    maximum: int


# --- reservations ---------------------------------------------------------------------------


class ReservationIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    location_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1_000_000)
    part_line_id: int | None = None
    fit_override_reason: str = Field("", max_length=2000)


class ConsumeIn(Schema):
    quantity: int | None = Field(None, ge=1, le=1_000_000)
    serials: list[str] = []


class ReservationOut(Schema):
    number: str
    work_order: str
    part: str
    location: str
    quantity: int
    consumed_quantity: int
    status: str
    fit_override_reason: str
    created_at: datetime


# --- reconciliation, replenishment, defective returns, supply -------------------------------


class FiguresOut(Schema):
    opening: int
    received: int
    consumed: int
    returned_unused: int
    scrapped: int
    closing: int
    expected_closing: int
    difference: int


class PartFiguresOut(FiguresOut):
    part: str


class ReconciliationOut(Schema):
    holder: str
    locations: list[str]
    date_from: date
    date_to: date
    total: FiguresOut
    parts: list[PartFiguresOut]
    defective_due: int
    defective_received: int
    defective_overdue: int
    defective_outstanding: int


class RunIn(Schema):
    source_code: str | None = Field(None, max_length=40)


class LineOut(Schema):
    id: int
    kind: str
    part: str
    from_location: str | None
    to_location: str
    quantity: int
    on_hand: int
    reserved: int
    incoming: int
    minimum: int | None
    maximum: int | None
    unmet: int


class RunOut(Schema):
    id: int
    source: str
    at: datetime
    actor: str | None
    rules_checked: int
    transfer_lines: int
    purchase_lines: int


class RunDetailOut(RunOut):
    lines: list[LineOut]
    next: str | None


class DefectiveOut(Schema):
    number: str
    work_order: str
    part: str
    quantity: int
    due_on: date
    overdue: bool
    status: str
    technician: str | None
    partner: str | None
    serial: str
    outcome: str
    inspection_notes: str
    recovery_amount: str | None
    recovery_currency: str
    created_at: datetime
    received_at: datetime | None


class DefectivePage(Schema):
    items: list[DefectiveOut]
    next: str | None


class DefectiveReceiveIn(Schema):
    serials: list[str] = []


class InspectIn(Schema):
    outcome: Literal["confirmed_defective", "no_fault_found", "wrong_part"]
    notes: str = Field("", max_length=4000)


class CloseIn(Schema):
    disposition: Literal["returned_to_vendor", "scrapped"]
    recovery_amount: Money | None = None
    reference: str = Field("", max_length=100)


class SupplyAtRiskOut(Schema):
    part: str
    name: str
    years: int
    obligation_until: date | None
    stock: int
    reason: str
