"""The case file's decisions: which status may follow which, what the customer is told,
and when a new contact belongs to a case already open."""

from __future__ import annotations

import re
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class CaseType(StrEnum):
    REPAIR = "repair"
    INSTALLATION = "installation"
    TECHNICAL_GUIDANCE = "technical_guidance"
    COMPLAINT = "complaint"
    TRAINING = "training"
    SAMPLE_TEST = "sample_test"
    MARKETING_SUPPORT = "marketing_support"
    DELIVERY = "delivery"
    OTHER = "other"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    WALK_IN = "walk_in"
    PARTNER = "partner"
    API = "api"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_PARTS = "waiting_parts"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class EntryKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    NOTE = "note"
    MESSAGE = "message"  # to the customer
    CONTACT = "contact"  # the customer got in touch (intake, or again about the same problem)
    STATUS_CHANGE = "status_change"
    HANDOFF = "handoff"
    SYSTEM = "system"


# Kinds a person may add by hand; the others are written by the actions that cause them.
MANUAL_KINDS = frozenset({EntryKind.CALL, EntryKind.EMAIL, EntryKind.NOTE, EntryKind.MESSAGE})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_CUSTOMER, Status.WAITING_PARTS, Status.RESOLVED}),
    Status.WAITING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.WAITING_PARTS: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

ACTIVE = frozenset(
    {Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_PARTS}
)
FINAL = frozenset({Status.CLOSED, Status.CANCELLED})

CUSTOMER_LABELS = {
    Status.NEW: _("We have received your request"),
    Status.OPEN: _("Your request is with our service team"),
    Status.IN_PROGRESS: _("We are working on it"),
    Status.WAITING_CUSTOMER: _("We are waiting for information from you"),
    Status.WAITING_PARTS: _("We are waiting for spare parts"),
    Status.RESOLVED: _("Resolved"),
    Status.CLOSED: _("Closed"),
    Status.CANCELLED: _("Cancelled"),
}

STATUS_LABELS = {
    Status.NEW: _("new"),
    Status.OPEN: _("open"),
    Status.IN_PROGRESS: _("in progress"),
    Status.WAITING_CUSTOMER: _("waiting for customer"),
    Status.WAITING_PARTS: _("waiting for parts"),
    Status.RESOLVED: _("resolved"),
    Status.CLOSED: _("closed"),
    Status.CANCELLED: _("cancelled"),
}


def can_transition(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def allowed_next(current: str) -> list[Status]:
    order = list(Status)
    return sorted(TRANSITIONS[Status(current)], key=order.index)


def status_after_taking_owner(current: str) -> Status:
    """A case gets an owner and so leaves `new`; any other status is unchanged."""
    return Status.OPEN if current == Status.NEW else Status(current)


def should_reuse(existing_status: str, existing_type: str, new_type: str) -> bool:
    """The customer never repeats the story: a contact about the same unit and the same kind
    of request joins the case that is still active."""
    return existing_type == new_type and existing_status in ACTIVE


NUMBER_PATTERN = re.compile(r"^\s*SC-?(\d{1,12})\s*$", re.IGNORECASE)


def case_number(case_id: int) -> str:
    return f"SC-{case_id:06d}"


def parse_case_number(text: str) -> int | None:
    match = NUMBER_PATTERN.match(text or "")
    return int(match.group(1)) if match else None
