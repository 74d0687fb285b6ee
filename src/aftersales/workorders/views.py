"""The work-order screens: the work order page with its side panel of actions, the dispatch
board, a technician's day, the monthly service record, the list, and the printable documents.

As in the rest of the staff UI: views parse, call one service or selector, and render. Every
action is a plain form post that redirects; with htmx it answers with the part of the page it
changed. Work orders are always fetched through the selectors, so whoever may not see a job
gets the same 404 as for one that does not exist."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from aftersales.accounts import rules as access
from aftersales.accounts.models import User
from aftersales.accounts.rules import Role
from aftersales.billing import selectors as billing_selectors
from aftersales.billing import services as billing
from aftersales.cases import rules as case_rules
from aftersales.core import clock
from aftersales.core.errors import DomainError
from aftersales.network.models import Partner
from aftersales.web import labels, paging
from aftersales.web import views as web_views
from aftersales.web.views import staff_view
from aftersales.workorders import forms, rules, selectors
from aftersales.workorders import services as wo_services
from aftersales.workorders.models import FaultCode, WorkOrder
from aftersales.workorders.rules import CustodyKind, QuoteStatus, Status
from aftersales.workorders.templatetags.workorder_tags import window_text

HX_SWAPPED = (409, 422)  # the statuses htmx swaps in (see the htmx-config meta tag)
BOARD_QUEUE_LIMIT = 50  # cards with an assign form per queue; the rest are counted
SUPERVISING = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def _may(request, action: str) -> bool:
    return access.allowed(request.user.role, action)


def _forbidden(request, message: str | None = None):
    return render(
        request,
        "web/error.html",
        {"title": _("Not allowed"), "message": message or _("Your role may not open this page.")},
        status=403,
    )


def _visible(request, number: str) -> WorkOrder:
    wo = selectors.work_order_get(request.user, number)
    if wo is None:
        raise Http404
    return wo


def _next_url(request) -> str | None:
    """Where to go after an action, when the form says (e.g. back to "My day")."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _refusal_status(request, status: int) -> int:
    # htmx swaps only 409 and 422 answers: any other refusal still has to show its words.
    if request.htmx and status not in HX_SWAPPED:
        return 422
    return status


def _technicians(viewer: User) -> list[User]:
    """Technicians this user may hand jobs to: a supervisor based at a centre, that centre's
    (and its branches'); the office, everyone's."""
    techs = User.objects.filter(role=Role.TECHNICIAN, is_active=True).order_by("username")
    if viewer.role == Role.SUPERVISOR and viewer.service_centre_id:
        techs = techs.filter(
            service_centre_id__in=selectors.centre_tree_ids(viewer.service_centre_id)
        )
    return list(techs)


def _partners() -> list[Partner]:
    return list(Partner.objects.filter(active=True).order_by("code"))


def _is_worker(user: User, wo: WorkOrder) -> bool:
    """Mirrors the services: the assigned technician, the assigned partner's people, or a
    supervisor (the service has the last word)."""
    if user.role in SUPERVISING:
        return True
    if user.is_partner:
        return wo.partner_id is not None and wo.partner_id == user.partner_id
    return user.role == Role.TECHNICIAN and wo.technician_id == user.pk


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


# The side panel's actions ---------------------------------------------------------------------


@dataclass
class Facts:
    """What the side panel needs to know to offer the actions allowed now."""

    wo: WorkOrder
    user: User
    status: Status
    worker: bool
    last_custody: str | None
    in_custody_here: bool
    pending_quote: bool
    invoice: object | None
    due: object | None


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    permission: str
    button: str
    available: Callable[[Facts], bool]
    form: Callable[..., object]  # (request, wo, facts, data) -> form
    perform: Callable[..., str]  # (request, wo, cleaned_data) -> message
    secondary: bool = True


def _facts(request, wo: WorkOrder) -> Facts:
    last = selectors.last_custody_event(wo.unit_id) if wo.unit_id else None
    invoice = selectors.invoice_of(wo) if wo.category == "A" else None
    return Facts(
        wo=wo,
        user=request.user,
        status=Status(wo.status),
        worker=_is_worker(request.user, wo),
        last_custody=last.kind if last else None,
        in_custody_here=bool(last and last.work_order_id == wo.pk and rules.in_custody(last.kind)),
        pending_quote=wo.quotes.filter(status=QuoteStatus.PENDING).exists(),
        invoice=invoice,
        due=selectors.amount_due(invoice) if invoice else None,
    )


def _fault_codes(wo: WorkOrder):
    category = wo.unit.product.category if wo.unit_id else ""
    return FaultCode.objects.filter(product_category=category, active=True).order_by("code")


def _custody_kinds(facts: Facts) -> list[CustodyKind]:
    kinds = set(rules.custody_next(facts.last_custody))
    if facts.in_custody_here:
        kinds.add(CustodyKind.RETURNED)
    else:
        kinds.discard(CustodyKind.RETURNED)
    return [k for k in CustodyKind if k in kinds]


def _do_assign(request, wo, data) -> str:
    tech, partner = forms.split_assignee(data["who"])
    wo_services.work_order_assign(
        actor=request.user, number=wo.number, technician_username=tech, partner_code=partner
    )
    return _("%(number)s assigned.") % {"number": wo.number}


def _do_schedule(request, wo, data) -> str:
    wo_services.work_order_schedule(
        actor=request.user,
        number=wo.number,
        window_start=_local(data["day"], data["start"]),
        window_end=_local(data["day"], data["end"]),
    )
    return _("Appointment set.")


def _do_category(request, wo, data) -> str:
    wo_services.work_order_set_category(
        actor=request.user, number=wo.number, category=data["category"], reason=data["reason"]
    )
    return _("Category changed.")


def _do_start(request, wo, data) -> str:
    wo_services.work_order_start(actor=request.user, number=wo.number)
    return _("Work started on %(number)s.") % {"number": wo.number}


def _do_resume(request, wo, data) -> str:
    wo_services.work_order_resume(actor=request.user, number=wo.number, reason=data["reason"])
    return _("Work resumed.")


def _do_visit(request, wo, data) -> str:
    today = clock.today()
    arrived = _local(today, data["arrived"]) if data.get("arrived") else None
    departed = _local(today, data["departed"]) if data.get("departed") else None
    if arrived is None and departed is None and wo.kind in rules.VISIT_KINDS:
        arrived = clock.now()  # recorded on the spot: the technician is there now
    wo_services.work_order_record_visit(
        actor=request.user,
        number=wo.number,
        visit=wo_services.VisitInput(
            arrived_at=arrived,
            departed_at=departed,
            distance_km=data.get("distance_km"),
            fault_code=data.get("fault_code") or "",
            cause=data.get("cause") or "",
            action_taken=data.get("action_taken") or "",
            result=data.get("result") or "",
            notes=data.get("notes") or "",
        ),
    )
    return _("Visit recorded.")


def _do_labour(request, wo, data) -> str:
    wo_services.work_order_add_labour(
        actor=request.user,
        number=wo.number,
        minutes=data["minutes"],
        labour_code=data["labour_code"],
        description=data.get("description") or "",
        planned=data.get("planned") or False,
    )
    return _("Labour added.")


def _do_part(request, wo, data) -> str:
    wo_services.work_order_add_part(
        actor=request.user,
        number=wo.number,
        part_number=data["part_number"],
        quantity=data["quantity"],
        location_code=data.get("location") or None,
        planned=data.get("planned") or False,
        fit_override_reason=data.get("fit_override_reason") or "",
    )
    return _("Part added.")


def _do_custody(request, wo, data) -> str:
    wo_services.custody_record(
        actor=request.user,
        number=wo.number,
        event=wo_services.CustodyInput(
            kind=data["kind"],
            place=data.get("place") or "",
            signed_by=data.get("signed_by") or "",
            note=data.get("note") or "",
            accessories=data.get("accessories") or "",
            condition=data.get("condition") or "",
            receipt_number=data.get("receipt_number") or None,
        ),
    )
    return _("Recorded: %(what)s.") % {"what": rules.CUSTODY_LABELS[CustodyKind(data["kind"])]}


def _do_complete(request, wo, data) -> str:
    acceptance = None
    name = (data.get("accepted_by") or "").strip()
    signature = data.get("signature")
    typed = data.get("typed") or False
    if name or signature or typed:
        acceptance = wo_services.Acceptance(name=name, signature_png=signature, typed=typed)
    wo_services.work_order_complete(
        actor=request.user,
        number=wo.number,
        result=data.get("result") or None,
        acceptance=acceptance,
        tests_performed=data.get("tests_performed") or "",
        notes=data.get("notes") or "",
    )
    return _("%(number)s completed.") % {"number": wo.number}


def _do_verify(request, wo, data) -> str:
    passed = data["outcome"] == "pass"
    wo_services.work_order_verify(
        actor=request.user, number=wo.number, passed=passed, notes=data.get("notes") or ""
    )
    return _("Quality check passed.") if passed else _("Quality check failed: back to the bench.")


def _do_quote(request, wo, data) -> str:
    quote, secret = wo_services.quote_issue(actor=request.user, number=wo.number)
    link = request.build_absolute_uri(reverse("portal:quote", args=[secret]))
    return _(
        "Quote issued: %(total)s %(currency)s. The customer's approval link (shown only now): "
        "%(link)s"
    ) % {"total": quote.total, "currency": quote.currency, "link": link}


def _do_approval(request, wo, data) -> str:
    accept = data["answer"] == "accept"
    wo_services.quote_answer(
        accept=accept,
        actor=request.user,
        number=wo.number,
        answered_by=data.get("answered_by") or "",
    )
    return _("The customer's acceptance is recorded.") if accept else _("Quote declined.")


def _do_invoice(request, wo, data) -> str:
    invoice = billing.invoice_issue(actor=request.user, number=wo.number)
    return _("Invoice %(number)s issued.") % {"number": invoice.number}


def _do_payment(request, wo, data) -> str:
    billing.payment_record(
        actor=request.user,
        number=wo.number,
        amount=data["amount"],
        method=data["method"],
        reference=data.get("reference") or "",
    )
    return _("Payment recorded.")


def _do_close(request, wo, data) -> str:
    wo_services.work_order_close(actor=request.user, number=wo.number)
    return _("%(number)s closed.") % {"number": wo.number}


def _do_cancel(request, wo, data) -> str:
    wo_services.work_order_cancel(actor=request.user, number=wo.number, reason=data["reason"])
    return _("%(number)s cancelled.") % {"number": wo.number}


def _window_initial(wo: WorkOrder) -> dict:
    if wo.window_start is None:
        return {"day": clock.today(), "start": time(9), "end": time(11)}
    start, end = timezone.localtime(wo.window_start), timezone.localtime(wo.window_end)
    return {"day": start.date(), "start": start.time(), "end": end.time()}


def _assign_initial(wo: WorkOrder) -> dict:
    if wo.technician_id:
        return {"who": f"tech:{wo.technician.username}"}
    if wo.partner_id:
        return {"who": f"partner:{wo.partner.code}"}
    return {}


def _card_lines_allowed(f: Facts) -> bool:
    # Planned lines (for a quote) before the work; done lines while it is in progress.
    return f.worker and (
        f.status in rules.WORKING or (f.wo.category == "A" and f.status in rules.PLANNING)
    )


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action(
            "start",
            _("Start the work"),
            "workorders.work",
            _("Start"),
            lambda f: f.worker and f.status == Status.DISPATCHED,
            lambda r, wo, f, data: forms.EmptyForm(data),
            _do_start,
            secondary=False,
        ),
        Action(
            "resume",
            _("Resume the work"),
            "workorders.work",
            _("Resume"),
            lambda f: f.worker and f.status == Status.WAITING_PARTS,
            lambda r, wo, f, data: forms.ResumeForm(data),
            _do_resume,
            secondary=False,
        ),
        Action(
            "visit",
            _("Record a visit"),
            "workorders.work",
            _("Record visit"),
            lambda f: f.worker and f.status in rules.WORKING,
            lambda r, wo, f, data: forms.VisitForm(data, fault_codes=_fault_codes(wo)),
            _do_visit,
        ),
        Action(
            "labour",
            _("Add labour"),
            "workorders.work",
            _("Add labour"),
            _card_lines_allowed,
            lambda r, wo, f, data: forms.LabourForm(data),
            _do_labour,
        ),
        Action(
            "part",
            _("Add a part"),
            "workorders.work",
            _("Add part"),
            _card_lines_allowed,
            lambda r, wo, f, data: forms.PartForm(data, locations=selectors.locations_for(wo)),
            _do_part,
        ),
        Action(
            "complete",
            _("Complete the job"),
            "workorders.work",
            _("Complete"),
            lambda f: f.worker and f.status == Status.IN_PROGRESS,
            lambda r, wo, f, data: forms.CompleteForm(data, on_site=wo.kind in rules.VISIT_KINDS),
            _do_complete,
            secondary=False,
        ),
        Action(
            "verify",
            _("Quality check"),
            "workorders.verify",
            _("Record the check"),
            lambda f: f.status == Status.COMPLETED,
            lambda r, wo, f, data: forms.VerifyForm(data),
            _do_verify,
            secondary=False,
        ),
        Action(
            "assign",
            _("Assign"),
            "workorders.dispatch",
            _("Assign"),
            lambda f: f.status in rules.PLANNING,
            lambda r, wo, f, data: forms.AssignForm(
                data,
                initial=_assign_initial(wo),
                technicians=_technicians(r.user),
                partners=_partners(),
            ),
            _do_assign,
        ),
        Action(
            "schedule",
            _("Schedule"),
            "workorders.dispatch",
            _("Set the appointment"),
            lambda f: f.status in rules.PLANNING,
            lambda r, wo, f, data: forms.WindowForm(data, initial=_window_initial(wo)),
            _do_schedule,
        ),
        Action(
            "custody",
            _("Where the product goes"),
            "workorders.custody",
            _("Record"),
            lambda f: f.wo.unit_id is not None and (f.status in rules.OPEN or f.in_custody_here),
            lambda r, wo, f, data: forms.CustodyForm(data, kinds=_custody_kinds(f)),
            _do_custody,
        ),
        Action(
            "quote",
            _("Quote to the customer"),
            "workorders.quote",
            _("Issue the quote"),
            lambda f: (
                f.wo.category == "A"
                and f.status in (rules.PLANNING | {Status.IN_PROGRESS})
                and not f.pending_quote
            ),
            lambda r, wo, f, data: forms.EmptyForm(data),
            _do_quote,
        ),
        Action(
            "approval",
            _("Record the customer's answer"),
            "workorders.approve",
            _("Record the answer"),
            lambda f: f.pending_quote,
            lambda r, wo, f, data: forms.ApprovalForm(data),
            _do_approval,
        ),
        Action(
            "invoice",
            _("Invoice"),
            "billing.invoice",
            _("Issue the invoice"),
            lambda f: (
                f.wo.category == "A"
                and f.status in (Status.COMPLETED, Status.VERIFIED)
                and f.invoice is None
            ),
            lambda r, wo, f, data: forms.EmptyForm(data),
            _do_invoice,
        ),
        Action(
            "payment",
            _("Record a payment"),
            "billing.payment",
            _("Record the payment"),
            lambda f: f.invoice is not None and f.due is not None and f.due > 0,
            lambda r, wo, f, data: forms.PaymentForm(data, initial={"amount": f.due}),
            _do_payment,
        ),
        Action(
            "category",
            _("Change the service category"),
            "workorders.dispatch",
            _("Change the category"),
            lambda f: (
                f.user.role in SUPERVISING
                and f.status in rules.OPEN
                and f.status not in (Status.COMPLETED, Status.VERIFIED)
            ),
            lambda r, wo, f, data: forms.CategoryForm(data, initial={"category": wo.category}),
            _do_category,
        ),
        Action(
            "close",
            _("Archive"),
            "workorders.close",
            _("Close the work order"),
            lambda f: f.status == Status.VERIFIED,
            lambda r, wo, f, data: forms.EmptyForm(data),
            _do_close,
            secondary=False,
        ),
        Action(
            "cancel",
            _("Cancel the work order"),
            "workorders.create",
            _("Cancel the work order"),
            lambda f: rules.can_move(f.status, Status.CANCELLED),
            lambda r, wo, f, data: forms.CancelForm(data),
            _do_cancel,
        ),
    ]
}


# The work order page ----------------------------------------------------------------------------


def _detail_context(request, wo: WorkOrder, *, bound=None, errors=None, focus=None) -> dict:
    bound, errors = bound or {}, errors or {}
    facts = _facts(request, wo)
    panel = []
    for action in ACTIONS.values():
        # A refused form stays on the page with its message, even when (as from a stale
        # page) the action is not open any more.
        if not _may(request, action.permission):
            continue
        if not (action.available(facts) or action.name in errors):
            continue
        form = action.form(request, wo, facts, bound.get(action.name))
        panel.append(
            {
                "name": action.name,
                "title": action.title,
                "button": action.button,
                "secondary": action.secondary,
                "form": form,
                "url": reverse("workorders:action", args=[wo.number, action.name]),
                "error": errors.get(action.name),
                "open": action.name in errors or action.name == focus,
            }
        )
    if focus and any(a["name"] == focus for a in panel):
        # The action asked for (from "My day") comes first.
        panel.sort(key=lambda a: a["name"] != focus)
    elif not any(a["open"] for a in panel) and panel and not panel[0]["secondary"]:
        panel[0]["open"] = True
    done = selectors.costing(wo)
    planned_lines = (
        wo.labour.filter(planned=True).exists() or wo.parts.filter(planned=True).exists()
    )
    receipt = selectors.open_receipt(wo.unit_id) if wo.unit_id else None
    invoice = facts.invoice
    return {
        "wo": wo,
        "facts": facts,
        "panel": panel,
        "focus": focus,
        "next": _next_url(request),
        "show_contact": not request.user.is_partner,
        "visits": list(wo.visits.select_related("technician")),
        "labour": list(wo.labour.select_related("technician")),
        "parts": list(wo.parts.select_related("location")),
        "checks": list(wo.checks.select_related("checked_by")),
        "custody": list(selectors.custody_chain(wo)),
        "receipt": receipt if receipt and receipt.work_order_id == wo.pk else None,
        "whereabouts": selectors.unit_whereabouts(wo.unit) if wo.unit_id else None,
        "costing": done,
        "planned_costing": selectors.costing(wo, planned=True) if planned_lines else None,
        "quotes": list(wo.quotes.all()),
        "invoice": invoice,
        "payments": list(invoice.payments.all()) if invoice else [],
        "conflicts": selectors.technician_conflicts(wo),
        "van_check": _van_check(wo, planned_lines),
        "fault_repairs": wo.same_fault_repairs,
        "here": reverse("workorders:detail", args=[wo.number]),
    }


def _detail_page(request, wo, *, bound=None, errors=None, focus=None, status=200):
    context = _detail_context(request, wo, bound=bound, errors=errors, focus=focus)
    if request.htmx:
        context["partial"] = True
        return render(request, "workorders/_detail_main.html", context, status=status)
    return render(request, "workorders/detail.html", context, status=status)


@staff_view("workorders.read")
def work_order_detail(request, number: str):
    wo = _visible(request, number)
    if wo.number != number:
        return redirect("workorders:detail", number=wo.number)
    focus = request.GET.get("do")
    return _detail_page(request, wo, focus=focus if focus in ACTIONS else None)


@require_POST
@staff_view()
def work_order_action(request, number: str, action: str):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not _may(request, spec.permission):
        return _forbidden(request, _("Your role may not do this."))
    wo = _visible(request, number)
    facts = _facts(request, wo)
    form = spec.form(request, wo, facts, request.POST)
    if not form.is_valid():
        return _detail_page(
            request,
            wo,
            bound={action: request.POST},
            errors={action: _("Check the fields below.")},
            focus=action,
            status=422,
        )
    try:
        done = spec.perform(request, wo, form.cleaned_data)
    except DomainError as exc:
        return _detail_page(
            request,
            _visible(request, number),
            bound={action: request.POST},
            errors={action: exc.message},
            focus=action,
            status=_refusal_status(request, exc.status),
        )
    messages.success(request, done)
    target = _next_url(request)
    if request.htmx:
        if target:
            return HttpResponseClientRedirect(target)
        return _detail_page(request, _visible(request, number))
    return redirect(target or reverse("workorders:detail", args=[wo.number]))


# A new work order from the case file --------------------------------------------------------------


def new_work_order_form(request, case, data=None):
    """The side-panel form on the case file (None when this user may not open one)."""
    if not _may(request, "workorders.create") or case.status in case_rules.FINAL:
        return None
    partner = request.user.is_partner
    from aftersales.network.models import ServiceCentre

    return forms.NewWorkOrderForm(
        data,
        centres=[] if partner else ServiceCentre.objects.filter(active=True).order_by("code"),
        partners=[] if partner else _partners(),
        may_override=request.user.role in SUPERVISING,
    )


@require_POST
@staff_view("workorders.create")
def case_new_work_order(request, number: str):
    case = web_views._visible_case(request, number)
    form = new_work_order_form(request, case, request.POST)
    if form is None:
        return _forbidden(request)
    if not form.is_valid():
        return web_views._case_page(
            request,
            case,
            bound={"work_order": request.POST},
            errors={"work_order": _("Check the fields below.")},
            status=422,
        )
    data = form.cleaned_data
    centre, partner = forms.split_owner(data.get("owner") or "")
    try:
        wo = wo_services.work_order_create(
            actor=request.user,
            case_number=case.number,
            kind=data["kind"],
            centre_code=centre,
            partner_code=partner,
            category=data.get("category") or None,
            category_reason=data.get("category_reason") or "",
            instructions=data.get("instructions") or "",
        )
    except DomainError as exc:
        return web_views._case_page(
            request,
            web_views._visible_case(request, number),
            bound={"work_order": request.POST},
            errors={"work_order": exc.message},
            status=_refusal_status(request, exc.status),
        )
    messages.success(request, _("Work order %(number)s opened.") % {"number": wo.number})
    url = reverse("workorders:detail", args=[wo.number])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# The list ---------------------------------------------------------------------------------------


@staff_view("workorders.read")
def work_order_list(request):
    form = forms.WorkOrderFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    status = data.get("status") or ""
    filters = selectors.WorkOrderFilters(
        status=[s.value for s in rules.OPEN]
        if status == "open"
        else ([status] if status else None),
        technician=data.get("technician") or None,
        partner=data.get("partner") or None,
        day=data.get("day"),
    )
    rows, next_cursor = paging.page(
        selectors.work_order_list(request.user, filters),
        sort="number",
        descending=True,
        cursor=request.GET.get("cursor"),
    )
    return render(
        request,
        "workorders/list.html",
        {
            "form": form,
            "rows": rows,
            "next_url": web_views._with_params(request, cursor=next_cursor)
            if next_cursor
            else None,
            "first_url": web_views._with_params(request, cursor=None)
            if request.GET.get("cursor")
            else None,
        },
    )


# The dispatch board --------------------------------------------------------------------------


def _week_of(value: str | None) -> date:
    try:
        day = date.fromisoformat(value) if value else clock.today()
    except ValueError:
        day = clock.today()
    return day - timedelta(days=day.weekday())


def _van_check(wo: WorkOrder, planned_lines):
    """Whether the assigned technician's van holds the planned parts, while that still
    matters (before the job is done)."""
    if not (wo.technician_id and planned_lines and wo.status in rules.PLANNING | rules.WORKING):
        return None
    from aftersales.inventory.selectors import van_check

    return van_check(technician=wo.technician, work_order=wo)


def _board_context(request, week: date, *, errors: dict | None = None) -> dict:
    tz = timezone.get_current_timezone()
    board = selectors.dispatch_board(request.user, week_of=week, tz=tz)
    # Labels once per value, not once per card: the board must stay fast with thousands.
    kinds = {k.value: str(v) for k, v in rules.KIND_LABELS.items()}
    priorities = {k.value: str(v) for k, v in labels.PRIORITIES.items()}
    statuses = {k.value: str(v) for k, v in rules.STATUS_LABELS.items()}
    overlaps = str(_("overlaps"))
    base = reverse("workorders:list")

    def card(row: dict, conflicts=frozenset()) -> dict:
        start, end = row["window_start"], row["window_end"]
        if start is not None:
            local = row.get("local_start") or start.astimezone(tz)
            row["time"] = f"{local.hour:02d}:{local.minute:02d}"
            if end:
                until = end.astimezone(tz)
                row["time"] += f"–{until.hour:02d}:{until.minute:02d}"
            row["day"] = local.date().isoformat()
        row["url"] = f"{base}{row['number']}/"
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["priority_label"] = priorities.get(row["case__priority"], row["case__priority"])
        row["status_label"] = statuses.get(row["status"], row["status"])
        row["overlaps"] = overlaps if row["id"] in conflicts else ""
        return row

    meta_cache: dict[tuple, str] = {}

    def card_html(row: dict, conflicts) -> str:
        # Thousands of cards: built as strings here, since the template engine costs ~10x.
        row = card(row, conflicts)
        key = (row["kind"], row["case__priority"], row["status"])
        meta = meta_cache.get(key)
        if meta is None:
            meta = meta_cache[key] = " · ".join(
                html.escape(row[label])
                for label in ("kind_label", "priority_label", "status_label")
            )
        overlap = row["overlaps"]
        return (
            f'<a class="job{" job-overlaps" if overlap else ""} '
            f'prio-{html.escape(row["case__priority"])}" href="{row["url"]}">'
            f'<span class="job-top"><strong>{row["number"]}</strong> {row.get("time", "")}</span>'
            f"<span>{html.escape(row['case__customer__name'])}</span>"
            f'<span class="muted">{meta}</span>'
            + (f'<span class="badge overlap">{html.escape(overlap)}</span>' if overlap else "")
            + "</a>"
        )

    lanes = []
    for lane in board.lanes:
        cells = [
            mark_safe("".join(card_html(r, lane.conflicts) for r in lane.by_day.get(day, ())))
            for day in board.days
        ]
        lanes.append({"key": lane.key, "label": lane.label, "cells": cells})
    unassigned = [card(r) for r in board.unassigned[:BOARD_QUEUE_LIMIT]]
    unscheduled = [card(r) for r in board.unscheduled[:BOARD_QUEUE_LIMIT]]
    technicians, partners = _technicians(request.user), _partners()
    options = format_html_join(
        "",
        '<option value="{}">{}</option>',
        [(f"tech:{t.username}", t.get_full_name() or t.username) for t in technicians],
    )
    partner_options = format_html_join(
        "", '<option value="{}">{}</option>', [(f"partner:{p.code}", p.name) for p in partners]
    )
    who_options = format_html(
        '<option value="">—</option><optgroup label="{}">{}</optgroup>{}',
        _("Technicians"),
        options,
        format_html('<optgroup label="{}">{}</optgroup>', _("Partners"), partner_options)
        if partners
        else "",
    )
    return {
        "week": week,
        "days": board.days,
        "today": clock.today(),
        "lanes": lanes,
        "unassigned": unassigned,
        "unassigned_more": max(len(board.unassigned) - BOARD_QUEUE_LIMIT, 0),
        "unscheduled": unscheduled,
        "unscheduled_more": max(len(board.unscheduled) - BOARD_QUEUE_LIMIT, 0),
        "total": board.total,
        "who_options": who_options,
        "prev_week": (week - timedelta(days=7)).isoformat(),
        "next_week": (week + timedelta(days=7)).isoformat(),
        "this_week": _week_of(None).isoformat(),
        "default_day": max(week, clock.today()).isoformat()
        if week <= clock.today() < week + timedelta(days=7)
        else week.isoformat(),
        "errors": errors or {},
        # A refusal about a job that is not in a queue (it moved meanwhile) shows on top.
        "board_errors": [
            message
            for wo_id, message in (errors or {}).items()
            if wo_id not in {c["id"] for c in unassigned + unscheduled}
        ],
    }


def _board_page(request, week: date, *, errors=None, status=200):
    context = _board_context(request, week, errors=errors)
    template = "workorders/_board.html" if request.htmx else "workorders/dispatch.html"
    return render(request, template, context, status=status)


@staff_view("workorders.dispatch")
def dispatch(request):
    return _board_page(request, _week_of(request.GET.get("week")))


@require_POST
@staff_view("workorders.dispatch")
def dispatch_assign(request):
    """Assigns and schedules a job from a card of the board, in one transaction."""
    week = _week_of(request.POST.get("week"))
    number = request.POST.get("number", "")
    wo = _visible(request, number)
    choices = forms.assignee_choices(_technicians(request.user), _partners())
    form = forms.DispatchForm(request.POST, choices=choices)
    if not form.is_valid():
        problems = [e for errs in form.errors.values() for e in errs]
        return _board_page(request, week, errors={wo.pk: " ".join(problems)}, status=422)
    data = form.cleaned_data
    tech, partner = forms.split_assignee(data["who"])
    try:
        with transaction.atomic():
            wo_services.work_order_assign(
                actor=request.user, number=wo.number, technician_username=tech, partner_code=partner
            )
            wo_services.work_order_schedule(
                actor=request.user,
                number=wo.number,
                window_start=_local(data["day"], data["start"]),
                window_end=_local(data["day"], data["end"]),
            )
    except DomainError as exc:
        return _board_page(
            request,
            week,
            errors={wo.pk: exc.message},
            status=_refusal_status(request, exc.status),
        )
    messages.success(
        request,
        _("%(number)s dispatched for %(when)s.")
        % {
            "number": wo.number,
            "when": window_text(
                _local(data["day"], data["start"]), _local(data["day"], data["end"])
            ),
        },
    )
    if request.htmx:
        return _board_page(request, week)
    return redirect(f"{reverse('workorders:dispatch')}?week={week.isoformat()}")


# My day -------------------------------------------------------------------------------------------


@staff_view("workorders.work")
def my_day(request):
    user = request.user
    if user.role != Role.TECHNICIAN and not user.is_partner:
        return _forbidden(request, _("“My day” lists the jobs of a technician."))
    try:
        day = date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else None
    except ValueError:
        day = None
    day = day or clock.today()
    jobs = list(selectors.my_day(user, day, timezone.get_current_timezone()))
    here = reverse("workorders:my_day")
    if request.GET.get("day"):
        here += f"?day={day.isoformat()}"
    return render(
        request,
        "workorders/my_day.html",
        {
            "day": day,
            "jobs": jobs,
            "here": here,
            "prev_day": (day - timedelta(days=1)).isoformat(),
            "next_day": (day + timedelta(days=1)).isoformat(),
            "is_today": day == clock.today(),
        },
    )


# The monthly service record -----------------------------------------------------------------------


def _record_technician(request, username: str) -> User:
    """A technician sees their own record; a supervisor those of their centre; the office
    everyone's. Anything else is a 404."""
    viewer = request.user
    tech = User.objects.filter(username=username, role=Role.TECHNICIAN).first()
    if tech is None:
        raise Http404
    if viewer.role == Role.TECHNICIAN and tech.pk != viewer.pk:
        raise Http404
    if (
        viewer.role == Role.SUPERVISOR
        and viewer.service_centre_id
        and tech.service_centre_id not in selectors.centre_tree_ids(viewer.service_centre_id)
    ):
        raise Http404
    return tech


def _month(value: str | None) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        date(year, month, 1)
        return year, month
    except ValueError:
        today = clock.today()
        return today.year, today.month


def _record(request, username: str):
    tech = _record_technician(request, username)
    year, month = _month(request.GET.get("month"))
    return selectors.monthly_service_record(tech, year, month)


@staff_view("workorders.report")
def service_record(request, username: str):
    record = _record(request, username)
    first = date(record.year, record.month, 1)
    month = f"{record.year:04d}-{record.month:02d}"
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return render(
        request,
        "workorders/service_record.html",
        {
            "record": record,
            "first": first,
            "month": month,
            "prev_month": f"{previous.year:04d}-{previous.month:02d}",
            "next_month": f"{following.year:04d}-{following.month:02d}",
            "technician": record.technician,
        },
    )


# Printable documents ----------------------------------------------------------------------


def _inline(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _documents():
    # Imported when asked for: the PDFs need reportlab and fonts that plain pages do not.
    from aftersales.workorders import documents

    return documents


@staff_view("workorders.read")
def work_order_pdf(request, number: str):
    wo = _visible(request, number)
    return _inline(_documents().work_order_pdf(wo), f"{wo.number}.pdf", "application/pdf")


@staff_view("workorders.read")
def receipt_pdf(request, number: str):
    receipt = selectors.receipt_get(request.user, number)
    if receipt is None:
        raise Http404
    return _inline(
        _documents().pickup_receipt_pdf(receipt), f"{receipt.number}.pdf", "application/pdf"
    )


@staff_view("workorders.read")
def invoice_pdf(request, number: str):
    invoice = billing_selectors.invoice_get(request.user, number)
    if invoice is None:
        raise Http404
    from aftersales.billing import documents as billing_documents

    return _inline(
        billing_documents.invoice_pdf(invoice), f"{invoice.number}.pdf", "application/pdf"
    )


@staff_view("workorders.report")
def service_record_pdf(request, username: str):
    record = _record(request, username)
    name = f"service-record-{username}-{record.year:04d}-{record.month:02d}.pdf"
    return _inline(_documents().service_record_pdf(record), name, "application/pdf")


@staff_view("workorders.report")
def service_record_csv(request, username: str):
    record = _record(request, username)
    name = f"service-record-{username}-{record.year:04d}-{record.month:02d}.csv"
    return _inline(_documents().service_record_csv(record), name, "text/csv; charset=utf-8")
