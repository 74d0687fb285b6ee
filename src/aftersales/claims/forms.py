"""The forms of the claims screens. They parse and check the shape of what was typed; the
services decide (and their refusals are shown next to the form)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.claims.choices import (
    AuditOutcome,
    AuditReason,
    ClaimStatus,
    EventKind,
    LineKind,
    ReasonCode,
)

# --- the words the screens show for the claims' fixed values ------------------------------

STATUS_LABELS = {
    ClaimStatus.AUTO_APPROVED: _("approved automatically"),
    ClaimStatus.AUTO_REJECTED: _("rejected automatically"),
    ClaimStatus.REVIEW: _("in review"),
    ClaimStatus.INFO_REQUESTED: _("information requested"),
    ClaimStatus.APPROVED: _("approved"),
    ClaimStatus.PARTIALLY_APPROVED: _("partially approved"),
    ClaimStatus.REJECTED: _("rejected"),
}
KIND_LABELS = {
    LineKind.LABOUR: _("labour"),
    LineKind.PART: _("part"),
    LineKind.TRAVEL: _("travel"),
    LineKind.DOA: _("DOA replacement"),
    LineKind.OTHER: _("other"),
}
REASON_LABELS = {
    ReasonCode.LABOUR_ABOVE_STANDARD: _("labour above the standard time"),
    ReasonCode.PART_NOT_RETURNED: _("defective part not returned"),
    ReasonCode.PART_NOT_FITTING: _("part does not fit the model"),
    ReasonCode.PRICE_ABOVE_LIST: _("price above the list price"),
    ReasonCode.NOT_COVERED: _("not covered"),
    ReasonCode.DUPLICATE: _("duplicate"),
    ReasonCode.NO_EVIDENCE: _("no evidence"),
    ReasonCode.OTHER: _("other"),
}
EVENT_LABELS = {
    EventKind.SUBMITTED: _("submitted"),
    EventKind.VALIDATED: _("validated"),
    EventKind.SCORED: _("scored"),
    EventKind.INFO_REQUESTED: _("information requested"),
    EventKind.REPLIED: _("partner replied"),
    EventKind.APPROVED: _("approved"),
    EventKind.PARTIALLY_APPROVED: _("partially approved"),
    EventKind.REJECTED: _("rejected"),
    EventKind.ON_STATEMENT: _("on a statement"),
    EventKind.CHARGED_BACK: _("charged back"),
    EventKind.AUDIT_SAMPLED: _("drawn for audit"),
    EventKind.AUDITED: _("audited"),
}
AUDIT_REASON_LABELS = {AuditReason.RISK: _("risk"), AuditReason.RANDOM: _("random")}
AUDIT_OUTCOME_LABELS = {
    AuditOutcome.PENDING: _("pending"),
    AuditOutcome.PASSED: _("passed"),
    AuditOutcome.FAILED: _("failed"),
}

# The scorecard's signals against the peer group (risk.RATES).
SIGNAL_LABELS = {
    "claim_rate": _("claims per 100 units sold"),
    "doa_rate": _("DOA rate"),
    "nff_rate": _("no fault found at inspection"),
    "parts_per_claim": _("parts per claim"),
    "cost_per_claim": _("cost per claim"),
    "labour_ratio": _("labour minutes over the standard"),
    "near_expiry_share": _("claims just before coverage ends"),
    "defectives_share": _("defective parts not returned"),
    "sold_elsewhere_share": _("units sold in another region"),
}


def label_of(mapping: dict, value: str | None) -> str:
    """The word for a fixed value; an unknown value shown as it is, underscores as spaces."""
    if not value:
        return ""
    for key, text in mapping.items():
        if key == value:
            return str(text)
    return str(value).replace("_", " ")


def _date_widget() -> forms.DateInput:
    # ISO in the value whatever the language: the browser's date picker reads only that.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class PageForm(forms.Form):
    """Several forms share a page: each gets its own id prefix so labels stay unique."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- the list ------------------------------------------------------------------------------

QUEUE = "queue"  # the status filter's default: claims waiting for a reviewer
ALL = "all"


class ClaimFilterForm(PageForm):
    id_prefix = "filter"
    status = forms.ChoiceField(label=_("Status"), required=False)
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    min_risk = forms.IntegerField(
        label=_("Minimum risk"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, partners=(), staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        first = [(QUEUE, _("waiting for review"))] if staff else []
        self.fields["status"].choices = (
            first + [(ALL, _("any"))] + [(s.value, STATUS_LABELS[s]) for s in ClaimStatus]
        )
        if staff:
            self.fields["partner"].choices = [("", _("any"))] + [
                (p.code, f"{p.code} · {p.name}") for p in partners
            ]
        else:
            del self.fields["partner"]
            del self.fields["min_risk"]


# --- the partner's submission form ---------------------------------------------------------

LINE_ROWS = 6
MAX_LINE_ROWS = 40


class ClaimForm(PageForm):
    id_prefix = "claim"
    partner = forms.ChoiceField(label=_("Partner"))
    work_order = forms.CharField(
        label=_("Work order"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "WO-000001", "autocomplete": "off"}),
    )
    serial_number = forms.CharField(label=_("Serial number"), max_length=80, required=False)
    repair_date = forms.DateField(label=_("Repair date"), required=False, widget=_date_widget())
    fault_code = forms.CharField(label=_("Fault code"), max_length=20, required=False)
    invoice_number = forms.CharField(label=_("Your invoice number"), max_length=60, required=False)
    explanation = forms.CharField(
        label=_("Explanation (needed when labour is above the standard time)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    invoice = forms.FileField(label=_("Invoice (PDF or photo)"), required=False)
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:  # a partner's user claims for their own organisation
            del self.fields["partner"]
        else:
            self.fields["partner"].choices = [("", "—")] + [
                (p.code, f"{p.code} · {p.name}") for p in partners
            ]

    def clean(self):
        data = super().clean()
        if not data.get("work_order") and not data.get("serial_number"):
            raise forms.ValidationError(_("Name the work order or the unit's serial number."))
        return data


class LineForm(forms.Form):
    """One row of the claim's lines; a row left blank is ignored."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", "—")] + [(k.value, KIND_LABELS[k]) for k in LineKind],
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    labour_code = forms.CharField(label=_("Labour code"), max_length=30, required=False)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=100_000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    part_number = forms.CharField(label=_("Part number"), max_length=60, required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=10_000,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    defective_returned = forms.BooleanField(label=_("Defective part returned"), required=False)

    TYPED = ("kind", "description", "labour_code", "minutes", "part_number", "unit_price")

    def is_blank(self) -> bool:
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.TYPED)

    def clean(self):
        data = super().clean()
        if not data.get("kind"):
            self.add_error("kind", _("Choose the kind of line."))
        if data.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Give the price."))
        if data.get("kind") == LineKind.PART and not data.get("part_number"):
            self.add_error("part_number", _("A part line names the part number."))
        return data

    def as_line(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "description": data["description"],
            "labour_code": data["labour_code"],
            "minutes": data["minutes"],
            "part_number": data["part_number"],
            "quantity": data["quantity"] or 1,
            "unit_price": data["unit_price"],
            "defective_returned": data["defective_returned"],
        }


def line_forms(data=None, *, initial=(), rows: int | None = None) -> list[LineForm]:
    """The line rows: as many as were posted (at least LINE_ROWS), or the initial lines plus
    blank rows up to LINE_ROWS."""
    if rows is None:
        rows = LINE_ROWS
        if data is not None:
            posted = [
                int(key.split("-")[1])
                for key in data
                if key.startswith("line-") and key.split("-")[1].isdigit()
            ]
            rows = max([rows] + [i + 1 for i in posted])
    rows = min(max(rows, len(initial)), MAX_LINE_ROWS)
    forms_ = []
    for i in range(rows):
        kwargs = {"prefix": f"line-{i}", "auto_id": "id_%s"}
        if data is None and i < len(initial):
            kwargs["initial"] = initial[i]
        forms_.append(LineForm(data, **kwargs) if data is not None else LineForm(**kwargs))
    return forms_


# --- the reviewer's decisions and the partner's reply --------------------------------------


class ApproveForm(PageForm):
    id_prefix = "approve"
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class RejectForm(PageForm):
    id_prefix = "reject"
    reason_code = forms.ChoiceField(
        label=_("Reason code"),
        choices=[(c.value, REASON_LABELS[c]) for c in ReasonCode],
        initial=ReasonCode.OTHER,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RequestInfoForm(PageForm):
    id_prefix = "ask"
    question = forms.CharField(
        label=_("Question to the partner"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReplyForm(PageForm):
    id_prefix = "reply"
    message = forms.CharField(
        label=_("Your answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(label=_("Files (invoice, photos)"), required=False)


class ChargebackForm(PageForm):
    id_prefix = "chargeback"
    amount = forms.DecimalField(
        label=_("Amount to charge back"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideLinesForm(PageForm):
    """Partial approval: per line the amount paid and, where less than claimed, why."""

    id_prefix = "decide"

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        reasons = [("", "—")] + [(c.value, REASON_LABELS[c]) for c in ReasonCode]
        for line in self.lines:
            approved = line.approved_amount if line.approved_amount is not None else line.amount
            self.fields[f"approved_{line.pk}"] = forms.DecimalField(
                label=_("Approved amount"),
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=approved,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            )
            self.fields[f"reason_code_{line.pk}"] = forms.ChoiceField(
                label=_("Reason code"),
                choices=reasons,
                required=False,
                initial=line.reason_code,
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label=_("Reason"),
                max_length=2000,
                required=False,
                initial=line.reason,
            )

    def rows(self):
        """Per line: the line and its three fields, for the template."""
        return [
            {
                "line": line,
                "approved": self[f"approved_{line.pk}"],
                "reason_code": self[f"reason_code_{line.pk}"],
                "reason": self[f"reason_{line.pk}"],
            }
            for line in self.lines
        ]

    def decisions(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "id": line.pk,
                "approved_amount": data[f"approved_{line.pk}"],
                "reason_code": data[f"reason_code_{line.pk}"],
                "reason": data[f"reason_{line.pk}"],
            }
            for line in self.lines
        ]


# --- statements and audits -----------------------------------------------------------------


class PeriodForm(PageForm):
    period_start = forms.DateField(label=_("From"), widget=_date_widget())
    period_end = forms.DateField(label=_("Until"), widget=_date_widget())

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class StatementIssueForm(PeriodForm):
    id_prefix = "statement"
    partner = forms.ChoiceField(label=_("Partner"))
    field_order = ["partner", "period_start", "period_end"]

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", "—")] + [
            (p.code, f"{p.code} · {p.name}") for p in partners
        ]


class AuditDrawForm(PeriodForm):
    id_prefix = "draw"
    size = forms.IntegerField(
        label=_("Sample size"),
        min_value=1,
        max_value=1000,
        initial=20,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    seed = forms.IntegerField(
        label=_("Seed (to repeat a draw)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AuditFilterForm(PageForm):
    id_prefix = "audits"
    period_start = forms.DateField(label=_("From"), required=False, widget=_date_widget())
    period_end = forms.DateField(label=_("Until"), required=False, widget=_date_widget())


class AuditRecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (AuditOutcome.PASSED.value, AUDIT_OUTCOME_LABELS[AuditOutcome.PASSED]),
            (AuditOutcome.FAILED.value, AUDIT_OUTCOME_LABELS[AuditOutcome.FAILED]),
        ],
    )
    notes = forms.CharField(label=_("Notes"), max_length=4000, required=False)
    chargeback_amount = forms.DecimalField(
        label=_("Charge back (when failed)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, audit_id: int, **kwargs):
        kwargs.setdefault("auto_id", f"audit{audit_id}_%s")
        super().__init__(*args, **kwargs)
