from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WarrantyStart(models.TextChoices):
    SALE = "sale", _("sale date")
    INSTALLATION = "installation", _("installation date")


class WarrantyPolicy(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    months = models.PositiveSmallIntegerField(_("months"))
    covers_parts = models.BooleanField(_("covers parts"), default=True)
    covers_labour = models.BooleanField(_("covers labour"), default=True)
    covers_travel = models.BooleanField(_("covers travel"), default=False)
    starts_from = models.CharField(
        _("starts from"), max_length=20, choices=WarrantyStart.choices, default=WarrantyStart.SALE
    )
    exclusions = models.TextField(_("exclusions"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(months__gte=1), name="%(app_label)s_%(class)s_months_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class WarrantyCountryOverride(models.Model):
    policy = models.ForeignKey(
        WarrantyPolicy, on_delete=models.CASCADE, related_name="country_overrides"
    )
    country = models.CharField(_("country"), max_length=2)
    months = models.PositiveSmallIntegerField(_("months"))

    class Meta:
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "country"], name="%(app_label)s_%(class)s_one_per_country"
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1), name="%(app_label)s_%(class)s_months_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country}: {self.months} months"


class Product(models.Model):
    """A product model the brand sells and services."""

    sku = models.CharField(_("SKU"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=80, db_index=True)
    warranty_policy = models.ForeignKey(
        WarrantyPolicy,
        verbose_name=_("warranty policy"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"


class Part(models.Model):
    """A spare part the brand sells and fits, with its list price."""

    number = models.CharField(_("part number"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"
