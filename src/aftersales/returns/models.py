"""Remedy decisions (the verdict as decided, with any supervisor override) and return
merchandise authorisations: lines, shipments both ways, evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.returns.lifecycle import (
    Direction,
    Disposition,
    FreightPayer,
    InspectionResult,
    RmaStatus,
    rma_number,
)


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]


REMEDIES = [
    ("repair", "repair"),
    ("replacement", "replacement"),
    ("price_reduction", "price reduction"),
    ("refund", "refund"),
    ("paid_repair", "paid repair"),
]


class RemedyDecision(models.Model):
    """The remedy chosen for a unit's fault: the engine's verdict as it stood, the remedy
    chosen, and when a supervisor chose otherwise, why. Written once, never edited."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey("customers.Unit", on_delete=models.PROTECT, related_name="+")
    reported_on = models.DateField(_("reported on"))
    verdict = models.JSONField(default=dict)
    recommended = models.CharField(_("recommended"), max_length=20, choices=REMEDIES)
    chosen = models.CharField(_("chosen remedy"), max_length=20, choices=REMEDIES)
    overridden = models.BooleanField(default=False)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden=False) | ~Q(reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chosen} for unit {self.unit_id}"


class Rma(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=_choices(RmaStatus), default=RmaStatus.REQUESTED
    )
    reason = models.TextField(_("reason"), blank=True)
    doa = models.BooleanField(_("dead on arrival"), default=False)
    # A dealer files through the brand's office or its partner, on the customer's behalf.
    dealer = models.CharField(
        _("filed by dealer"),
        max_length=200,
        blank=True,
        help_text=_("The dealer that filed the return on the customer's behalf, if any."),
    )
    flagged_for_claims = models.BooleanField(default=False)
    advance_replacement = models.BooleanField(_("advance replacement"), default=False)
    return_due_on = models.DateField(_("return due on"), null=True, blank=True)
    advance_charge = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    advance_invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    freight_payer = models.CharField(
        max_length=10, choices=_choices(FreightPayer), default=FreightPayer.BUSINESS
    )
    rejection_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    authorised_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("return (RMA)")
        verbose_name_plural = _("returns (RMA)")
        indexes = [models.Index(fields=["status", "id"], name="returns_rma_status_id")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return rma_number(self.pk)


class RmaLine(models.Model):
    rma = models.ForeignKey(Rma, on_delete=models.CASCADE, related_name="lines")
    unit = models.ForeignKey(
        "customers.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    part = models.ForeignKey(
        "catalog.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    reason = models.TextField(_("reason"), blank=True)
    remedy_requested = models.CharField(max_length=20, choices=REMEDIES, blank=True)
    remedy_decided = models.CharField(max_length=20, choices=REMEDIES, blank=True)
    verdict = models.JSONField(default=dict, blank=True)
    received_quantity = models.PositiveIntegerField(default=0)
    condition = models.TextField(_("condition"), blank=True)
    inspection_result = models.CharField(
        max_length=20, choices=_choices(InspectionResult), blank=True
    )
    inspection_notes = models.TextField(blank=True)
    disposition = models.CharField(max_length=20, choices=_choices(Disposition), blank=True)
    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replacement_unit = models.ForeignKey(
        "customers.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund_currency = models.CharField(max_length=3, blank=True)
    credit_note = models.OneToOneField(
        "billing.CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(part__isnull=True))
                | (Q(unit__isnull=True) & Q(part__isnull=False)),
                name="%(app_label)s_%(class)s_unit_or_part",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=True) | Q(quantity=1),
                name="%(app_label)s_%(class)s_one_unit_per_line",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")),
                name="%(app_label)s_%(class)s_received_not_above_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of RMA {self.rma_id}"


class Shipment(models.Model):
    rma = models.ForeignKey(Rma, on_delete=models.CASCADE, related_name="shipments")
    direction = models.CharField(max_length=10, choices=_choices(Direction))
    carrier = models.CharField(_("carrier"), max_length=80)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    freight_payer = models.CharField(max_length=10, choices=_choices(FreightPayer))
    line = models.ForeignKey(
        RmaLine, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments"
    )
    shipped_at = models.DateTimeField(_("shipped at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["shipped_at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.carrier} {self.tracking_number}"


class Evidence(models.Model):
    """A photo or test result backing a DOA claim or an inspection."""

    rma = models.ForeignKey(Rma, on_delete=models.CASCADE, related_name="evidence")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()
    uploaded_by_label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
