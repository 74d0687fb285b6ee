from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from aftersales.accounts.models import User
from aftersales.cases import rules
from aftersales.cases.models import Case, TimelineEntry
from aftersales.customers.rules import normalise_email, phone_search_variants


def visible_cases(viewer: User) -> QuerySet[Case]:
    """The cases a user may see at all: a partner only those its organisation brought in."""
    cases = Case.objects.all()
    if viewer.is_partner:
        cases = cases.filter(partner_id=viewer.partner_id)
    return cases


def case_get(viewer: User, number: str) -> Case | None:
    case_id = rules.parse_case_number(number)
    if case_id is None:
        return None
    return (
        visible_cases(viewer)
        .select_related("customer", "unit", "unit__product", "owner", "partner")
        .filter(pk=case_id)
        .first()
    )


@dataclass(frozen=True)
class CaseFilters:
    status: list[str] | None = None
    type: str | None = None
    priority: str | None = None
    owner: str | None = None
    customer_id: int | None = None
    serial_number: str | None = None
    q: str | None = None


def case_list(viewer: User, filters: CaseFilters) -> QuerySet[Case]:
    cases = visible_cases(viewer).select_related("customer", "unit", "owner")
    if filters.status:
        cases = cases.filter(status__in=filters.status)
    if filters.type:
        cases = cases.filter(type=filters.type)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.owner:
        cases = cases.filter(owner__username=filters.owner)
    if filters.customer_id:
        cases = cases.filter(customer_id=filters.customer_id)
    if filters.serial_number:
        cases = cases.filter(unit__serial_number=filters.serial_number)
    if filters.q:
        cases = cases.filter(case_search_condition(filters.q))
    return cases


def case_search_condition(q: str) -> Q:
    """Case number, serial, customer phone or e-mail: each an indexed equality."""
    text = q.strip()
    case_id = rules.parse_case_number(text)
    condition = Q(unit__serial_number=text)
    if case_id is not None:
        condition |= Q(pk=case_id)
    if "@" in text:
        condition |= Q(customer__email=normalise_email(text))
    if any(ch.isdigit() for ch in text):
        condition |= Q(customer__phone__in=phone_search_variants(text, settings.PHONE_REGIONS))
    return condition


def timeline(case: Case, *, customer_only: bool = False) -> QuerySet[TimelineEntry]:
    entries = TimelineEntry.objects.filter(case=case).select_related("actor").order_by("at", "id")
    if customer_only:
        entries = entries.filter(visible_to_customer=True)
    return entries


def handoff_count(case: Case) -> int:
    return TimelineEntry.objects.filter(case=case, kind=rules.EntryKind.HANDOFF).count()


def active_cases_for_unit(unit_id: int) -> QuerySet[Case]:
    return Case.objects.filter(unit_id=unit_id, status__in=[s.value for s in rules.ACTIVE])


def cases_for_unit(unit_id: int) -> QuerySet[Case]:
    return Case.objects.filter(unit_id=unit_id).select_related("owner").order_by("-id")


def cases_for_customer(customer_id: int) -> QuerySet[Case]:
    return (
        Case.objects.filter(customer_id=customer_id).select_related("owner", "unit").order_by("-id")
    )


@dataclass(frozen=True)
class TrackedCase:
    case: Case
    last_update: datetime
    entries: list[TimelineEntry]


def case_for_tracking(number: str, contact: str) -> TrackedCase | None:
    """A case as its customer may see it, when the contact given is theirs; otherwise nothing
    (an unknown number and a wrong contact look the same)."""
    case_id = rules.parse_case_number(number)
    contact = (contact or "").strip()
    if case_id is None or not contact:
        return None
    case = (
        Case.objects.select_related("customer", "unit", "unit__product").filter(pk=case_id).first()
    )
    if case is None:
        return None
    customer = case.customer
    matches = (customer.email and normalise_email(contact) == customer.email) or (
        customer.phone and customer.phone in phone_search_variants(contact, [customer.country])
    )
    if not matches:
        return None
    entries = list(timeline(case, customer_only=True))
    last = entries[-1].at if entries else case.updated_at
    return TrackedCase(case=case, last_update=max(last, case.updated_at), entries=entries)


# Staff UI reads ----------------------------------------------------------------------------


def dashboard_counts(viewer: User, *, since: datetime) -> dict:
    """The dashboard's figures for what the viewer may see: active cases by status, cases
    opened since `since`, active cases the viewer owns, and `new` cases nobody owns."""
    from django.db.models import Count

    active = [s.value for s in rules.ACTIVE]
    cases = visible_cases(viewer)
    by_status = {
        row["status"]: row["n"]
        for row in cases.filter(status__in=active)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    }
    return {
        "by_status": {s: by_status.get(s, 0) for s in active},
        "opened_since": cases.filter(opened_at__gte=since).count(),
        "mine": cases.filter(owner=viewer, status__in=active).count(),
        "unowned_new": cases.filter(owner__isnull=True, status=rules.Status.NEW).count(),
    }


def case_list_unowned(viewer: User, filters: CaseFilters) -> QuerySet[Case]:
    """`case_list` restricted to the cases nobody owns yet."""
    return case_list(viewer, filters).filter(owner__isnull=True)
