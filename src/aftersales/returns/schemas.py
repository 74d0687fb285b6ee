"""What the returns API takes and gives. Dates are ISO 8601; money is a string with two
decimals next to its ISO 4217 currency."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

RemedyField = Literal["repair", "replacement", "price_reduction", "refund", "paid_repair"]
JurisdictionField = Literal["CN", "EU", "BRAND"]
StatusField = Literal[
    "requested",
    "authorised",
    "awaiting_shipment",
    "in_transit",
    "received",
    "inspected",
    "resolved",
    "closed",
    "rejected",
    "cancelled",
]
ResultField = Literal["confirmed", "no_fault_found", "damaged_by_customer", "wrong_item"]
DispositionField = Literal[
    "repair", "replace", "refund", "return_as_is", "refurbish", "scrap", "return_to_vendor"
]


# --- remedies -------------------------------------------------------------------------------


class FaultIn(Schema):
    performance_failure: bool
    misuse: bool = False
    unauthorised_repair: bool = False
    proof_of_purchase: bool = True
    code: str = Field("", max_length=20, description="The fault code: counts repairs of it.")


class EvaluateIn(Schema):
    serial_number: str = Field(..., min_length=1, max_length=80)
    reported_on: dt.date
    fault: FaultIn
    prior_failed_repairs: int | None = Field(None, ge=0, le=1000)
    days_in_repair: int | None = Field(None, ge=0, le=36500)
    days_unrepaired_for_parts: int | None = Field(None, ge=0, le=36500)
    longest_repair_days_repairer_fault: int | None = Field(None, ge=0, le=36500)
    jurisdiction: JurisdictionField | None = None


class FiredRuleOut(Schema):
    id: str
    sentence: str
    table_version: str
    grants: list[str]


class VerdictOut(Schema):
    jurisdiction: str
    table_version: str
    country: str
    allowed: list[str]
    recommended: str
    rules: list[FiredRuleOut]
    coverage_ends_on: dt.date
    warranty_ends_on: dt.date
    doa: bool
    burden_of_proof: str | None
    days_since_sale: int
    notes: list[str]


class FactsOut(Schema):
    country: str
    category: str
    sold_on: dt.date
    warranty_months: int
    warranty_starts_on: dt.date
    prior_failed_repairs: int
    days_in_repair: int
    days_unrepaired_for_parts: int
    longest_repair_days_repairer_fault: int


class EvaluateOut(VerdictOut):
    serial_number: str
    reported_on: dt.date
    facts: FactsOut


class DecisionIn(Schema):
    chosen: RemedyField
    reason: str = Field("", max_length=2000)
    reported_on: dt.date | None = None
    fault: FaultIn | None = None


class DecisionOut(Schema):
    id: int
    case: str
    serial_number: str
    recommended: str
    chosen: str
    overridden: bool
    reason: str
    decided_by: str
    decided_at: dt.datetime


# --- RMAs -----------------------------------------------------------------------------------


class EvidenceIn(Schema):
    filename: str = Field(..., min_length=1, max_length=200)
    content_type: str = Field(..., max_length=100)
    content_base64: str = Field(..., max_length=7_000_000)


class LineIn(Schema):
    serial_number: str | None = Field(None, max_length=80)
    part_number: str | None = Field(None, max_length=60)
    quantity: int = Field(1, ge=1, le=10000)
    reason: str = Field("", max_length=2000)
    remedy_requested: RemedyField | None = None


class RmaIn(Schema):
    lines: list[LineIn] = Field(..., min_length=1, max_length=100)
    customer_id: int | None = None
    case_number: str | None = Field(None, max_length=30)
    reason: str = Field("", max_length=2000)
    doa: bool = False
    dealer: str = Field("", max_length=200, description="The dealer filing for the customer.")
    reported_on: dt.date | None = None
    fault: FaultIn | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class AuthoriseIn(Schema):
    approve: bool = True
    reason: str = Field("", max_length=2000)
    advance_replacement: bool = False
    return_due_days: int | None = Field(None, ge=1, le=365)


class ShipmentIn(Schema):
    direction: Literal["inbound", "outbound"]
    carrier: str = Field(..., min_length=1, max_length=80)
    tracking_number: str = Field("", max_length=80)
    freight_payer: Literal["business", "customer"] | None = None
    line_id: int | None = None


class ReceiveLineIn(Schema):
    line_id: int
    quantity: int = Field(..., ge=0, le=10000)
    condition: str = Field("", max_length=2000)


class ReceiveIn(Schema):
    lines: list[ReceiveLineIn] = Field(default_factory=list, max_length=100)
    location_code: str = Field("", max_length=30)


class InspectLineIn(Schema):
    line_id: int
    result: ResultField
    notes: str = Field("", max_length=4000)


class InspectIn(Schema):
    lines: list[InspectLineIn] = Field(..., min_length=1, max_length=100)
    photos: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class ResolveIn(Schema):
    line_id: int
    disposition: DispositionField
    remedy_decided: RemedyField | None = None
    serial_number: str = Field("", max_length=80, description="The replacement's serial.")
    centre_code: str | None = Field(None, max_length=30)
    location_code: str = Field("", max_length=30)
    to_location_code: str = Field("", max_length=30)


class LineOut(Schema):
    id: int
    serial_number: str | None
    part_number: str | None
    quantity: int
    reason: str
    remedy_requested: str
    remedy_decided: str
    verdict: dict
    received_quantity: int
    condition: str
    inspection_result: str
    disposition: str
    work_order: str | None
    replacement_serial: str | None
    refund_amount: str | None
    refund_currency: str
    credit_note: str | None
    resolved_at: dt.datetime | None


class ShipmentOut(Schema):
    id: int
    direction: str
    carrier: str
    tracking_number: str
    freight_payer: str
    line_id: int | None
    shipped_at: dt.datetime


class RmaSummaryOut(Schema):
    number: str
    status: str
    status_label: str
    customer: str
    partner: str | None
    case: str
    doa: bool
    dealer: str
    flagged_for_claims: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class RmaOut(RmaSummaryOut):
    reason: str
    advance_replacement: bool
    return_due_on: dt.date | None
    advance_charge: str | None
    advance_invoice: str | None
    freight_payer: str
    rejection_reason: str
    authorised_at: dt.datetime | None
    received_at: dt.datetime | None
    inspected_at: dt.datetime | None
    resolved_at: dt.datetime | None
    lines: list[LineOut]
    shipments: list[ShipmentOut]
    evidence: list[dict]
    label_url: str


class RmaPage(Schema):
    items: list[RmaSummaryOut]
    next: str | None
