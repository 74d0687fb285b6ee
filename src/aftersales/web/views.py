"""The staff UI. Views parse, call one service or selector, and render; the rules live in the
services. Every action is a plain form post that redirects, and answers htmx with the part of
the page it changed."""

from __future__ import annotations

from datetime import datetime, time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_ratelimit.core import is_ratelimited

from aftersales.accounts import rules as access
from aftersales.accounts.selectors import case_owner_candidates
from aftersales.cases import rules as case_rules
from aftersales.cases import selectors as cases
from aftersales.cases import services as case_services
from aftersales.cases.selectors import CaseFilters
from aftersales.catalog.selectors import product_list
from aftersales.core import clock
from aftersales.core.errors import DomainError, TooManyAttempts
from aftersales.core.ratelimits import refuse_if_exhausted
from aftersales.customers import selectors as customers
from aftersales.customers import services as customer_services
from aftersales.sla import selectors as sla
from aftersales.warranty.selectors import unit_entitlement
from aftersales.web import forms, paging

SEARCH_LIMIT = 8
DASHBOARD_AT_RISK_LIMIT = 99  # counted up to here, then shown as "99+"
ACTIVE_STATUSES = [s.value for s in case_rules.Status if s in case_rules.ACTIVE]


# Access ------------------------------------------------------------------------------------


def staff_view(action: str | None = None):
    """Logged in, and (when `action` is named) in a role that may do it; else a 403 page."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.htmx:
                    # A session that ran out mid-page: send the whole window to the log-in
                    # page (and back), rather than swapping that page into a region.
                    back = request.htmx.current_url_abs_path or "/"
                    return HttpResponseClientRedirect(
                        f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
                    )
                return redirect_to_login(request.get_full_path())
            if action and not access.allowed(request.user.role, action):
                return render(
                    request,
                    "web/error.html",
                    {"title": _("Not allowed"), "message": _("Your role may not open this page.")},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _may(request, action: str) -> bool:
    return access.allowed(request.user.role, action)


# Login -------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login, with failed attempts counted per client address: past the limit every
    attempt is refused for the rest of the window, right password or not."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        try:
            refuse_if_exhausted(request, group="login", rate=settings.LOGIN_FAILURE_RATE)
        except TooManyAttempts:
            return self.too_many()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        limited = is_ratelimited(
            self.request,
            group="login",
            key="ip",
            rate=settings.LOGIN_FAILURE_RATE,
            increment=True,
        )
        if limited:
            return self.too_many()
        return super().form_invalid(form)

    def too_many(self):
        return render(self.request, "web/rate_limited.html", {}, status=429)


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


# Dashboard ---------------------------------------------------------------------------------


def _cases_url(**params) -> str:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return f"{reverse('web:case_list')}?{query.urlencode()}"


@staff_view()
def dashboard(request):
    start_of_day = timezone.make_aware(datetime.combine(clock.today(), time.min))
    counts = cases.dashboard_counts(request.user, since=start_of_day)
    by_status = [
        {"status": status, "count": counts["by_status"][status], "url": _cases_url(status=status)}
        for status in ACTIVE_STATUSES
    ]
    mine = cases.case_list(
        request.user, CaseFilters(owner=request.user.username, status=ACTIVE_STATUSES)
    ).order_by("-updated_at", "-pk")[:10]
    risky, more_risky = sla.at_risk(request.user, limit=DASHBOARD_AT_RISK_LIMIT)
    return render(
        request,
        "web/dashboard.html",
        {
            "counts": counts,
            "by_status": by_status,
            "active_total": sum(counts["by_status"].values()),
            "active_url": _cases_url(status=ACTIVE_STATUSES),
            "mine_url": _cases_url(owner="me", status=ACTIVE_STATUSES),
            "unowned_url": _cases_url(owner="none", status="new"),
            "today_url": _cases_url(sort="opened"),
            "my_cases": mine,
            "at_risk_count": len(risky),
            "at_risk_more": more_risky is not None,
        },
    )


# Search and intake -------------------------------------------------------------------------


def _search(request, q: str) -> dict:
    """Customers (name, e-mail, phone), units (serial prefix) and cases (number, serial, phone,
    e-mail) matching what was typed; partners get no customers."""
    q = q.strip()
    found = {"q": q, "customers": [], "units": [], "cases": []}
    if not q:
        return found
    if _may(request, "customers.read"):
        found["customers"] = list(
            customers.customer_list(q=q).order_by("name", "pk")[:SEARCH_LIMIT]
        )
    found["units"] = list(customers.unit_list(q=q).order_by("serial_number")[:SEARCH_LIMIT])
    found["cases"] = list(
        cases.case_list(request.user, CaseFilters(q=q)).order_by("-pk")[:SEARCH_LIMIT]
    )
    found["empty"] = not (found["customers"] or found["units"] or found["cases"])
    return found


@staff_view()
def search(request):
    """The top bar's search: straight to the case or unit when the text names one exactly."""
    q = request.GET.get("q", "").strip()
    if q:
        if case_rules.parse_case_number(q) is not None:
            case = cases.case_get(request.user, q)
            if case is not None:
                return redirect("web:case_detail", number=case.number)
        unit = customers.unit_get(q)
        if unit is not None:
            return redirect("web:unit_detail", serial=unit.serial_number)
    return render(
        request,
        "web/search.html",
        {"results": _search(request, q), "mode": "search", "global_q": q},
    )


def _intake_context(request, *, serial: str = "", customer_id: int | None = None) -> dict:
    """The intake screen around what was picked: a unit (with its verdict and any active case)
    or a customer (with their units)."""
    context: dict = {"serial": serial, "customer_id": customer_id, "unit": None, "customer": None}
    partner = request.user.is_partner
    if serial:
        unit = customers.unit_get(serial)
        if unit is None:
            context["pick_error"] = _("No unit has serial number %(serial)s.") % {"serial": serial}
        else:
            context["unit"] = unit
            context["verdict"] = unit_entitlement(unit, clock.today())
            context["active_cases"] = list(
                cases.case_list(
                    request.user,
                    CaseFilters(serial_number=unit.serial_number, status=ACTIVE_STATUSES),
                ).order_by("pk")
            )
            if not partner:
                context["customer"] = unit.customer
    elif customer_id is not None and not partner:
        customer = customers.customer_get(customer_id)
        if customer is None:
            context["pick_error"] = _("No customer has id %(id)s.") % {"id": customer_id}
        else:
            context["customer"] = customer
            context["customer_units"] = list(
                customers.unit_list(customer_id=customer.pk).order_by("serial_number")[:50]
            )
            context["active_cases"] = list(
                cases.case_list(
                    request.user, CaseFilters(customer_id=customer.pk, status=ACTIVE_STATUSES)
                ).order_by("pk")
            )
    return context


def _intake_page(
    request,
    *,
    serial: str = "",
    customer_id: int | None = None,
    case_form=None,
    customer_form=None,
    unit_form=None,
    errors: dict | None = None,
    status: int = 200,
):
    q = request.GET.get("q", "").strip()
    context = _intake_context(request, serial=serial, customer_id=customer_id)
    picked = context["unit"] is not None or context["customer"] is not None
    if case_form is None and picked:
        initial = {"serial_number": serial} if context["unit"] else {"customer_id": customer_id}
        case_form = forms.NewCaseForm(initial=initial)
    may_write = _may(request, "customers.write")
    if customer_form is None and may_write:
        customer_form = forms.CustomerForm(initial={"country": _default_country()})
    if unit_form is None and may_write and context["customer"] is not None:
        unit_form = forms.UnitForm(
            initial={"customer_id": context["customer"].pk, "sold_on": clock.today()},
            products=product_list(),
        )
    context.update(
        {
            "q": q,
            "results": _search(request, q) if q else None,
            "mode": "intake",
            "case_form": case_form,
            "customer_form": customer_form if may_write else None,
            "unit_form": unit_form if may_write else None,
            "errors": errors or {},
            "here": reverse("web:intake") if request.method == "POST" else None,
        }
    )
    return render(request, "web/intake.html", context, status=status)


def _default_country() -> str:
    return settings.PHONE_REGIONS[0] if settings.PHONE_REGIONS else ""


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@staff_view("cases.create")
def intake(request):
    return _intake_page(
        request,
        serial=request.GET.get("serial", "").strip(),
        customer_id=_int_or_none(request.GET.get("customer")),
    )


@staff_view("cases.create")
def intake_search(request):
    """The results as you type (htmx), or the whole screen without JavaScript."""
    if not request.htmx:
        return intake(request)
    results = _search(request, request.GET.get("q", ""))
    return render(request, "web/_search_results.html", {"results": results, "mode": "intake"})


@require_POST
@staff_view("cases.create")
def intake_open_case(request):
    form = forms.NewCaseForm(request.POST)
    serial = request.POST.get("serial_number", "").strip()
    customer_id = _int_or_none(request.POST.get("customer_id"))
    if request.user.is_partner:
        customer_id = None  # a partner names the unit; the customer comes with it
    page = {"serial": serial, "customer_id": customer_id, "case_form": form}
    if not form.is_valid():
        return _intake_page(
            request, **page, errors={"case": _("Check the fields of the new case.")}, status=422
        )
    data = form.cleaned_data
    try:
        case, reused = case_services.case_open(
            actor=request.user,
            type=data["type"],
            channel=data["channel"],
            priority=data["priority"],
            summary=data["summary"],
            description=data["description"],
            serial_number=data["serial_number"] or None,
            customer_id=None if data["serial_number"] else data["customer_id"],
        )
    except DomainError as exc:
        return _intake_page(request, **page, errors={"case": exc.message}, status=exc.status)
    if reused:
        messages.info(request, _("Added to the open case %(number)s.") % {"number": case.number})
    else:
        messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return redirect("web:case_detail", number=case.number)


@require_POST
@staff_view("customers.write")
def intake_new_customer(request):
    form = forms.CustomerForm(request.POST)
    if form.is_valid():
        try:
            customer = customer_services.customer_create(**form.cleaned_data)
        except DomainError as exc:
            return _intake_page(
                request, customer_form=form, errors={"customer": exc.message}, status=exc.status
            )
        messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
        return redirect(f"{reverse('web:intake')}?customer={customer.pk}")
    return _intake_page(
        request,
        customer_form=form,
        errors={"customer": _("Check the fields of the new customer.")},
        status=422,
    )


@require_POST
@staff_view("units.write")
def intake_register_unit(request):
    form = forms.UnitForm(request.POST, products=product_list())
    customer_id = _int_or_none(request.POST.get("customer_id"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            unit = customer_services.unit_register(
                serial_number=data["serial_number"],
                sku=data["sku"],
                customer_id=data["customer_id"],
                sold_on=data["sold_on"],
                installed_on=data["installed_on"],
                dealer=data["dealer"],
            )
        except DomainError as exc:
            return _intake_page(
                request,
                customer_id=customer_id,
                unit_form=form,
                errors={"unit": exc.message},
                status=exc.status,
            )
        messages.success(request, _("Unit %(serial)s registered.") % {"serial": unit.serial_number})
        return redirect(f"{reverse('web:intake')}?serial={unit.serial_number}")
    return _intake_page(
        request,
        customer_id=customer_id,
        unit_form=form,
        errors={"unit": _("Check the fields of the unit.")},
        status=422,
    )


# Case list ---------------------------------------------------------------------------------


@staff_view("cases.read")
def case_list(request):
    form = forms.CaseFilterForm(request.GET)
    form.is_valid()  # an invalid field is shown with its error and left out of the filter
    data = form.cleaned_data
    owner = data.get("owner") or ""
    filters = CaseFilters(
        status=data.get("status") or None,
        type=data.get("type") or None,
        priority=data.get("priority") or None,
        owner=request.user.username if owner == "me" else None,
        q=data.get("q") or None,
    )
    if owner == "none":
        queryset = cases.case_list_unowned(request.user, filters)
    else:
        queryset = cases.case_list(request.user, filters)
    sort = data.get("sort") or "number"
    descending = (data.get("dir") or "desc") == "desc"
    rows, next_cursor = paging.page(
        queryset, sort=sort, descending=descending, cursor=request.GET.get("cursor")
    )
    urgent = sla.most_urgent_clocks([case.pk for case in rows])
    for case in rows:
        case.sla_clock = urgent.get(case.pk)
    return render(
        request,
        "web/case_list.html",
        {
            "form": form,
            "rows": rows,
            "columns": _sort_columns(request, sort, descending),
            "next_url": _with_params(request, cursor=next_cursor) if next_cursor else None,
            "first_url": _with_params(request, cursor=None) if request.GET.get("cursor") else None,
        },
    )


def _with_params(request, **changes) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"?{query.urlencode()}"


def _sort_columns(request, sort: str, descending: bool) -> dict:
    columns = {}
    for key, label in forms.SORTS.items():
        current = key == sort
        # A click on the current column turns the order round; a new column starts newest
        # (or most urgent) first.
        direction = ("asc" if descending else "desc") if current else "desc"
        columns[key] = {
            "label": label,
            "url": _with_params(request, sort=key, dir=direction, cursor=None),
            "aria_sort": ("descending" if descending else "ascending") if current else None,
            "arrow": ("↓" if descending else "↑") if current else "",
        }
    return columns


# Case file ---------------------------------------------------------------------------------


def _visible_case(request, number: str):
    case = cases.case_get(request.user, number)
    if case is None:
        raise Http404
    return case


def _case_context(request, case, *, bound: dict, errors: dict) -> dict:
    user = request.user
    allowed = case_rules.allowed_next(case.status)
    context = {
        "case": case,
        "entries": list(cases.timeline(case)),
        "handoffs": cases.handoff_count(case),
        "errors": errors,
        "show_contact": not user.is_partner,
        "can_write": _may(request, "cases.write"),
        "can_handoff": _may(request, "cases.handoff") and case.status not in case_rules.FINAL,
        "can_status": _may(request, "cases.status") and bool(allowed),
        "verdict": unit_entitlement(case.unit, clock.today()) if case.unit_id else None,
        "sla_clocks": sla.clock_views(case),
        "compensation": list(sla.compensation_lines(case)),
    }
    # Today's reason is shown only when it says something the case's own reason does not.
    context["same_category"] = (
        bool(context["verdict"]) and context["verdict"].category == case.category
    )
    # A form that was just posted comes back bound, with its errors; the others start empty.
    context["entry_form"] = forms.EntryForm(bound.get("entry"))
    if context["can_handoff"]:
        candidates = [u for u in case_owner_candidates() if u.pk != case.owner_id]
        context["handoff_form"] = forms.HandoffForm(bound.get("handoff"), candidates=candidates)
    if context["can_status"]:
        context["status_form"] = forms.StatusForm(bound.get("status"), allowed=allowed)
    # Work orders on this case, and the form to open one.
    from aftersales.workorders import views as workorder_views
    from aftersales.workorders.selectors import work_orders_for_case

    context["work_orders"] = list(work_orders_for_case(user, case.pk))
    context["work_order_form"] = workorder_views.new_work_order_form(
        request, case, bound.get("work_order")
    )
    # The remedy verdict for the case's unit, with the supervisor's override.
    from aftersales.returns.views import case_remedy_panel

    context["remedy"] = case_remedy_panel(request, case)
    return context


def _case_page(
    request, case, *, bound: dict | None = None, errors: dict | None = None, status: int = 200
):
    context = _case_context(request, case, bound=bound or {}, errors=errors or {})
    context["here"] = reverse("web:case_detail", args=[case.number])
    if request.htmx:
        context["partial"] = True
        return render(request, "web/_case_body.html", context, status=status)
    return render(request, "web/case_detail.html", context, status=status)


@staff_view("cases.read")
def case_detail(request, number: str):
    case = _visible_case(request, number)
    if case.number != number:
        return redirect("web:case_detail", number=case.number)
    return _case_page(request, case)


def _case_action(request, number: str, name: str, form, perform, done: str):
    """Checks the form, runs the service, and answers: the page again with the refusal next to
    the form, or (on success) a redirect, or for htmx the refreshed main region."""
    case = _visible_case(request, number)
    if not form.is_valid():
        return _case_page(
            request,
            case,
            bound={name: request.POST},
            errors={name: _("Check the fields below.")},
            status=422,
        )
    try:
        perform(case, form.cleaned_data)
    except DomainError as exc:
        case = _visible_case(request, number)
        return _case_page(
            request,
            case,
            bound={name: request.POST},
            errors={name: exc.message},
            status=exc.status,
        )
    messages.success(request, done)
    if request.htmx:
        return _case_page(request, _visible_case(request, number))
    return redirect("web:case_detail", number=case.number)


@require_POST
@staff_view("cases.write")
def case_add_entry(request, number: str):
    def perform(case, data):
        case_services.case_add_entry(
            number=case.number,
            actor=request.user,
            kind=data["kind"],
            body=data["body"],
            # Unticked leaves the service's default: a message is for the customer, the rest
            # stays internal.
            visible_to_customer=True if data["visible_to_customer"] else None,
        )

    return _case_action(
        request, number, "entry", forms.EntryForm(request.POST), perform, _("Entry added.")
    )


@require_POST
@staff_view("cases.handoff")
def case_handoff(request, number: str):
    def perform(case, data):
        case_services.case_handoff(
            number=case.number, actor=request.user, to_username=data["to"], reason=data["reason"]
        )

    form = forms.HandoffForm(request.POST)
    return _case_action(
        request,
        number,
        "handoff",
        form,
        perform,
        _("Case handed to %(name)s.") % {"name": request.POST.get("to", "")},
    )


@require_POST
@staff_view("cases.status")
def case_change_status(request, number: str):
    def perform(case, data):
        case_services.case_change_status(
            number=case.number, actor=request.user, status=data["status"], reason=data["reason"]
        )

    form = forms.StatusForm(request.POST)
    return _case_action(request, number, "status", form, perform, _("Status changed."))


# At risk -----------------------------------------------------------------------------------


@staff_view("cases.read")
def at_risk(request):
    """Running clocks past their warn point, soonest due first; a partner sees its own cases."""
    try:
        rows, next_cursor = sla.at_risk(request.user, cursor=request.GET.get("cursor") or None)
    except DomainError:
        rows, next_cursor = sla.at_risk(request.user)
    return render(
        request,
        "web/at_risk.html",
        {
            "rows": rows,
            "next_url": _with_params(request, cursor=next_cursor) if next_cursor else None,
            "first_url": _with_params(request, cursor=None) if request.GET.get("cursor") else None,
        },
    )


# Units and customers -----------------------------------------------------------------------


@staff_view("units.read")
def unit_detail(request, serial: str):
    unit = customers.unit_get(serial)
    if unit is None:
        raise Http404
    partner = request.user.is_partner
    earlier, later = customers.unit_lineage(unit)
    return render(
        request,
        "web/unit_detail.html",
        {
            "unit": unit,
            "replaced_by": later,
            # The history of every unit this one stands in for, nearest first.
            "earlier_units": [
                {
                    "unit": old,
                    "cases": list(
                        cases.case_list(
                            request.user, CaseFilters(serial_number=old.serial_number)
                        ).order_by("-pk")[:20]
                    ),
                }
                for old in earlier
            ],
            "verdict": unit_entitlement(unit, clock.today()),
            "show_customer": not partner,
            "contracts": [] if partner else list(customers.contracts_for_unit(unit.pk)),
            "unit_cases": list(
                cases.case_list(
                    request.user, CaseFilters(serial_number=unit.serial_number)
                ).order_by("-pk")[:50]
            ),
            "may_open_case": _may(request, "cases.create"),
        },
    )


@staff_view()
def customer_detail(request, customer_id: int):
    if request.user.is_partner or not _may(request, "customers.read"):
        raise Http404
    customer = customers.customer_get(customer_id)
    if customer is None:
        raise Http404
    return render(
        request,
        "web/customer_detail.html",
        {
            "customer": customer,
            "units": list(
                customers.unit_list(customer_id=customer.pk).order_by("serial_number")[:100]
            ),
            "contracts": list(customers.contract_list(customer_id=customer.pk)[:50]),
            "customer_cases": list(
                cases.case_list(request.user, CaseFilters(customer_id=customer.pk)).order_by("-pk")[
                    :50
                ]
            ),
            "may_open_case": _may(request, "cases.create"),
        },
    )
