"""Forms for the work-order screens: they parse and check the shape of what was typed; the
services decide. Each form has its own id prefix, since many share one side panel."""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.web.forms import PageForm
from aftersales.workorders import rules
from aftersales.workorders.rules import CustodyKind, Kind, PaymentMethod, Result

PNG_DATA_URL = "data:image/png;base64,"
CATEGORY_CHOICES = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]

PAYMENT_LABELS = {
    PaymentMethod.CASH: _("cash"),
    PaymentMethod.CARD: _("card"),
    PaymentMethod.TRANSFER: _("bank transfer"),
    PaymentMethod.OTHER: _("other"),
}


def _choices(labels: dict, values) -> list[tuple[str, str]]:
    return [(v.value, labels[v]) for v in values]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class NewWorkOrderForm(PageForm):
    """On the case file. The owner is a centre or a partner ("centre:MAD", "partner:ASP-A"),
    or empty for the routing's first suggestion."""

    id_prefix = "wo_new"
    kind = forms.ChoiceField(label=_("Job type"), choices=_choices(rules.KIND_LABELS, Kind))
    owner = forms.ChoiceField(label=_("Centre or partner"), required=False)
    category = forms.ChoiceField(
        label=_("Service category"),
        required=False,
        choices=[("", _("as on the case"))] + CATEGORY_CHOICES,
    )
    category_reason = forms.CharField(
        label=_("Why a different category"), max_length=2000, required=False
    )
    instructions = forms.CharField(
        label=_("Instructions"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, centres=(), partners=(), may_override=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = (
            [("", _("suggested by region and product line"))]
            + [(f"centre:{c.code}", f"{c.code} · {c.name}") for c in centres]
            + [(f"partner:{p.code}", f"{p.code} · {p.name}") for p in partners]
        )
        if not may_override:
            del self.fields["category"]
            del self.fields["category_reason"]


def split_owner(value: str) -> tuple[str | None, str | None]:
    """ "centre:MAD" -> ("MAD", None); "partner:ASP-A" -> (None, "ASP-A"); "" -> (None, None)."""
    kind, _sep, code = (value or "").partition(":")
    if kind == "centre" and code:
        return code, None
    if kind == "partner" and code:
        return None, code
    return None, None


class AssignForm(PageForm):
    """Who does the job: "tech:<username>", "partner:<code>", or empty for nobody."""

    id_prefix = "assign"
    who = forms.ChoiceField(label=_("Technician or partner"), required=False)

    def __init__(self, *args, technicians=(), partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["who"].choices = assignee_choices(technicians, partners)


def assignee_choices(technicians, partners) -> list:
    choices: list = [("", _("nobody (back to the queue)"))]
    if technicians:
        choices.append(
            (
                _("Technicians"),
                [(f"tech:{t.username}", t.get_full_name() or t.username) for t in technicians],
            )
        )
    if partners:
        choices.append((_("Partners"), [(f"partner:{p.code}", p.name) for p in partners]))
    return choices


def split_assignee(value: str) -> tuple[str | None, str | None]:
    kind, _sep, code = (value or "").partition(":")
    if kind == "tech" and code:
        return code, None
    if kind == "partner" and code:
        return None, code
    return None, None


class WindowForm(PageForm):
    id_prefix = "schedule"
    day = forms.DateField(label=_("Day"), widget=date_input())
    start = forms.TimeField(label=_("From"), widget=time_input())
    end = forms.TimeField(label=_("Until"), widget=time_input())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("The appointment must end after it starts."))
        return data


class DispatchForm(WindowForm):
    """On a card of the dispatch board: who and when, in one go."""

    id_prefix = "dispatch"
    who = forms.ChoiceField(label=_("Technician or partner"))

    field_order = ["who", "day", "start", "end"]

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["who"].choices = choices


class CategoryForm(PageForm):
    id_prefix = "category"
    category = forms.ChoiceField(label=_("Service category"), choices=CATEGORY_CHOICES)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class EmptyForm(PageForm):
    """An action that needs nothing typed (start, invoice, close)."""


class ResumeForm(PageForm):
    id_prefix = "resume"
    reason = forms.CharField(label=_("Note"), max_length=2000, required=False)


class VisitForm(PageForm):
    id_prefix = "visit"
    fault_code = forms.ChoiceField(label=_("Fault code"), required=False)
    cause = forms.CharField(
        label=_("Cause"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action_taken = forms.CharField(
        label=_("Action taken"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("not yet known"))] + _choices(rules.RESULT_LABELS, Result),
    )
    arrived = forms.TimeField(label=_("Arrived at"), required=False, widget=time_input())
    departed = forms.TimeField(label=_("Left at"), required=False, widget=time_input())
    distance_km = forms.DecimalField(
        label=_("Distance (km)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, fault_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fault_code"].choices = [("", "—")] + [
            (f.code, f"{f.code} · {f.description}") for f in fault_codes
        ]


class LabourForm(PageForm):
    id_prefix = "labour"
    labour_code = forms.CharField(label=_("Labour code"), max_length=30)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    planned = forms.BooleanField(label=_("Planned for a quote (not done yet)"), required=False)


class PartForm(PageForm):
    id_prefix = "part"
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=1000,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    location = forms.ChoiceField(label=_("Taken from"), required=False)
    planned = forms.BooleanField(label=_("Planned for a quote (not fitted yet)"), required=False)
    fit_override_reason = forms.CharField(
        label=_("Why it is fitted although not listed for this model"),
        max_length=500,
        required=False,
    )

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "—")] + [
            (loc.code, f"{loc.code} · {loc.name}") for loc in locations
        ]


class CustodyForm(PageForm):
    id_prefix = "custody"
    kind = forms.ChoiceField(label=_("What happened"))
    place = forms.CharField(label=_("Where (shelf, van, address)"), max_length=200, required=False)
    accessories = forms.CharField(label=_("Accessories taken in"), max_length=2000, required=False)
    condition = forms.CharField(label=_("Visible condition"), max_length=2000, required=False)
    signed_by = forms.CharField(label=_("Signed for by"), max_length=200, required=False)
    receipt_number = forms.CharField(
        label=_("Pickup receipt number"), max_length=20, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        order = list(CustodyKind)
        self.fields["kind"].choices = [
            (k.value, rules.CUSTODY_LABELS[k]) for k in order if k in set(kinds)
        ]


class CompleteForm(PageForm):
    """The end of the job. On the customer's premises the customer accepts: a name and either
    a drawn signature (a PNG data URL the signature pad puts in `signature`) or a tick."""

    id_prefix = "complete"
    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("as recorded on the visit"))] + _choices(rules.RESULT_LABELS, Result),
    )
    tests_performed = forms.CharField(
        label=_("Tests performed"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    accepted_by = forms.CharField(label=_("Customer's name"), max_length=200, required=False)
    signature = forms.CharField(required=False, widget=forms.HiddenInput, max_length=800_000)
    typed = forms.BooleanField(label=_("The customer accepts in writing"), required=False)

    def __init__(self, *args, on_site: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_site = on_site
        if not on_site:
            for name in ("accepted_by", "signature", "typed"):
                del self.fields[name]

    def clean_signature(self) -> bytes | None:
        value = self.cleaned_data.get("signature") or ""
        if not value:
            return None
        if not value.startswith(PNG_DATA_URL):
            raise forms.ValidationError(_("The signature must be a PNG image."))
        try:
            return base64.b64decode(value[len(PNG_DATA_URL) :], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(_("The signature could not be read.")) from None


class VerifyForm(PageForm):
    id_prefix = "verify"
    outcome = forms.ChoiceField(
        label=_("Quality check"),
        choices=[("pass", _("Pass")), ("fail", _("Fail: back to the bench"))],
        widget=forms.RadioSelect,
        initial="pass",
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApprovalForm(PageForm):
    id_prefix = "approval"
    answer = forms.ChoiceField(
        label=_("The customer's answer"),
        choices=[("accept", _("Accepted")), ("decline", _("Declined"))],
        widget=forms.RadioSelect,
    )
    answered_by = forms.CharField(label=_("Who answered"), max_length=200, required=False)


class PaymentForm(PageForm):
    id_prefix = "payment"
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=_choices(PAYMENT_LABELS, PaymentMethod), initial="card"
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class CancelForm(PageForm):
    id_prefix = "cancel"
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class WorkOrderFilterForm(PageForm):
    id_prefix = "filter"
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any status")), ("open", _("open"))]
        + _choices(rules.STATUS_LABELS, rules.Status),
    )
    technician = forms.CharField(label=_("Technician"), required=False, max_length=150)
    partner = forms.CharField(label=_("Partner code"), required=False, max_length=30)
    day = forms.DateField(label=_("Day"), required=False, widget=date_input())


class QuoteAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
