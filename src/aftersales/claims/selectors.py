"""Every read about claims, for the API, the screens and the statement documents: what a
viewer may see, the review queue, a claim's history (its unit's and its partner's), the
facts a submission is judged on, statement rows, partner scorecards and audit samples.

A partner's people see only their own partner's claims and statements; everything else
answers as if it did not exist (None, which the callers turn into 404)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.catalog.models import Part
from aftersales.claims.choices import (
    OPEN_FOR_REVIEW,
    PAYABLE,
    ClaimStatus,
    parse_claim_number,
    parse_statement_number,
)
from aftersales.claims.models import (
    AuditSample,
    Claim,
    ClaimAttachment,
    LabourStandard,
    PeerStatistics,
    Statement,
)
from aftersales.core import clock
from aftersales.core.dates import add_months
from aftersales.core.errors import NotFound
from aftersales.network.models import Partner
from aftersales.workorders import selectors as workorder_selectors
from aftersales.workorders.models import WorkOrder
from aftersales.workorders.rules import Status as WoStatus
from aftersales.workorders.rules import parse_work_order_number

REJECTED = frozenset({ClaimStatus.AUTO_REJECTED, ClaimStatus.REJECTED})
# A work order whose work is done (and may be claimed for).
WORK_DONE = frozenset({WoStatus.COMPLETED, WoStatus.VERIFIED, WoStatus.CLOSED})


def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# --- claims ---------------------------------------------------------------------------------


def visible_claims(user: User) -> QuerySet[Claim]:
    """Brand staff see every claim; a partner's people only their partner's."""
    rows = Claim.objects.all()
    if user.role == Role.PARTNER:
        return rows.filter(partner_id=user.partner_id) if user.partner_id else rows.none()
    return rows


def claim_get(user: User, number: str) -> Claim | None:
    pk = parse_claim_number(number)
    if pk is None:
        return None
    return (
        visible_claims(user)
        .select_related(
            "partner", "work_order", "unit", "statement", "submitted_by", "decided_by", "risk"
        )
        .filter(pk=pk)
        .first()
    )


def claim_list(
    user: User,
    *,
    status: list[str] | None = None,
    partner_code: str | None = None,
    min_risk: int | None = None,
) -> QuerySet[Claim]:
    rows = visible_claims(user).select_related("partner", "work_order", "statement", "risk")
    if status:
        rows = rows.filter(status__in=status)
    if partner_code:
        rows = rows.filter(partner__code=partner_code)
    if min_risk is not None:
        rows = rows.filter(risk__score__gte=min_risk)
    return rows


def review_queue(
    user: User, *, partner_code: str | None = None, min_risk: int | None = None
) -> QuerySet[Claim]:
    """The claims waiting for a reviewer (in review or waiting for the partner's answer),
    riskiest first, then newest first (the order the cursor pages follow)."""
    rows = visible_claims(user).filter(status__in=[s.value for s in OPEN_FOR_REVIEW])
    if partner_code:
        rows = rows.filter(partner__code=partner_code)
    if min_risk is not None:
        rows = rows.filter(risk__score__gte=min_risk)
    return riskiest_first(rows.select_related("partner", "work_order", "risk"))


def riskiest_first(rows: QuerySet[Claim]) -> QuerySet[Claim]:
    """Riskiest first, then newest first. Every claim has its risk row; saying so makes the
    join an inner one, which lets PostgreSQL walk the (score, claim) index from the top and
    stop at the page instead of sorting every claim in review (0.7 ms against 140 ms with
    17,000 claims in review among 300,000)."""
    return rows.filter(risk__isnull=False).order_by("-risk__score", "-pk")


def riskiest_page(
    rows: QuerySet[Claim], *, after: tuple[int, int] | None, limit: int
) -> tuple[list[Claim], tuple[int, int] | None]:
    """One page of `riskiest_first`, keyed on (risk, id) instead of an OFFSET: the claims
    after the (risk, id) of the last one shown, and the key of this page's last claim when
    more follow."""
    if after is not None:
        risk, pk = after
        rows = rows.filter(Q(risk__score__lt=risk) | Q(risk__score=risk, pk__lt=pk))
    page = list(riskiest_first(rows)[: limit + 1])
    if len(page) <= limit:
        return page, None
    last = page[limit - 1]
    return page[:limit], (last.risk.score, last.pk)


def _claim_row(claim: Claim) -> dict:
    return {
        "type": "claim",
        "number": claim.number,
        "partner": claim.partner.code,
        "status": claim.status,
        "date": _iso(claim.repair_date),
        "fault_code": claim.fault_code,
        "doa": claim.doa,
        "claimed_amount": _money(claim.claimed_amount),
        "approved_amount": _money(claim.approved_amount),
        "currency": claim.currency,
        "risk_score": claim.risk.score,
    }


def claim_history(claim: Claim, *, limit: int = 20) -> dict:
    """What a reviewer looks at next to a claim, as plain values.

    {"unit": [rows, newest first: the other claims on the same serial ({"type": "claim",
    "number", "partner", "status", "date", "fault_code", "doa", "claimed_amount",
    "approved_amount", "currency", "risk_score"}) and the unit's work orders ({"type":
    "work_order", "number", "status", "date", "fault_code", "owner"})],
     "partner": {"code", "name", "claims", "approved", "rejected", "approval_rate",
    "avg_risk", "claimed", "recent": [claim rows, newest first]}}"""
    others = (
        Claim.objects.filter(serial_number=claim.serial_number)
        .exclude(pk=claim.pk)
        .select_related("partner", "risk")
        .order_by("-repair_date", "-pk")[:limit]
    )
    unit_rows = [_claim_row(c) for c in others]
    if claim.unit_id:
        orders = (
            WorkOrder.objects.filter(unit_id=claim.unit_id)
            .select_related("partner", "centre")
            .order_by("-created_at", "-pk")[:limit]
        )
        for wo in orders:
            owner = wo.partner or wo.centre
            unit_rows.append(
                {
                    "type": "work_order",
                    "number": wo.number,
                    "status": wo.status,
                    "date": _iso((wo.completed_at or wo.created_at).date()),
                    "fault_code": wo.fault_code,
                    "owner": owner.code if owner is not None else "",
                }
            )
    unit_rows.sort(key=lambda r: r["date"] or "", reverse=True)
    partner = claim.partner
    mine = Claim.objects.filter(partner_id=partner.pk)
    totals = mine.aggregate(
        claims=Count("id"),
        approved=Count("id", filter=Q(status__in=[s.value for s in PAYABLE])),
        rejected=Count("id", filter=Q(status__in=[s.value for s in REJECTED])),
        avg_risk=Avg("risk__score"),
        claimed=Sum("claimed_amount"),
    )
    decided = totals["approved"] + totals["rejected"]
    recent = mine.exclude(pk=claim.pk).select_related("partner", "risk").order_by("-pk")[:10]
    return {
        "unit": unit_rows[:limit],
        "partner": {
            "code": partner.code,
            "name": partner.name,
            "claims": totals["claims"],
            "approved": totals["approved"],
            "rejected": totals["rejected"],
            "approval_rate": round(totals["approved"] / decided, 4) if decided else None,
            "avg_risk": round(totals["avg_risk"], 1) if totals["avg_risk"] is not None else None,
            "claimed": _money(totals["claimed"] or 0),
            "recent": [_claim_row(c) for c in recent],
        },
    }


# --- the facts a submission is judged on ----------------------------------------------------


def partner_by_code(code: str) -> Partner | None:
    return Partner.objects.filter(code=(code or "").strip()).first()


def work_order_for_claim(number: str) -> WorkOrder | None:
    """The work order a claim names, whoever's it is (the caller checks the partner)."""
    pk = parse_work_order_number(number or "")
    if pk is None:
        return None
    return (
        WorkOrder.objects.select_related(
            "case", "case__customer", "unit", "unit__product", "centre", "partner"
        )
        .filter(pk=pk)
        .first()
    )


def labour_standards_for(product_line: str, codes) -> dict[str, int]:
    codes = {c for c in codes if c}
    if not codes or not product_line:
        return {}
    return dict(
        LabourStandard.objects.filter(product_line=product_line, labour_code__in=codes).values_list(
            "labour_code", "minutes"
        )
    )


def parts_by_number(numbers) -> dict[str, Part]:
    numbers = {n for n in numbers if n}
    if not numbers:
        return {}
    return {p.number: p for p in Part.objects.filter(number__in=numbers)}


def parts_fitting(part_ids, product_id: int | None) -> set[int]:
    """Which of the parts fit the product model."""
    if not part_ids or product_id is None:
        return set()
    through = Part.fits.through
    return set(
        through.objects.filter(part_id__in=list(part_ids), product_id=product_id).values_list(
            "part_id", flat=True
        )
    )


def _not_rejected(rows: QuerySet[Claim]) -> QuerySet[Claim]:
    return rows.exclude(status__in=[s.value for s in REJECTED])


def duplicate_claims(
    *, serial_number: str, fault_code: str, repair_date: date, excluding: int | None = None
) -> list[str]:
    """Claims (not rejected) on the same serial with the same fault code whose repair is
    within CLAIM_DUPLICATE_DAYS of this one's."""
    window = timedelta(days=settings.CLAIM_DUPLICATE_DAYS)
    rows = _not_rejected(
        Claim.objects.filter(
            serial_number=serial_number,
            fault_code=fault_code,
            repair_date__gte=repair_date - window,
            repair_date__lte=repair_date + window,
        )
    )
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return [c.number for c in rows.only("id").order_by("pk")]


def same_invoice_claims(
    *, partner_id: int, invoice_number: str, excluding: int | None = None
) -> list[str]:
    if not invoice_number:
        return []
    rows = _not_rejected(Claim.objects.filter(partner_id=partner_id, invoice_number=invoice_number))
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return [c.number for c in rows.only("id").order_by("pk")]


def same_attachment_claims(hashes, *, excluding: int | None = None) -> list[str]:
    hashes = set(hashes)
    if not hashes:
        return []
    ids = ClaimAttachment.objects.filter(sha256__in=hashes).values_list("claim_id", flat=True)
    rows = _not_rejected(Claim.objects.filter(pk__in=ids))
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return [c.number for c in rows.only("id").order_by("pk")]


# --- statements -----------------------------------------------------------------------------


def visible_statements(user: User) -> QuerySet[Statement]:
    rows = Statement.objects.all()
    if user.role == Role.PARTNER:
        return rows.filter(partner_id=user.partner_id) if user.partner_id else rows.none()
    return rows


def statement_get(user: User, number: str) -> Statement | None:
    pk = parse_statement_number(number)
    if pk is None:
        return None
    return visible_statements(user).select_related("partner", "issued_by").filter(pk=pk).first()


def statement_rows(statement: Statement) -> list[dict]:
    """The statement's lines as the PDF, the CSV and the API show them: {"kind" ("claim" or
    "chargeback"), "claim", "work_order", "serial_number", "repair_date" (date),
    "description", "amount" (Decimal, negative for a chargeback)}."""
    lines = statement.lines.select_related("claim", "claim__work_order").order_by("pk")
    return [
        {
            "kind": line.kind,
            "claim": line.claim.number,
            "work_order": line.claim.work_order.number if line.claim.work_order_id else "",
            "serial_number": line.claim.serial_number,
            "repair_date": line.claim.repair_date,
            "description": line.description,
            "amount": line.amount,
        }
        for line in lines
    ]


# --- partner scorecards ---------------------------------------------------------------------


def _share(part, whole) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def _signals(partner_id: int) -> tuple[dict, str | None]:
    """The partner's rates in the latest peer statistics next to its peers' medians: {rate:
    {"partner", "peers", "z", "flag"}}. Peers and z are weighted by the partner's claims in
    each peer group (region + product line)."""
    row = PeerStatistics.objects.filter(partner_id=partner_id).first()
    if row is None:
        return {}, None
    metrics = row.metrics or {}
    overall = (metrics.get("overall") or {}).get("rates") or {}
    groups = list((metrics.get("groups") or {}).values())
    signals = {}
    for rate, value in overall.items():
        weight = peers = z = 0.0
        for group in groups:
            n = group.get("claims") or 0
            peer = (group.get("peers") or {}).get(rate)
            if peer is None or not n:
                continue
            weight += n
            peers += n * float(peer)
            z += n * float((group.get("z") or {}).get(rate) or 0)
        peer_value = round(peers / weight, 4) if weight else None
        z_value = round(z / weight, 2) if weight else None
        signals[rate] = {
            "partner": value,
            "peers": peer_value,
            "z": z_value,
            "flag": bool(z_value is not None and z_value >= 3),
        }
    return signals, row.computed_at.isoformat()


def partner_scorecard(partner_code: str, *, months: int = 12) -> dict:
    """A partner's claims month by month (by submission) over the last `months` months,
    its share of the brand's warranty cost (approved amounts) in that time, and its
    signals against its peers. Rates are shares (0–1); None where there is nothing to
    divide by. Raises NotFound for an unknown partner."""
    partner = partner_by_code(partner_code)
    if partner is None:
        raise NotFound(_("Partner %(code)s") % {"code": partner_code})
    months = max(1, min(int(months), 120))
    today = clock.today()
    first = add_months(today.replace(day=1), -(months - 1))
    payable = Q(status__in=[s.value for s in PAYABLE])
    rows = (
        Claim.objects.filter(partner_id=partner.pk, submitted_at__date__gte=first)
        .annotate(month=TruncMonth("submitted_at"))
        .values("month")
        .annotate(
            n_claims=Count("id"),
            n_approved=Count("id", filter=payable),
            n_rejected=Count("id", filter=Q(status__in=[s.value for s in REJECTED])),
            n_avg_risk=Avg("risk__score"),
            n_claimed=Sum("claimed_amount"),
            n_approved_amount=Sum("approved_amount", filter=payable),
            n_doa=Count("id", filter=Q(doa=True)),
            n_inspected=Count("id", filter=Q(doa=True, no_fault_found__isnull=False)),
            n_nff=Count("id", filter=Q(doa=True, no_fault_found=True)),
            n_parts=Sum("parts_count"),
            n_labour=Sum("labour_minutes"),
            n_standard=Sum("standard_minutes"),
        )
        .order_by("month")
    )
    by_month = {r["month"].strftime("%Y-%m"): r for r in rows if r["month"] is not None}
    out = []
    total_approved = Decimal("0")
    for i in range(months):
        key = add_months(first, i).strftime("%Y-%m")
        r = by_month.get(key)
        if r is None:
            out.append(
                {
                    "month": key,
                    "claims": 0,
                    "approved": 0,
                    "rejected": 0,
                    "approval_rate": None,
                    "rejection_rate": None,
                    "avg_risk": None,
                    "claimed": "0.00",
                    "approved_amount": "0.00",
                    "doa_rate": None,
                    "nff_rate": None,
                    "parts_per_claim": None,
                    "cost_per_claim": None,
                    "labour_ratio": None,
                }
            )
            continue
        n = r["n_claims"]
        claimed = r["n_claimed"] or Decimal("0")
        approved_amount = r["n_approved_amount"] or Decimal("0")
        total_approved += approved_amount
        out.append(
            {
                "month": key,
                "claims": n,
                "approved": r["n_approved"],
                "rejected": r["n_rejected"],
                "approval_rate": _share(r["n_approved"], n),
                "rejection_rate": _share(r["n_rejected"], n),
                "avg_risk": round(r["n_avg_risk"], 1) if r["n_avg_risk"] is not None else None,
                "claimed": _money(claimed),
                "approved_amount": _money(approved_amount),
                "doa_rate": _share(r["n_doa"], n),
                "nff_rate": _share(r["n_nff"], r["n_inspected"]),
                "parts_per_claim": round((r["n_parts"] or 0) / n, 2),
                "cost_per_claim": _money((claimed / n).quantize(Decimal("0.01"))),
                "labour_ratio": _share(r["n_labour"] or 0, r["n_standard"] or 0),
            }
        )
    brand_total = Claim.objects.filter(payable, submitted_at__date__gte=first).aggregate(
        s=Sum("approved_amount")
    )["s"] or Decimal("0")
    signals, computed_at = _signals(partner.pk)
    return {
        "partner": {"code": partner.code, "name": partner.name},
        "since": first.isoformat(),
        "months": out,
        "share_of_warranty_cost": _share(total_approved, brand_total),
        "signals": signals,
        "signals_computed_at": computed_at,
    }


# --- audits ---------------------------------------------------------------------------------


def audit_samples(
    *, period_start: date | None = None, period_end: date | None = None
) -> QuerySet[AuditSample]:
    rows = AuditSample.objects.select_related(
        "claim", "claim__partner", "claim__risk", "audited_by"
    )
    if period_start is not None:
        rows = rows.filter(period_start__gte=period_start)
    if period_end is not None:
        rows = rows.filter(period_end__lte=period_end)
    return rows


def labour_standards(*, product_line: str | None = None) -> QuerySet[LabourStandard]:
    rows = LabourStandard.objects.all()
    if product_line:
        rows = rows.filter(product_line=product_line)
    return rows


def claim_draft_from_work_order(user: User, number: str) -> tuple[dict, list[dict]]:
    """What a completed work order already says: the unit, the repair date, the fault, and
    the labour and parts used (labour priced at the partner's hourly rate)."""
    initial: dict = {"work_order": number[:40]}
    if not number:
        return {}, []
    wo = workorder_selectors.work_order_get(user, number)
    if wo is None:
        return initial, []
    initial["work_order"] = wo.number
    if wo.unit_id:
        initial["serial_number"] = wo.unit.serial_number
    done = wo.completed_at or wo.updated_at
    if done:
        initial["repair_date"] = timezone.localdate(done)
    if wo.fault_code:
        initial["fault_code"] = wo.fault_code
    if wo.partner_id:
        initial["partner"] = wo.partner.code
    rate = wo.partner.labour_rate if wo.partner_id else Decimal("0")
    lines: list[dict] = []
    for labour in wo.labour.filter(planned=False).order_by("pk"):
        price = (Decimal(labour.minutes) * rate / 60).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        lines.append(
            {
                "kind": "labour",
                "description": labour.description,
                "labour_code": labour.labour_code,
                "minutes": labour.minutes,
                "quantity": 1,
                "unit_price": price,
            }
        )
    for part in wo.parts.filter(planned=False).order_by("pk"):
        lines.append(
            {
                "kind": "part",
                "description": part.description,
                "part_number": part.part_number,
                "quantity": part.quantity,
                "unit_price": part.unit_price,
            }
        )
    return initial, lines


# --- screens ---


def partner_scorecards(*, months: int = 12) -> list[dict]:
    """The scorecards' overview: every partner with claims submitted in the last `months`
    months, most claims first: {"code", "name", "claims", "avg_risk", "approved",
    "approval_rate" (share of its claims that are payable), "approved_amount" (Decimal),
    "share_of_warranty_cost" (share of the brand's approved amounts; 0–1)}. One grouped
    query over the window."""
    months = max(1, min(int(months), 120))
    first = add_months(clock.today().replace(day=1), -(months - 1))
    payable = Q(status__in=[s.value for s in PAYABLE])
    rows = list(
        Claim.objects.filter(submitted_at__date__gte=first)
        .values("partner_id", "partner__code", "partner__name")
        .annotate(
            n_claims=Count("id"),
            n_approved=Count("id", filter=payable),
            n_avg_risk=Avg("risk__score"),
            paid=Sum("approved_amount", filter=payable),
        )
        .order_by("-n_claims", "partner__code")
    )
    brand_total = sum((r["paid"] or Decimal("0") for r in rows), Decimal("0"))
    return [
        {
            "code": r["partner__code"],
            "name": r["partner__name"],
            "claims": r["n_claims"],
            "avg_risk": round(r["n_avg_risk"], 1) if r["n_avg_risk"] is not None else None,
            "approved": r["n_approved"],
            "approval_rate": _share(r["n_approved"], r["n_claims"]),
            "approved_amount": r["paid"] or Decimal("0"),
            "share_of_warranty_cost": _share(r["paid"] or 0, brand_total),
        }
        for r in rows
    ]
