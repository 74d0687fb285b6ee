"""The staff UI's stock forms: they check shapes; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DEFECTIVE_STATUSES = [
    ("due", _("due")),
    ("received", _("received")),
    ("inspected", _("inspected")),
    ("returned_to_vendor", _("returned to the supplier")),
    ("scrapped", _("scrapped")),
]
OUTCOMES = [
    ("confirmed_defective", _("confirmed defective")),
    ("no_fault_found", _("no fault found")),
    ("wrong_part", _("wrong part")),
]


def _serials(text: str) -> list[str]:
    return [s.strip() for s in (text or "").replace(",", "\n").splitlines() if s.strip()]


class _ActionForm(forms.Form):
    """Several action forms share a page: each names its fields' ids after itself, so every
    label points at its own form's field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class _StockForm(_ActionForm):
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, for serialised parts."),
    )

    def serial_list(self) -> list[str]:
        return _serials(self.cleaned_data.get("serials", ""))


class ReceiveForm(_StockForm):
    location_code = forms.ChoiceField(label=_("Into"))
    reference = forms.CharField(label=_("Delivery note"), max_length=100, required=False)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location_code"].choices = [(loc.code, str(loc)) for loc in locations]


class TransferForm(_StockForm):
    from_code = forms.ChoiceField(label=_("From"))
    to_code = forms.ChoiceField(label=_("To"))
    expected_arrival = forms.DateField(
        label=_("Expected arrival"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received = forms.BooleanField(label=_("Handed over now (received at once)"), required=False)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, sources=(), targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_code"].choices = [(loc.code, str(loc)) for loc in sources]
        self.fields["to_code"].choices = [(loc.code, str(loc)) for loc in targets]


class AdjustForm(_ActionForm):
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    location_code = forms.ChoiceField(label=_("Location"))
    delta = forms.IntegerField(
        label=_("Change"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Found: positive; missing: negative."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000)
    serials = forms.CharField(
        label=_("Serial numbers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location_code"].choices = [(loc.code, str(loc)) for loc in locations]

    def serial_list(self) -> list[str]:
        return _serials(self.cleaned_data.get("serials", ""))


class CountForm(_ActionForm):
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    location_code = forms.ChoiceField(label=_("Location"))
    counted = forms.IntegerField(label=_("Counted"), min_value=0, max_value=10_000_000)
    reason = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location_code"].choices = [(loc.code, str(loc)) for loc in locations]


class PartSearchForm(forms.Form):
    q = forms.CharField(label=_("Part number or name"), required=False, max_length=100)
    fits = forms.CharField(label=_("Fits model (SKU)"), required=False, max_length=60)


class ReconciliationForm(forms.Form):
    holder = forms.ChoiceField(label=_("Technician or partner"))
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    date_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [("", "—"), *holders]


class DefectiveFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), *DEFECTIVE_STATUSES],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class InspectForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=OUTCOMES,
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000)


class CloseForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("Send to"),
        choices=[("returned_to_vendor", _("supplier (recovery claim)")), ("scrapped", _("scrap"))],
    )
    recovery_amount = forms.DecimalField(
        label=_("Amount claimed"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
