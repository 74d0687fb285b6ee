"""Forms only parse and check the shape of what was typed; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases.rules import MANUAL_KINDS, CaseType, Channel, EntryKind, Priority, Status
from aftersales.web import labels


def _choices(mapping: dict, values) -> list[tuple[str, str]]:
    return [(v.value, mapping[v]) for v in values]


class PageForm(forms.Form):
    """Several forms share a page: each gets its own id prefix so labels stay unique."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class NewCaseForm(PageForm):
    id_prefix = "case"
    type = forms.ChoiceField(label=_("Type"), choices=_choices(labels.CASE_TYPES, CaseType))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_choices(labels.CHANNELS, Channel), initial=Channel.PHONE
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=_choices(labels.PRIORITIES, Priority), initial=Priority.NORMAL
    )
    summary = forms.CharField(label=_("Summary"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    serial_number = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("serial_number") and not data.get("customer_id"):
            raise forms.ValidationError(_("Pick a unit or a customer first."))
        return data


class EntryForm(PageForm):
    id_prefix = "entry"
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=_choices(labels.ENTRY_KINDS, [k for k in EntryKind if k in MANUAL_KINDS]),
        initial=EntryKind.NOTE,
    )
    body = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    visible_to_customer = forms.BooleanField(
        label=_("Visible to the customer (messages always are)"), required=False
    )


class HandoffForm(PageForm):
    id_prefix = "handoff"
    # Any username is accepted here: the service says whether that person may own the case.
    to = forms.CharField(label=_("Hand off to"), max_length=150, widget=forms.Select)
    reason = forms.CharField(label=_("Reason"), max_length=2000)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.choices = [("", "—")] + [
            (u.username, f"{u.username} · {labels.label(labels.ROLES, u.role)}") for u in candidates
        ]


class StatusForm(PageForm):
    id_prefix = "status"
    # Every status parses; the select offers only the allowed next ones and the service
    # refuses the rest with its own message (a stale page must not be a crash).
    status = forms.ChoiceField(label=_("New status"), choices=[(s.value, s.value) for s in Status])
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [
            (s.value, labels.status_label(s.value)) for s in allowed
        ]


class CustomerForm(PageForm):
    id_prefix = "customer"
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    country = forms.CharField(
        label=_("Country (two letters)"),
        min_length=2,
        max_length=2,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 2}),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("en", "English"), ("es", "Español")]
    )


class UnitForm(PageForm):
    id_prefix = "unit"
    serial_number = forms.CharField(label=_("Serial number"), max_length=80)
    sku = forms.ChoiceField(label=_("Product"))
    sold_on = forms.DateField(label=_("Sold on"), widget=forms.DateInput(attrs={"type": "date"}))
    installed_on = forms.DateField(
        label=_("Installed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    dealer = forms.CharField(label=_("Dealer"), max_length=200, required=False)
    customer_id = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [(p.sku, f"{p.sku} · {p.name}") for p in products]


SORTS = {
    "number": _("Number"),
    "opened": _("Opened"),
    "updated": _("Updated"),
    "priority": _("Priority"),
}


class CaseFilterForm(PageForm):
    id_prefix = "filter"
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(s.value, labels.status_label(s.value)) for s in Status],
    )
    type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("any type"))] + _choices(labels.CASE_TYPES, CaseType),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("any priority"))] + _choices(labels.PRIORITIES, Priority),
    )
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("anyone")), ("me", _("me")), ("none", _("nobody yet"))],
    )
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))
    dir = forms.ChoiceField(required=False, choices=[("desc", "desc"), ("asc", "asc")])
