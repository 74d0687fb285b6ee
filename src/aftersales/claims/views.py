"""The warranty-claims screens: the review queue (brand staff) and the partner's own claims,
the partner's submission form, the claim page with its findings, risk reasons, timeline and
the unit's and partner's history side by side, the reviewer's decisions and the partner's
reply; statements (PDF and CSV), partner scorecards with a trend chart drawn on the server,
and the audit sample.

As elsewhere in the staff UI: views parse, call one service or selector, and render; every
action is a plain form post that redirects, and with htmx answers with the part it changed.
A refusal from a service is shown next to its form, never as an error page."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.accounts import rules as access
from aftersales.claims import documents, forms, selectors, services
from aftersales.claims.choices import OPEN_FOR_REVIEW, PAYABLE, AuditOutcome, ClaimStatus
from aftersales.claims.models import Claim
from aftersales.core.api import page_by_id_desc
from aftersales.core.errors import DomainError, Invalid
from aftersales.network.models import Partner
from aftersales.web.views import staff_view

PAGE = 50
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _may(request, action: str) -> bool:
    return access.allowed(request.user.role, action)


def _forbidden(request):
    return render(
        request,
        "web/error.html",
        {"title": _("Not allowed"), "message": _("Your role may not do this.")},
        status=403,
    )


def _partners():
    return list(Partner.objects.order_by("code"))


def _max_bytes() -> int:
    return getattr(services, "ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)


def _uploads(files) -> list[dict]:
    """Uploaded files as the services take them (the content read up to one byte past the
    limit, so that the service can refuse an oversized file)."""
    limit = _max_bytes()
    return [
        {
            "filename": f.name,
            "content_type": f.content_type or "application/octet-stream",
            "content": f.read(limit + 1),
        }
        for f in files
        if f
    ]


def _decorate(claim: Claim) -> Claim:
    """The words the templates show for a claim's fixed values."""
    claim.status_label = forms.label_of(forms.STATUS_LABELS, claim.status)
    claim.top_reasons = list(claim.risk.reasons or [])[:3]
    return claim


def _risk_level(score: int) -> str:
    threshold = settings.CLAIM_REVIEW_THRESHOLD
    if score >= threshold:
        return "high"
    if score >= threshold // 2:
        return "medium"
    return "low"


# --- the list ------------------------------------------------------------------------------


def _page_by_risk(queryset, *, cursor: str | None, limit: int):
    """Riskiest first, keyed on (risk, id): stable pages without OFFSET. The cursor is
    "<risk>-<id>" of the last row shown."""
    risk, _sep, pk = (cursor or "").partition("-")
    after = (int(risk), int(pk)) if risk.isdigit() and pk.isdigit() else None
    rows, last = selectors.riskiest_page(queryset, after=after, limit=limit)
    return rows, None if last is None else f"{last[0]}-{last[1]}"


@staff_view("claims.read")
def claim_list(request):
    """Brand staff: the review queue, riskiest first, with the reasons; filters for status,
    partner and minimum risk; low-risk claims approved in bulk. A partner: its own claims."""
    staff = not request.user.is_partner
    form = forms.ClaimFilterForm(
        request.GET or None, partners=_partners() if staff else (), staff=staff
    )
    status = forms.QUEUE if staff else forms.ALL
    partner_code = min_risk = None
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"] or status
        if staff:
            partner_code = form.cleaned_data["partner"] or None
            min_risk = form.cleaned_data["min_risk"]
    if status == forms.QUEUE and not staff:
        status = forms.ALL
    if status == forms.QUEUE:
        claims = selectors.review_queue(request.user, partner_code=partner_code, min_risk=min_risk)
    else:
        claims = selectors.visible_claims(request.user)
        if status != forms.ALL:
            claims = claims.filter(status=status)
        if partner_code:
            claims = claims.filter(partner__code=partner_code)
        if min_risk is not None:
            claims = claims.filter(risk__score__gte=min_risk)
    claims = claims.select_related("partner", "work_order", "risk")
    cursor = request.GET.get("cursor")
    # Riskiest first for what waits for a decision; newest first for everything at once.
    try:
        if staff and status != forms.ALL:
            rows, next_cursor = _page_by_risk(claims, cursor=cursor, limit=PAGE)
        else:
            rows, next_cursor = page_by_id_desc(claims, cursor=cursor, limit=PAGE)
    except DomainError:
        rows, next_cursor = [], None
    may_review = staff and _may(request, "claims.review")
    threshold = settings.CLAIM_REVIEW_THRESHOLD
    for claim in rows:
        _decorate(claim)
        claim.risk_level = _risk_level(claim.risk.score)
        claim.bulk_ok = (
            may_review and claim.status == ClaimStatus.REVIEW and claim.risk.score < threshold
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    next_url = None
    if next_cursor:
        query["cursor"] = next_cursor
        next_url = f"{reverse('claims:list')}?{query.urlencode()}"
        query.pop("cursor")
    return render(
        request,
        "claims/list.html",
        {
            "rows": rows,
            "form": form,
            "staff": staff,
            "next_url": next_url,
            "query": query.urlencode(),
            "may_review": may_review,
            "any_bulk": any(c.bulk_ok for c in rows),
            "may_submit": _may(request, "claims.submit"),
            "threshold": threshold,
            "in_queue": status == forms.QUEUE,
        },
    )


@staff_view("claims.review")
@require_POST
def bulk_approve(request):
    numbers = [n.strip() for n in request.POST.getlist("numbers") if n.strip()][:500]
    back = reverse("claims:list")
    query = request.POST.get("query", "")
    if query and url_has_allowed_host_and_scheme(f"{back}?{query}", allowed_hosts=None):
        back = f"{back}?{query}"
    if not numbers:
        messages.warning(request, _("Tick the claims to approve first."))
        return redirect(back)
    try:
        result = services.claims_bulk_approve(actor=request.user, numbers=numbers)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    approved = result.get("approved", [])
    if approved:
        messages.success(
            request,
            _("%(n)s claims approved: %(numbers)s")
            % {"n": len(approved), "numbers": ", ".join(str(n) for n in approved)},
        )
    for number, why in (result.get("refused") or {}).items():
        messages.warning(
            request, _("%(number)s not approved: %(why)s") % {"number": number, "why": why}
        )
    return redirect(back)


# --- the partner's submission form ---------------------------------------------------------


# The services' names for the fields the forms call otherwise.
FIELD_NAMES = {
    "work_order_number": "work_order",
    "partner_code": "partner",
    "lines": "",
    "attachments": "photos",
}


def _form_problem(form, exc: DomainError, rows=()) -> str:
    """A service's refusal: under the field it names when the form has one (a line's field
    under that line's row), else as the form's message."""
    if not isinstance(exc, Invalid):
        return exc.message
    parts = exc.field.split(".")
    if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
        index, name = int(parts[1]), parts[2]
        if index < len(rows) and name in rows[index].fields:
            rows[index].add_error(name, exc.message)
            return _("Check the lines.")
    field = FIELD_NAMES.get(parts[0], parts[0])
    if field in form.fields:
        form.add_error(field, exc.message)
        return _("Check the form.")
    return exc.message


@staff_view("claims.submit")
@require_http_methods(["GET", "POST"])
def claim_new(request):
    partners = None if request.user.is_partner else _partners()
    if request.method == "GET":
        initial, lines = selectors.claim_draft_from_work_order(
            request.user, request.GET.get("work_order", "").strip()
        )
        form = forms.ClaimForm(initial=initial, partners=partners)
        return render(
            request,
            "claims/new.html",
            {"form": form, "rows": forms.line_forms(initial=lines), "more_open": len(lines) > 3},
        )
    form = forms.ClaimForm(request.POST, request.FILES, partners=partners)
    rows = forms.line_forms(request.POST)
    filled = [row for row in rows if not row.is_blank()]
    valid = form.is_valid()
    valid = all([row.is_valid() for row in filled]) and valid
    problem = ""
    if valid and not filled:
        problem = _("Add at least one line: labour, a part, travel or a DOA replacement.")
    elif valid:
        data = form.cleaned_data
        attachments = []
        if data.get("invoice"):
            attachments += _uploads([data["invoice"]])
        attachments += _uploads(data.get("photos") or [])
        try:
            claim = services.claim_submit(
                actor=request.user,
                lines=[row.as_line() for row in filled],
                work_order_number=data["work_order"] or None,
                serial_number=data["serial_number"] or None,
                repair_date=data["repair_date"],
                fault_code=data["fault_code"],
                invoice_number=data["invoice_number"],
                explanation=data["explanation"],
                attachments=attachments,
                partner_code=data.get("partner") or None,
            )
        except DomainError as exc:
            problem = _form_problem(form, exc, filled)
        else:
            messages.success(
                request,
                _("Claim %(number)s submitted: %(status)s.")
                % {
                    "number": claim.number,
                    "status": forms.label_of(forms.STATUS_LABELS, claim.status),
                },
            )
            return redirect("claims:detail", number=claim.number)
    else:
        problem = _("Check the form.")
    return render(
        request,
        "claims/new.html",
        {
            "form": form,
            "rows": rows,
            "problem": problem,
            "more_open": any(not row.is_blank() for row in rows[3:]),
        },
        status=422,
    )


# --- the claim page ------------------------------------------------------------------------


def _visible(request, number: str) -> Claim:
    claim = selectors.claim_get(request.user, number)
    if claim is None:
        raise Http404
    return claim


def _findings(claim: Claim, lines: list) -> list[dict]:
    rows = []
    for finding in claim.findings or []:
        row = dict(finding)
        index = row.get("line")
        if isinstance(index, int) and 0 <= index < len(lines):
            row["line_number"] = index + 1
        rows.append(row)
    # Failures first (hard before soft), then what passed, each in the rules' order.
    order = {(False, True): 0, (False, False): 1}
    return sorted(rows, key=lambda r: order.get((bool(r.get("passed")), bool(r.get("hard"))), 2))


# What a partner is not shown: how the brand scores its claims and which it audits (so that
# the threshold cannot be learned by watching).
HIDDEN_FROM_PARTNERS = frozenset({"scored", "audit_sampled", "audited"})


def _events(claim: Claim, *, partner_view: bool = False) -> list:
    events = list(claim.events.select_related("actor"))
    if partner_view:
        events = [e for e in events if e.kind not in HIDDEN_FROM_PARTNERS]
    for event in events:
        event.kind_label = forms.label_of(forms.EVENT_LABELS, event.kind)
        event.who = event.actor_label or (event.actor.username if event.actor_id else "")
    return events


def _history(claim: Claim) -> dict | None:
    """The unit's and the partner's history, with the words for their statuses."""
    from aftersales.workorders.rules import STATUS_LABELS as WO_STATUS_LABELS

    history = selectors.claim_history(claim)
    if not history:
        return None
    partner = history.get("partner") or {}
    for row in list(history.get("unit") or []) + list(partner.get("recent") or []):
        if row.get("type") == "work_order":
            row["status_label"] = forms.label_of(WO_STATUS_LABELS, row.get("status"))
        else:
            row["status_label"] = forms.label_of(forms.STATUS_LABELS, row.get("status"))
    partner["approval_percent"] = _percent(partner.get("approval_rate"))
    return history


def _detail_context(request, claim: Claim, *, bound: dict | None = None, errors=None) -> dict:
    bound, errors = bound or {}, errors or {}
    _decorate(claim)
    claim.risk_level = _risk_level(claim.risk.score)
    lines = list(claim.lines.select_related("part"))
    for line in lines:
        line.kind_label = forms.label_of(forms.KIND_LABELS, line.kind)
        line.reason_label = forms.label_of(forms.REASON_LABELS, line.reason_code)
    user = request.user
    staff = not user.is_partner
    events = _events(claim, partner_view=not staff)
    status = claim.status
    context = {
        "claim": claim,
        "lines": lines,
        "findings": _findings(claim, lines),
        "reasons": list(claim.risk.reasons or []) if staff else [],
        "events": events,
        "attachments": list(claim.attachments.defer("content")),
        "chargebacks": list(claim.chargebacks.all()),
        "staff": staff,
        "errors": errors,
        "history": _history(claim) if staff else None,
        "threshold": settings.CLAIM_REVIEW_THRESHOLD,
    }
    if status == ClaimStatus.INFO_REQUESTED:
        asked = [e for e in events if e.kind == "info_requested"]
        context["question"] = asked[-1] if asked else None
    if status in OPEN_FOR_REVIEW and _may(request, "claims.review"):
        context["approve_form"] = forms.ApproveForm(bound.get("approve"))
        context["decide_form"] = forms.DecideLinesForm(bound.get("decide"), lines=lines)
        context["reject_form"] = forms.RejectForm(bound.get("reject"))
        if status == ClaimStatus.REVIEW:
            context["ask_form"] = forms.RequestInfoForm(bound.get("ask"))
    if status == ClaimStatus.INFO_REQUESTED and user.is_partner and _may(request, "claims.reply"):
        context["reply_form"] = forms.ReplyForm(bound.get("reply"))
    if status in PAYABLE and claim.statement_id and _may(request, "claims.statement"):
        context["chargeback_form"] = forms.ChargebackForm(bound.get("chargeback"))
    context["has_actions"] = any(
        key in context
        for key in ("approve_form", "reply_form", "chargeback_form", "ask_form", "reject_form")
    )
    return context


def _detail_page(request, claim, *, bound=None, errors=None, status: int = 200):
    context = _detail_context(request, claim, bound=bound, errors=errors)
    template = "claims/_detail_main.html" if request.htmx else "claims/detail.html"
    return render(request, template, context, status=status)


@staff_view("claims.read")
def claim_detail(request, number: str):
    claim = _visible(request, number)
    if claim.number != number:
        return redirect("claims:detail", number=claim.number)
    return _detail_page(request, claim)


@staff_view("claims.read")
def claim_attachment(request, number: str, attachment_id: int):
    claim = _visible(request, number)
    attachment = claim.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    inline = attachment.content_type in INLINE_TYPES
    response = HttpResponse(
        bytes(attachment.content),
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    name = attachment.filename.replace('"', "").replace("\\", "")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _do_approve(request, claim, form):
    services.claim_approve(actor=request.user, number=claim.number, note=form.cleaned_data["note"])
    return _("Claim approved.")


def _do_decide(request, claim, form):
    done = services.claim_decide_lines(
        actor=request.user, number=claim.number, lines=form.decisions()
    )
    return _("Decision recorded: %(status)s.") % {
        "status": forms.label_of(forms.STATUS_LABELS, done.status)
    }


def _do_reject(request, claim, form):
    services.claim_reject(
        actor=request.user,
        number=claim.number,
        reason=form.cleaned_data["reason"],
        reason_code=form.cleaned_data["reason_code"],
    )
    return _("Claim rejected.")


def _do_ask(request, claim, form):
    services.claim_request_info(
        actor=request.user, number=claim.number, question=form.cleaned_data["question"]
    )
    return _("Question sent to the partner.")


def _do_reply(request, claim, form):
    services.claim_reply(
        actor=request.user,
        number=claim.number,
        message=form.cleaned_data["message"],
        attachments=_uploads(form.cleaned_data.get("attachments") or []),
    )
    return _("Answer sent: the claim is back in review.")


def _do_chargeback(request, claim, form):
    services.chargeback_create(
        actor=request.user,
        number=claim.number,
        amount=form.cleaned_data["amount"],
        reason=form.cleaned_data["reason"],
    )
    return _("Chargeback recorded: it goes on the partner's next statement.")


ACTIONS = {
    # name: (permission, form class, perform)
    "approve": ("claims.review", forms.ApproveForm, _do_approve),
    "decide": ("claims.review", forms.DecideLinesForm, _do_decide),
    "reject": ("claims.review", forms.RejectForm, _do_reject),
    "ask": ("claims.review", forms.RequestInfoForm, _do_ask),
    "reply": ("claims.reply", forms.ReplyForm, _do_reply),
    "chargeback": ("claims.statement", forms.ChargebackForm, _do_chargeback),
}


@staff_view("claims.read")
@require_POST
def claim_action(request, number: str, action: str):
    if action not in ACTIONS:
        raise Http404
    permission, form_class, perform = ACTIONS[action]
    claim = _visible(request, number)
    if not _may(request, permission):
        return _forbidden(request)
    kwargs = {"lines": list(claim.lines.all())} if action == "decide" else {}
    form = form_class(request.POST, request.FILES, **kwargs)
    if not form.is_valid():
        return _detail_page(
            request,
            claim,
            bound={action: request.POST},
            errors={action: _("Check the form.")},
            status=422,
        )
    try:
        done = perform(request, claim, form)
    except DomainError as exc:
        return _detail_page(
            request,
            _visible(request, number),
            bound={action: request.POST},
            errors={action: exc.message},
            status=422,
        )
    if request.htmx:
        messages.success(request, done)
        return _detail_page(request, _visible(request, number))
    messages.success(request, done)
    return redirect("claims:detail", number=claim.number)


# --- statements ----------------------------------------------------------------------------


@staff_view("claims.read")
@require_http_methods(["GET", "POST"])
def statement_list(request):
    may_issue = _may(request, "claims.statement")
    partners = _partners() if may_issue else ()
    last_month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    form = (
        forms.StatementIssueForm(
            partners=partners,
            initial={
                "period_start": last_month_end.replace(day=1),
                "period_end": last_month_end,
            },
        )
        if may_issue
        else None
    )
    problem = ""
    status = 200
    if request.method == "POST":
        if not may_issue:
            return _forbidden(request)
        form = forms.StatementIssueForm(request.POST, partners=partners)
        if form.is_valid():
            data = form.cleaned_data
            try:
                statement = services.statement_issue(
                    actor=request.user,
                    partner_code=data["partner"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                )
            except DomainError as exc:
                problem = _form_problem(form, exc)
            else:
                messages.success(
                    request, _("Statement %(number)s issued.") % {"number": statement.number}
                )
                return redirect("claims:statement", number=statement.number)
        else:
            problem = _("Check the form.")
        status = 422
    try:
        rows, next_cursor = page_by_id_desc(
            selectors.visible_statements(request.user).select_related("partner"),
            cursor=request.GET.get("cursor"),
            limit=PAGE,
        )
    except DomainError:
        rows, next_cursor = [], None
    next_url = f"{reverse('claims:statements')}?cursor={next_cursor}" if next_cursor else None
    return render(
        request,
        "claims/statements.html",
        {"rows": rows, "form": form, "problem": problem, "next_url": next_url},
        status=status,
    )


def _statement(request, number: str):
    statement = selectors.statement_get(request.user, number)
    if statement is None:
        raise Http404
    return statement


@staff_view("claims.read")
def statement_detail(request, number: str):
    statement = _statement(request, number)
    if statement.number != number:
        return redirect("claims:statement", number=statement.number)
    lines = list(statement.lines.select_related("claim"))
    return render(
        request,
        "claims/statement_detail.html",
        {
            "statement": statement,
            "claim_lines": [ln for ln in lines if ln.kind != "chargeback"],
            "chargeback_lines": [ln for ln in lines if ln.kind == "chargeback"],
        },
    )


@staff_view("claims.read")
def statement_pdf(request, number: str):
    statement = _statement(request, number)
    response = HttpResponse(documents.statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{statement.number}.pdf"'
    return response


@staff_view("claims.read")
def statement_csv(request, number: str):
    statement = _statement(request, number)
    response = HttpResponse(
        documents.statement_csv(statement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.csv"'
    return response


# --- partner scorecards --------------------------------------------------------------------

SCORECARD_MONTHS = 12


@staff_view("claims.read")
def scorecard_list(request):
    if request.user.is_partner:
        if not request.user.partner_id:
            raise Http404
        return redirect("claims:scorecard", code=request.user.partner.code)
    rows = selectors.partner_scorecards(months=SCORECARD_MONTHS)
    for row in rows:
        row["risk_level"] = _risk_level(int(row["avg_risk"] or 0))
        row["approval_percent"] = _percent(row["approval_rate"])
        row["share_percent"] = _percent(row["share_of_warranty_cost"])
    return render(request, "claims/scorecards.html", {"rows": rows, "months": SCORECARD_MONTHS})


def _percent(value) -> float | None:
    """A share (0–1, as the selectors give rates) as a percentage."""
    if value is None:
        return None
    return float(value) * 100


def _month_label(month: str) -> str:
    try:
        year, number = (int(p) for p in str(month).split("-")[:2])
        return formats.date_format(date(year, number, 1), "M y")
    except (TypeError, ValueError):
        return str(month)


CHART = {"width": 640, "height": 260, "left": 40, "right": 44, "top": 16, "bottom": 36}


def trend_chart(months: list[dict]) -> dict | None:
    """The scorecard's trend as SVG geometry: claims per month as bars (right axis), the
    average risk and the approval rate as lines (left axis, 0–100)."""
    if not months:
        return None
    c = CHART
    plot_w = c["width"] - c["left"] - c["right"]
    plot_h = c["height"] - c["top"] - c["bottom"]
    step = plot_w / len(months)
    # The right axis runs to a multiple of 4 claims, so that its five ticks are whole.
    most = max(int(m.get("claims") or 0) for m in months)
    most = max(4, -(-most // 4) * 4)
    bottom = c["top"] + plot_h

    def y_of(value: float, top: float) -> float:
        return round(bottom - plot_h * (value / top), 1)

    bars, risk, approval, labels = [], [], [], []
    every = max(1, len(months) // 12)
    for i, month in enumerate(months):
        x = c["left"] + i * step
        centre = round(x + step / 2, 1)
        count = int(month.get("claims") or 0)
        height = round(plot_h * count / most, 1)
        bars.append(
            {
                "x": round(x + step * 0.2, 1),
                "y": round(bottom - height, 1),
                "w": round(step * 0.6, 1),
                "h": height,
                "title": f"{month.get('month')}: {count}",
            }
        )
        avg = month.get("avg_risk")
        if avg is not None and count:
            risk.append({"x": centre, "y": y_of(float(avg), 100), "value": round(float(avg))})
        rate = _percent(month.get("approval_rate"))
        if rate is not None and count:
            y = y_of(rate, 100)
            approval.append(
                {"x": centre, "y": y, "sx": centre - 3, "sy": y - 3, "value": round(rate)}
            )
        if i % every == 0:
            labels.append({"x": centre, "text": _month_label(month.get("month"))})
    ticks = [{"y": y_of(v, 100), "left": v, "right": most * v // 100} for v in (0, 25, 50, 75, 100)]
    return {
        **c,
        "plot_right": c["width"] - c["right"],
        "bottom_y": bottom,
        "bars": bars,
        "risk": risk,
        "risk_points": " ".join(f"{p['x']},{p['y']}" for p in risk),
        "approval": approval,
        "approval_points": " ".join(f"{p['x']},{p['y']}" for p in approval),
        "labels": labels,
        "label_y": bottom + 16,
        "left_label_x": c["left"] - 6,
        "right_label_x": c["width"] - c["right"] + 6,
        "ticks": ticks,
        "most": most,
    }


def _signals(signals) -> list[dict]:
    """The scorecard's signals as table rows: the partner's value next to its peers'."""
    rows = []
    if isinstance(signals, dict):
        items = signals.items()
    else:
        items = ((s.get("code") or s.get("name"), s) for s in (signals or []))
    for name, value in items:
        row = {"name": forms.label_of(forms.SIGNAL_LABELS, str(name)), "code": name}
        if isinstance(value, dict):
            row["partner"] = value.get("partner", value.get("value"))
            row["peers"] = value.get("peers", value.get("peer_median", value.get("median")))
            row["ratio"] = value.get("ratio")
            row["flag"] = value.get("flag") or value.get("anomalous")
            row["z"] = value.get("z")
            row["label"] = value.get("label")
        else:
            row["partner"] = value
        rows.append(row)
    return rows


@staff_view("claims.read")
def scorecard_detail(request, code: str):
    user = request.user
    if user.is_partner and (not user.partner_id or user.partner.code != code):
        raise Http404
    partner = Partner.objects.filter(code=code).first()
    if partner is None:
        raise Http404
    try:
        card = selectors.partner_scorecard(partner.code, months=SCORECARD_MONTHS)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        raise
    months = list(card.get("months") or [])
    for month in months:
        month["label"] = _month_label(month.get("month"))
        month["approval_percent"] = _percent(month.get("approval_rate"))
        month["rejection_percent"] = _percent(month.get("rejection_rate"))
        month["doa_percent"] = _percent(month.get("doa_rate"))
        month["nff_percent"] = _percent(month.get("nff_rate"))
    share = card.get("share_of_warranty_cost")
    return render(
        request,
        "claims/scorecard_detail.html",
        {
            "partner": partner,
            "card": card,
            "months": months,
            "chart": trend_chart(months),
            "share_percent": _percent(share) if share is not None else None,
            "signals": _signals(card.get("signals")),
            "staff": not user.is_partner,
        },
    )


# --- audit sampling ------------------------------------------------------------------------


def _audit_rows(request, samples) -> list:
    rows = []
    for sample in samples:
        sample.reason_label = forms.label_of(forms.AUDIT_REASON_LABELS, sample.reason)
        sample.outcome_label = forms.label_of(forms.AUDIT_OUTCOME_LABELS, sample.outcome)
        _decorate(sample.claim)
        if sample.outcome == AuditOutcome.PENDING:
            sample.record_form = forms.AuditRecordForm(audit_id=sample.pk)
        rows.append(sample)
    return rows


def _audit_page(request, *, draw_form=None, problem="", record_errors=None, status=200):
    filters = forms.AuditFilterForm(request.GET or None)
    start = end = None
    if filters.is_bound and filters.is_valid():
        start, end = filters.cleaned_data["period_start"], filters.cleaned_data["period_end"]
    samples = selectors.audit_samples(period_start=start, period_end=end).select_related(
        "claim", "claim__partner"
    )[:200]
    today = timezone.localdate()
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    draw_form = draw_form or forms.AuditDrawForm(
        initial={
            "period_start": last_month_end.replace(day=1),
            "period_end": last_month_end,
            "size": 20,
        }
    )
    rows = _audit_rows(request, samples)
    for sample in rows:
        bound = (record_errors or {}).get(sample.pk)
        if bound:
            sample.record_form = bound["form"]
            sample.record_error = bound["error"]
    return render(
        request,
        "claims/audits.html",
        {"rows": rows, "filters": filters, "draw_form": draw_form, "problem": problem},
        status=status,
    )


@staff_view("claims.audit")
@require_http_methods(["GET", "POST"])
def audit_list(request):
    if request.method == "GET":
        return _audit_page(request)
    form = forms.AuditDrawForm(request.POST)
    if not form.is_valid():
        return _audit_page(request, draw_form=form, problem=_("Check the form."), status=422)
    data = form.cleaned_data
    try:
        drawn = services.audit_sample_draw(
            actor=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            size=data["size"],
            seed=data["seed"],
        )
    except DomainError as exc:
        return _audit_page(request, draw_form=form, problem=_form_problem(form, exc), status=422)
    messages.success(request, _("%(n)s claims drawn for audit.") % {"n": len(drawn)})
    query = f"?audits-period_start={data['period_start']:%Y-%m-%d}"
    query += f"&audits-period_end={data['period_end']:%Y-%m-%d}"
    return redirect(reverse("claims:audits") + query)


@staff_view("claims.audit")
@require_POST
def audit_record(request, audit_id: int):
    form = forms.AuditRecordForm(request.POST, audit_id=audit_id)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.audit_record(
                actor=request.user,
                audit_id=audit_id,
                outcome=data["outcome"],
                notes=data["notes"],
                chargeback_amount=data["chargeback_amount"],
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            error = exc.message
    else:
        error = _("Check the form.")
    if error:
        return _audit_page(
            request, record_errors={audit_id: {"form": form, "error": error}}, status=422
        )
    messages.success(request, _("Audit outcome recorded."))
    return redirect("claims:audits")
