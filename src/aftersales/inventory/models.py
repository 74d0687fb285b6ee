"""Spare-parts stock. Locations are where parts (and, for custody, customers' products) sit;
each belongs to a service centre or a partner."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("warehouse")
    VAN = "van", _("technician's van")
    BENCH = "bench", _("workshop bench")
    SHELF = "shelf", _("shelf")


class StockLocation(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=LocationKind.choices, default=LocationKind.WAREHOUSE
    )
    centre = models.ForeignKey(
        "network.ServiceCentre",
        verbose_name=_("service centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_locations",
    )
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_locations",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.CheckConstraint(
                condition=Q(centre__isnull=True) | Q(partner__isnull=True),
                name="inventory_location_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
