"""Pure decisions on SLA policies and clocks, built on the business-time math of ``rules.py``.

No ORM, no I/O: dataclasses in, verdicts out. The services feed it rows and store what it says.

* :func:`match_policy` picks the policy for a case (first match by precedence, else the default).
* :class:`TargetSpec` is one target as a clock sees it for its whole life: the policy snapshot.
  It round-trips through canonical JSON (:meth:`TargetSpec.to_snapshot`), whose digest names it.
* The clock functions (:func:`due`, :func:`levels_due`, :func:`view`, ...) answer "when is it
  due", "which escalation levels are due now" and "what does a reader see" from a clock's
  start, its pause intervals and the instant asked about.

See ``docs/decisions/0005-sla-clocks.md`` for the semantics.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.sla import rules

# Built-in events: a clock starts on CASE_OPENED by default; FIRST_RESPONSE is the first
# customer-visible reply by a person; RESOLVED is the case reaching `resolved`.
CASE_OPENED = "case_opened"
FIRST_RESPONSE = "first_response"
RESOLVED = "resolved"
BUILTIN_EVENTS = frozenset({CASE_OPENED, FIRST_RESPONSE, RESOLVED})
EVENT_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TARGET_PATTERN = EVENT_PATTERN

DEFAULT_PAUSE_STATUSES = ("waiting_customer",)
DEFAULT_WARN_FRACTION = Fraction(4, 5)


class ClockState(StrEnum):
    PENDING = "pending"  # waiting for its start event
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # stopped on time
    BREACHED = "breached"  # stopped late (stored) or running past due (as readers see it)
    CANCELLED = "cancelled"  # the case was cancelled or closed before the clock could stop


STOPPED_STATES = frozenset({ClockState.MET, ClockState.BREACHED, ClockState.CANCELLED})


class Action(StrEnum):
    NOTIFY_OWNER = "notify_owner"
    NOTIFY_SUPERVISOR = "notify_supervisor"
    NOTIFY_MANAGER = "notify_manager"
    RAISE_PRIORITY = "raise_priority"
    REASSIGN = "reassign"


class LevelKind(StrEnum):
    WARNING = "warning"  # before due
    BREACHED = "breached"  # at due
    ESCALATED = "escalated"  # after due


class SnapshotError(ValueError):
    """A target definition is invalid; ``field`` names the offending part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --------------------------------------------------------------------------------------------
# ISO 8601 parsing shared by the API and the services
# --------------------------------------------------------------------------------------------

_DURATION_RE = re.compile(
    r"^(?P<sign>[-+]?)P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d{1,6})?)S)?)?$"
)


def parse_duration(text: object, *, allow_negative: bool = False) -> timedelta:
    """An ISO 8601 duration such as ``PT4H``, ``P2D``, ``P1W`` or ``P1DT2H30M``.

    Years and months are refused: their length depends on the date, so a target is given in
    days instead ("one month" is written ``P30D``). Raises ValueError with a readable message.
    """
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 duration such as PT4H or P2D")
    match = _DURATION_RE.match(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT", "-P", "+P"):
        if re.search(r"P[^T]*[YM]", text.strip().upper()):
            raise ValueError(
                f"{text!r}: years and months have no fixed length; give days (e.g. P30D)"
            )
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT4H or P2D")
    parts = match.groupdict()
    seconds = Decimal(parts["seconds"] or 0)
    value = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=int(seconds),
        microseconds=int((seconds - int(seconds)) * 1_000_000),
    )
    if parts["sign"] == "-":
        if not allow_negative:
            raise ValueError(f"{text!r}: a duration must not be negative")
        value = -value
    return value


def format_duration(value: timedelta) -> str:
    """The ISO 8601 form of a whole number of seconds, e.g. ``PT4H``, ``P30D``, ``-PT2H``."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P" + (f"{days}D" if days else "")
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if clock:
        out += "T" + clock
    return out if out not in ("P", "-P") else "PT0S"


_SPACE_OFFSET_RE = re.compile(r"^(.*T[\d:.,]+) (\d{2}(?::?\d{2})?)$")


def parse_instant(text: object) -> datetime:
    """An ISO 8601 instant that says its offset (``2026-03-06T16:30:00+01:00`` or ``...Z``).

    A ``+`` left unescaped in a query string arrives as a space; it is read back as ``+``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("expected an ISO 8601 instant with an offset, e.g. 2026-03-06T16:30+01:00")
    raw = text.strip()
    spaced = _SPACE_OFFSET_RE.match(raw)
    if spaced:
        raw = f"{spaced[1]}+{spaced[2]}"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{text!r} has no offset; say which instant it is (e.g. +01:00 or Z)")
    return value


# --------------------------------------------------------------------------------------------
# Calendars as data
# --------------------------------------------------------------------------------------------


def calendar_spec(
    *, time_zone: str, hours: Mapping[str, Any], holidays: Sequence[str], always_open: bool
) -> dict[str, Any]:
    """The canonical JSON form of a calendar (validated; raises rules.CalendarSpecError)."""
    calendar = rules.Calendar.from_spec(
        time_zone=time_zone, hours=hours, holidays=list(holidays), always_open=always_open
    )
    return {
        "time_zone": calendar.time_zone,
        "hours": {
            key: [list(pair) for pair in hours.get(key, [])]
            for key in rules.WEEKDAY_KEYS
            if hours.get(key)
        },
        "holidays": sorted(set(holidays)),
        "always_open": always_open,
    }


def calendar_from_spec(spec: Mapping[str, Any] | None) -> rules.Calendar:
    """A rules.Calendar from its JSON form; None means plain calendar time."""
    if spec is None:
        return rules.CALENDAR_TIME
    return rules.Calendar.from_spec(
        time_zone=spec["time_zone"],
        hours=spec.get("hours", {}),
        holidays=spec.get("holidays", []),
        always_open=bool(spec.get("always_open", False)),
    )


# --------------------------------------------------------------------------------------------
# Policy matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    type: str
    priority: str
    tier: str
    country: str
    partner: str | None = None


@dataclass(frozen=True)
class PolicyCriteria:
    """What a policy matches on. An empty list matches anything."""

    id: int
    precedence: int
    is_default: bool = False
    active: bool = True
    case_types: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()

    def matches(self, facts: CaseFacts) -> bool:
        checks = (
            (self.case_types, facts.type),
            (self.priorities, facts.priority),
            (self.tiers, facts.tier),
            (self.countries, facts.country.upper() if facts.country else facts.country),
            (self.partners, facts.partner),
        )
        return all(not allowed or value in allowed for allowed, value in checks)


def match_policy(policies: Iterable[PolicyCriteria], facts: CaseFacts) -> PolicyCriteria | None:
    """The first active non-default policy that matches, by (precedence, id); else the active
    default; else None (the case gets no clocks)."""
    active = [p for p in policies if p.active]
    for policy in sorted(
        (p for p in active if not p.is_default), key=lambda p: (p.precedence, p.id)
    ):
        if policy.matches(facts):
            return policy
    defaults = sorted((p for p in active if p.is_default), key=lambda p: p.id)
    return defaults[0] if defaults else None


# --------------------------------------------------------------------------------------------
# Targets and their snapshot
# --------------------------------------------------------------------------------------------


def _fraction(value: object, field: str) -> Fraction:
    if isinstance(value, bool):
        raise SnapshotError(field, "expected a number")
    try:
        if isinstance(value, float):
            result = Fraction(repr(value))
        elif isinstance(value, str):
            result = Fraction(Decimal(value))
        elif isinstance(value, int | Decimal | Fraction):
            result = Fraction(value)
        else:
            raise SnapshotError(field, "expected a number")
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise SnapshotError(field, f"{value!r} is not a number") from None
    return result


def _fraction_text(value: Fraction) -> str:
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Level:
    """One escalation level: fires at a fraction of the target or at an offset from due
    (counted in the target's time, negative = before due)."""

    actions: tuple[str, ...]
    fraction: Fraction | None = None
    offset: timedelta | None = None

    def amount(self, duration: timedelta) -> timedelta:
        """How much of the clock's time has elapsed when the level fires."""
        if self.fraction is not None:
            us = math.floor(self.fraction * (duration // timedelta(microseconds=1)))
            return timedelta(microseconds=us)
        assert self.offset is not None
        return max(duration + self.offset, timedelta(0))

    def kind(self, duration: timedelta) -> LevelKind:
        amount = self.amount(duration)
        if amount < duration:
            return LevelKind.WARNING
        return LevelKind.BREACHED if amount == duration else LevelKind.ESCALATED

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"actions": list(self.actions)}
        if self.fraction is not None:
            out["fraction"] = _fraction_text(self.fraction)
        else:
            assert self.offset is not None
            out["offset_seconds"] = int(self.offset.total_seconds())
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], field: str = "escalation_levels") -> Level:
        if not isinstance(data, Mapping):
            raise SnapshotError(field, "expected an object with fraction or offset and actions")
        has_fraction = data.get("fraction") is not None
        has_offset = data.get("offset_seconds") is not None
        if has_fraction == has_offset:
            raise SnapshotError(field, "give exactly one of fraction or offset")
        actions = data.get("actions") or []
        if isinstance(actions, str) or not isinstance(actions, Sequence) or not actions:
            raise SnapshotError(f"{field}.actions", "name at least one action")
        for action in actions:
            if action not in Action.__members__.values():
                raise SnapshotError(
                    f"{field}.actions",
                    f"{action!r} is not one of {', '.join(a.value for a in Action)}",
                )
        if has_fraction:
            fraction = _fraction(data["fraction"], f"{field}.fraction")
            if fraction <= 0 or fraction > 10:
                raise SnapshotError(f"{field}.fraction", "must be above 0 and at most 10")
            return cls(actions=tuple(dict.fromkeys(actions)), fraction=fraction)
        offset = data["offset_seconds"]
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise SnapshotError(f"{field}.offset", "expected whole seconds")
        return cls(actions=tuple(dict.fromkeys(actions)), offset=timedelta(seconds=offset))


def default_levels(after_due: timedelta) -> list[dict[str, Any]]:
    """The escalation ladder every default target carries: 80 % -> owner; 100 % -> supervisor
    and a higher priority; due + ``after_due`` -> manager and a supervisor takes the case."""
    return [
        {"fraction": "0.8", "actions": [Action.NOTIFY_OWNER.value]},
        {"fraction": "1", "actions": [Action.NOTIFY_SUPERVISOR.value, Action.RAISE_PRIORITY.value]},
        {
            "offset_seconds": int(after_due.total_seconds()),
            "actions": [Action.NOTIFY_MANAGER.value, Action.REASSIGN.value],
        },
    ]


def compensation_rule(data: Mapping[str, Any] | None, field: str = "compensation"):
    """A rules.CompensationRule from its JSON form (amounts as decimal strings), or None."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise SnapshotError(field, "expected an object with amount_per_day, currency, cap")
    try:
        amount = Decimal(str(data.get("amount_per_day")))
        cap = data.get("cap")
        return rules.CompensationRule(
            amount_per_day=amount,
            currency=str(data.get("currency", "")),
            cap=None if cap is None else Decimal(str(cap)),
            per=str(data.get("per", "started_day")),
        )
    except InvalidOperation:
        raise SnapshotError(field, "amounts must be decimal numbers") from None
    except ValueError as exc:
        raise SnapshotError(field, str(exc)) from None


def compensation_json(rule: rules.CompensationRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "amount_per_day": str(rule.amount_per_day),
        "currency": rule.currency,
        "cap": None if rule.cap is None else str(rule.cap),
        "per": rule.per,
    }


@dataclass(frozen=True)
class TargetSpec:
    """One target of one policy, frozen: what a clock counts against for its whole life."""

    name: str
    duration: timedelta
    business: bool
    calendar_code: str | None
    calendar_spec: Mapping[str, Any] | None
    warn_fraction: Fraction = DEFAULT_WARN_FRACTION
    levels: tuple[Level, ...] = ()
    compensation: rules.CompensationRule | None = None
    start_event: str = CASE_OPENED
    stop_event: str = RESOLVED
    pause_statuses: frozenset[str] = frozenset(DEFAULT_PAUSE_STATUSES)
    policy_id: int | None = None
    policy_name: str = ""
    calendar: rules.Calendar = field(default=rules.CALENDAR_TIME, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not TARGET_PATTERN.match(self.name or ""):
            raise SnapshotError("name", "lower-case letters, digits and _ (e.g. resolution)")
        if self.duration <= timedelta(0):
            raise SnapshotError("duration", "must be longer than zero")
        if not (0 < self.warn_fraction <= 1):
            raise SnapshotError("warn_fraction", "must be above 0 and at most 1")
        for label, event in (("start_event", self.start_event), ("stop_event", self.stop_event)):
            if not EVENT_PATTERN.match(event or ""):
                raise SnapshotError(label, "lower-case letters, digits and _")
        if self.start_event in (FIRST_RESPONSE, RESOLVED):
            raise SnapshotError("start_event", f"{self.start_event} can only stop a clock")
        if self.stop_event == CASE_OPENED:
            raise SnapshotError("stop_event", f"{CASE_OPENED} can only start a clock")
        if self.start_event == self.stop_event:
            raise SnapshotError("stop_event", "a clock cannot start and stop on the same event")
        if self.business and self.calendar_spec is None:
            raise SnapshotError("calendar", "a business-time target needs a calendar")
        try:
            calendar = calendar_from_spec(self.calendar_spec if self.business else None)
        except rules.CalendarSpecError as exc:
            raise SnapshotError("calendar", str(exc)) from None
        object.__setattr__(self, "calendar", calendar)
        # Levels fire in the order of the time they need; the order never depends on pauses
        # or the calendar, because due_at is monotonic in the amount of time.
        ordered = sorted(
            enumerate(self.levels), key=lambda pair: (pair[1].amount(self.duration), pair[0])
        )
        object.__setattr__(self, "levels", tuple(level for _, level in ordered))
        object.__setattr__(self, "pause_statuses", frozenset(self.pause_statuses))
        object.__setattr__(
            self, "_amounts", tuple(level.amount(self.duration) for level in self.levels)
        )
        object.__setattr__(self, "_digest", None)

    # -- JSON ------------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "v": 1,
            "policy": {"id": self.policy_id, "name": self.policy_name},
            "target": self.name,
            "duration_seconds": int(self.duration.total_seconds()),
            "business": self.business,
            "calendar": (
                {"code": self.calendar_code, **dict(self.calendar_spec)}
                if self.business and self.calendar_spec is not None
                else None
            ),
            "warn_fraction": _fraction_text(self.warn_fraction),
            "levels": [level.to_json() for level in self.levels],
            "compensation": compensation_json(self.compensation),
            "start_event": self.start_event,
            "stop_event": self.stop_event,
            "pause_statuses": sorted(self.pause_statuses),
        }

    def digest(self) -> str:
        if self._digest is None:
            object.__setattr__(self, "_digest", snapshot_digest(self.to_snapshot()))
        return self._digest  # type: ignore[return-value]

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> TargetSpec:
        calendar = data.get("calendar")
        spec = None
        code = None
        if calendar is not None:
            spec = {k: v for k, v in calendar.items() if k != "code"}
            code = calendar.get("code")
        return cls(
            name=data["target"],
            duration=timedelta(seconds=int(data["duration_seconds"])),
            business=bool(data["business"]),
            calendar_code=code,
            calendar_spec=spec,
            warn_fraction=_fraction(data.get("warn_fraction", "0.8"), "warn_fraction"),
            levels=tuple(
                Level.from_json(level, f"levels[{i}]")
                for i, level in enumerate(data.get("levels", []))
            ),
            compensation=compensation_rule(data.get("compensation")),
            start_event=data.get("start_event", CASE_OPENED),
            stop_event=data.get("stop_event", RESOLVED),
            pause_statuses=frozenset(data.get("pause_statuses", DEFAULT_PAUSE_STATUSES)),
            policy_id=(data.get("policy") or {}).get("id"),
            policy_name=(data.get("policy") or {}).get("name", ""),
        )

    # -- the clock's arithmetic ------------------------------------------------------------

    def due(self, started: datetime, pauses: Sequence[Pause] = ()) -> datetime:
        return rules.due_at(started, self.duration, self.calendar, pauses)

    def warn(self, started: datetime, pauses: Sequence[Pause] = ()) -> datetime:
        return rules.warn_at(started, self.duration, self.calendar, self.warn_fraction, pauses)

    def level_at(self, index: int, started: datetime, pauses: Sequence[Pause] = ()) -> datetime:
        return rules.due_at(started, self._amounts[index], self.calendar, pauses)

    def elapsed(self, started: datetime, until: datetime, pauses: Sequence[Pause] = ()):
        if until <= started:
            return timedelta(0)
        return rules.elapsed(started, until, self.calendar, pauses)


def snapshot_digest(snapshot: Mapping[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Clocks
# --------------------------------------------------------------------------------------------

Pause = tuple[datetime, datetime]


def parse_pauses(raw: Iterable[Sequence[str]] | None) -> list[Pause]:
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in raw or ()]


def dump_pauses(pauses: Iterable[Pause]) -> list[list[str]]:
    return [[a.astimezone(UTC).isoformat(), b.astimezone(UTC).isoformat()] for a, b in pauses]


@dataclass(frozen=True)
class Schedule:
    """The denormalised instants of a running clock."""

    due_at: datetime
    warn_at: datetime
    next_escalation_at: datetime | None


def schedule(
    spec: TargetSpec, started: datetime, pauses: Sequence[Pause], levels_fired: int
) -> Schedule:
    next_at = (
        spec.level_at(levels_fired, started, pauses) if levels_fired < len(spec.levels) else None
    )
    return Schedule(
        due_at=spec.due(started, pauses),
        warn_at=spec.warn(started, pauses),
        next_escalation_at=next_at,
    )


def levels_due(
    spec: TargetSpec, started: datetime, pauses: Sequence[Pause], levels_fired: int, now: datetime
) -> tuple[list[int], datetime | None]:
    """Indexes of the unfired levels whose instant has come (in order), and the instant of the
    first level still to come (None when none is left)."""
    due: list[int] = []
    for index in range(levels_fired, len(spec.levels)):
        at = spec.level_at(index, started, pauses)
        if at > now:
            return due, at
        due.append(index)
    return due, None


def overdue(due_at: datetime, until: datetime, pauses: Sequence[Pause] = ()) -> timedelta:
    """Real time from due to ``until``, leaving out the pauses: how late the promise is."""
    if until <= due_at:
        return timedelta(0)
    return rules.elapsed(due_at, until, rules.CALENDAR_TIME, pauses)


@dataclass(frozen=True)
class Outcome:
    state: ClockState
    due_at: datetime
    overdue: timedelta


def stop_outcome(
    spec: TargetSpec, started: datetime, stopped: datetime, pauses: Sequence[Pause]
) -> Outcome:
    """Met when stopped at or before due (pauses closed up to ``stopped``), else breached."""
    due_at = spec.due(started, pauses)
    if stopped <= due_at:
        return Outcome(ClockState.MET, due_at, timedelta(0))
    return Outcome(ClockState.BREACHED, due_at, overdue(due_at, stopped, pauses))


@dataclass(frozen=True)
class ClockView:
    """A clock as readers see it at ``now``.

    ``remaining_seconds`` is the target's own time left (business seconds for business-time
    targets); ``overdue_seconds`` is real time past due, pauses left out.
    """

    target: str
    state: ClockState
    started_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    paused_since: datetime | None
    remaining_seconds: int | None
    overdue_seconds: int | None
    paused_seconds: int
    breached: bool
    business: bool
    calendar: str | None
    duration_seconds: int
    start_event: str
    stop_event: str


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def view(
    spec: TargetSpec,
    *,
    state: str,
    started_at: datetime | None,
    paused_since: datetime | None,
    pauses: Sequence[Pause],
    stopped_at: datetime | None,
    due_at: datetime | None,
    warn_at: datetime | None,
    now: datetime,
) -> ClockView:
    state = ClockState(state)
    remaining: timedelta | None = None
    late: timedelta | None = None
    shown = state
    closed = list(pauses)
    paused_total = sum(((b - a) for a, b in closed), timedelta(0))
    if state == ClockState.RUNNING and started_at is not None:
        due_at = due_at or spec.due(started_at, closed)
        if now > due_at:
            shown = ClockState.BREACHED
            late = overdue(due_at, now, closed)
        else:
            remaining = spec.duration - spec.elapsed(started_at, now, closed)
    elif state == ClockState.PAUSED and started_at is not None and paused_since is not None:
        paused_total += max(now - paused_since, timedelta(0))
        used = spec.elapsed(started_at, paused_since, closed)
        if used > spec.duration:
            due_at = spec.due(started_at, closed)
            late = overdue(due_at, paused_since, closed)
        else:
            remaining = spec.duration - used
        due_at = None  # unknown until the clock resumes
        warn_at = None
    elif state in (ClockState.MET, ClockState.BREACHED) and started_at and stopped_at:
        if state == ClockState.MET:
            remaining = spec.duration - spec.elapsed(started_at, stopped_at, closed)
        else:
            due_at = due_at or spec.due(started_at, closed)
            late = overdue(due_at, stopped_at, closed)
    zone = spec.calendar.time_zone if spec.business else None

    def shown_in_zone(value: datetime | None) -> datetime | None:
        if value is None or zone is None:
            return value
        return value.astimezone(ZoneInfo(zone))

    return ClockView(
        target=spec.name,
        state=shown,
        started_at=started_at,
        due_at=shown_in_zone(due_at),
        warn_at=shown_in_zone(warn_at) if shown in (ClockState.RUNNING,) else None,
        stopped_at=stopped_at,
        paused_since=paused_since,
        remaining_seconds=None if remaining is None else max(_seconds(remaining), 0),
        overdue_seconds=None if late is None else _seconds(late),
        paused_seconds=_seconds(paused_total),
        breached=late is not None and late > timedelta(0),
        business=spec.business,
        calendar=spec.calendar_code if spec.business else None,
        duration_seconds=_seconds(spec.duration),
        start_event=spec.start_event,
        stop_event=spec.stop_event,
    )
