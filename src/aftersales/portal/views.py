"""The customer's tracking page: a case number and the e-mail or phone given with it show the
status in plain words and what the service team wrote to the customer; nothing else."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.cases import rules as case_rules
from aftersales.cases.api import track_case
from aftersales.cases.models import Case
from aftersales.core.errors import DomainError, NotFound, TooManyAttempts
from aftersales.core.ratelimits import count_failure, refuse_if_exhausted
from aftersales.workorders import rules as wo_rules
from aftersales.workorders import selectors as wo_selectors
from aftersales.workorders import services as wo_services
from aftersales.workorders.models import Quote
from aftersales.workorders.rules import CustodyKind, QuoteStatus


class TrackForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Case number"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "SC-000123", "autocomplete": "off"}),
    )
    contact = forms.CharField(
        label=gettext_lazy("The e-mail or phone number you gave us"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )


@require_http_methods(["GET", "POST"])
def track(request):
    # The contact is personal data: it travels in a POST body, never in a URL.
    if request.method == "GET":
        form = TrackForm(initial={"number": request.GET.get("number", "")[:40]})
        return render(request, "portal/track.html", {"form": form})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=422)
    try:
        result = track_case(request, form.cleaned_data["number"], form.cleaned_data["contact"])
    except TooManyAttempts:
        return render(
            request,
            "portal/track.html",
            {"form": form, "problem": _("Too many attempts. Wait a minute and try again.")},
            status=429,
        )
    except NotFound:
        return render(
            request,
            "portal/track.html",
            {
                "form": form,
                "problem": _(
                    "We could not find a case with that number and contact. Check both and try "
                    "again: use the e-mail address or phone number you gave us."
                ),
            },
            status=404,
        )
    return render(
        request,
        "portal/track.html",
        {"form": form, "result": result, "whereabouts": _whereabouts_text(result["number"])},
    )


def _day(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _whereabouts_text(number: str) -> str | None:
    """Where the customer's product is, in plain words (None while it is with them and we
    never had it)."""
    case_id = case_rules.parse_case_number(number)
    case = Case.objects.select_related("unit").filter(pk=case_id).first() if case_id else None
    if case is None or case.unit_id is None:
        return None
    where = wo_selectors.unit_whereabouts(case.unit)
    if where.kind is None:
        return None
    place = where.centre or where.place
    since = _day(where.since)
    if where.ready_for_pickup:
        if place:
            return _("Ready for pickup at %(place)s.") % {"place": place}
        return _("Repaired and ready for pickup.")
    kind = CustodyKind(where.kind)
    if kind == CustodyKind.PICKED_UP:
        return _("We picked up your product on %(day)s.") % {"day": since}
    if kind == CustodyKind.RECEIVED:
        if where.centre:
            return _("Received at %(place)s since %(day)s.") % {"place": where.centre, "day": since}
        return _("Received at the service centre since %(day)s.") % {"day": since}
    if kind == CustodyKind.MOVED:
        return _("At our service since %(day)s.") % {"day": since}
    if kind == CustodyKind.SHIPPED:
        return _("On its way back to you since %(day)s.") % {"day": since}
    return _("Returned to you on %(day)s.") % {"day": since}


# Quote approval -----------------------------------------------------------------------------


def _quote_for(secret: str) -> Quote | None:
    if not secret or len(secret) > 200:
        return None
    return (
        Quote.objects.select_related("work_order", "work_order__case", "work_order__unit__product")
        .filter(link_digest=wo_services._link_digest(secret))
        .first()
    )


QUOTE_LINE_KINDS = {
    "labour": gettext_lazy("Labour"),
    "part": gettext_lazy("Part"),
    "travel": gettext_lazy("Travel"),
}


def _quote_page(request, quote: Quote, *, problem: str | None = None, status: int = 200):
    wo = quote.work_order
    lines = [
        {**line, "kind_label": QUOTE_LINE_KINDS.get(line.get("kind"), line.get("kind"))}
        for line in quote.lines
    ]
    return render(
        request,
        "portal/quote.html",
        {
            "quote": quote,
            "lines": lines,
            "work_order": wo,
            "product": wo.unit.product.name if wo.unit_id else "",
            "kind": wo_rules.KIND_LABELS.get(wo.kind, wo.kind),
            "pending": quote.status == QuoteStatus.PENDING,
            "problem": problem,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def quote(request, secret: str):
    """The customer's link from the quote message: the lines and the total, and two buttons.
    Unknown links count as failed attempts, like the tracking page."""
    rate = settings.TRACK_FAILURE_RATE
    try:
        refuse_if_exhausted(request, group="quote", rate=rate)
    except TooManyAttempts:
        return render(
            request,
            "portal/quote_missing.html",
            {"problem": _("Too many attempts. Wait a minute and try again.")},
            status=429,
        )
    found = _quote_for(secret)
    if found is None:
        count_failure(request, group="quote", rate=rate)
        return render(request, "portal/quote_missing.html", {}, status=404)
    if request.method == "GET":
        return _quote_page(request, found)
    answer = request.POST.get("answer")
    if answer not in ("accept", "decline"):
        return _quote_page(request, found, problem=_("Choose accept or decline."), status=422)
    try:
        wo_services.quote_answer(accept=answer == "accept", secret=secret)
    except DomainError as exc:
        return _quote_page(request, _quote_for(secret), problem=exc.message, status=exc.status)
    return redirect("portal:quote", secret=secret)
