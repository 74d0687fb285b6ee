from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

# Spelled out here, not imported from cases.schemas: that module imports ClockOut from this one.
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
PriorityField = Literal["low", "normal", "high", "urgent"]
PausableStatusField = Literal["new", "open", "in_progress", "waiting_customer", "waiting_parts"]

ActionField = Literal[
    "notify_owner", "notify_supervisor", "notify_manager", "raise_priority", "reassign"
]
TierField = Literal["standard", "premium", "key_account"]
TimeBasisField = Literal["business", "calendar"]
Interval = list[str]


# Calendars ---------------------------------------------------------------------------------


class CalendarIn(Schema):
    model_config = ConfigDict(populate_by_name=True)

    code: str = Field(min_length=1, max_length=40)
    name: str = Field("", max_length=100)
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Madrid"])
    hours: dict[str, list[Interval]] = Field(
        default_factory=dict,
        examples=[{"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}],
        description="Local working hours per weekday (mon..sun); a day left out is closed.",
    )
    holidays: list[str] = Field(default_factory=list, examples=[["2026-12-25"]])
    always_open: bool = Field(False, alias="24x7", description="Open 24 hours, 7 days a week.")


class CalendarPatch(Schema):
    model_config = ConfigDict(populate_by_name=True)

    name: str | None = Field(None, max_length=100)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    hours: dict[str, list[Interval]] | None = None
    holidays: list[str] | None = None
    always_open: bool | None = Field(None, alias="24x7")


class CalendarOut(Schema):
    code: str
    name: str
    time_zone: str
    hours: dict[str, list[Interval]]
    holidays: list[str]
    always_open: bool = Field(serialization_alias="24x7")


class CalendarPage(Schema):
    items: list[CalendarOut]
    next: str | None


class DueOut(Schema):
    due_at: datetime = Field(description="ISO 8601 instant in the calendar's time zone.")


# Policies ----------------------------------------------------------------------------------


class LevelIn(Schema):
    fraction: Decimal | None = Field(None, gt=0, le=10, description="0.8 = at 80 % of the target")
    offset: str | None = Field(
        None, description="ISO 8601 duration from due, in the target's time; -PT2H is before"
    )
    actions: list[ActionField] = Field(min_length=1)


class CompensationIn(Schema):
    amount_per_day: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    cap: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class TargetIn(Schema):
    name: str = Field(min_length=1, max_length=40, examples=["first_response", "resolution"])
    duration: str = Field(examples=["PT4H", "P30D"], description="ISO 8601 duration")
    time_basis: TimeBasisField = "calendar"
    calendar: str | None = Field(None, description="Calendar code; needed for business time")
    warn_fraction: Decimal = Field(Decimal("0.8"), gt=0, le=1)
    start_event: str = Field("case_opened", max_length=40)
    stop_event: str | None = Field(
        None, max_length=40, description="Default: first_response or resolved, by the name"
    )
    escalation_levels: list[LevelIn] | None = Field(
        None,
        description="Omitted: 80 % owner; 100 % supervisor + priority; +24 h manager + reassign",
    )
    compensation: CompensationIn | None = None


class PolicyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    precedence: int = Field(100, ge=-1_000_000, le=1_000_000)
    is_default: bool = False
    active: bool = True
    case_types: list[CaseTypeField] = Field(default_factory=list)
    priorities: list[PriorityField] = Field(default_factory=list)
    tiers: list[TierField] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    partners: list[str] = Field(default_factory=list)
    pause_statuses: list[PausableStatusField] = Field(default_factory=lambda: ["waiting_customer"])
    targets: list[TargetIn] = Field(min_length=1)


class PolicyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    precedence: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    is_default: bool | None = None
    active: bool | None = None
    case_types: list[CaseTypeField] | None = None
    priorities: list[PriorityField] | None = None
    tiers: list[TierField] | None = None
    countries: list[str] | None = None
    partners: list[str] | None = None
    pause_statuses: list[PausableStatusField] | None = None
    targets: list[TargetIn] | None = Field(None, min_length=1)


class LevelOut(Schema):
    fraction: float | None
    offset: str | None
    actions: list[str]


class CompensationOut(Schema):
    amount_per_day: Decimal
    currency: str
    cap: Decimal | None


class TargetOut(Schema):
    name: str
    duration: str
    duration_seconds: int
    time_basis: str
    calendar: str | None
    warn_fraction: float
    start_event: str
    stop_event: str
    escalation_levels: list[LevelOut]
    compensation: CompensationOut | None


class PolicyOut(Schema):
    id: int
    name: str
    description: str
    precedence: int
    is_default: bool
    active: bool
    version: int
    case_types: list[str]
    priorities: list[str]
    tiers: list[str]
    countries: list[str]
    partners: list[str]
    pause_statuses: list[str]
    targets: list[TargetOut]


class PolicyPage(Schema):
    items: list[PolicyOut]
    next: str | None


# Clocks ------------------------------------------------------------------------------------


class ClockOut(Schema):
    target: str
    state: Literal["pending", "running", "paused", "met", "breached", "cancelled"]
    started_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    paused_since: datetime | None
    remaining_seconds: int | None = Field(
        description="Time left in the target's own time (business seconds for business time)"
    )
    overdue_seconds: int | None = Field(description="Real seconds past due, pauses left out")
    paused_seconds: int
    breached: bool
    time_basis: str
    calendar: str | None
    duration: str
    start_event: str
    stop_event: str


class AtRiskOut(Schema):
    case_number: str
    summary: str
    priority: str
    status: str
    owner: str | None
    customer: str
    clock: ClockOut


class AtRiskPage(Schema):
    items: list[AtRiskOut]
    next: str | None


class EventIn(Schema):
    event: str = Field(min_length=1, max_length=40, examples=["payment_recorded"])


class EventOut(Schema):
    event: str
    started: list[str]
    stopped: list[str]
    sla: list[ClockOut]


def clock_dict(view) -> dict:
    """An engine.ClockView as ClockOut's JSON."""
    from aftersales.sla.engine import format_duration

    return ClockOut(
        target=view.target,
        state=view.state.value,
        started_at=view.started_at,
        due_at=view.due_at,
        warn_at=view.warn_at,
        stopped_at=view.stopped_at,
        paused_since=view.paused_since,
        remaining_seconds=view.remaining_seconds,
        overdue_seconds=view.overdue_seconds,
        paused_seconds=view.paused_seconds,
        breached=view.breached,
        time_basis="business" if view.business else "calendar",
        calendar=view.calendar,
        duration=format_duration(timedelta(seconds=view.duration_seconds)),
        start_event=view.start_event,
        stop_event=view.stop_event,
    ).model_dump(mode="json")
