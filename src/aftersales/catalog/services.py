from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.catalog.models import (
    Part,
    Product,
    UnitOfMeasure,
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


# --- spare parts ----------------------------------------------------------------------------

_PART_FIELDS = (
    "name",
    "unit_of_measure",
    "list_price",
    "cost_price",
    "currency",
    "serialised",
    "defective_return_required",
    "supply_obligation_years",
    "active",
)


def normalise_part_number(number: str) -> str:
    return (number or "").strip().upper()


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(
            field, _("%(field)s is an amount such as 12.50.") % {"field": field}
        ) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("10000000000"):
        raise Invalid(field, _("%(field)s is an amount of zero or more.") % {"field": field})
    return amount.quantize(Decimal("0.01"))


def _check_part_values(values: dict) -> dict:
    """Validates and normalises the changeable fields of a part; names the field it refuses."""
    out = dict(values)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise Invalid("name", _("A part needs a name."))
        if len(out["name"]) > 200:
            raise Invalid("name", _("The name is at most 200 characters."))
    if "unit_of_measure" in out:
        uom = (out["unit_of_measure"] or "").strip().lower()
        if uom not in UnitOfMeasure.values:
            raise Invalid(
                "unit_of_measure",
                _("unit_of_measure must be one of: %(u)s.")
                % {"u": ", ".join(UnitOfMeasure.values)},
            )
        out["unit_of_measure"] = uom
    for field in ("list_price", "cost_price"):
        if field in out:
            out[field] = _money(out[field], field)
    if "currency" in out:
        currency = (out["currency"] or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise Invalid("currency", _("currency is a three-letter ISO 4217 code."))
        out["currency"] = currency
    if "supply_obligation_years" in out and out["supply_obligation_years"] is not None:
        years = out["supply_obligation_years"]
        if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 50:
            raise Invalid("supply_obligation_years", _("supply_obligation_years is from 1 to 50."))
    for flag in ("serialised", "defective_return_required", "active"):
        if flag in out and not isinstance(out[flag], bool):
            raise Invalid(flag, _("%(field)s is true or false.") % {"field": flag})
    return out


def _products(skus: list[str], field: str = "fits") -> list[Product]:
    wanted = [s.strip() for s in skus if s and s.strip()]
    found = {p.sku: p for p in Product.objects.filter(sku__in=wanted)}
    missing = [s for s in wanted if s not in found]
    if missing:
        raise Invalid(field, _("No product has SKU %(sku)s.") % {"sku": ", ".join(missing)})
    return list(found.values())


def _locked_part(number: str) -> Part:
    part = Part.objects.select_for_update().filter(number=normalise_part_number(number)).first()
    if part is None:
        raise NotFound(_("Part %(number)s") % {"number": number})
    return part


@transaction.atomic
def part_create(
    *,
    number: str,
    name: str,
    unit_of_measure: str = "pc",
    list_price: Decimal | str = "0",
    cost_price: Decimal | str = "0",
    currency: str = "EUR",
    serialised: bool = False,
    defective_return_required: bool = False,
    supply_obligation_years: int | None = None,
    fits: list[str] | None = None,
    replaced_by: str | None = None,
) -> Part:
    """A spare part; `fits` names the product SKUs it may be fitted to."""
    number = normalise_part_number(number)
    if not number:
        raise Invalid("number", _("A part needs a part number."))
    if len(number) > 60 or any(c.isspace() for c in number):
        raise Invalid("number", _("A part number has no spaces and at most 60 characters."))
    values = _check_part_values(
        {
            "name": name,
            "unit_of_measure": unit_of_measure,
            "list_price": list_price,
            "cost_price": cost_price,
            "currency": currency,
            "serialised": serialised,
            "defective_return_required": defective_return_required,
            "supply_obligation_years": supply_obligation_years,
        }
    )
    products = _products(fits or [])
    if Part.objects.filter(number=number).exists():
        raise Conflict(
            "duplicate_part",
            _("Part %(number)s already exists.") % {"number": number},
            {"field": "number"},
        )
    part = Part.objects.create(number=number, **values)
    if products:
        part.fits.set(products)
    if replaced_by:
        part_supersede(number=number, replaced_by=replaced_by)
        part.refresh_from_db()
    return part


@transaction.atomic
def part_update(*, number: str, **changes) -> Part:
    """Changes the given fields (None leaves one alone, except supply_obligation_years, which
    a None clears when given)."""
    part = _locked_part(number)
    unknown = set(changes) - set(_PART_FIELDS)
    if unknown:
        raise Invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    given = {k: v for k, v in changes.items() if v is not None or k == "supply_obligation_years"}
    for field, value in _check_part_values(given).items():
        setattr(part, field, value)
    part.save()
    return part


@transaction.atomic
def part_set_fits(*, number: str, skus: list[str]) -> Part:
    """The product models the part fits, replacing the list."""
    part = _locked_part(number)
    part.fits.set(_products(skus, "skus"))
    return part


@transaction.atomic
def part_supersede(*, number: str, replaced_by: str | None) -> Part:
    """Part `number` is replaced by `replaced_by` (None removes the supersession). Refuses a
    part replacing itself and a loop in the chain. Supersession does not copy the fit list
    (see docs/decisions/0008-stock-ledger.md)."""
    part = _locked_part(number)
    if not replaced_by:
        part.replaced_by = None
        part.save(update_fields=["replaced_by", "updated_at"])
        return part
    successor = Part.objects.filter(number=normalise_part_number(replaced_by)).first()
    if successor is None:
        raise Invalid("replaced_by", _("No part has number %(n)s.") % {"n": replaced_by})
    if successor.pk == part.pk:
        raise Invalid("replaced_by", _("A part cannot replace itself."))
    chain = dict(Part.objects.filter(replaced_by__isnull=False).values_list("id", "replaced_by_id"))
    current, seen = successor.pk, set()
    while current is not None and current not in seen:
        if current == part.pk:
            raise Conflict(
                "supersession_loop",
                _("%(next)s is already replaced, directly or not, by %(part)s.")
                % {"next": successor.number, "part": part.number},
                {"field": "replaced_by"},
            )
        seen.add(current)
        current = chain.get(current)
    part.replaced_by = successor
    part.save(update_fields=["replaced_by", "updated_at"])
    return part
