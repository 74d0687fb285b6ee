"""Every read of the SLA engine used by the API, the staff UI and the portal."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.cases.models import Case
from aftersales.cases.selectors import visible_cases
from aftersales.core import clock
from aftersales.core.errors import Invalid
from aftersales.sla import engine, rules
from aftersales.sla.engine import ClockState, ClockView, TargetSpec
from aftersales.sla.models import BusinessCalendar, Clock, CompensationLine, Policy, Snapshot

_SPECS: dict[str, TargetSpec] = {}
_SPEC_CACHE_LIMIT = 4096


def spec_of(snapshot: Snapshot) -> TargetSpec:
    """The parsed snapshot, cached by its digest (content-addressed, so never stale)."""
    spec = _SPECS.get(snapshot.digest)
    if spec is None:
        spec = TargetSpec.from_snapshot(snapshot.data)
        if len(_SPECS) >= _SPEC_CACHE_LIMIT:
            _SPECS.clear()
        _SPECS[snapshot.digest] = spec
    return spec


def _view(c: Clock, now: datetime) -> ClockView:
    return engine.view(
        spec_of(c.snapshot),
        state=c.state,
        started_at=c.started_at,
        paused_since=c.paused_since,
        pauses=engine.parse_pauses(c.pauses),
        stopped_at=c.stopped_at,
        due_at=c.due_at,
        warn_at=c.warn_at,
        now=now,
    )


def clock_views(case: Case, *, now: datetime | None = None) -> list[ClockView]:
    """The case's clocks as a reader sees them now (state computed: a running clock past due
    reads `breached`)."""
    now = now or clock.now()
    clocks = Clock.objects.filter(case=case).select_related("snapshot").order_by("id")
    return [_view(c, now) for c in clocks]


def promised_by(case: Case) -> datetime | None:
    """The date the customer was promised: the due instant of the running resolution clock
    (none while the case waits on the customer or once it is resolved)."""
    dues = [
        c.due_at
        for c in Clock.objects.filter(case=case, state=ClockState.RUNNING).select_related(
            "snapshot"
        )
        if spec_of(c.snapshot).stop_event == engine.RESOLVED and c.due_at is not None
    ]
    return min(dues) if dues else None


def compensation_lines(case: Case, *, customer_only: bool = False) -> QuerySet[CompensationLine]:
    lines = CompensationLine.objects.filter(case=case).order_by("created_at", "id")
    if customer_only:
        lines = lines.filter(visible_to_customer=True)
    return lines


# At risk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtRisk:
    case: Case
    clock: ClockView


def _encode(due_at: datetime, clock_id: int) -> str:
    raw = f"{due_at.isoformat()}|{clock_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        instant, clock_id = text.rsplit("|", 1)
        return datetime.fromisoformat(instant), int(clock_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("cursor", _("The cursor is not one this API gave out.")) from None


def at_risk(
    viewer: User, *, cursor: str | None = None, limit: int = 50, now: datetime | None = None
) -> tuple[list[AtRisk], str | None]:
    """Running clocks past their warn point (breached ones included), soonest due first,
    keyset-paginated on (due_at, id). A partner sees only its own cases."""
    now = now or clock.now()
    clocks = Clock.objects.filter(state=ClockState.RUNNING, warn_at__lte=now)
    if viewer.is_partner:
        clocks = clocks.filter(case__in=visible_cases(viewer))
    if cursor:
        due_at, clock_id = _decode(cursor)
        clocks = clocks.filter(Q(due_at__gt=due_at) | Q(due_at=due_at, id__gt=clock_id))
    rows = list(
        clocks.select_related("snapshot", "case", "case__owner", "case__customer").order_by(
            "due_at", "id"
        )[: limit + 1]
    )
    page = rows[:limit]
    next_cursor = _encode(page[-1].due_at, page[-1].pk) if len(rows) > limit else None
    return [AtRisk(case=c.case, clock=_view(c, now)) for c in page], next_cursor


# Configuration -----------------------------------------------------------------------------


def calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.all()


def calendar_get(code: str) -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(code=code).first()


def calendar_due(calendar: BusinessCalendar, *, start: datetime, duration: timedelta) -> datetime:
    """When `duration` of the calendar's working time has passed since `start`, in the
    calendar's time zone. A start outside working hours counts from the next opening."""
    return rules.due_at(start, duration, engine.calendar_from_spec(calendar.spec()))


def policies() -> QuerySet[Policy]:
    return Policy.objects.prefetch_related("targets", "targets__calendar").order_by(
        "precedence", "id"
    )


def policy_get(policy_id: int) -> Policy | None:
    return policies().filter(pk=policy_id).first()


def most_urgent_clocks(case_ids: list[int], *, now: datetime | None = None) -> dict[int, ClockView]:
    """Per case, the clock that needs attention first: running clocks before paused ones, then
    the earliest due. One query for the whole page of cases (the staff case list)."""
    now = now or clock.now()
    if not case_ids:
        return {}
    rows = Clock.objects.filter(
        case_id__in=case_ids, state__in=[ClockState.RUNNING, ClockState.PAUSED]
    ).select_related("snapshot")
    far = datetime.max.replace(tzinfo=now.tzinfo)
    best: dict[int, Clock] = {}

    def rank(c: Clock) -> tuple[bool, datetime, int]:
        return (c.state != ClockState.RUNNING, c.due_at or far, c.pk)

    for c in rows:
        current = best.get(c.case_id)
        if current is None or rank(c) < rank(current):
            best[c.case_id] = c
    return {case_id: _view(c, now) for case_id, c in best.items()}
