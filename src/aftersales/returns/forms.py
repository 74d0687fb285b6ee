"""The forms of the returns screens and the customer's return pages. They parse and check the
shape of the input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.returns.lifecycle import Disposition, InspectionResult, RmaStatus

REMEDY_CHOICES = [
    ("repair", _("repair")),
    ("replacement", _("replacement")),
    ("price_reduction", _("price reduction")),
    ("refund", _("refund")),
    ("paid_repair", _("paid repair")),
]
RESULT_CHOICES = [
    (InspectionResult.CONFIRMED.value, _("fault confirmed")),
    (InspectionResult.NO_FAULT_FOUND.value, _("no fault found")),
    (InspectionResult.DAMAGED_BY_CUSTOMER.value, _("damaged by the customer")),
    (InspectionResult.WRONG_ITEM.value, _("wrong item")),
]
DISPOSITION_CHOICES = [
    (Disposition.REPAIR.value, _("repair (opens a work order)")),
    (Disposition.REPLACE.value, _("replace")),
    (Disposition.REFUND.value, _("refund")),
    (Disposition.RETURN_AS_IS.value, _("return as is")),
    (Disposition.REFURBISH.value, _("refurbish (parts)")),
    (Disposition.SCRAP.value, _("scrap (parts)")),
    (Disposition.RETURN_TO_VENDOR.value, _("return to vendor (parts)")),
]


class DecisionForm(forms.Form):
    chosen = forms.ChoiceField(label=_("Remedy"), choices=REMEDY_CHOICES)
    reason = forms.CharField(
        label=_("Reason (required when not the recommended remedy)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RmaFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any"))] + [(s.value, s.value.replace("_", " ")) for s in RmaStatus],
    )


class AuthoriseForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("authorise")), ("no", _("reject"))],
        coerce=lambda v: v == "yes",
        initial="yes",
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    advance_replacement = forms.BooleanField(label=_("Advance replacement"), required=False)


class ShipmentForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("inbound", _("from the customer")), ("outbound", _("to the customer"))],
    )
    carrier = forms.CharField(label=_("Carrier"), max_length=80)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80, required=False)
    line_id = forms.TypedChoiceField(label=_("Line"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_id"].choices = [("", "—")] + [(ln.pk, label(ln)) for ln in lines]


class ReceiveForm(forms.Form):
    location_code = forms.CharField(
        label=_("Stock location (for parts)"), max_length=30, required=False
    )
    condition = forms.CharField(label=_("Condition"), max_length=2000, required=False)


class ScanForm(forms.Form):
    number = forms.CharField(
        label=_("Return label number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"placeholder": "RMA-000001", "autofocus": True, "autocomplete": "off"}
        ),
    )
    location_code = forms.CharField(
        label=_("Stock location (for parts)"), max_length=30, required=False
    )
    condition = forms.CharField(label=_("Condition"), max_length=2000, required=False)


class InspectForm(forms.Form):
    line_id = forms.TypedChoiceField(label=_("Line"), coerce=int)
    result = forms.ChoiceField(label=_("Result"), choices=RESULT_CHOICES)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(label=_("Photo"), required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_id"].choices = [(ln.pk, label(ln)) for ln in lines]


class ResolveForm(forms.Form):
    line_id = forms.TypedChoiceField(label=_("Line"), coerce=int)
    disposition = forms.ChoiceField(label=_("Disposition"), choices=DISPOSITION_CHOICES)
    serial_number = forms.CharField(
        label=_("Replacement serial number"), max_length=80, required=False
    )
    location_code = forms.CharField(
        label=_("Stock location (for parts)"), max_length=30, required=False
    )
    to_location_code = forms.CharField(
        label=_("Refurbished stock location"), max_length=30, required=False
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_id"].choices = [(ln.pk, label(ln)) for ln in lines]


def label(line) -> str:
    if line.unit_id:
        return f"#{line.pk} · {line.unit.serial_number}"
    return f"#{line.pk} · {line.part.number} × {line.quantity}"


# --- the customer's pages -----------------------------------------------------------------


class PortalStartForm(forms.Form):
    serial_number = forms.CharField(label=_("Serial number of your product"), max_length=80)
    contact = forms.CharField(
        label=_("The e-mail or phone number you gave us"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )
    description = forms.CharField(
        label=_("What is wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(
        label=_("A photo or test result (needed if it never worked)"), required=False
    )


class PortalTrackForm(forms.Form):
    number = forms.CharField(
        label=_("Return number"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "RMA-000001", "autocomplete": "off"}),
    )
    contact = forms.CharField(
        label=_("The e-mail or phone number you gave us"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )
