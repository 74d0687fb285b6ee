from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("standard")
    PREMIUM = "premium", _("premium")
    KEY_ACCOUNT = "key_account", _("key account")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2)
    language = models.CharField(_("language"), max_length=8, default="en")
    address = models.TextField(_("address"), blank=True)
    region = models.CharField(
        _("region"),
        max_length=60,
        blank=True,
        db_index=True,
        help_text=_("Service region; routes work orders to a centre or partner."),
    )
    tier = models.CharField(
        _("tier"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["name"], name="customers_customer_name_idx")]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A sold unit: one physical product with its serial number, the install base's atom."""

    serial_number = models.CharField(_("serial number"), max_length=80, unique=True)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="units"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="units"
    )
    sold_on = models.DateField(_("sold on"))
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2)
    dealer = models.CharField(_("dealer"), max_length=200, blank=True)
    sale_price = models.DecimalField(
        _("sale price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Nullable: bulk imports insert units with raw SQL that names only the original columns.
    sale_currency = models.CharField(
        _("sale currency"), max_length=3, null=True, blank=True, default="EUR"
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text=_("The unit this one replaced under a return; its history stays reachable."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["serial_number"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=Q(installed_on__isnull=True) | Q(installed_on__gte=models.F("sold_on")),
                name="%(app_label)s_%(class)s_installed_after_sale",
            )
        ]

    def __str__(self) -> str:
        return self.serial_number


class ServiceContract(models.Model):
    """An AMC or extended warranty bought by the customer for some of their units."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="contracts")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    covers_parts = models.BooleanField(_("covers parts"), default=True)
    covers_labour = models.BooleanField(_("covers labour"), default=True)
    covers_travel = models.BooleanField(_("covers travel"), default=False)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "number"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="%(app_label)s_%(class)s_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number
