"""Reads for returns: the remedy engine's facts gathered from a unit's history, the verdict
for a unit, and the RMAs a viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet

from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.cases.models import TimelineEntry
from aftersales.customers.models import Unit
from aftersales.returns import rules
from aftersales.returns.lifecycle import parse_rma_number, rma_number
from aftersales.returns.models import RemedyDecision, Rma
from aftersales.warranty.selectors import terms_for
from aftersales.workorders.models import WorkOrder
from aftersales.workorders.rules import Status as WoStatus


def unit_by_serial(serial_number: str) -> Unit | None:
    return (
        Unit.objects.select_related("product", "product__warranty_policy", "customer")
        .filter(serial_number=(serial_number or "").strip())
        .first()
    )


def brand_policy_for(category: str) -> rules.BrandPolicy:
    """settings.RETURNS_BRAND_POLICIES: {category: {doa_days, failed_repairs_for_replacement,
    refund_days, warranty_restarts_on_replacement}}; "*" is the default for every category."""
    table = getattr(settings, "RETURNS_BRAND_POLICIES", {}) or {}
    values = {**table.get("*", {}), **table.get(category, {})}
    return rules.BrandPolicy(**values)


def _day(value: datetime | None, fallback: date) -> date:
    return value.date() if value is not None else fallback


@dataclass(frozen=True)
class History:
    """What the unit's work orders say, as of a report date."""

    repairs_by_fault: dict[str, int]
    days_in_repair: int
    days_waiting_parts: int
    longest_wait_for_parts: int


def unit_history(unit: Unit, *, as_of: date) -> History:
    """Completed repairs per fault code, the days the unit spent in repair (from a job's start
    to its completion, or to `as_of` while it is still open), and the days its jobs sat in
    `waiting_parts` (read from the work orders' status history on the case timeline)."""
    orders = list(
        WorkOrder.objects.filter(unit_id=unit.pk)
        .exclude(status=WoStatus.CANCELLED)
        .only("id", "status", "fault_code", "started_at", "completed_at", "case_id")
    )
    by_fault: dict[str, int] = {}
    in_repair = 0
    for wo in orders:
        done = _day(wo.completed_at, as_of) if wo.completed_at else None
        if done is not None and done <= as_of and wo.fault_code:
            by_fault[wo.fault_code] = by_fault.get(wo.fault_code, 0) + 1
        if wo.started_at is not None:
            start = wo.started_at.date()
            end = min(done or as_of, as_of)
            in_repair += max((end - start).days, 0)
    waits: dict[str, list[int]] = {}
    if orders:
        numbers = {wo.number for wo in orders}
        entries = TimelineEntry.objects.filter(
            case_id__in={wo.case_id for wo in orders}, data__has_key="status"
        ).order_by("at", "id")
        opened: dict[str, date] = {}
        for entry in entries:
            number = entry.data.get("work_order")
            status = entry.data.get("status") or {}
            if number not in numbers or not isinstance(status, dict):
                continue
            day = entry.at.date()
            if day > as_of:
                continue
            if status.get("to") == WoStatus.WAITING_PARTS:
                opened[number] = day
            elif status.get("from") == WoStatus.WAITING_PARTS and number in opened:
                waits.setdefault(number, []).append((day - opened.pop(number)).days)
        for number, since in opened.items():
            waits.setdefault(number, []).append((as_of - since).days)
    spans = [d for spans in waits.values() for d in spans]
    return History(
        repairs_by_fault=by_fault,
        days_in_repair=in_repair,
        days_waiting_parts=sum(spans),
        longest_wait_for_parts=max(spans, default=0),
    )


@dataclass(frozen=True)
class WhatIf:
    """Facts a caller may state instead of the unit's history (None: from history)."""

    prior_failed_repairs: int | None = None
    days_in_repair: int | None = None
    days_unrepaired_for_parts: int | None = None
    longest_repair_days_repairer_fault: int | None = None
    jurisdiction: str | None = None


def unit_facts(
    unit: Unit, *, reported_on: date, fault_code: str = "", what_if: WhatIf = WhatIf()
) -> tuple[rules.UnitFacts, History]:
    """The engine's `UnitFacts` for the unit: sale, warranty and country from the install
    base; earlier repairs of the same failure (the fault code's, or the most repeated one),
    days in repair and days unrepaired for lack of parts from its work orders."""
    terms = terms_for(unit)
    months = terms.country_months.get(unit.country, terms.months)
    starts_on = (
        unit.installed_on
        if terms.starts_from == "installation" and unit.installed_on
        else unit.sold_on
    )
    history = unit_history(unit, as_of=reported_on)
    if fault_code:
        repairs = history.repairs_by_fault.get(fault_code, 0)
    else:
        repairs = max(history.repairs_by_fault.values(), default=0)
    facts = rules.UnitFacts(
        country=unit.country,
        category=unit.product.category,
        sold_on=unit.sold_on,
        delivered_on=unit.installed_on,
        warranty_months=months,
        warranty_starts_on=starts_on,
        prior_failed_repairs=repairs,
        days_in_repair=history.days_in_repair,
        days_unrepaired_for_parts=history.longest_wait_for_parts,
    )
    overrides = {
        name: value
        for name, value in (
            ("prior_failed_repairs", what_if.prior_failed_repairs),
            ("days_in_repair", what_if.days_in_repair),
            ("days_unrepaired_for_parts", what_if.days_unrepaired_for_parts),
            ("longest_repair_days_repairer_fault", what_if.longest_repair_days_repairer_fault),
        )
        if value is not None
    }
    return replace(facts, **overrides), history


def unit_verdict(
    unit: Unit,
    *,
    reported_on: date,
    fault: rules.Fault,
    fault_code: str = "",
    what_if: WhatIf = WhatIf(),
) -> tuple[rules.Verdict, rules.UnitFacts]:
    """Raises rules.RemedyInputError for impossible facts."""
    facts, _ = unit_facts(unit, reported_on=reported_on, fault_code=fault_code, what_if=what_if)
    verdict = rules.evaluate(
        unit=facts,
        fault=fault,
        reported_on=reported_on,
        jurisdiction=what_if.jurisdiction,
        brand_policy=brand_policy_for(unit.product.category),
        cn_disabled_categories=frozenset(getattr(settings, "RETURNS_CN_DISABLED_CATEGORIES", ())),
        country_map=getattr(settings, "RETURNS_COUNTRY_MAP", None),
    )
    return verdict, facts


def verdict_dict(verdict: rules.Verdict) -> dict:
    return {
        "jurisdiction": verdict.jurisdiction,
        "table_version": verdict.table_version,
        "country": verdict.country,
        "allowed": [str(r) for r in verdict.allowed],
        "recommended": str(verdict.recommended),
        "rules": [
            {
                "id": r.id,
                "sentence": r.sentence,
                "table_version": r.table_version,
                "grants": [str(g) for g in r.grants],
            }
            for r in verdict.rules
        ],
        "coverage_ends_on": verdict.coverage_ends_on.isoformat(),
        "warranty_ends_on": verdict.warranty_ends_on.isoformat(),
        "doa": verdict.doa,
        "burden_of_proof": str(verdict.burden_of_proof) if verdict.burden_of_proof else None,
        "days_since_sale": verdict.days_since_sale,
        "notes": list(verdict.notes),
    }


def facts_dict(facts: rules.UnitFacts) -> dict:
    return {
        "country": facts.country,
        "category": facts.category,
        "sold_on": facts.sold_on.isoformat(),
        "warranty_months": facts.warranty_months,
        "warranty_starts_on": facts.warranty_starts_on.isoformat(),
        "prior_failed_repairs": facts.prior_failed_repairs,
        "days_in_repair": facts.days_in_repair,
        "days_unrepaired_for_parts": facts.days_unrepaired_for_parts,
        "longest_repair_days_repairer_fault": facts.longest_repair_days_repairer_fault,
    }


def latest_decision(case_id: int) -> RemedyDecision | None:
    return (
        RemedyDecision.objects.filter(case_id=case_id)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )


# --- RMAs ------------------------------------------------------------------------------------


def visible_rmas(viewer: User) -> QuerySet[Rma]:
    """Brand staff see every RMA; a partner's people only their partner's."""
    rows = Rma.objects.all()
    if viewer.role == Role.PARTNER:
        partner_id = getattr(viewer, "partner_id", None)
        return rows.filter(partner_id=partner_id) if partner_id else rows.none()
    return rows


def rma_get(viewer: User, number: str) -> Rma | None:
    pk = parse_rma_number(number)
    if pk is None:
        return None
    return (
        visible_rmas(viewer)
        .select_related("customer", "partner", "case", "created_by")
        .filter(pk=pk)
        .first()
    )


def rma_list(viewer: User, *, status: list[str] | None = None, customer: str | None = None):
    rows = visible_rmas(viewer).select_related("customer", "partner", "case")
    if status:
        rows = rows.filter(status__in=status)
    if customer:
        rows = rows.filter(customer__name__icontains=customer)
    return rows


def rma_public(number: str, contact: str) -> Rma | None:
    """For the portal: the RMA when `contact` is its customer's e-mail or phone."""
    pk = parse_rma_number(number)
    contact = (contact or "").strip()
    if pk is None or not contact:
        return None
    rma = Rma.objects.select_related("customer").filter(pk=pk).first()
    if rma is None:
        return None
    return rma if contact_matches(rma.customer, contact) else None


def contact_matches(customer, contact: str) -> bool:
    """The customer's e-mail (any case) or phone (as normalised for their country)."""
    from aftersales.customers.rules import normalise_phone

    contact = (contact or "").strip()
    if not contact:
        return False
    if customer.email and contact.lower() == customer.email.lower():
        return True
    if not customer.phone or "@" in contact:
        return False
    try:
        return normalise_phone(contact, customer.country) == customer.phone
    except ValueError:
        return False


def unreturned_advance_replacements(on: date) -> list[str]:
    """Numbers of advance replacements whose faulty unit was due back before `on`, has not
    arrived and has not been charged yet."""
    return [
        rma_number(pk)
        for pk in Rma.objects.filter(
            advance_replacement=True,
            received_at__isnull=True,
            advance_charge__isnull=True,
            return_due_on__lt=on,
        )
        .order_by("id")
        .values_list("id", flat=True)
    ]
