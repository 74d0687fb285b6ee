from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.cases import selectors as case_selectors
from aftersales.core.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    idempotent,
    json_response,
    page_by_id_desc,
)
from aftersales.core.errors import Invalid, NotFound
from aftersales.core.permissions import require
from aftersales.sla import engine, schemas, selectors, services
from aftersales.sla.models import BusinessCalendar, Policy

router = Router(tags=["sla"])

MAX_DUE_DURATION = timedelta(days=3660)


# Calendars ---------------------------------------------------------------------------------


def calendar_dict(calendar: BusinessCalendar) -> dict:
    return {
        "code": calendar.code,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "hours": calendar.hours,
        "holidays": calendar.holidays,
        "24x7": calendar.always_open,
    }


def _calendar_or_404(code: str) -> BusinessCalendar:
    calendar = selectors.calendar_get(code)
    if calendar is None:
        raise NotFound(_("Calendar %(code)s") % {"code": code})
    return calendar


@router.post("/sla/calendars", response={201: schemas.CalendarOut}, by_alias=True)
def calendar_create(request, payload: schemas.CalendarIn):
    require(request, "sla.write")
    return idempotent(
        request,
        "sla.calendars",
        lambda: (201, calendar_dict(services.calendar_create(**payload.model_dump()))),
    )


class PageQuery(schemas.Schema):
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/sla/calendars", response=schemas.CalendarPage, by_alias=True)
def calendar_list(request, query: Query[PageQuery]):
    require(request, "sla.read")
    items, next_cursor = page_by_id_desc(
        selectors.calendars(), cursor=query.cursor, limit=query.limit
    )
    return json_response(200, {"items": [calendar_dict(c) for c in items], "next": next_cursor})


@router.get("/sla/calendars/{code}", response=schemas.CalendarOut, by_alias=True)
def calendar_get(request, code: str):
    require(request, "sla.read")
    return json_response(200, calendar_dict(_calendar_or_404(code)))


@router.patch("/sla/calendars/{code}", response=schemas.CalendarOut, by_alias=True)
def calendar_update(request, code: str, payload: schemas.CalendarPatch):
    require(request, "sla.write")
    changes = payload.model_dump(exclude_unset=True)
    calendar = services.calendar_update(code=code, **changes)
    return json_response(200, calendar_dict(calendar))


@router.delete("/sla/calendars/{code}", response={204: None})
def calendar_delete(request, code: str):
    require(request, "sla.write")
    services.calendar_delete(code=code)
    return HttpResponse(status=204)


@router.get("/sla/calendars/{code}/due", response=schemas.DueOut)
def calendar_due(request, code: str, start: str, duration: str):
    """When `duration` of working time has passed since `start`, in the calendar's time zone.
    A start outside working hours counts from the next opening."""
    require(request, "sla.read")
    try:
        instant = engine.parse_instant(start)
    except ValueError as exc:
        raise Invalid("start", str(exc)) from None
    try:
        amount = engine.parse_duration(duration)
    except ValueError as exc:
        raise Invalid("duration", str(exc)) from None
    if amount > MAX_DUE_DURATION:
        raise Invalid("duration", _("A duration is at most 3660 days."))
    calendar = _calendar_or_404(code)
    try:
        due_at = selectors.calendar_due(calendar, start=instant, duration=amount)
    except (ValueError, OverflowError) as exc:
        raise Invalid("duration", str(exc)) from None
    return json_response(200, {"due_at": due_at.isoformat()})


# Policies ----------------------------------------------------------------------------------


def _offset_seconds(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    try:
        return int(engine.parse_duration(text, allow_negative=True).total_seconds())
    except ValueError as exc:
        raise Invalid(field, str(exc)) from None


def _target_inputs(targets: list[schemas.TargetIn]) -> list[services.TargetInput]:
    out = []
    for i, target in enumerate(targets):
        try:
            duration = engine.parse_duration(target.duration)
        except ValueError as exc:
            raise Invalid(f"targets[{i}].duration", str(exc)) from None
        if target.escalation_levels is None:
            levels = engine.default_levels(timedelta(hours=24))
        else:
            levels = []
            for n, level in enumerate(target.escalation_levels):
                raw = {"actions": list(level.actions)}
                if level.fraction is not None:
                    raw["fraction"] = str(level.fraction)
                offset = _offset_seconds(
                    level.offset, f"targets[{i}].escalation_levels[{n}].offset"
                )
                if offset is not None:
                    raw["offset_seconds"] = offset
                levels.append(raw)
        compensation = None
        if target.compensation is not None:
            compensation = {
                "amount_per_day": str(target.compensation.amount_per_day),
                "currency": target.compensation.currency,
                "cap": None if target.compensation.cap is None else str(target.compensation.cap),
            }
        out.append(
            services.TargetInput(
                name=target.name,
                duration=duration,
                time_basis=target.time_basis,
                calendar=target.calendar,
                warn_fraction=target.warn_fraction,
                start_event=target.start_event,
                stop_event=target.stop_event,
                escalation_levels=levels,
                compensation=compensation,
            )
        )
    return out


def policy_dict(policy: Policy) -> dict:
    targets = []
    for target in policy.targets.all():
        levels = []
        for raw in target.escalation_levels or []:
            offset = raw.get("offset_seconds")
            levels.append(
                {
                    "fraction": float(raw["fraction"]) if raw.get("fraction") is not None else None,
                    "offset": (
                        engine.format_duration(timedelta(seconds=offset))
                        if offset is not None
                        else None
                    ),
                    "actions": raw.get("actions", []),
                }
            )
        targets.append(
            {
                "name": target.name,
                "duration": engine.format_duration(timedelta(seconds=target.duration_seconds)),
                "duration_seconds": target.duration_seconds,
                "time_basis": target.time_basis,
                "calendar": target.calendar.code if target.calendar_id else None,
                "warn_fraction": float(target.warn_fraction),
                "start_event": target.start_event,
                "stop_event": target.stop_event,
                "escalation_levels": levels,
                "compensation": target.compensation,
            }
        )
    return schemas.PolicyOut(
        id=policy.pk,
        name=policy.name,
        description=policy.description,
        precedence=policy.precedence,
        is_default=policy.is_default,
        active=policy.active,
        version=policy.version,
        case_types=policy.case_types,
        priorities=policy.priorities,
        tiers=policy.tiers,
        countries=policy.countries,
        partners=policy.partners,
        pause_statuses=policy.pause_statuses,
        targets=targets,
    ).model_dump(mode="json")


def _policy_or_404(policy_id: int) -> Policy:
    policy = selectors.policy_get(policy_id)
    if policy is None:
        raise NotFound(_("Policy %(id)s") % {"id": policy_id})
    return policy


@router.post("/sla/policies", response={201: schemas.PolicyOut})
def policy_create(request, payload: schemas.PolicyIn):
    require(request, "sla.write")
    fields = payload.model_dump(exclude={"targets"})
    targets = _target_inputs(payload.targets)

    def create():
        policy = services.policy_create(targets=targets, **fields)
        return 201, policy_dict(_policy_or_404(policy.pk))

    return idempotent(request, "sla.policies", create)


@router.get("/sla/policies", response=schemas.PolicyPage)
def policy_list(request, query: Query[PageQuery]):
    require(request, "sla.read")
    if query.limit < 1 or query.limit > MAX_PAGE_SIZE:
        raise Invalid("limit", _("limit must be between 1 and %(max)s.") % {"max": MAX_PAGE_SIZE})
    items, next_cursor = page_by_id_desc(
        selectors.policies(), cursor=query.cursor, limit=query.limit
    )
    return json_response(200, {"items": [policy_dict(p) for p in items], "next": next_cursor})


@router.get("/sla/policies/{policy_id}", response=schemas.PolicyOut)
def policy_get(request, policy_id: int):
    require(request, "sla.read")
    return json_response(200, policy_dict(_policy_or_404(policy_id)))


@router.patch("/sla/policies/{policy_id}", response=schemas.PolicyOut)
def policy_update(request, policy_id: int, payload: schemas.PolicyPatch):
    require(request, "sla.write")
    fields = payload.model_dump(exclude_unset=True, exclude={"targets"})
    fields = {k: v for k, v in fields.items() if v is not None}
    targets = (
        _target_inputs(payload.targets)
        if "targets" in payload.model_fields_set and payload.targets is not None
        else None
    )
    services.policy_update(policy_id=policy_id, targets=targets, **fields)
    return json_response(200, policy_dict(_policy_or_404(policy_id)))


# Clocks ------------------------------------------------------------------------------------


class AtRiskQuery(schemas.Schema):
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@router.get("/sla/at-risk", response=schemas.AtRiskPage)
def at_risk(request, query: Query[AtRiskQuery]):
    """Running clocks past their warn point or already breached, soonest due first."""
    user = require(request, "sla.at_risk")
    if query.limit < 1 or query.limit > MAX_PAGE_SIZE:
        raise Invalid("limit", _("limit must be between 1 and %(max)s.") % {"max": MAX_PAGE_SIZE})
    items, next_cursor = selectors.at_risk(user, cursor=query.cursor, limit=query.limit)
    return json_response(
        200,
        {
            "items": [
                {
                    "case_number": item.case.number,
                    "summary": item.case.summary,
                    "priority": item.case.priority,
                    "status": item.case.status,
                    "owner": item.case.owner.username if item.case.owner_id else None,
                    "customer": item.case.customer.name,
                    "clock": schemas.clock_dict(item.clock),
                }
                for item in items
            ],
            "next": next_cursor,
        },
    )


@router.post("/cases/{number}/events", response=schemas.EventOut, tags=["cases"])
def case_event(request, number: str, payload: schemas.EventIn):
    """A named business event happened on the case (e.g. payment_recorded): clocks waiting for
    it start, clocks ending on it stop."""
    user = require(request, "sla.events")
    case = case_selectors.case_get(user, number)
    if case is None:
        raise NotFound(_("Case %(number)s") % {"number": number})
    result = services.clock_event(case=case, event=payload.event, actor=user)
    return json_response(
        200,
        {
            "event": payload.event,
            **result,
            "sla": [schemas.clock_dict(v) for v in selectors.clock_views(case)],
        },
    )
