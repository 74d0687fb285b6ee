from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from aftersales.catalog import schemas, selectors, services
from aftersales.core.api import idempotent
from aftersales.core.errors import NotFound
from aftersales.core.permissions import require

router = Router(tags=["catalog"])


def _policy_out(code: str) -> dict:
    return schemas.PolicyOut.from_orm(selectors.policy_by_code(code)).model_dump(mode="json")


@router.post("/warranty-policies", response={201: schemas.PolicyOut, 200: schemas.PolicyOut})
def policy_create(request, payload: schemas.PolicyIn):
    require(request, "catalog.write")

    def create():
        data = payload.model_dump()
        policy = services.policy_create(**data)
        return 201, _policy_out(policy.code)

    return idempotent(request, "warranty-policies", create)


@router.get("/warranty-policies", response=list[schemas.PolicyOut])
def policy_list(request):
    require(request, "catalog.read")
    return list(selectors.policy_list())


@router.get("/warranty-policies/{code}", response=schemas.PolicyOut)
def policy_get(request, code: str):
    require(request, "catalog.read")
    policy = selectors.policy_by_code(code)
    if policy is None:
        raise NotFound(_("Warranty policy %(code)s") % {"code": code})
    return policy


@router.patch("/warranty-policies/{code}", response=schemas.PolicyOut)
def policy_update(request, code: str, payload: schemas.PolicyPatch):
    require(request, "catalog.write")
    changes = payload.model_dump(exclude_unset=True)
    services.policy_update(code=code, **changes)
    return selectors.policy_by_code(code)


@router.post("/products", response={201: schemas.ProductOut, 200: schemas.ProductOut})
def product_create(request, payload: schemas.ProductIn):
    require(request, "catalog.write")

    def create():
        product = services.product_create(**payload.model_dump())
        return 201, schemas.ProductOut.from_orm(product).model_dump(mode="json")

    return idempotent(request, "products", create)


@router.get("/products", response=list[schemas.ProductOut])
def product_list(request, category: str | None = None, q: str | None = None):
    require(request, "catalog.read")
    return list(selectors.product_list(category=category, q=q)[:500])


@router.get("/products/{sku}", response=schemas.ProductOut)
def product_get(request, sku: str):
    require(request, "catalog.read")
    product = selectors.product_by_sku(sku)
    if product is None:
        raise NotFound(_("Product %(sku)s") % {"sku": sku})
    return product


@router.patch("/products/{sku}", response=schemas.ProductOut)
def product_update(request, sku: str, payload: schemas.ProductPatch):
    require(request, "catalog.write")
    return services.product_update(sku=sku, **payload.model_dump(exclude_unset=True))
