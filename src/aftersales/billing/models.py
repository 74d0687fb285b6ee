"""Money for service work: rate cards per organisation, invoices and credit notes numbered
without gaps per series and year, and the payments recorded against invoices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RateCard(models.Model):
    """Prices for one organisation: a service centre, a partner, or (neither) the brand's
    default. Labour is by the hour unless a labour code has a flat rate."""

    name = models.CharField(_("name"), max_length=100)
    centre = models.OneToOneField(
        "network.ServiceCentre",
        verbose_name=_("service centre"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rate_card",
    )
    partner = models.OneToOneField(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rate_card",
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    hourly_rate = models.DecimalField(_("labour per hour"), max_digits=10, decimal_places=2)
    travel_per_visit = models.DecimalField(
        _("travel per visit"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    travel_per_km = models.DecimalField(
        _("travel per km"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("rate card")
        verbose_name_plural = _("rate cards")
        constraints = [
            models.CheckConstraint(
                condition=Q(centre__isnull=True) | Q(partner__isnull=True),
                name="billing_ratecard_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class LabourRate(models.Model):
    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="labour_rates")
    labour_code = models.CharField(_("labour code"), max_length=30)
    description = models.CharField(_("description"), max_length=200, blank=True)
    hourly_rate = models.DecimalField(
        _("per hour"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    flat_rate = models.DecimalField(
        _("flat rate per job"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "labour_code"], name="billing_labour_unique"),
            models.CheckConstraint(
                condition=Q(hourly_rate__isnull=False) | Q(flat_rate__isnull=False),
                name="billing_labour_has_a_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.labour_code} on {self.card}"


class InvoiceSequence(models.Model):
    """The last number used in a series (INV invoices, CRN credit notes) and year. Taken under
    a row lock inside the document's own transaction, so a rollback leaves no gap."""

    series = models.CharField(max_length=3, default="INV")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="billing_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class Invoice(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    # Paid work is invoiced from its work order; a charge with no job behind it (an advance
    # replacement whose faulty unit never came back) names its source instead.
    work_order = models.OneToOneField(
        "workorders.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
    )
    source = models.CharField(_("for"), max_length=60, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    currency = models.CharField(max_length=3)
    lines = models.JSONField(default=list)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number


class CreditNote(models.Model):
    """Money owed back to a customer (a refund decided on a return), numbered in its own
    gapless series. Written once."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_notes"
    )
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"))
    source = models.CharField(_("for"), max_length=60)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="billing_creditnote_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=20)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice}"
