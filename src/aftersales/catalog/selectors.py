from __future__ import annotations

from aftersales.catalog.models import Product, WarrantyPolicy


def product_by_sku(sku: str) -> Product | None:
    return Product.objects.select_related("warranty_policy").filter(sku=sku.strip()).first()


def policy_by_code(code: str) -> WarrantyPolicy | None:
    return WarrantyPolicy.objects.prefetch_related("country_overrides").filter(code=code).first()


def policy_list():
    return WarrantyPolicy.objects.prefetch_related("country_overrides").order_by("code")


def product_list(*, category: str | None = None, q: str | None = None):
    products = Product.objects.select_related("warranty_policy").order_by("sku")
    if category:
        products = products.filter(category=category)
    if q:
        products = products.filter(name__icontains=q) | products.filter(sku__icontains=q)
    return products


def sku_index() -> dict[str, int]:
    """Every SKU with its product id: small (a catalog, not an install base), read once."""
    return dict(Product.objects.values_list("sku", "id"))
