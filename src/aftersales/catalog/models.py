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
    end_of_production = models.DateField(
        _("end of production"),
        null=True,
        blank=True,
        help_text=_("The last day this model was made; spare-part supply obligations run from it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"


class UnitOfMeasure(models.TextChoices):
    PIECE = "pc", _("piece")
    SET = "set", _("set")
    METRE = "m", _("metre")
    LITRE = "l", _("litre")
    KILOGRAM = "kg", _("kilogram")


class Part(models.Model):
    """A spare part the brand sells and fits, with its list price and cost. Stock is counted
    in whole units of `unit_of_measure`. `fits` lists the product models it may be fitted to;
    a superseding part (`replaced_by`) fits only the models listed on it (see
    docs/decisions/0008-stock-ledger.md)."""

    number = models.CharField(_("part number"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit_of_measure = models.CharField(
        _("unit of measure"), max_length=8, choices=UnitOfMeasure.choices, default="pc"
    )
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    cost_price = models.DecimalField(
        _("cost price"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    serialised = models.BooleanField(
        _("serialised"), default=False, help_text=_("Every unit carries its own serial number.")
    )
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
    )
    fits = models.ManyToManyField(Product, verbose_name=_("fits"), blank=True, related_name="parts")
    defective_return_required = models.BooleanField(
        _("defective part must come back"),
        default=False,
        help_text=_("When fitted under warranty, the removed part is returned for inspection."),
    )
    supply_obligation_years = models.PositiveSmallIntegerField(
        _("supply obligation (years)"),
        null=True,
        blank=True,
        help_text=_("Years after the fitted models' end of production the part must be available."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.CheckConstraint(
                condition=Q(replaced_by__isnull=True) | ~Q(replaced_by=models.F("id")),
                name="%(app_label)s_%(class)s_not_replaced_by_itself",
            ),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0) & Q(list_price__gte=0),
                name="%(app_label)s_%(class)s_prices_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"
