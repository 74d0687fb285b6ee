"""The customer's tracking page: a case number and the e-mail or phone given with it show the
status in plain words and what the service team wrote to the customer; nothing else."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.cases.api import track_case
from aftersales.core.errors import NotFound, TooManyAttempts


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
    return render(request, "portal/track.html", {"form": form, "result": result})
