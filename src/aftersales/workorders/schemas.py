"""What the work-order API takes and gives. Money is a string with two decimals next to its
ISO 4217 currency; instants are ISO 8601 with their offset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

KindField = Literal["on_site", "workshop", "remote", "installation", "preventive"]
StatusField = Literal[
    "draft",
    "scheduled",
    "dispatched",
    "in_progress",
    "waiting_parts",
    "waiting_approval",
    "completed",
    "verified",
    "closed",
    "cancelled",
]
ResultField = Literal["fixed", "needs_parts", "needs_workshop", "not_repairable", "no_fault_found"]
CategoryField = Literal["A", "B", "C", "D"]
CustodyKindField = Literal["picked_up", "received", "moved", "shipped", "returned"]
PaymentMethodField = Literal["cash", "card", "transfer", "other"]
Money = str
MONEY_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"


# --- in -------------------------------------------------------------------------------------


class WorkOrderIn(Schema):
    kind: KindField
    centre_code: str | None = Field(None, max_length=30)
    partner_code: str | None = Field(None, max_length=30)
    category: CategoryField | None = Field(
        None, description="Overrides the case's category (supervisors; give category_reason)."
    )
    category_reason: str = Field("", max_length=2000)
    instructions: str = Field("", max_length=20000)


class AssignIn(Schema):
    technician: str | None = Field(None, max_length=150, description="A technician's username.")
    partner_code: str | None = Field(None, max_length=30)


class ScheduleIn(Schema):
    window_start: AwareDatetime
    window_end: AwareDatetime


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class CategoryIn(Schema):
    category: CategoryField
    reason: str = Field(min_length=1, max_length=2000)


class VisitIn(Schema):
    travel_started_at: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    departed_at: AwareDatetime | None = None
    distance_km: Decimal | None = Field(None, ge=0, le=100000, max_digits=9, decimal_places=1)
    fault_code: str = Field("", max_length=20)
    cause: str = Field("", max_length=5000)
    action_taken: str = Field("", max_length=5000)
    result: ResultField | None = None
    notes: str = Field("", max_length=5000)


class AcceptanceIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    signature_png_base64: str | None = Field(
        None, max_length=800_000, description="The customer's signature, a PNG in base64."
    )
    typed: bool = Field(
        False, description="The customer confirmed in writing, without a signature."
    )


class CompleteIn(Schema):
    result: ResultField | None = None
    tests_performed: str = Field("", max_length=5000)
    notes: str = Field("", max_length=5000)
    acceptance: AcceptanceIn | None = None


class VerifyIn(Schema):
    passed: bool
    notes: str = Field("", max_length=5000)


class CustodyIn(Schema):
    kind: CustodyKindField
    place: str = Field("", max_length=200)
    centre_code: str | None = Field(None, max_length=30)
    signed_by: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    accessories: str = Field("", max_length=2000)
    condition: str = Field("", max_length=2000)
    receipt_number: str | None = Field(None, max_length=20)


class LabourIn(Schema):
    minutes: int = Field(ge=1, le=24 * 60)
    labour_code: str = Field(min_length=1, max_length=30)
    description: str = Field("", max_length=200)
    technician: str | None = Field(None, max_length=150)
    performed_on: dt.date | None = None
    planned: bool = False


class PartIn(Schema):
    part_number: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=1000)
    location_code: str | None = Field(None, max_length=40)
    planned: bool = False
    fit_override_reason: str = Field(
        "", max_length=500, description="Why a part not listed for the unit's model is fitted."
    )


class ApproveIn(Schema):
    accept: bool
    answered_by: str = Field("", max_length=200, description="Who gave the answer.")


class PaymentIn(Schema):
    amount: Money = Field(pattern=MONEY_PATTERN, examples=["109.51"])
    method: PaymentMethodField
    reference: str = Field("", max_length=100)


# --- out ------------------------------------------------------------------------------------


class CostLineOut(Schema):
    kind: str
    reference: str
    quantity: str
    unit_price: Money
    amount: Money


class CostingOut(Schema):
    currency: str
    lines: list[CostLineOut]
    subtotal: Money
    tax_rate: str
    tax: Money
    total: Money


class WorkOrderOut(Schema):
    number: str
    case: str
    kind: str
    status: str
    status_label: str
    category: str
    category_reason: str
    category_overridden: bool
    customer: str
    unit_serial: str | None
    centre: str | None
    partner: str | None
    technician: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    repeat_of: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    verified_at: dt.datetime | None
    closed_at: dt.datetime | None


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next: str | None


class VisitOut(Schema):
    id: int
    technician: str | None
    travel_started_at: dt.datetime | None
    arrived_at: dt.datetime | None
    departed_at: dt.datetime | None
    distance_km: str | None
    fault_code: str
    cause: str
    action_taken: str
    result: str
    notes: str
    recorded_at: dt.datetime
    recorded_by: str | None


class LabourOut(Schema):
    id: int
    technician: str | None
    labour_code: str
    minutes: int
    description: str
    planned: bool
    performed_on: dt.date
    recorded_at: dt.datetime


class PartOut(Schema):
    id: int
    part_number: str
    description: str
    quantity: int
    unit_price: Money
    location: str | None
    planned: bool
    recorded_at: dt.datetime


class CheckOut(Schema):
    id: int
    passed: bool
    notes: str
    checked_by: str | None
    checked_at: dt.datetime


class QuoteOut(Schema):
    id: int
    status: str
    currency: str
    lines: list[CostLineOut]
    subtotal: Money
    tax: Money
    total: Money
    issued_at: dt.datetime
    issued_by: str | None
    answered_at: dt.datetime | None
    answered_via: str
    answered_by: str


class QuoteIssuedOut(QuoteOut):
    approval_link: str = Field(description="The customer's approval page; shown only once.")


class CustodyEventOut(Schema):
    id: int
    kind: str
    label: str
    place: str
    centre: str | None
    signed_by: str
    note: str
    at: dt.datetime
    actor: str | None
    receipt: str | None


class CustodyRecordedOut(Schema):
    event: CustodyEventOut
    receipt_number: str | None


class ReceiptOut(Schema):
    number: str
    accessories: str
    condition: str
    issued_at: dt.datetime
    issued_by: str | None
    voided_at: dt.datetime | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    visit_id: int | None
    uploaded_at: dt.datetime
    uploaded_by: str | None
    url: str


class InvoiceSummaryOut(Schema):
    number: str
    currency: str
    total: Money
    paid: Money
    amount_due: Money
    issued_at: dt.datetime


class PaymentOut(Schema):
    id: int
    invoice: str
    amount: Money
    currency: str
    method: str
    reference: str
    received_at: dt.datetime
    amount_due: Money


class InvoiceOut(InvoiceSummaryOut):
    work_order: str
    case: str
    customer: str
    lines: list[CostLineOut]
    subtotal: Money
    tax_rate: str
    tax: Money
    payments: list[PaymentOut]


class ConflictOut(Schema):
    number: str
    status: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None


class WorkOrderDetailOut(WorkOrderOut):
    instructions: str
    fault_code: str
    same_fault_repairs: int
    cause: str
    action_taken: str
    result: str
    tests_performed: str
    notes: str
    accepted_by: str
    accepted_at: dt.datetime | None
    acceptance_signed: bool
    acceptance_typed: bool
    verified_by: str | None
    visits: list[VisitOut]
    labour: list[LabourOut]
    parts: list[PartOut]
    quality_checks: list[CheckOut]
    quotes: list[QuoteOut]
    custody: list[CustodyEventOut]
    receipts: list[ReceiptOut]
    attachments: list[AttachmentOut]
    invoice: InvoiceSummaryOut | None
    costing: CostingOut
    allowed_statuses: list[str]
    conflicts: list[ConflictOut]


class WhereaboutsOut(Schema):
    serial_number: str
    in_our_hands: bool
    kind: str | None
    label: str
    place: str
    centre: str
    since: dt.datetime | None
    work_order: str | None
    receipt: str | None
    ready_for_pickup: bool


class ServiceRecordRowOut(Schema):
    work_order: str
    case: str
    kind: str
    category: str
    customer: str
    serial: str
    result: str
    visits: int
    labour_minutes: int
    completed_at: dt.datetime | None


class ServiceRecordTotalsOut(Schema):
    jobs: int
    visits: int
    labour_minutes: int


class ServiceRecordOut(Schema):
    technician: str
    name: str
    year: int
    month: int
    rows: list[ServiceRecordRowOut]
    totals: ServiceRecordTotalsOut
