"""What the claims API takes and gives. Dates are ISO 8601; money is a string with two
decimals next to its ISO 4217 currency; attachments travel as base64 in the JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

LineKindField = Literal["labour", "part", "travel", "doa", "other"]
StatusField = Literal[
    "auto_approved",
    "auto_rejected",
    "review",
    "info_requested",
    "approved",
    "partially_approved",
    "rejected",
]
ReasonCodeField = Literal[
    "labour_above_standard",
    "part_not_returned",
    "part_not_fitting",
    "price_above_list",
    "not_covered",
    "duplicate",
    "no_evidence",
    "other",
]


# --- in -------------------------------------------------------------------------------------


class AttachmentIn(Schema):
    filename: str = Field(..., min_length=1, max_length=200)
    content_type: str = Field(..., max_length=100)
    content_base64: str = Field(..., min_length=1, max_length=7_000_000)


class ClaimLineIn(Schema):
    kind: LineKindField
    description: str = Field("", max_length=200)
    labour_code: str = Field("", max_length=30)
    minutes: int | None = Field(None, ge=0, le=100_000)
    part_number: str = Field("", max_length=60)
    quantity: int = Field(1, ge=1, le=10_000)
    unit_price: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    defective_returned: bool = False


class ClaimIn(Schema):
    work_order_number: str | None = Field(None, max_length=30)
    serial_number: str | None = Field(None, max_length=80)
    repair_date: dt.date | None = None
    fault_code: str = Field("", max_length=20)
    invoice_number: str = Field("", max_length=60)
    explanation: str = Field("", max_length=4000)
    lines: list[ClaimLineIn] = Field(..., min_length=1, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    partner_code: str | None = Field(
        None, max_length=30, description="Brand staff name the partner; partners omit it."
    )


class ReplyIn(Schema):
    message: str = Field(..., min_length=1, max_length=4000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class RequestInfoIn(Schema):
    question: str = Field(..., min_length=1, max_length=4000)


class ApproveIn(Schema):
    note: str = Field("", max_length=4000)


class LineDecisionIn(Schema):
    id: int
    approved_amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    reason_code: ReasonCodeField | Literal[""] = ""
    reason: str = Field("", max_length=2000)


class DecideLinesIn(Schema):
    lines: list[LineDecisionIn] = Field(..., min_length=1, max_length=100)


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=4000)
    reason_code: ReasonCodeField = "other"


class BulkApproveIn(Schema):
    numbers: list[str] = Field(..., min_length=1, max_length=500)


class ChargebackIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    reason: str = Field(..., min_length=1, max_length=4000)


class StatementIn(Schema):
    partner_code: str = Field(..., min_length=1, max_length=30)
    period_start: dt.date
    period_end: dt.date
    currency: str | None = Field(None, min_length=3, max_length=3)


class AuditDrawIn(Schema):
    period_start: dt.date
    period_end: dt.date
    size: int = Field(..., ge=1, le=10_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


class AuditRecordIn(Schema):
    outcome: Literal["passed", "failed"]
    notes: str = Field("", max_length=4000)
    chargeback_amount: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2)


class LabourStandardIn(Schema):
    product_line: str = Field(..., min_length=1, max_length=80)
    labour_code: str = Field(..., min_length=1, max_length=30)
    minutes: int = Field(..., ge=1, le=10_000)
    description: str = Field("", max_length=200)


# --- out ------------------------------------------------------------------------------------


class FindingOut(Schema):
    code: str
    passed: bool
    hard: bool
    sentence: str
    line: int | None


class ReasonOut(Schema):
    code: str
    points: int
    sentence: str


class ClaimLineOut(Schema):
    id: int
    kind: str
    description: str
    labour_code: str
    minutes: int | None
    standard_minutes: int | None
    part_number: str
    quantity: int
    unit_price: str
    amount: str
    defective_required: bool
    defective_returned: bool
    approved_amount: str | None
    reason_code: str
    reason: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class EventOut(Schema):
    kind: str
    body: str
    data: dict
    actor: str
    at: dt.datetime


class ChargebackOut(Schema):
    id: int
    claim: str
    amount: str
    currency: str
    reason: str
    created_at: dt.datetime
    statement: str | None


class ClaimSummaryOut(Schema):
    number: str
    status: str
    outcome: str
    partner: str
    work_order: str | None
    serial_number: str
    repair_date: dt.date
    fault_code: str
    currency: str
    claimed_amount: str
    approved_amount: str | None
    risk_score: int
    risk_reasons: list[ReasonOut]
    statement: str | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None


class ClaimOut(ClaimSummaryOut):
    invoice_number: str
    explanation: str
    region: str
    product_line: str
    sold_on: dt.date | None
    coverage_ends_on: dt.date | None
    doa: bool
    no_fault_found: bool | None
    submitted_by: str | None
    decided_by: str | None
    lines: list[ClaimLineOut]
    findings: list[FindingOut]
    attachments: list[AttachmentOut]
    events: list[EventOut]
    chargebacks: list[ChargebackOut]
    history: dict | None = Field(
        None, description="Brand staff only: the unit's and the partner's history."
    )


class ClaimPage(Schema):
    items: list[ClaimSummaryOut]
    next: str | None


class BulkApproveOut(Schema):
    approved: list[str]
    refused: dict[str, str]


class StatementLineOut(Schema):
    kind: str
    claim: str
    work_order: str
    serial_number: str
    repair_date: dt.date
    description: str
    amount: str


class StatementSummaryOut(Schema):
    number: str
    partner: str
    period_start: dt.date
    period_end: dt.date
    currency: str
    approved_total: str
    chargeback_total: str
    net_total: str
    issued_at: dt.datetime


class StatementOut(StatementSummaryOut):
    issued_by: str | None
    lines: list[StatementLineOut]
    pdf_url: str
    csv_url: str


class StatementPage(Schema):
    items: list[StatementSummaryOut]
    next: str | None


class ScorecardMonthOut(Schema):
    month: str
    claims: int
    approved: int
    rejected: int
    approval_rate: float | None
    rejection_rate: float | None
    avg_risk: float | None
    claimed: str
    approved_amount: str
    doa_rate: float | None
    nff_rate: float | None
    parts_per_claim: float | None
    cost_per_claim: str | None
    labour_ratio: float | None


class ScorecardOut(Schema):
    partner: dict
    since: dt.date
    months: list[ScorecardMonthOut]
    share_of_warranty_cost: float | None
    signals: dict
    signals_computed_at: dt.datetime | None


class AuditOut(Schema):
    id: int
    claim: str
    partner: str
    risk_score: int
    approved_amount: str | None
    currency: str
    period_start: dt.date
    period_end: dt.date
    reason: str
    outcome: str
    notes: str
    drawn_at: dt.datetime
    audited_at: dt.datetime | None
    audited_by: str | None


class AuditPage(Schema):
    items: list[AuditOut]
    next: str | None


class AuditDrawOut(Schema):
    items: list[AuditOut]


class LabourStandardOut(Schema):
    id: int
    product_line: str
    labour_code: str
    minutes: int
    description: str


class LabourStandardPage(Schema):
    items: list[LabourStandardOut]
    next: str | None
