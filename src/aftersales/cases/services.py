from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils.translation import gettext as _

from aftersales.accounts import rules as access
from aftersales.accounts.models import User
from aftersales.accounts.selectors import user_by_username
from aftersales.cases import rules
from aftersales.cases.models import Case, TimelineEntry
from aftersales.cases.rules import EntryKind, Status
from aftersales.core import clock, rows
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.customers.models import Customer, Unit
from aftersales.warranty.rules import Category
from aftersales.warranty.selectors import unit_entitlement, unit_with_coverage


def _entry(
    case: Case,
    *,
    kind: str,
    body: str = "",
    actor: User | None = None,
    actor_label: str = "",
    visible_to_customer: bool = False,
    data: dict | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        kind=kind,
        body=body,
        actor=actor,
        actor_label=actor_label or (actor.username if actor else "system"),
        at=clock.now(),
        visible_to_customer=visible_to_customer,
        data=data or {},
    )


_ACTIVE = sorted(s.value for s in rules.ACTIVE)


@rows.statement
def _active_case_sql(with_partner: bool) -> str:
    col = rows.column
    sql = (
        f"SELECT {rows.columns(Case, 'c')}, {rows.columns(User, 'o')}"
        f" FROM {rows.table(Case)} c"
        f" LEFT OUTER JOIN {rows.table(User)} o ON o.id = {col(Case, 'owner', 'c')}"
        f" WHERE {col(Case, 'unit', 'c')} = %s AND {col(Case, 'type', 'c')} = %s"
        f" AND {col(Case, 'status', 'c')} IN ({', '.join(['%s'] * len(_ACTIVE))})"
    )
    if with_partner:
        sql += f" AND {col(Case, 'partner', 'c')} = %s"
    return sql + " ORDER BY c.id LIMIT 1"


def _active_case(unit: Unit, type: str, *, partner_id: int | None) -> Case | None:
    """The oldest active case of this type on the unit (of this partner, when given), with
    its owner, unit and customer attached: one query, written by hand (core.rows) since it
    runs on every contact taken."""
    params: list = [unit.pk, type, *_ACTIVE]
    if partner_id is not None:
        params.append(partner_id)
    with rows.cursor() as cursor:
        cursor.execute(_active_case_sql(partner_id is not None), params)
        row = cursor.fetchone()
    if row is None:
        return None
    case = rows.instance(Case, row)
    owner_at = rows.width(Case)
    rows.cache_related(
        case, "owner", rows.instance(User, row, owner_at) if row[owner_at] is not None else None
    )
    rows.cache_related(case, "unit", unit)
    rows.cache_related(case, "customer", unit.customer)
    return case


def _locked_case(number: str) -> Case:
    case_id = rules.parse_case_number(number)
    case = (
        Case.objects.select_for_update().filter(pk=case_id).first() if case_id is not None else None
    )
    if case is None:
        raise NotFound(_("Case %(number)s") % {"number": number})
    return case


@transaction.atomic
def case_open(
    *,
    actor: User | None,
    type: str,
    channel: str,
    summary: str,
    description: str = "",
    priority: str = rules.Priority.NORMAL,
    customer_id: int | None = None,
    serial_number: str | None = None,
    actor_label: str = "",
) -> tuple[Case, bool]:
    """Opens a case, or adds the contact to the active case of the same type for the same unit.
    Returns the case and whether it was reused."""
    if not summary.strip():
        raise Invalid("summary", _("A case needs a summary."))
    unit = None
    if serial_number:
        # Locking the unit makes two simultaneous contacts about it agree on one case.
        unit = unit_with_coverage(serial_number.strip(), with_customer=True, lock=True)
        if unit is None:
            raise Invalid(
                "serial_number",
                _("No unit has serial number %(serial)s.") % {"serial": serial_number},
            )
        if customer_id is not None and customer_id != unit.customer_id:
            raise Invalid(
                "customer_id",
                _("Unit %(serial)s belongs to another customer.") % {"serial": unit.serial_number},
            )
        customer = unit.customer
    elif customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise Invalid("customer_id", _("No customer has id %(id)s.") % {"id": customer_id})
    else:
        raise Invalid(
            "customer_id", _("Name the customer (customer_id) or the unit (serial_number).")
        )

    now = clock.now()
    if unit is not None:
        # A partner's contact joins only its own organisation's case: it must never be
        # handed back a case it is not allowed to see.
        partner_id = actor.partner_id if actor is not None and actor.is_partner else None
        active = _active_case(unit, type, partner_id=partner_id)
        if active is not None and rules.should_reuse(active.status, active.type, type):
            _entry(
                active,
                kind=EntryKind.CONTACT,
                body="\n\n".join(p for p in (summary.strip(), description.strip()) if p),
                actor=actor,
                actor_label=actor_label,
                data={"channel": channel, "reused": True},
            )
            active.updated_at = now
            active.save(update_fields=["updated_at"])
            return active, True

    if unit is not None:
        verdict = unit_entitlement(unit, clock.today())
        category, reason = verdict.category.value, verdict.reason
    else:
        category = Category.PAID.value
        reason = _("No unit named on the case: paid service (A) unless a covered unit is added.")

    takes_ownership = actor is not None and access.becomes_owner(actor.role)
    case = Case(
        type=type,
        channel=channel,
        customer=customer,
        unit=unit,
        summary=summary.strip(),
        description=description.strip(),
        priority=priority,
        category=category,
        category_reason=reason,
        status=Status.OPEN if takes_ownership else Status.NEW,
        owner=actor if takes_ownership else None,
        opened_by=actor,
        partner=actor.partner if actor is not None and actor.is_partner else None,
        opened_at=now,
        updated_at=now,
    )
    # The two inserts of every case opened, through core.rows (no ORM compilation each time).
    rows.insert([case])
    label = actor_label or (actor.username if actor else "system")
    rows.insert(
        [
            TimelineEntry(
                case=case,
                kind=EntryKind.CONTACT,
                actor=actor,
                actor_label=label,
                at=now,
                body="\n\n".join(p for p in (case.summary, case.description) if p),
                data={"channel": channel},
            ),
            TimelineEntry(
                case=case,
                kind=EntryKind.STATUS_CHANGE,
                actor=actor,
                actor_label=label,
                at=now,
                body=_("Case opened"),
                visible_to_customer=True,
                data={"from": None, "to": case.status},
            ),
        ]
    )
    _sla().clocks_start(case=case)
    return case, False


@transaction.atomic
def case_add_entry(
    *, number: str, actor: User, kind: str, body: str, visible_to_customer: bool | None = None
) -> TimelineEntry:
    if kind not in rules.MANUAL_KINDS:
        raise Invalid(
            "kind",
            _("kind must be one of: %(kinds)s.") % {"kinds": ", ".join(sorted(rules.MANUAL_KINDS))},
        )
    if not body.strip():
        raise Invalid("body", _("The entry needs some text."))
    case = _locked_case(number)
    if visible_to_customer is None:
        visible_to_customer = kind == EntryKind.MESSAGE
    entry = _entry(
        case, kind=kind, body=body.strip(), actor=actor, visible_to_customer=visible_to_customer
    )
    case.updated_at = entry.at
    case.save(update_fields=["updated_at"])
    if visible_to_customer and actor is not None:
        _sla().clocks_first_response(case=case, at=entry.at)
    return entry


def _status_entry(case: Case, *, actor: User | None, old: str, new: str, reason: str) -> None:
    _entry(
        case,
        kind=EntryKind.STATUS_CHANGE,
        body=reason,
        actor=actor,
        visible_to_customer=True,
        data={"from": old, "to": new},
    )


@transaction.atomic
def case_handoff(*, number: str, actor: User, to_username: str, reason: str) -> Case:
    case = _locked_case(number)
    if case.status in rules.FINAL:
        raise Conflict(
            "case_final",
            _("Case %(number)s is %(status)s and cannot change hands.")
            % {"number": case.number, "status": rules.STATUS_LABELS[Status(case.status)]},
        )
    target = user_by_username(to_username)
    if target is None or not access.becomes_owner(target.role):
        raise Invalid(
            "to", _("%(name)s is not a brand user who can own cases.") % {"name": to_username}
        )
    if not reason.strip():
        raise Invalid("reason", _("Say why the case changes hands."))
    if case.owner_id == target.pk:
        raise Conflict(
            "same_owner", _("%(name)s already owns this case.") % {"name": target.username}
        )
    previous = case.owner
    _entry(
        case,
        kind=EntryKind.HANDOFF,
        body=reason.strip(),
        actor=actor,
        data={"from": previous.username if previous else None, "to": target.username},
    )
    case.owner = target
    new_status = rules.status_after_taking_owner(case.status)
    if new_status != case.status:
        _status_entry(
            case, actor=actor, old=case.status, new=new_status, reason=_("Owner assigned")
        )
        case.status = new_status
    case.updated_at = clock.now()
    case.save(update_fields=["owner", "status", "updated_at"])
    return case


@transaction.atomic
def case_change_status(*, number: str, actor: User | None, status: str, reason: str = "") -> Case:
    case = _locked_case(number)
    try:
        target = Status(status)
    except ValueError:
        raise Invalid(
            "status", _("status must be one of: %(s)s.") % {"s": ", ".join(s.value for s in Status)}
        ) from None
    if not rules.can_transition(case.status, target):
        raise Conflict(
            "invalid_transition",
            _("A case that is %(current)s cannot become %(target)s.")
            % {
                "current": rules.STATUS_LABELS[Status(case.status)],
                "target": rules.STATUS_LABELS[target],
            },
            {
                "from": case.status,
                "to": target.value,
                "allowed": [s.value for s in rules.allowed_next(case.status)],
            },
        )
    if target == Status.OPEN and case.owner_id is None:
        if actor is None or not access.becomes_owner(actor.role):
            raise Conflict("owner_required", _("Hand the case to an owner to open it."))
        case.owner = actor
    old = case.status
    now = clock.now()
    case.status = target
    case.updated_at = now
    if target == Status.RESOLVED:
        case.resolved_at = now
    elif target == Status.CLOSED:
        case.closed_at = now
    elif old == Status.RESOLVED:
        case.resolved_at = None
    _status_entry(case, actor=actor, old=old, new=target, reason=reason.strip())
    case.save(update_fields=["status", "owner", "updated_at", "resolved_at", "closed_at"])
    _sla().clocks_on_status(case=case, old=old, new=target.value, at=now)
    return case


def _sla():
    # Imported when called: sla.services records its timeline entries through this module.
    from aftersales.sla import services as sla_services

    return sla_services


# Written by other apps (SLA escalation, events) --------------------------------------------


@dataclass(frozen=True)
class CaseEvent:
    """One timeline entry another app records on a case."""

    case_id: int
    body: str
    data: dict = field(default_factory=dict)
    kind: str = EntryKind.SYSTEM
    visible_to_customer: bool = False
    actor: User | None = None


def case_record_events(*, events: Iterable[CaseEvent], at: datetime | None = None) -> int:
    """Appends entries to case timelines in one insert. Takes no lock on the cases, so a
    caller holding other locks (the SLA sweep holds clock rows) cannot deadlock with a status
    change, which locks the case first."""
    at = at or clock.now()
    events = list(events)
    if connection.vendor == "postgresql" and len(events) > 50:
        # Thousands of rows at once (an escalation storm) go in as one JSON parameter: a
        # VALUES list with a placeholder per field costs more to build than to run.
        table = connection.ops.quote_name(TimelineEntry._meta.db_table)
        rows = [
            {
                "case_id": e.case_id,
                "kind": str(e.kind),
                "body": e.body,
                "actor_id": e.actor.pk if e.actor else None,
                "actor_label": e.actor.username if e.actor else "system",
                "visible_to_customer": e.visible_to_customer,
                "data": e.data,
            }
            for e in events
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (case_id, kind, body, actor_id, actor_label, at,"
                " visible_to_customer, data) SELECT case_id, kind, body, actor_id, actor_label,"
                " %s, visible_to_customer, data FROM jsonb_to_recordset(%s::jsonb) AS t("
                "case_id bigint, kind varchar, body text, actor_id bigint, actor_label varchar,"
                " visible_to_customer boolean, data jsonb)",
                [at, json.dumps(rows, cls=DjangoJSONEncoder)],
            )
        return len(events)
    rows = [
        TimelineEntry(
            case_id=event.case_id,
            kind=event.kind,
            body=event.body,
            actor=event.actor,
            actor_label=event.actor.username if event.actor else "system",
            at=at,
            visible_to_customer=event.visible_to_customer,
            data=event.data,
        )
        for event in events
    ]
    TimelineEntry.objects.bulk_create(rows)
    return len(rows)


def case_record_event(
    *,
    case: Case,
    body: str,
    data: dict | None = None,
    kind: str = EntryKind.SYSTEM,
    visible_to_customer: bool = False,
    actor: User | None = None,
) -> None:
    """Appends one entry to a case's timeline (see `case_record_events`)."""
    case_record_events(
        events=[
            CaseEvent(
                case_id=case.pk,
                body=body,
                data=data or {},
                kind=kind,
                visible_to_customer=visible_to_customer,
                actor=actor,
            )
        ]
    )


@transaction.atomic
def case_raise_priority(*, case_id: int, reason: str, data: dict | None = None) -> str | None:
    """Moves the case one priority up (low, normal, high, urgent) with a timeline entry;
    returns the new priority, or None when it is already urgent or no longer active."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.status not in rules.ACTIVE:
        return None
    order = [p.value for p in rules.Priority]
    index = order.index(case.priority) if case.priority in order else len(order) - 1
    if index + 1 >= len(order):
        return None
    old, case.priority = case.priority, order[index + 1]
    case.updated_at = clock.now()
    case.save(update_fields=["priority", "updated_at"])
    _entry(
        case,
        kind=EntryKind.SYSTEM,
        body=reason,
        data={**(data or {}), "priority": {"from": old, "to": case.priority}},
    )
    return case.priority


@transaction.atomic
def case_reassign(*, case_id: int, to: User, reason: str, data: dict | None = None) -> bool:
    """Hands an active case to `to` on the system's behalf (an escalation), with a handoff
    entry. False when the case is not active or `to` already owns it."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status not in rules.ACTIVE or case.owner_id == to.pk:
        return False
    if not access.becomes_owner(to.role):
        raise Invalid("to", _("%(name)s cannot own cases.") % {"name": to.username})
    previous = case.owner
    _entry(
        case,
        kind=EntryKind.HANDOFF,
        body=reason,
        data={
            **(data or {}),
            "from": previous.username if previous else None,
            "to": to.username,
        },
    )
    case.owner = to
    new_status = rules.status_after_taking_owner(case.status)
    if new_status != case.status:
        _status_entry(case, actor=None, old=case.status, new=new_status, reason=_("Owner assigned"))
        case.status = new_status
    case.updated_at = clock.now()
    case.save(update_fields=["owner", "status", "updated_at"])
    return True
