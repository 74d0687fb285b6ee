"""Every write of the SLA engine: calendars and policies (configuration), clocks (started,
paused, resumed, stopped, reopened as the case moves), the escalation sweep and compensation.

Lock order, everywhere: a case row first, then its clock rows. The sweep is the one path that
starts from clocks; it takes their cases with SKIP LOCKED (never waiting), so it cannot close a
cycle with a status change. See docs/decisions/0005-sla-clocks.md.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, ProtectedError, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.accounts.rules import Role
from aftersales.cases import services as case_services
from aftersales.cases.models import Case
from aftersales.cases.rules import CaseType, Priority, Status, case_number
from aftersales.core import clock, rows
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.customers.models import CustomerTier
from aftersales.sla import engine, rules
from aftersales.sla.engine import Action, ClockState, Level, LevelKind, TargetSpec
from aftersales.sla.models import (
    BusinessCalendar,
    Clock,
    CompensationLine,
    Policy,
    Snapshot,
    Target,
    TimeBasis,
)
from aftersales.sla.selectors import spec_of

log = logging.getLogger(__name__)

SWEEP_BATCH = 5000
# A person due this many escalation messages of one kind in one sweep batch gets one digest.
DIGEST_FROM = 5
DIGEST_LIST = 20


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


TARGET_LABELS = {
    "first_response": gettext_lazy("first response"),
    "resolution": gettext_lazy("resolution"),
}


def target_label(name: str) -> str:
    return str(TARGET_LABELS.get(name, name.replace("_", " ")))


def level_label(level: Level) -> str:
    if level.fraction is not None:
        percent = Decimal(level.fraction.numerator) * 100 / Decimal(level.fraction.denominator)
        return f"{percent.normalize():f} %"
    assert level.offset is not None
    text = engine.format_duration(abs(level.offset))
    if level.offset < timedelta(0):
        return _("%(duration)s before due") % {"duration": text}
    if level.offset == timedelta(0):
        return _("due")
    return _("%(duration)s after due") % {"duration": text}


# The same labels, translated when a message is rendered in its recipient's language.
target_label_lazy = lazy(target_label, str)
level_label_lazy = lazy(level_label, str)


def _late_text(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    days, hours = divmod(hours, 24)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": max(minutes, 1) if seconds > 0 else 0}


# --------------------------------------------------------------------------------------------
# Calendars
# --------------------------------------------------------------------------------------------


def _spec_error(exc: rules.CalendarSpecError, prefix: str = "") -> Invalid:
    message = str(exc)
    field = message.split(":", 1)[0].strip() if ":" in message else "hours"
    field = field.replace(" start", ".start").replace(" end", ".end")
    return Invalid(f"{prefix}{field}", message)


def _checked_calendar(
    *, time_zone: str, hours: dict, holidays: Sequence[str], always_open: bool
) -> dict[str, Any]:
    try:
        return engine.calendar_spec(
            time_zone=time_zone,
            hours=hours or {},
            holidays=list(holidays or []),
            always_open=always_open,
        )
    except rules.CalendarSpecError as exc:
        raise _spec_error(exc) from None


CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise Invalid(
            "code", _("A code is up to 40 lower-case letters, digits, - and _ (e.g. office).")
        )
    return code


@transaction.atomic
def calendar_create(
    *,
    code: str,
    time_zone: str,
    hours: dict | None = None,
    holidays: Sequence[str] = (),
    always_open: bool = False,
    name: str = "",
) -> BusinessCalendar:
    code = _check_code(code)
    spec = _checked_calendar(
        time_zone=time_zone, hours=hours or {}, holidays=holidays, always_open=always_open
    )
    if BusinessCalendar.objects.filter(code=code).exists():
        raise Conflict("duplicate_calendar", _("Calendar %(code)s exists.") % {"code": code})
    return BusinessCalendar.objects.create(
        code=code,
        name=name.strip(),
        time_zone=spec["time_zone"],
        hours=spec["hours"],
        holidays=spec["holidays"],
        always_open=always_open,
    )


def _calendar(code: str, *, lock: bool = False) -> BusinessCalendar:
    rows = BusinessCalendar.objects.select_for_update() if lock else BusinessCalendar.objects
    calendar = rows.filter(code=code).first()
    if calendar is None:
        raise NotFound(_("Calendar %(code)s") % {"code": code})
    return calendar


@transaction.atomic
def calendar_update(*, code: str, **changes: Any) -> BusinessCalendar:
    """Changes a calendar. Clocks already counting keep the calendar they started with."""
    calendar = _calendar(code, lock=True)
    allowed = {"name", "time_zone", "hours", "holidays", "always_open"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(sorted(unknown)[0], _("This field cannot be changed."))
    merged = {**calendar.spec(), **{k: v for k, v in changes.items() if k != "name"}}
    spec = _checked_calendar(**merged)
    calendar.time_zone = spec["time_zone"]
    calendar.hours = spec["hours"]
    calendar.holidays = spec["holidays"]
    calendar.always_open = bool(merged["always_open"])
    if "name" in changes and changes["name"] is not None:
        calendar.name = changes["name"].strip()
    calendar.save()
    return calendar


@transaction.atomic
def calendar_delete(*, code: str) -> None:
    calendar = _calendar(code, lock=True)
    try:
        calendar.delete()
    except ProtectedError:
        raise Conflict(
            "calendar_in_use",
            _("Calendar %(code)s is used by SLA targets; change them first.") % {"code": code},
        ) from None


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------

CASE_TYPES = {t.value for t in CaseType}
PRIORITIES = {p.value for p in Priority}
TIERS = {t.value for t in CustomerTier}
PAUSABLE = {s.value for s in Status} - {Status.RESOLVED, Status.CLOSED, Status.CANCELLED}


@dataclass(frozen=True)
class TargetInput:
    """A target as the API and the admin give it."""

    name: str
    duration: timedelta
    time_basis: str = TimeBasis.CALENDAR
    calendar: str | None = None
    warn_fraction: Decimal = Decimal("0.8")
    start_event: str = engine.CASE_OPENED
    stop_event: str | None = None
    escalation_levels: Sequence[dict] = ()
    compensation: dict | None = None


def _check_list(field: str, values: Iterable[str] | None, allowed: set[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            raise Invalid(
                field,
                _("%(value)s is not one of: %(allowed)s.")
                % {"value": value, "allowed": ", ".join(sorted(allowed or []))},
            )
        if value not in out:
            out.append(value)
    return out


def _check_countries(values: Iterable[str] | None) -> list[str]:
    out = []
    for value in values or []:
        if not isinstance(value, str) or len(value) != 2 or not value.isalpha():
            raise Invalid(
                "countries", _("%(value)s is not a two-letter country code.") % {"value": value}
            )
        out.append(value.upper())
    return sorted(set(out))


def _default_stop(name: str) -> str:
    return engine.FIRST_RESPONSE if name == "first_response" else engine.RESOLVED


def _spec_from_input(
    item: TargetInput,
    *,
    policy_id: int | None,
    policy_name: str,
    pause_statuses: Iterable[str],
    calendars: dict[str, BusinessCalendar],
    index: int,
) -> TargetSpec:
    where = f"targets[{index}]"
    business = item.time_basis == TimeBasis.BUSINESS
    if item.time_basis not in TimeBasis.values:
        raise Invalid(f"{where}.time_basis", _("time_basis is business or calendar."))
    calendar = None
    if item.calendar:
        calendar = calendars.get(item.calendar)
        if calendar is None:
            raise Invalid(
                f"{where}.calendar", _("No calendar has code %(code)s.") % {"code": item.calendar}
            )
    if business and calendar is None:
        raise Invalid(f"{where}.calendar", _("A business-time target needs a calendar."))
    levels = []
    for n, raw in enumerate(item.escalation_levels or []):
        try:
            levels.append(Level.from_json(raw, f"escalation_levels[{n}]"))
        except engine.SnapshotError as exc:
            raise Invalid(f"{where}.{exc.field}", exc.message) from None
    try:
        return TargetSpec(
            name=item.name,
            duration=item.duration,
            business=business,
            calendar_code=calendar.code if business and calendar else None,
            calendar_spec=(
                engine.calendar_spec(**calendar.spec()) if business and calendar else None
            ),
            warn_fraction=Fraction(Decimal(str(item.warn_fraction))),
            levels=tuple(levels),
            compensation=engine.compensation_rule(item.compensation),
            start_event=item.start_event or engine.CASE_OPENED,
            stop_event=item.stop_event or _default_stop(item.name),
            pause_statuses=frozenset(pause_statuses),
            policy_id=policy_id,
            policy_name=policy_name,
        )
    except engine.SnapshotError as exc:
        raise Invalid(f"{where}.{exc.field}", exc.message) from None
    except rules.CalendarSpecError as exc:
        raise _spec_error(exc, f"{where}.calendar.") from None


def _save_targets(policy: Policy, items: Sequence[TargetInput]) -> None:
    names = [item.name for item in items]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise Invalid(
            "targets", _("Target %(name)s is given twice.") % {"name": sorted(duplicates)[0]}
        )
    codes = {item.calendar for item in items if item.calendar}
    calendars = {c.code: c for c in BusinessCalendar.objects.filter(code__in=codes)}
    specs = [
        _spec_from_input(
            item,
            policy_id=policy.pk,
            policy_name=policy.name,
            pause_statuses=policy.pause_statuses,
            calendars=calendars,
            index=i,
        )
        for i, item in enumerate(items)
    ]
    policy.targets.all().delete()
    Target.objects.bulk_create(
        Target(
            policy=policy,
            name=spec.name,
            duration_seconds=int(spec.duration.total_seconds()),
            time_basis=item.time_basis,
            calendar=calendars.get(item.calendar) if item.calendar else None,
            warn_fraction=Decimal(str(item.warn_fraction)),
            start_event=spec.start_event,
            stop_event=spec.stop_event,
            escalation_levels=[
                level.to_json()
                for level in (Level.from_json(raw) for raw in item.escalation_levels or [])
            ],
            compensation=engine.compensation_json(spec.compensation),
        )
        for spec, item in zip(specs, items, strict=True)
    )


def _apply_policy_fields(policy: Policy, fields: dict[str, Any]) -> None:
    checks = {
        "case_types": lambda v: _check_list("case_types", v, CASE_TYPES),
        "priorities": lambda v: _check_list("priorities", v, PRIORITIES),
        "tiers": lambda v: _check_list("tiers", v, TIERS),
        "countries": _check_countries,
        "partners": lambda v: _check_list("partners", v, None),
        "pause_statuses": lambda v: _check_list("pause_statuses", v, PAUSABLE),
    }
    for key, value in fields.items():
        if key in checks:
            value = checks[key](value)
        elif key == "name":
            value = (value or "").strip()
            if not value:
                raise Invalid("name", _("A policy needs a name."))
        elif key == "description":
            value = value or ""
        elif key not in ("precedence", "is_default", "active"):
            raise Invalid(key, _("This field cannot be changed."))
        setattr(policy, key, value)


def _check_default(policy: Policy) -> None:
    if policy.is_default:
        other = Policy.objects.filter(is_default=True).exclude(pk=policy.pk).first()
        if other is not None:
            raise Conflict(
                "default_exists",
                _("%(name)s is already the default policy; unset it first.") % {"name": other.name},
            )


@transaction.atomic
def policy_create(*, targets: Sequence[TargetInput], **fields: Any) -> Policy:
    """Creates a policy with its targets. Only new clocks will use it."""
    policy = Policy()
    _apply_policy_fields(policy, {"name": fields.pop("name", ""), **fields})
    if Policy.objects.filter(name=policy.name).exists():
        raise Conflict("duplicate_policy", _("Policy %(name)s exists.") % {"name": policy.name})
    _check_default(policy)
    policy.save()
    _save_targets(policy, targets)
    return policy


@transaction.atomic
def policy_update(
    *, policy_id: int, targets: Sequence[TargetInput] | None = None, **fields: Any
) -> Policy:
    """Changes a policy (and replaces its targets when given). Clocks already started keep
    the snapshot they took; only cases opened afterwards see the change."""
    policy = Policy.objects.select_for_update().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("Policy %(id)s") % {"id": policy_id})
    _apply_policy_fields(policy, fields)
    if "name" in fields and Policy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        raise Conflict("duplicate_policy", _("Policy %(name)s exists.") % {"name": policy.name})
    _check_default(policy)
    policy.version += 1
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise Conflict("conflict", _("The policy could not be saved.")) from None
    if targets is not None:
        _save_targets(policy, targets)
    return policy


# --------------------------------------------------------------------------------------------
# Clocks
# --------------------------------------------------------------------------------------------


def target_spec(target: Target, policy: Policy) -> TargetSpec:
    """A stored target as a clock will freeze it."""
    business = target.time_basis == TimeBasis.BUSINESS
    calendar = target.calendar if business else None
    return TargetSpec(
        name=target.name,
        duration=timedelta(seconds=target.duration_seconds),
        business=business,
        calendar_code=calendar.code if calendar else None,
        calendar_spec=engine.calendar_spec(**calendar.spec()) if calendar else None,
        warn_fraction=Fraction(target.warn_fraction),
        levels=tuple(Level.from_json(raw) for raw in target.escalation_levels or []),
        compensation=engine.compensation_rule(target.compensation),
        start_event=target.start_event,
        stop_event=target.stop_event,
        pause_statuses=frozenset(policy.pause_statuses or ()),
        policy_id=policy.pk,
        policy_name=policy.name,
    )


def _snapshots(specs: Sequence[TargetSpec]) -> dict[str, Snapshot]:
    payload = {spec.digest(): spec.to_snapshot() for spec in specs}
    found = {s.digest: s for s in Snapshot.objects.filter(digest__in=list(payload))}
    missing = [Snapshot(digest=d, data=data) for d, data in payload.items() if d not in found]
    if missing:
        # Two cases opened at once may both insert the same snapshot: the second does nothing.
        Snapshot.objects.bulk_create(missing, ignore_conflicts=True)
        found.update(
            {s.digest: s for s in Snapshot.objects.filter(digest__in=[m.digest for m in missing])}
        )
    return found


def _criteria(policy: Policy) -> engine.PolicyCriteria:
    return engine.PolicyCriteria(
        id=policy.pk,
        precedence=policy.precedence,
        is_default=policy.is_default,
        active=policy.active,
        case_types=tuple(policy.case_types or ()),
        priorities=tuple(policy.priorities or ()),
        tiers=tuple(policy.tiers or ()),
        countries=tuple(c.upper() for c in policy.countries or ()),
        partners=tuple(policy.partners or ()),
    )


def _set_schedule(c: Clock, spec: TargetSpec, pauses: Sequence[engine.Pause]) -> None:
    assert c.started_at is not None
    plan = engine.schedule(spec, c.started_at, pauses, c.levels_fired)
    c.due_at, c.warn_at, c.next_escalation_at = plan.due_at, plan.warn_at, plan.next_escalation_at


def _clear_schedule(c: Clock) -> None:
    c.due_at = c.warn_at = c.next_escalation_at = None


def _start(c: Clock, spec: TargetSpec, *, at: datetime, status: str) -> None:
    c.started_at = at
    c.state = ClockState.RUNNING
    if status in spec.pause_statuses:
        c.state = ClockState.PAUSED
        c.paused_since = at
        _clear_schedule(c)
    else:
        _set_schedule(c, spec, engine.parse_pauses(c.pauses))


def _pause(c: Clock, *, at: datetime) -> None:
    c.state = ClockState.PAUSED
    c.paused_since = at
    _clear_schedule(c)


def _close_pause(c: Clock, *, until: datetime) -> list[engine.Pause]:
    pauses = engine.parse_pauses(c.pauses)
    if c.paused_since is not None:
        if until > c.paused_since:
            pauses.append((c.paused_since, until))
            c.paused_seconds += int((until - c.paused_since).total_seconds())
            c.pauses = engine.dump_pauses(pauses)
        c.paused_since = None
    return pauses


def _resume(c: Clock, spec: TargetSpec, *, at: datetime) -> None:
    pauses = _close_pause(c, until=at)
    c.state = ClockState.RUNNING
    _set_schedule(c, spec, pauses)


def _stop(c: Clock, spec: TargetSpec, *, at: datetime, case: Case) -> None:
    """Stops a running or paused clock: met when on time, else breached, with compensation."""
    assert c.started_at is not None
    pauses = _close_pause(c, until=at)
    outcome = engine.stop_outcome(spec, c.started_at, at, pauses)
    c.state = outcome.state
    c.stopped_at = at
    c.due_at = outcome.due_at
    c.next_escalation_at = None
    if outcome.state != ClockState.BREACHED:
        return
    late = int(outcome.overdue.total_seconds())
    case_services.case_record_event(
        case=case,
        body=_("SLA %(target)s missed: done %(late)s after it was due.")
        % {"target": target_label(spec.name), "late": _late_text(late)},
        data={
            "sla": spec.name,
            "event": "sla.missed",
            "due_at": outcome.due_at.isoformat(),
            "overdue_seconds": late,
        },
    )
    if spec.compensation is not None:
        _compensate(c, spec, case=case, overdue=outcome.overdue, at=at)


def _compensate(
    c: Clock, spec: TargetSpec, *, case: Case, overdue: timedelta, at: datetime
) -> CompensationLine | None:
    assert spec.compensation is not None
    owed = rules.compensation_due(spec.compensation, overdue)
    already = CompensationLine.objects.filter(clock=c).aggregate(total=Sum("amount"))["total"]
    amount = owed - (already or Decimal("0"))
    if amount <= 0:
        return None
    days = -(-int(overdue.total_seconds()) // 86_400)
    reason = _("Compensation for the late %(target)s: %(days)s started day(s) of delay.") % {
        "target": target_label(spec.name),
        "days": days,
    }
    line = CompensationLine.objects.create(
        case=case,
        clock=c,
        target=spec.name,
        amount=amount,
        currency=spec.compensation.currency,
        reason=reason,
        overdue_seconds=int(overdue.total_seconds()),
        visible_to_customer=True,
        created_at=at,
    )
    case_services.case_record_event(
        case=case,
        body=_("We owe you %(amount)s %(currency)s for the delay on your %(target)s.")
        % {"amount": amount, "currency": line.currency, "target": target_label(spec.name)},
        data={
            "sla": spec.name,
            "event": "sla.compensation",
            "amount": str(amount),
            "currency": line.currency,
            "compensation_line": line.pk,
        },
        visible_to_customer=True,
    )
    return line


def _reopen(c: Clock, spec: TargetSpec, *, at: datetime) -> None:
    """The case came back from `resolved`: the clock counts on from where it stopped; the time
    it spent resolved is a pause, so a clock met on time is never turned into a breach."""
    assert c.stopped_at is not None
    c.paused_since = c.stopped_at
    c.stopped_at = None
    pauses = _close_pause(c, until=at)
    c.state = ClockState.RUNNING
    _set_schedule(c, spec, pauses)


def _cancel(c: Clock, *, at: datetime) -> None:
    if c.paused_since is not None:
        _close_pause(c, until=at)
    c.state = ClockState.CANCELLED
    c.stopped_at = at
    c.next_escalation_at = None


CLOCK_FIELDS = [
    "state",
    "started_at",
    "paused_since",
    "pauses",
    "paused_seconds",
    "stopped_at",
    "due_at",
    "warn_at",
    "next_escalation_at",
    "levels_fired",
]


def _locked_clocks(case: Case) -> list[Clock]:
    return list(
        Clock.objects.select_for_update(of=("self",))
        .select_related("snapshot")
        .filter(case=case)
        .order_by("id")
    )


@dataclass(frozen=True)
class _PolicyTargets:
    criteria: engine.PolicyCriteria
    specs: tuple[TargetSpec, ...]


# The active policies as clocks_start last read them, keyed by the rows themselves: this
# process reuses the parsed targets only while the stored rows are equal, field for field, so
# a change made by any process (or a rolled-back test) is seen on the next case opened.
_POLICY_SET: tuple[tuple, list[_PolicyTargets]] | None = None


# What a policy means is in its other columns: the timestamps are left out of the rows read
# on every case opened (and so of the cache key), which saves parsing them.
_STAMPS = ("created_at", "updated_at")


@rows.statement
def _policy_rows_sql() -> str:
    col = rows.column
    return (
        f"SELECT {rows.columns(Policy, 'p', _STAMPS)}, {rows.columns(Target, 't', _STAMPS)},"
        f" {rows.columns(BusinessCalendar, 'c', _STAMPS)}"
        f" FROM {rows.table(Policy)} p"
        f" LEFT OUTER JOIN {rows.table(Target)} t ON {col(Target, 'policy', 't')} = p.id"
        f" LEFT OUTER JOIN {rows.table(BusinessCalendar)} c"
        f" ON c.id = {col(Target, 'calendar', 't')}"
        f" WHERE {col(Policy, 'active', 'p')} = %s ORDER BY p.id, t.id"
    )


def _policy_rows() -> tuple:
    """Every active policy with its targets and their calendars, as raw rows: one query."""
    with rows.cursor() as cursor:
        cursor.execute(_policy_rows_sql(), [True])
        return tuple(tuple(row) for row in cursor.fetchall())


def _policy_set(raw: tuple) -> list[_PolicyTargets]:
    policies: dict[int, tuple[Policy, list[Target]]] = {}
    target_at = rows.width(Policy, _STAMPS)
    calendar_at = target_at + rows.width(Target, _STAMPS)
    for row in raw:
        if row[0] not in policies:
            policies[row[0]] = (rows.instance(Policy, row, 0, _STAMPS), [])
        if row[target_at] is not None:
            target = rows.instance(Target, row, target_at, _STAMPS)
            calendar = (
                rows.instance(BusinessCalendar, row, calendar_at, _STAMPS)
                if row[calendar_at] is not None
                else None
            )
            rows.cache_related(target, "calendar", calendar)
            policies[row[0]][1].append(target)
    out = []
    for policy, targets in policies.values():
        specs = []
        for target in targets:
            try:
                spec = target_spec(target, policy)
                spec.digest()
                specs.append(spec)
            except (engine.SnapshotError, rules.CalendarSpecError, ValueError):
                # A target broken in the admin must not stop intake: log it, skip it.
                log.exception("SLA target %s of policy %s is invalid", target.name, policy.name)
        out.append(_PolicyTargets(criteria=_criteria(policy), specs=tuple(specs)))
    return out


def _targets_for(case: Case) -> tuple[TargetSpec, ...]:
    """The targets of the policy that matches the case (none when no policy does)."""
    global _POLICY_SET
    raw = _policy_rows()
    if _POLICY_SET is None or _POLICY_SET[0] != raw:
        _POLICY_SET = (raw, _policy_set(raw))
    policies = _POLICY_SET[1]
    facts = engine.CaseFacts(
        type=case.type,
        priority=case.priority,
        tier=case.customer.tier,
        country=case.customer.country,
        partner=case.partner.code if case.partner_id else None,
    )
    chosen = engine.match_policy([p.criteria for p in policies], facts)
    if chosen is None:
        return ()
    return next(p.specs for p in policies if p.criteria.id == chosen.id)


@rows.statement
def _snapshot_ids_sql(count: int) -> str:
    digest = rows.column(Snapshot, "digest", "s")
    return (
        f"SELECT s.id, {digest} FROM {rows.table(Snapshot)} s"
        f" WHERE {digest} IN ({', '.join(['%s'] * count)})"
    )


def _snapshot_ids(specs: Sequence[TargetSpec]) -> dict[str, int]:
    """The snapshot row of each spec, by digest; the missing ones are inserted."""
    digests = [spec.digest() for spec in specs]
    with rows.cursor() as cursor:
        cursor.execute(_snapshot_ids_sql(len(digests)), digests)
        found = {digest: pk for pk, digest in cursor.fetchall()}
    if len(found) < len(set(digests)):
        found.update({d: s.pk for d, s in _snapshots(specs).items()})
    return found


@transaction.atomic(savepoint=False)
def clocks_start(*, case: Case) -> list[Clock]:
    """Gives a newly opened case the clocks of its policy. Targets that start on the case
    opening run from `opened_at`; the others wait (pending) for their named event.
    Called inside the case's own transaction: no savepoint of its own (a failure here
    fails the whole opening)."""
    specs = _targets_for(case)
    if not specs:
        return []
    snapshot_ids = _snapshot_ids(specs)
    clocks = []
    for spec in specs:
        c = Clock(
            case=case,
            target=spec.name,
            snapshot_id=snapshot_ids[spec.digest()],
            state=ClockState.PENDING,
        )
        if spec.start_event == engine.CASE_OPENED:
            _start(c, spec, at=case.opened_at, status=case.status)
        clocks.append(c)
    rows.insert(clocks)
    return clocks


@transaction.atomic
def clocks_on_status(*, case: Case, old: str, new: str, at: datetime | None = None) -> None:
    """Follows a status change: pause or resume in the policy's pause statuses, stop on
    `resolved`, resume the resolution clock on reopening, cancel on `cancelled`/`closed`."""
    at = at or clock.now()
    for c in _locked_clocks(case):
        spec = spec_of(c.snapshot)
        state = ClockState(c.state)
        if new == Status.RESOLVED:
            if state in (ClockState.RUNNING, ClockState.PAUSED):
                _stop(c, spec, at=at, case=case)
            elif state == ClockState.PENDING:
                _cancel(c, at=at)
        elif new in (Status.CANCELLED, Status.CLOSED):
            if state in (ClockState.RUNNING, ClockState.PAUSED, ClockState.PENDING):
                _cancel(c, at=at)
        else:
            if (
                old == Status.RESOLVED
                and spec.stop_event == engine.RESOLVED
                and state in (ClockState.MET, ClockState.BREACHED)
            ):
                _reopen(c, spec, at=at)
                state = ClockState.RUNNING
            pause = new in spec.pause_statuses
            if state == ClockState.RUNNING and pause:
                _pause(c, at=at)
            elif state == ClockState.PAUSED and not pause:
                _resume(c, spec, at=at)
        c.save(update_fields=CLOCK_FIELDS)


def _on_event(case: Case, event: str, at: datetime) -> tuple[list[str], list[str]]:
    started: list[str] = []
    stopped: list[str] = []
    for c in _locked_clocks(case):
        spec = spec_of(c.snapshot)
        state = ClockState(c.state)
        if state == ClockState.PENDING and spec.start_event == event:
            _start(c, spec, at=at, status=case.status)
            started.append(c.target)
        elif state in (ClockState.RUNNING, ClockState.PAUSED) and spec.stop_event == event:
            _stop(c, spec, at=at, case=case)
            stopped.append(c.target)
        else:
            continue
        c.save(update_fields=CLOCK_FIELDS)
    return started, stopped


@transaction.atomic
def clocks_first_response(*, case: Case, at: datetime | None = None) -> list[str]:
    """A person answered the customer (a customer-visible entry): first-response clocks stop."""
    _started, stopped = _on_event(case, engine.FIRST_RESPONSE, at or clock.now())
    return stopped


@transaction.atomic
def clock_event(*, case: Case, event: str, actor=None) -> dict[str, list[str]]:
    """A named business event happened on the case (e.g. `payment_recorded`): clocks waiting
    for it start, clocks that end on it stop. Recorded on the timeline either way."""
    event = (event or "").strip()
    if not engine.EVENT_PATTERN.match(event):
        raise Invalid("event", _("An event name is lower-case letters, digits and _."))
    if event in engine.BUILTIN_EVENTS:
        raise Invalid(
            "event",
            _("%(event)s happens through the case itself (opening, a reply, resolving).")
            % {"event": event},
        )
    # The case row first, then its clocks: the order every path that changes clocks takes.
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.status in (Status.CLOSED, Status.CANCELLED):
        raise Conflict("case_final", _("The case is %(status)s.") % {"status": case.status})
    at = clock.now()
    started, stopped = _on_event(case, event, at)
    case_services.case_record_event(
        case=case,
        body=_("Event recorded: %(event)s") % {"event": event.replace("_", " ")},
        data={"event": event, "sla_started": started, "sla_stopped": stopped},
        actor=actor,
    )
    return {"started": started, "stopped": stopped}


# --------------------------------------------------------------------------------------------
# Escalation sweep
# --------------------------------------------------------------------------------------------


def _claim(updates: list[tuple[int, int, datetime | None, datetime]]) -> set[int]:
    """One conditional UPDATE per 1000 clocks: a clock is claimed only if its
    next_escalation_at is still the value this sweep read. Returns the ids claimed."""
    if not updates:
        return set()
    table = connection.ops.quote_name(Clock._meta.db_table)
    claimed: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(updates), 1000):
            chunk = updates[start : start + 1000]
            if connection.vendor == "postgresql":
                # The batch as one JSON parameter, not 4000 scalars: the statement text stays
                # short, nothing is quoted value by value, and the plan is an index nested loop.
                rows = [
                    {"id": i, "fired": f, "nxt": n.isoformat() if n else None, "old": o.isoformat()}
                    for i, f, n, o in chunk
                ]
                cursor.execute(
                    f"UPDATE {table} AS c SET levels_fired = v.fired, next_escalation_at = v.nxt "
                    "FROM jsonb_to_recordset(%s::jsonb) "
                    "AS v(id bigint, fired int, nxt timestamptz, old timestamptz) "
                    "WHERE c.id = v.id AND c.next_escalation_at = v.old RETURNING c.id",
                    [json.dumps(rows)],
                )
            else:
                adapt = connection.ops.adapt_datetimefield_value
                values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                params: list[Any] = []
                for clock_id, levels, nxt_at, old_at in chunk:
                    params += [clock_id, levels, adapt(nxt_at), adapt(old_at)]
                cursor.execute(
                    f"WITH v(id, fired, nxt, old) AS (VALUES {values}) "
                    f"UPDATE {table} SET levels_fired = v.fired, next_escalation_at = v.nxt "
                    f"FROM v WHERE {table}.id = v.id AND {table}.next_escalation_at = v.old "
                    "RETURNING id",
                    params,
                )
            claimed.update(row[0] for row in cursor.fetchall())
    return claimed


def _staff(role: str) -> list[tuple[int, str, str]]:
    from aftersales.accounts.selectors import case_owner_candidates

    return [
        (user.pk, user.email, user.language)
        for user in case_owner_candidates().filter(role=role).order_by("id")
    ]


class _Sweep:
    """One run's shared lookups, each loaded or worked out at most once: the snapshots, the
    supervisors and managers, the labels of each level."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._roles: dict[str, list[tuple[int, str, str]]] = {}
        self.specs: dict[int, TargetSpec] = {}
        self._levels: dict[tuple[str, int], tuple[str, str, str, str]] = {}

    def people(self, role: str) -> list[tuple[int, str, str]]:
        if role not in self._roles:
            self._roles[role] = _staff(role)
        return self._roles[role]

    def load_specs(self, snapshot_ids: set[int]) -> None:
        missing = snapshot_ids - self.specs.keys()
        if missing:
            for snapshot in Snapshot.objects.filter(pk__in=missing):
                self.specs[snapshot.pk] = spec_of(snapshot)

    def level(self, spec: TargetSpec, index: int) -> tuple[str, Any, Any, str]:
        """(event, label, target label, timeline text) of one level. The labels are lazy, so
        each message reads them in its recipient's language; the timeline text is final but
        for the due instant (`%(due)s`)."""
        key = (spec.digest(), index)
        found = self._levels.get(key)
        if found is None:
            level = spec.levels[index]
            kind = level.kind(spec.duration)
            event = {
                LevelKind.WARNING: "sla.warning",
                LevelKind.BREACHED: "sla.breached",
                LevelKind.ESCALATED: "sla.escalated",
            }[kind]
            text = {
                LevelKind.WARNING: _("SLA %(target)s: %(level)s of the time used (due %(due)s)."),
                LevelKind.BREACHED: _("SLA %(target)s breached: it was due %(due)s."),
                LevelKind.ESCALATED: _("SLA %(target)s escalated: %(level)s (due %(due)s)."),
            }[kind]
            plain = {  # "80 %" must survive the second formatting
                "target": target_label(spec.name).replace("%", "%%"),
                "level": level_label(level).replace("%", "%%"),
            }
            text = text % {**plain, "due": "%(due)s"}
            found = (event, level_label_lazy(level), target_label_lazy(spec.name), text)
            self._levels[key] = found
        return found

    def reassign_to(self, owner_id: int | None):
        """The active supervisor with the fewest active cases (not the current owner)."""
        from aftersales.accounts.selectors import case_owner_candidates
        from aftersales.cases.rules import ACTIVE

        if owner_id is not None and any(pk == owner_id for pk, _e, _l in self.people("supervisor")):
            return None  # a supervisor already has it
        candidates = (
            case_owner_candidates()
            .filter(role=Role.SUPERVISOR)
            .annotate(load=Count("owned_cases", filter=Q(owned_cases__status__in=list(ACTIVE))))
            .order_by("load", "id")
        )
        return candidates.first()


def escalation_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Fires every escalation level that has come due, each exactly once however many workers
    run it, and returns how many levels fired. With nothing due it is one indexed query."""
    now = now or clock.now()
    if not Clock.objects.filter(next_escalation_at__lte=now).exists():
        return 0
    sweep = _Sweep(now)
    fired = 0
    while True:
        count, seen, claimed = _sweep_batch(sweep, batch_size)
        fired += count
        if seen < batch_size or claimed == 0:
            return fired


@dataclass
class _Firing:
    clock_id: int
    case_id: int
    spec: TargetSpec
    levels: list[int]
    due_at: datetime | None
    case: tuple = ()


BATCH_FIELDS = (
    "id",
    "snapshot_id",
    "state",
    "started_at",
    "pauses",
    "levels_fired",
    "next_escalation_at",
    "due_at",
    "case_id",
)
CASE_FIELDS = (
    "pk",
    "summary",
    "status",
    "owner_id",
    "owner__email",
    "owner__language",
    "customer__name",
)


def _ids(ids: Iterable[int]) -> RawSQL:
    """An id list as one bound parameter (an array, or JSON on SQLite): one placeholder
    however long the list, and no per-value work in the ORM."""
    values = sorted(set(ids))
    if connection.vendor == "postgresql":
        return RawSQL("SELECT jsonb_array_elements_text(%s::jsonb)::bigint", [json.dumps(values)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


@transaction.atomic
def _sweep_batch(sweep: _Sweep, batch_size: int) -> tuple[int, int, int]:
    now = sweep.now
    # Ordered by the indexed column alone, so the index gives the order and LIMIT stops early.
    rows = Clock.objects.filter(next_escalation_at__lte=now).order_by("next_escalation_at")
    skip_locked = connection.features.has_select_for_update_skip_locked
    if skip_locked:
        # PostgreSQL: the row lock is the claim; another sweep skips what this one holds.
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    batch = list(rows.values_list(*BATCH_FIELDS)[:batch_size])
    if not batch:
        return 0, 0, 0
    sweep.load_specs({row[1] for row in batch})
    firings: list[_Firing] = []
    updates: dict[int, tuple[int, int, datetime | None, datetime]] = {}
    for clock_id, snapshot_id, state, started_at, pauses, fired, old_next, due_at, case_id in batch:
        spec = sweep.specs[snapshot_id]
        if state != ClockState.RUNNING or started_at is None:
            updates[clock_id] = (clock_id, fired, None, old_next)  # repair a stray row
            continue
        due, next_at = engine.levels_due(spec, started_at, engine.parse_pauses(pauses), fired, now)
        updates[clock_id] = (clock_id, fired + len(due), next_at, old_next)
        if due:
            firings.append(_Firing(clock_id, case_id, spec, due, due_at))
    if skip_locked:
        # A level that changes the case (priority, owner) needs the case row. Never wait for
        # it: whoever holds it (a status change) wants our clock next. A clock whose case is
        # busy is left untouched for the next run.
        acting = {f.case_id for f in firings if _changes_case(f)}
        busy = acting - _lock_cases_skip_locked(acting) if acting else set()
        for firing in [f for f in firings if f.case_id in busy]:
            updates.pop(firing.clock_id, None)
        firings = [f for f in firings if f.case_id not in busy]
    claimed = _claim(list(updates.values()))
    firings = [f for f in firings if f.clock_id in claimed]
    if firings:
        cases = {
            row[0]: row
            for row in Case.objects.filter(pk__in=_ids(f.case_id for f in firings)).values_list(
                *CASE_FIELDS
            )
        }
        for firing in firings:
            firing.case = cases[firing.case_id]
    return _fire(sweep, firings), len(batch), len(claimed)


def _changes_case(firing: _Firing) -> bool:
    return any(
        action in CASE_ACTIONS for i in firing.levels for action in firing.spec.levels[i].actions
    )


def _lock_cases_skip_locked(case_ids: set[int]) -> set[int]:
    locked = Case.objects.select_for_update(skip_locked=True).filter(pk__in=_ids(case_ids))
    return set(locked.values_list("pk", flat=True))


def _shown(value: datetime | None, spec: TargetSpec) -> str:
    if value is None:
        return "-"
    zone = ZoneInfo(spec.calendar.time_zone) if spec.business else None
    local = value.astimezone(zone) if zone else timezone.localtime(value)
    return local.strftime("%Y-%m-%d %H:%M %Z")


@dataclass
class _Notice:
    event: str
    email: str
    language: str
    context: dict
    case_id: int


def _digest_from() -> int:
    return int(getattr(settings, "SLA_DIGEST_FROM", DIGEST_FROM))


def _send(notices: list[_Notice]) -> None:
    """One message per notice; but a person due several of the same kind in one batch (an
    alert storm) gets one `sla.digest` listing them instead of a flood."""
    from aftersales.notifications.services import notification_enqueue

    groups: dict[tuple[str, str], list[_Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.email, notice.event), []).append(notice)
    threshold = _digest_from()
    for (email, event), group in groups.items():
        try:
            if len(group) < threshold:
                for notice in group:
                    notification_enqueue(
                        event=event,
                        channel="email",
                        recipient=email,
                        language=notice.language,
                        context=notice.context,
                        case_id=notice.case_id,
                    )
                continue
            listed = group[:DIGEST_LIST]
            notification_enqueue(
                event="sla.digest",
                channel="email",
                recipient=email,
                language=group[0].language,
                context={
                    "kind": event.split(".", 1)[1],
                    "count": len(group),
                    "more": len(group) - len(listed),
                    "cases": [n.context for n in listed],
                    "case_number": listed[0].context["case_number"],
                },
                case_id=None,
            )
        except Invalid:
            log.warning("SLA notification to %r skipped: not an address", email)


def _fire(sweep: _Sweep, firings: list[_Firing]) -> int:
    entries: list[case_services.CaseEvent] = []
    notices: list[_Notice] = []
    count = 0
    for firing in firings:
        case_id, summary, status, owner_id, owner_email, owner_language, customer_name = firing.case
        spec = firing.spec
        due_iso = firing.due_at.isoformat() if firing.due_at else None
        due_text = _shown(firing.due_at, spec)
        for index in firing.levels:
            level = spec.levels[index]
            event, label, target, text = sweep.level(spec, index)
            context = {
                "case_number": case_number(case_id),
                "summary": summary,
                "target": target,
                "due_at": due_iso,
                "due": due_text,
                "level": label,
                "customer_name": customer_name,
            }
            recipients: list[tuple[str, str]] = []
            for action in level.actions:
                if action == Action.NOTIFY_OWNER and owner_id is not None:
                    recipients.append((owner_email, owner_language))
                elif action == Action.NOTIFY_SUPERVISOR:
                    recipients += [(e, lang) for _pk, e, lang in sweep.people(Role.SUPERVISOR)]
                elif action == Action.NOTIFY_MANAGER:
                    recipients += [(e, lang) for _pk, e, lang in sweep.people(Role.MANAGER)]
            notified: list[str] = []
            for email, language in recipients:
                email = (email or "").strip()
                if email and "@" in email and email not in notified:  # no address, no message
                    notified.append(email)
                    notices.append(_Notice(event, email, language, context, case_id))
            entries.append(
                case_services.CaseEvent(
                    case_id=case_id,
                    body=text % {"due": due_text},
                    data={
                        "sla": spec.name,
                        "event": event,
                        "level": index,
                        "actions": list(level.actions),
                        "notified": notified,
                        "due_at": due_iso,
                    },
                )
            )
            count += 1
            if status not in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
                _case_actions(sweep, firing, level, owner_id, label)
    _send(notices)
    if entries:
        case_services.case_record_events(events=entries, at=sweep.now)
    return count


CASE_ACTIONS = frozenset({Action.RAISE_PRIORITY, Action.REASSIGN})


def _case_actions(sweep: _Sweep, firing: _Firing, level: Level, owner_id, label: str) -> None:
    for action in level.actions:
        if action not in CASE_ACTIONS:
            continue
        try:
            with transaction.atomic():
                if action == Action.RAISE_PRIORITY:
                    case_services.case_raise_priority(
                        case_id=firing.case_id,
                        reason=_("Priority raised: SLA %(target)s at %(level)s.")
                        % {"target": target_label(firing.spec.name), "level": label},
                        data={"sla": firing.spec.name},
                    )
                elif action == Action.REASSIGN:
                    to = sweep.reassign_to(owner_id)
                    if to is not None:
                        case_services.case_reassign(
                            case_id=firing.case_id,
                            to=to,
                            reason=_("Reassigned: SLA %(target)s at %(level)s.")
                            % {"target": target_label(firing.spec.name), "level": label},
                            data={"sla": firing.spec.name},
                        )
        except Exception:
            # One case's failure must not hold back every other escalation of the sweep.
            log.exception("SLA action %s failed on case %s", action, firing.case_id)
