"""The staff UI for spare parts: part search with availability, the part page (fit,
supersession, availability, history), location stock, receive / transfer / adjust / count
forms in side panels, replenishment proposals, defective returns due, and reconciliation.

Views parse, call one service or selector, and render. Every action is a plain form post
that redirects back to the page it came from; with htmx the same post swaps the page's main
region in place (the forms carry `hx-select`). A refused action re-renders its page with the
reason next to the form. Who may move what: docs/decisions/0008-stock-ledger.md."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core import clock
from aftersales.core.api import decode_cursor, encode_cursor
from aftersales.core.errors import DomainError, Forbidden
from aftersales.inventory import documents, forms, rules, selectors, services
from aftersales.web.views import _may, _with_params, staff_view

PAGE = 50


def render(request, template: str, context: dict | None = None, status: int | None = None):
    """Django's render, with what the parts sub-navigation needs to know."""
    context = {
        **(context or {}),
        "perms_stock_plan": _may(request, "stock.plan"),
        "perms_stock_reconcile": _may(request, "stock.reconcile"),
    }
    return django_render(request, template, context, status=status)


def _cursor(request) -> int | None:
    try:
        return decode_cursor(request.GET.get("cursor") or None)
    except DomainError:
        return None


def _page(queryset, request, size: int = PAGE):
    """Newest first by id; the next page's URL or None."""
    after = _cursor(request)
    if after is not None:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[: size + 1])
    next_url = None
    if len(rows) > size:
        next_url = _with_params(request, cursor=encode_cursor(rows[size - 1].pk))
    first_url = _with_params(request, cursor=None) if request.GET.get("cursor") else None
    return rows[:size], next_url, first_url


def _scope_checked(request, code: str, *, move: bool):
    """The location, if the user may read it (and move stock there when `move`)."""
    location = selectors.location_by_code(code or "")
    if location is None or not selectors.location_visible(request.user, location):
        raise Http404
    if move and not selectors.may_move_at(request.user, location):
        raise Forbidden(
            "not_your_stock",
            _("You move stock only at your own locations; %(code)s is not one.")
            % {"code": location.code},
        )
    return location


# --- forms in the side panels ---------------------------------------------------------------


def _action_forms(request, bound: dict, *, part: str = "", location: str = "") -> dict:
    """The stock forms this user may use, bound to what was just posted or prefilled with
    the page's part and location."""
    user = request.user
    out: dict = {}
    if not _may(request, "stock.write"):
        return out
    movable = selectors.movable_locations(user)
    if not movable:
        return out
    shippable = [
        loc for loc in selectors.locations_for_shipping(user) if selectors.may_ship_to(user, loc)
    ]
    initial = {"part_number": part, "location_code": location, "from_code": location}
    out["receive_form"] = forms.ReceiveForm(
        bound.get("receive"), locations=movable, initial=initial
    )
    out["transfer_form"] = forms.TransferForm(
        bound.get("transfer"), sources=movable, targets=shippable, initial=initial
    )
    if _may(request, "stock.adjust"):
        out["adjust_form"] = forms.AdjustForm(
            bound.get("adjust"), locations=movable, initial=initial
        )
        out["count_form"] = forms.CountForm(bound.get("count"), locations=movable, initial=initial)
    return out


# --- parts ----------------------------------------------------------------------------------


@staff_view("stock.read")
def part_search(request):
    form = forms.PartSearchForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    parts, next_url, first_url = _page(
        selectors.part_search(q=data.get("q"), fits=data.get("fits")), request
    )
    totals = selectors.available_totals(
        [p.pk for p in parts], selectors.visible_location_ids(request.user)
    )
    for part in parts:
        part.available_total = totals.get(part.pk, 0)
    return render(
        request,
        "inventory/part_search.html",
        {"form": form, "parts": parts, "next_url": next_url, "first_url": first_url},
    )


def _part_page(request, number: str, *, bound=None, errors=None, status=200):
    part = selectors.part_detail(number)
    if part is None:
        raise Http404
    history = selectors.moves(
        part_number=part.number, location_ids=selectors.visible_location_ids(request.user)
    )
    moves, next_url, first_url = _page(history, request)
    context = {
        "part": part,
        "fits": sorted(part.fits.all(), key=lambda p: p.sku),
        "chain": selectors.supersession_of(part),
        "availability": selectors.availability_for(request.user, part.number),
        "moves": moves,
        "next_url": next_url,
        "first_url": first_url,
        "errors": errors or {},
        "back": f"part:{part.number}",
        "show_cost": not request.user.is_partner,
        **_action_forms(request, bound or {}, part=part.number),
    }
    return render(request, "inventory/part_detail.html", context, status=status)


@staff_view("stock.read")
def part_detail(request, number: str):
    return _part_page(request, number)


# --- locations ------------------------------------------------------------------------------


@staff_view("stock.read")
def location_list(request):
    return render(
        request,
        "inventory/location_list.html",
        {"locations": list(selectors.locations_for(request.user))},
    )


def _location_page(request, code: str, *, bound=None, errors=None, status=200):
    location = _scope_checked(request, code, move=False)
    rows = list(selectors.location_stock(location.code)[:500])
    context = {
        "location": location,
        "rows": rows,
        "incoming": list(selectors.transfers_to([location.pk])[:100]),
        "can_receive_transfers": _may(request, "stock.write")
        and selectors.may_move_at(request.user, location),
        "errors": errors or {},
        "back": f"location:{location.code}",
        **_action_forms(request, bound or {}, location=location.code),
    }
    return render(request, "inventory/location_detail.html", context, status=status)


@staff_view("stock.read")
def location_detail(request, code: str):
    return _location_page(request, code)


# --- stock actions --------------------------------------------------------------------------


def _back_page(request, name: str, *, errors: dict, status: int):
    """The page the form was posted from, again, with the refusal next to the form."""
    back = request.POST.get("back", "")
    kind, _sep, key = back.partition(":")
    bound = {name: request.POST}
    if kind == "location" and key:
        return _location_page(request, key, bound=bound, errors=errors, status=status)
    if kind == "part" and key:
        return _part_page(request, key, bound=bound, errors=errors, status=status)
    return render(
        request,
        "web/error.html",
        {"title": _("Not done"), "message": " ".join(str(v) for v in errors.values())},
        status=status,
    )


def _back_url(request) -> str:
    kind, _sep, key = request.POST.get("back", "").partition(":")
    if kind == "location" and key:
        return reverse("inventory:location_detail", args=[key])
    if kind == "part" and key:
        return reverse("inventory:part_detail", args=[key])
    return reverse("inventory:parts")


def _stock_action(request, name: str, form, perform, done: str):
    if not form.is_valid():
        return _back_page(request, name, errors={name: _("Check the fields below.")}, status=422)
    try:
        perform(form)
    except DomainError as exc:
        status = exc.status if exc.status != 404 else 422
        return _back_page(request, name, errors={name: exc.message}, status=status)
    messages.success(request, done)
    return redirect(_back_url(request))


def _all_physical(request):
    """Every open physical location: the posted code is checked against the user's scope by
    the action itself (another organisation's answers 404, like a missing one)."""
    from aftersales.inventory.models import StockLocation

    return list(StockLocation.objects.filter(kind__in=rules.PHYSICAL, active=True))


@require_POST
@staff_view("stock.write")
def receive(request):
    form = forms.ReceiveForm(request.POST, locations=_all_physical(request))

    def perform(form):
        data = form.cleaned_data
        _scope_checked(request, data["location_code"], move=True)
        services.stock_receive(
            actor=request.user,
            part_number=data["part_number"],
            location_code=data["location_code"],
            quantity=data["quantity"],
            serials=form.serial_list(),
            reference=data["reference"],
        )

    return _stock_action(request, "receive", form, perform, _("Stock received."))


@require_POST
@staff_view("stock.write")
def transfer(request):
    every = _all_physical(request)
    form = forms.TransferForm(request.POST, sources=every, targets=every)

    def perform(form):
        data = form.cleaned_data
        _scope_checked(request, data["from_code"], move=True)
        target = selectors.location_by_code(data["to_code"])
        if target is None or not selectors.may_ship_to(request.user, target):
            raise Http404
        if data["received"]:
            _scope_checked(request, data["to_code"], move=True)
            services.stock_transfer(
                actor=request.user,
                part_number=data["part_number"],
                from_code=data["from_code"],
                to_code=data["to_code"],
                quantity=data["quantity"],
                serials=form.serial_list(),
                reference=data["reference"],
            )
        else:
            services.transfer_ship(
                actor=request.user,
                part_number=data["part_number"],
                from_code=data["from_code"],
                to_code=data["to_code"],
                quantity=data["quantity"],
                serials=form.serial_list(),
                expected_arrival=data["expected_arrival"],
                reference=data["reference"],
            )

    return _stock_action(request, "transfer", form, perform, _("Transfer recorded."))


@require_POST
@staff_view("stock.adjust")
def adjust(request):
    form = forms.AdjustForm(request.POST, locations=_all_physical(request))

    def perform(form):
        data = form.cleaned_data
        services.stock_adjust(
            actor=request.user,
            part_number=data["part_number"],
            location_code=data["location_code"],
            delta=data["delta"],
            reason=data["reason"],
            serials=form.serial_list(),
        )

    return _stock_action(request, "adjust", form, perform, _("Stock adjusted."))


@require_POST
@staff_view("stock.adjust")
def count(request):
    form = forms.CountForm(request.POST, locations=_all_physical(request))

    def perform(form):
        data = form.cleaned_data
        variance = services.stock_count(
            actor=request.user,
            part_number=data["part_number"],
            location_code=data["location_code"],
            counted=data["counted"],
            reason=data["reason"],
        )
        messages.info(request, _("Variance: %(n)s.") % {"n": variance})

    return _stock_action(request, "count", form, perform, _("Count recorded."))


@require_POST
@staff_view("stock.write")
def transfer_receive(request, number: str):
    transfer = selectors.transfer_get(number)
    if transfer is None or not selectors.location_visible(request.user, transfer.to_location):
        raise Http404
    try:
        _scope_checked(request, transfer.to_location.code, move=True)
        services.transfer_receive(actor=request.user, number=number)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)s received.") % {"n": transfer.number})
    return redirect("inventory:location_detail", code=transfer.to_location.code)


# --- replenishment --------------------------------------------------------------------------


@staff_view("stock.plan")
def replenishment(request):
    run = selectors.replenishment_latest()
    lines, next_url, first_url = ([], None, None)
    if run is not None:
        lines, next_url, first_url = _page(selectors.replenishment_lines(run.pk), request, 100)
    return render(
        request,
        "inventory/replenishment.html",
        {
            "run": run,
            "lines": lines,
            "next_url": next_url,
            "first_url": first_url,
            "centrals": list(selectors.central_locations()),
        },
    )


@require_POST
@staff_view("stock.plan")
def replenishment_run(request):
    try:
        run = services.replenishment_run(
            actor=request.user, source_code=request.POST.get("source_code") or None
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Proposal ready: %(t)s transfers, %(p)s purchases.")
            % {"t": run.transfer_lines, "p": run.purchase_lines},
        )
    return redirect("inventory:replenishment")


def _run(run_id: int):
    from aftersales.inventory.models import ReplenishmentRun

    run = ReplenishmentRun.objects.select_related("source", "actor").filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@staff_view("stock.plan")
def replenishment_csv(request, run_id: int):
    return documents.replenishment_csv_response(_run(run_id))


@staff_view("stock.plan")
def replenishment_pdf(request, run_id: int):
    run = _run(run_id)
    response = HttpResponse(documents.replenishment_pdf(run), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="replenishment-{run.pk}.pdf"'
    return response


# --- defective returns ----------------------------------------------------------------------


@staff_view("stock.read")
def defective_list(request):
    # Opened without a filter, the page shows what is due back.
    form = forms.DefectiveFilterForm(request.GET or {"status": "due"})
    form.is_valid()
    data = form.cleaned_data
    today = clock.today()
    rows = selectors.defective_returns_for(
        request.user,
        status=data.get("status") or None,
        overdue_on=today if data.get("overdue") else None,
    )
    after = _cursor(request)
    if after is not None:
        rows = rows.filter(pk__gt=after)
    # Due dates follow creation (a fixed number of days after consumption): id order is
    # due order, and keeps the cursor simple.
    lines = list(rows.order_by("id")[: PAGE + 1])
    next_url = None
    if len(lines) > PAGE:
        lines = lines[:PAGE]
        next_url = _with_params(request, cursor=encode_cursor(lines[-1].pk))
    for line in lines:
        line.overdue = line.status == rules.DefectiveStatus.DUE and rules.is_overdue(
            due_on=line.due_on, received_on=None, as_of=today
        )
    return render(
        request,
        "inventory/defective_list.html",
        {
            "form": form,
            "lines": lines,
            "next_url": next_url,
            "can_handle": _may(request, "stock.adjust"),
            "inspect_form": forms.InspectForm(),
            "close_form": forms.CloseForm(),
        },
    )


def _defective_action(request, number: str, perform, done: str):
    line = selectors.defective_get(number)
    if line is None or not selectors.defective_returns_for(request.user).filter(pk=line.pk):
        raise Http404
    try:
        perform(line)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"n": line.number})
    return redirect(reverse("inventory:defective") + _with_params(request))


@require_POST
@staff_view("stock.adjust")
def defective_receive(request, number: str):
    serials = forms._serials(request.POST.get("serials", ""))
    return _defective_action(
        request,
        number,
        lambda line: services.defective_return_receive(
            actor=request.user, number=line.number, serials=serials
        ),
        _("%(n)s received."),
    )


@require_POST
@staff_view("stock.adjust")
def defective_inspect(request, number: str):
    form = forms.InspectForm(request.POST)

    def perform(line):
        if not form.is_valid():
            raise DomainError("invalid", _("Choose the inspection outcome."))
        services.defective_return_inspect(
            actor=request.user,
            number=line.number,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )

    return _defective_action(request, number, perform, _("%(n)s inspected."))


@require_POST
@staff_view("stock.adjust")
def defective_close(request, number: str):
    form = forms.CloseForm(request.POST)

    def perform(line):
        if not form.is_valid():
            raise DomainError("invalid", _("Check the disposition and the amount."))
        services.defective_return_close(
            actor=request.user,
            number=line.number,
            disposition=form.cleaned_data["disposition"],
            recovery_amount=form.cleaned_data["recovery_amount"],
        )

    return _defective_action(request, number, perform, _("%(n)s closed."))


# --- reconciliation -------------------------------------------------------------------------


@staff_view("stock.reconcile")
def reconciliation(request):
    from aftersales.inventory.api import reconciliation_dict

    today = clock.today()
    params = request.GET.copy()
    params.setdefault("date_to", today.isoformat())
    params.setdefault("date_from", today.replace(day=1).isoformat())
    form = forms.ReconciliationForm(params, holders=selectors.holders())
    report, error = None, None
    if request.GET.get("holder"):
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = reconciliation_dict(data["holder"], data["date_from"], data["date_to"])
            except DomainError as exc:
                error = exc.message
        else:
            error = _("Check the fields below.")
    if report is not None and request.GET.get("format") == "csv":
        return documents.reconciliation_csv_response(report)
    return render(
        request,
        "inventory/reconciliation.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "csv_url": _with_params(request, format="csv") if report else None,
        },
        status=422 if error else 200,
    )
