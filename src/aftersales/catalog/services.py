from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.catalog.models import (
    Product,
    WarrantyCountryOverride,
    WarrantyPolicy,
    WarrantyStart,
)
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.customers.rules import is_country_code, normalise_country


def _check_policy(
    *, months: int, starts_from: str, country_overrides: list[dict]
) -> list[tuple[str, int]]:
    if months < 1:
        raise Invalid("months", _("months must be at least 1."))
    if starts_from not in WarrantyStart.values:
        raise Invalid("starts_from", _("starts_from must be 'sale' or 'installation'."))
    overrides: dict[str, int] = {}
    for index, item in enumerate(country_overrides):
        country = normalise_country(item["country"])
        if not is_country_code(country):
            raise Invalid(
                f"country_overrides.{index}.country",
                _("country must be a two-letter ISO country code."),
            )
        if item["months"] < 1:
            raise Invalid(f"country_overrides.{index}.months", _("months must be at least 1."))
        if country in overrides:
            raise Invalid(
                f"country_overrides.{index}.country",
                _("%(country)s is listed twice.") % {"country": country},
            )
        overrides[country] = item["months"]
    return sorted(overrides.items())


@transaction.atomic
def policy_create(
    *,
    code: str,
    name: str,
    months: int,
    covers_parts: bool = True,
    covers_labour: bool = True,
    covers_travel: bool = False,
    starts_from: str = WarrantyStart.SALE,
    country_overrides: list[dict] | None = None,
    exclusions: str = "",
) -> WarrantyPolicy:
    code = code.strip()
    if not code:
        raise Invalid("code", _("A warranty policy needs a code."))
    overrides = _check_policy(
        months=months, starts_from=starts_from, country_overrides=country_overrides or []
    )
    if WarrantyPolicy.objects.filter(code=code).exists():
        raise Conflict(
            "duplicate_policy",
            _("Warranty policy %(code)s already exists.") % {"code": code},
            {"field": "code"},
        )
    policy = WarrantyPolicy.objects.create(
        code=code,
        name=name.strip() or code,
        months=months,
        covers_parts=covers_parts,
        covers_labour=covers_labour,
        covers_travel=covers_travel,
        starts_from=starts_from,
        exclusions=exclusions.strip(),
    )
    WarrantyCountryOverride.objects.bulk_create(
        WarrantyCountryOverride(policy=policy, country=c, months=m) for c, m in overrides
    )
    return policy


@transaction.atomic
def policy_update(*, code: str, **changes) -> WarrantyPolicy:
    policy = WarrantyPolicy.objects.select_for_update().filter(code=code).first()
    if policy is None:
        raise NotFound(_("Warranty policy %(code)s") % {"code": code})
    overrides_given = changes.pop("country_overrides", None)
    for field, value in changes.items():
        if value is not None:
            setattr(policy, field, value)
    current_overrides = [
        {"country": o.country, "months": o.months} for o in policy.country_overrides.all()
    ]
    overrides = _check_policy(
        months=policy.months,
        starts_from=policy.starts_from,
        country_overrides=overrides_given if overrides_given is not None else current_overrides,
    )
    policy.save()
    if overrides_given is not None:
        policy.country_overrides.all().delete()
        WarrantyCountryOverride.objects.bulk_create(
            WarrantyCountryOverride(policy=policy, country=c, months=m) for c, m in overrides
        )
    return policy


def _policy(code: str) -> WarrantyPolicy:
    policy = WarrantyPolicy.objects.filter(code=code).first()
    if policy is None:
        raise Invalid(
            "warranty_policy", _("No warranty policy has code %(code)s.") % {"code": code}
        )
    return policy


@transaction.atomic
def product_create(*, sku: str, name: str, category: str, warranty_policy: str) -> Product:
    sku = sku.strip()
    if not sku:
        raise Invalid("sku", _("A product needs a SKU."))
    if not category.strip():
        raise Invalid("category", _("A product needs a category."))
    policy = _policy(warranty_policy)
    if Product.objects.filter(sku=sku).exists():
        raise Conflict(
            "duplicate_sku", _("SKU %(sku)s already exists.") % {"sku": sku}, {"field": "sku"}
        )
    return Product.objects.create(
        sku=sku, name=name.strip() or sku, category=category.strip(), warranty_policy=policy
    )


@transaction.atomic
def product_update(
    *,
    sku: str,
    name: str | None = None,
    category: str | None = None,
    warranty_policy: str | None = None,
) -> Product:
    product = Product.objects.select_for_update().filter(sku=sku).first()
    if product is None:
        raise NotFound(_("Product %(sku)s") % {"sku": sku})
    if name is not None:
        product.name = name.strip()
    if category is not None:
        if not category.strip():
            raise Invalid("category", _("A product needs a category."))
        product.category = category.strip()
    if warranty_policy is not None:
        product.warranty_policy = _policy(warranty_policy)
    product.save()
    return product
