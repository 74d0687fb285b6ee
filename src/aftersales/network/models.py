"""The service network: the brand's own service centres (and their branches) and the
authorised partner organisations that repair under its warranty."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCentre(models.Model):
    """A brand-run service centre, or a branch of one (``parent`` set). Work orders, stock
    locations, technicians and supervisors belong to one; costs roll up by centre and region."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("main centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        help_text=_("Set when this is a branch of another centre."),
    )
    address = models.TextField(_("address"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=60, db_index=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("working calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product_lines = models.JSONField(
        _("product lines"),
        default=list,
        blank=True,
        help_text=_("Product categories repaired here; empty means all."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service centre")
        verbose_name_plural = _("service centres")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Partner(models.Model):
    """An authorised service provider: a third-party organisation repairing under the brand's
    warranty. Its users see only its own work."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    regions = models.JSONField(_("service regions"), default=list, blank=True)
    product_lines = models.JSONField(
        _("product lines"),
        default=list,
        blank=True,
        help_text=_("Product categories it may repair; empty means all."),
    )
    labour_rate = models.DecimalField(
        _("labour rate per hour"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
