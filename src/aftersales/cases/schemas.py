from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from aftersales.cases import rules
from aftersales.sla.schemas import ClockOut

CaseTypeField = Literal[
    "repair",
    "installation",
    "technical_guidance",
    "complaint",
    "training",
    "sample_test",
    "marketing_support",
    "delivery",
    "other",
]
ChannelField = Literal["phone", "email", "web", "walk_in", "partner", "api"]
PriorityField = Literal["low", "normal", "high", "urgent"]
StatusField = Literal[
    "new",
    "open",
    "in_progress",
    "waiting_customer",
    "waiting_parts",
    "resolved",
    "closed",
    "cancelled",
]


class CaseIn(Schema):
    type: CaseTypeField
    channel: ChannelField = "api"
    customer_id: int | None = None
    serial_number: str | None = Field(None, max_length=80)
    summary: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    priority: PriorityField = "normal"


class EntryIn(Schema):
    kind: Literal["call", "email", "note", "message"]
    body: str = Field(min_length=1, max_length=20000)
    visible_to_customer: bool | None = None


class HandoffIn(Schema):
    to: str = Field(min_length=1, max_length=150)
    reason: str = Field(min_length=1, max_length=2000)


class StatusIn(Schema):
    status: StatusField
    reason: str = Field("", max_length=2000)


class EntryOut(Schema):
    id: int
    kind: str
    body: str
    actor: str
    at: datetime
    visible_to_customer: bool
    data: dict

    @staticmethod
    def resolve_actor(obj):
        return obj.actor_label


class CustomerRef(Schema):
    id: int
    name: str


class CaseOut(Schema):
    id: int
    number: str
    type: str
    channel: str
    status: str
    priority: str
    category: str
    category_reason: str
    customer: CustomerRef
    serial_number: str | None
    summary: str
    description: str
    owner: str | None
    opened_at: datetime
    updated_at: datetime
    reused: bool = False

    @staticmethod
    def resolve_serial_number(obj):
        return obj.unit.serial_number if obj.unit_id else None

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.username if obj.owner_id else None


class CaseDetailOut(CaseOut):
    timeline: list[EntryOut]
    allowed_statuses: list[str]
    sla: list[ClockOut]


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None


class TrackEntryOut(Schema):
    at: datetime
    text: str


class TrackCompensationOut(Schema):
    amount: str = Field(description="Decimal amount, e.g. 20.00")
    currency: str
    reason: str
    at: datetime


class TrackWhereOut(Schema):
    label: str = Field(description="Where the product is, in plain words.")
    place: str
    centre: str
    since: datetime | None
    in_our_hands: bool
    ready_for_pickup: bool


class TrackOut(Schema):
    number: str
    status: str
    label: str
    summary: str
    product: str | None
    last_update: datetime
    promised_by: datetime | None = None
    compensation: list[TrackCompensationOut] = []
    timeline: list[TrackEntryOut]
    where: TrackWhereOut | None = None


def customer_text(entry) -> str:
    """What the customer reads for a timeline entry: a status change in plain words, else the
    message itself."""
    if entry.kind == rules.EntryKind.STATUS_CHANGE:
        return str(rules.CUSTOMER_LABELS[rules.Status(entry.data["to"])])
    return entry.body
