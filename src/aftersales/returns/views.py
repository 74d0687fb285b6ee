"""The returns screens: the remedy verdict panel on the case file (with the supervisor's
override), the RMA list and page with its side panel of actions, the receiving desk (scan a
label), the inspection form; and the customer's pages: start a return for their own unit, see
the remedy owed and why, print the label, track it.

As elsewhere in the staff UI: views parse, call one service or selector, and render; every
action is a plain form post that redirects, and with htmx answers with the part it changed."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.accounts import rules as access
from aftersales.cases import selectors as case_selectors
from aftersales.core import clock
from aftersales.core.api import page_by_id_desc
from aftersales.core.errors import DomainError, TooManyAttempts
from aftersales.core.ratelimits import count_failure, refuse_if_exhausted
from aftersales.returns import documents, forms, rules, selectors, services
from aftersales.returns.lifecycle import STATUS_LABELS, RmaStatus
from aftersales.returns.models import Rma
from aftersales.web.views import staff_view

PORTAL_RATE = "10/m"
SESSION_KEY = "returns_access"
LABEL_STATUSES = {RmaStatus.AWAITING_SHIPMENT, RmaStatus.IN_TRANSIT, RmaStatus.AUTHORISED}


def _may(request, action: str) -> bool:
    return access.allowed(request.user.role, action)


# --- the case file's verdict panel ---------------------------------------------------------


def case_remedy_panel(request, case, *, form=None, error: str = "") -> dict | None:
    """The context of `returns/_verdict_panel.html` for a case: the verdict for its unit as
    of the day the case was opened, the facts used, the last decision and the decision form."""
    if not case.unit_id or not _may(request, "returns.read"):
        return None
    unit = selectors.unit_by_serial(case.unit.serial_number)
    reported_on = case.opened_at.date()
    try:
        verdict, facts = selectors.unit_verdict(
            unit, reported_on=reported_on, fault=rules.Fault(performance_failure=True)
        )
    except rules.RemedyInputError as exc:
        return {"case": case, "problem": str(exc)}
    return {
        "case": case,
        "verdict": verdict,
        "facts": facts,
        "decision": selectors.latest_decision(case.pk),
        "can_decide": _may(request, "returns.write"),
        "can_override": _may(request, "returns.override"),
        "form": form
        or forms.DecisionForm(initial={"chosen": str(verdict.recommended)}, prefix="remedy"),
        "error": error,
    }


@staff_view("returns.write")
@require_POST
def case_remedy_decide(request, number: str):
    case = case_selectors.case_get(request.user, number)
    if case is None:
        raise Http404
    form = forms.DecisionForm(request.POST, prefix="remedy")
    error = ""
    if form.is_valid():
        try:
            services.remedy_decide(
                actor=request.user,
                case_number=case.number,
                chosen=form.cleaned_data["chosen"],
                reason=form.cleaned_data["reason"],
                reported_on=case.opened_at.date(),
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = _("Check the form.")
    if request.htmx:
        panel = case_remedy_panel(request, case, form=form if error else None, error=error)
        return render(
            request, "returns/_verdict_panel.html", {"remedy": panel}, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The remedy decision is recorded."))
    return redirect("web:case_detail", number=case.number)


# --- RMA list and page ---------------------------------------------------------------------


@staff_view("returns.read")
def rma_list(request):
    form = forms.RmaFilterForm(request.GET or None)
    status = None
    if form.is_bound and form.is_valid() and form.cleaned_data["status"]:
        status = [form.cleaned_data["status"]]
    try:
        rows, next_cursor = page_by_id_desc(
            selectors.rma_list(request.user, status=status),
            cursor=request.GET.get("cursor"),
            limit=50,
        )
    except DomainError:
        rows, next_cursor = [], None
    query = request.GET.copy()
    next_url = None
    if next_cursor:
        query["cursor"] = next_cursor
        next_url = f"{reverse('returns:list')}?{query.urlencode()}"
    return render(
        request,
        "returns/list.html",
        {"rows": rows, "form": form, "next_url": next_url, "labels": STATUS_LABELS},
    )


def _visible(request, number: str) -> Rma:
    rma = selectors.rma_get(request.user, number)
    if rma is None:
        raise Http404
    return rma


def _detail_context(request, rma: Rma, *, bound: dict | None = None, errors: dict | None = None):
    bound = bound or {}
    lines = list(
        rma.lines.select_related("unit", "unit__product", "part", "work_order", "replacement_unit")
    )
    status = RmaStatus(rma.status)
    open_lines = [ln for ln in lines if not ln.resolved_at]
    context = {
        "rma": rma,
        "status_label": STATUS_LABELS[status],
        "lines": lines,
        "shipments": list(rma.shipments.all()),
        "evidence": list(rma.evidence.defer("content")),
        "entries": [e for e in rma.case.timeline.all() if (e.data or {}).get("rma") == rma.number],
        "errors": errors or {},
    }
    if status == RmaStatus.REQUESTED and _may(request, "returns.authorise"):
        context["authorise_form"] = forms.AuthoriseForm(bound.get("authorise"))
    if status not in {RmaStatus.CLOSED, RmaStatus.REJECTED, RmaStatus.CANCELLED} and (
        _may(request, "returns.receive") or _may(request, "returns.resolve")
    ):
        context["ship_form"] = forms.ShipmentForm(bound.get("ship"), lines=lines)
    if status in {RmaStatus.AUTHORISED, RmaStatus.AWAITING_SHIPMENT, RmaStatus.IN_TRANSIT} and (
        _may(request, "returns.receive")
    ):
        context["receive_form"] = forms.ReceiveForm(bound.get("receive"))
    if status == RmaStatus.RECEIVED and _may(request, "returns.inspect"):
        context["inspect_form"] = forms.InspectForm(bound.get("inspect"), lines=lines)
    resolvable = status == RmaStatus.INSPECTED or (
        rma.advance_replacement and status not in {RmaStatus.RESOLVED, RmaStatus.CLOSED}
    )
    if resolvable and open_lines and _may(request, "returns.resolve"):
        context["resolve_form"] = forms.ResolveForm(bound.get("resolve"), lines=open_lines)
    if status == RmaStatus.RESOLVED and _may(request, "returns.resolve"):
        context["can_close"] = True
    context["show_label"] = status not in {
        RmaStatus.REQUESTED,
        RmaStatus.REJECTED,
        RmaStatus.CANCELLED,
    }
    return context


def _detail_page(request, rma, *, bound=None, errors=None, status: int = 200):
    context = _detail_context(request, rma, bound=bound, errors=errors)
    template = "returns/_detail_main.html" if request.htmx else "returns/detail.html"
    return render(request, template, context, status=status)


@staff_view("returns.read")
def rma_detail(request, number: str):
    rma = _visible(request, number)
    if rma.number != number:
        return redirect("returns:detail", number=rma.number)
    return _detail_page(request, rma)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_view("returns.read")
def rma_label(request, number: str):
    rma = _visible(request, number)
    return _pdf(documents.return_label_pdf(rma), f"{rma.number}-label.pdf")


@staff_view("returns.read")
def credit_note(request, number: str, line_id: int):
    rma = _visible(request, number)
    line = rma.lines.filter(pk=line_id, credit_note__isnull=False).first()
    if line is None:
        raise Http404
    return _pdf(documents.credit_note_pdf(line), f"{services.credit_note_number(line)}.pdf")


def _do_authorise(request, rma, data):
    services.rma_authorise(
        actor=request.user,
        number=rma.number,
        approve=data["approve"],
        reason=data["reason"],
        advance_replacement=data["advance_replacement"],
    )
    return _("Return authorised.") if data["approve"] else _("Return rejected.")


def _do_ship(request, rma, data):
    services.rma_ship(
        actor=request.user,
        number=rma.number,
        direction=data["direction"],
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        line_id=data["line_id"],
    )
    return _("Shipment recorded.")


def _do_receive(request, rma, data):
    lines = [
        {"line_id": ln.pk, "quantity": ln.quantity, "condition": data["condition"]}
        for ln in rma.lines.all()
    ]
    services.rma_receive(
        actor=request.user, number=rma.number, lines=lines, location_code=data["location_code"]
    )
    return _("Return received.")


def _do_inspect(request, rma, data):
    data = dict(data)
    upload = data.pop("photo", None)
    photos = []
    if upload:
        photos.append(
            {
                "filename": upload.name,
                "content_type": upload.content_type,
                "content": upload.read(services.EVIDENCE_MAX_BYTES + 1),
            }
        )
    services.rma_inspect(actor=request.user, number=rma.number, lines=[data], photos=photos)
    return _("Inspection recorded.")


def _do_resolve(request, rma, data):
    services.rma_resolve(actor=request.user, number=rma.number, **data)
    return _("Line resolved.")


def _do_close(request, rma, data):
    services.rma_close(actor=request.user, number=rma.number)
    return _("Return closed.")


ACTIONS = {
    # name: (permission, form class or None, takes lines, perform)
    "authorise": ("returns.authorise", forms.AuthoriseForm, False, _do_authorise),
    "ship": (None, forms.ShipmentForm, True, _do_ship),
    "receive": ("returns.receive", forms.ReceiveForm, False, _do_receive),
    "inspect": ("returns.inspect", forms.InspectForm, True, _do_inspect),
    "resolve": ("returns.resolve", forms.ResolveForm, True, _do_resolve),
    "close": ("returns.resolve", None, False, _do_close),
}


@staff_view("returns.read")
@require_POST
def rma_action(request, number: str, action: str):
    if action not in ACTIONS:
        raise Http404
    permission, form_class, takes_lines, perform = ACTIONS[action]
    if action == "ship":
        permission = (
            "returns.receive" if request.POST.get("direction") == "inbound" else "returns.resolve"
        )
    rma = _visible(request, number)
    if permission and not _may(request, permission):
        return render(
            request,
            "web/error.html",
            {"title": _("Not allowed"), "message": _("Your role may not do this.")},
            status=403,
        )
    data = {}
    form = None
    if form_class is not None:
        kwargs = {"lines": list(rma.lines.select_related("unit", "part"))} if takes_lines else {}
        form = form_class(request.POST, request.FILES, **kwargs)
        if not form.is_valid():
            return _detail_page(
                request,
                rma,
                bound={action: request.POST},
                errors={action: _("Check the form.")},
                status=422,
            )
        data = form.cleaned_data
    try:
        done = perform(request, rma, data)
    except DomainError as exc:
        return _detail_page(
            request, rma, bound={action: request.POST}, errors={action: exc.message}, status=422
        )
    if request.htmx:
        rma = _visible(request, number)
        return _detail_page(request, rma)
    messages.success(request, done)
    return redirect("returns:detail", number=rma.number)


# --- the receiving desk ----------------------------------------------------------------------


@staff_view("returns.receive")
@require_http_methods(["GET", "POST"])
def receiving_desk(request):
    """One field: type or scan the label's number; the whole return is booked in and the
    inspection form opens."""
    if request.method == "GET":
        return render(request, "returns/receiving.html", {"form": forms.ScanForm()})
    form = forms.ScanForm(request.POST)
    problem = ""
    if form.is_valid():
        rma = selectors.rma_get(request.user, form.cleaned_data["number"])
        if rma is None:
            problem = _("No return has that number.")
        else:
            try:
                _do_receive(request, rma, form.cleaned_data)
            except DomainError as exc:
                problem = exc.message
            else:
                messages.success(
                    request, _("%(number)s received: inspect it now.") % {"number": rma.number}
                )
                return redirect("returns:detail", number=rma.number)
    return render(
        request,
        "returns/receiving.html",
        {"form": form, "problem": problem or _("Check the form.")},
        status=422,
    )


# --- the customer's pages --------------------------------------------------------------------


def _grant(request, rma: Rma) -> None:
    granted = list(request.session.get(SESSION_KEY, []))
    if rma.number not in granted:
        granted = (granted + [rma.number])[-20:]
    request.session[SESSION_KEY] = granted


def _granted(request, number: str) -> Rma | None:
    pk = selectors.parse_rma_number(number)
    if pk is None:
        return None
    rma = Rma.objects.select_related("customer", "case").filter(pk=pk).first()
    if rma is None or rma.number not in request.session.get(SESSION_KEY, []):
        return None
    return rma


@require_http_methods(["GET", "POST"])
def portal_start(request):
    """A customer starts a return for their own unit: its serial number and the e-mail or
    phone they gave us prove it is theirs."""
    if request.method == "GET":
        return render(request, "returns/portal_start.html", {"form": forms.PortalStartForm()})
    form = forms.PortalStartForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "returns/portal_start.html", {"form": form}, status=422)
    try:
        refuse_if_exhausted(request, group="returns.portal", rate=PORTAL_RATE)
    except TooManyAttempts as exc:
        return render(
            request,
            "returns/portal_start.html",
            {"form": form, "problem": exc.message},
            status=429,
        )
    unit = selectors.unit_by_serial(form.cleaned_data["serial_number"])
    if unit is None or not selectors.contact_matches(unit.customer, form.cleaned_data["contact"]):
        count_failure(request, group="returns.portal", rate=PORTAL_RATE)
        return render(
            request,
            "returns/portal_start.html",
            {
                "form": form,
                "problem": _(
                    "We could not find a product with that serial number and contact. Check "
                    "both: use the e-mail address or phone number you gave us."
                ),
            },
            status=404,
        )
    evidence = []
    upload = form.cleaned_data.get("evidence")
    if upload:
        evidence.append(
            {
                "filename": upload.name,
                "content_type": upload.content_type,
                "content": upload.read(services.EVIDENCE_MAX_BYTES + 1),
            }
        )
    description = form.cleaned_data["description"]
    try:
        rma = services.rma_create(
            actor=None,
            lines=[{"serial_number": unit.serial_number, "reason": description}],
            reason=description,
            evidence=evidence,
            actor_label=unit.customer.name,
            channel="web",
        )
        rma = services.portal_auto_authorise(number=rma.number)
    except DomainError as exc:
        return render(
            request,
            "returns/portal_start.html",
            {"form": form, "problem": exc.message},
            status=422,
        )
    _grant(request, rma)
    return redirect("returns:portal_detail", number=rma.number)


@require_http_methods(["GET", "POST"])
def portal_track(request):
    if request.method == "GET":
        form = forms.PortalTrackForm(initial={"number": request.GET.get("number", "")[:40]})
        return render(request, "returns/portal_track.html", {"form": form})
    form = forms.PortalTrackForm(request.POST)
    if not form.is_valid():
        return render(request, "returns/portal_track.html", {"form": form}, status=422)
    try:
        refuse_if_exhausted(request, group="returns.portal", rate=PORTAL_RATE)
    except TooManyAttempts as exc:
        return render(
            request,
            "returns/portal_track.html",
            {"form": form, "problem": exc.message},
            status=429,
        )
    rma = selectors.rma_public(form.cleaned_data["number"], form.cleaned_data["contact"])
    if rma is None:
        count_failure(request, group="returns.portal", rate=PORTAL_RATE)
        return render(
            request,
            "returns/portal_track.html",
            {
                "form": form,
                "problem": _(
                    "We could not find a return with that number and contact. Check both and "
                    "try again."
                ),
            },
            status=404,
        )
    _grant(request, rma)
    return redirect("returns:portal_detail", number=rma.number)


def portal_detail(request, number: str):
    rma = _granted(request, number)
    if rma is None:
        return redirect(f"{reverse('returns:portal_track')}?number={number[:40]}")
    lines = list(rma.lines.select_related("unit", "unit__product", "part", "replacement_unit"))
    entries = [
        e
        for e in rma.case.timeline.filter(visible_to_customer=True)
        if (e.data or {}).get("rma") == rma.number
    ]
    return render(
        request,
        "returns/portal_detail.html",
        {
            "rma": rma,
            "status_label": STATUS_LABELS[RmaStatus(rma.status)],
            "lines": lines,
            "entries": entries,
            "shipments": list(rma.shipments.all()),
            "show_label": RmaStatus(rma.status) in LABEL_STATUSES,
            "today": clock.today(),
        },
    )


def portal_label(request, number: str):
    rma = _granted(request, number)
    if rma is None or RmaStatus(rma.status) not in LABEL_STATUSES:
        raise Http404
    return _pdf(documents.return_label_pdf(rma), f"{rma.number}-label.pdf")
