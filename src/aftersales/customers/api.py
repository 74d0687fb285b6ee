from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import NotFound
from aftersales.core.permissions import require
from aftersales.customers import schemas, selectors, services

router = Router(tags=["install base"])


class CustomerPage(schemas.Page):
    items: list[schemas.CustomerOut]


class UnitPage(schemas.Page):
    items: list[schemas.UnitOut]


class ContractPage(schemas.Page):
    items: list[schemas.ContractOut]


def _unit_out(request, unit) -> dict:
    out = schemas.UnitOut.from_orm(unit).model_dump(mode="json")
    if request.auth.is_partner:
        # A partner checks coverage; who owns the unit is the brand's business.
        out["customer"] = None
    return out


@router.post("/customers", response={201: schemas.CustomerOut, 200: schemas.CustomerOut})
def customer_create(request, payload: schemas.CustomerIn):
    require(request, "customers.write")

    def create():
        customer = services.customer_create(**payload.model_dump())
        return 201, schemas.CustomerOut.from_orm(customer).model_dump(mode="json")

    return idempotent(request, "customers", create)


@router.get("/customers", response=CustomerPage)
def customer_list(
    request, q: str | None = None, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
):
    require(request, "customers.read")
    items, next_cursor = page_by_id_desc(selectors.customer_list(q=q), cursor=cursor, limit=limit)
    return {"items": items, "next": next_cursor}


@router.get("/customers/{int:customer_id}", response=schemas.CustomerOut)
def customer_get(request, customer_id: int):
    require(request, "customers.read")
    customer = selectors.customer_get(customer_id)
    if customer is None:
        raise NotFound(_("Customer %(id)s") % {"id": customer_id})
    return customer


@router.patch("/customers/{int:customer_id}", response=schemas.CustomerOut)
def customer_update(request, customer_id: int, payload: schemas.CustomerPatch):
    require(request, "customers.write")
    return services.customer_update(
        customer_id=customer_id, **payload.model_dump(exclude_unset=True)
    )


@router.post("/units", response={201: schemas.UnitOut, 200: schemas.UnitOut})
def unit_register(request, payload: schemas.UnitIn):
    require(request, "units.write")

    def create():
        unit = services.unit_register(**payload.model_dump())
        return 201, _unit_out(request, unit)

    return idempotent(request, "units", create)


@router.get("/units", response=UnitPage)
def unit_list(
    request,
    customer_id: int | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
):
    require(request, "customers.read")
    items, next_cursor = page_by_id_desc(
        selectors.unit_list(customer_id=customer_id, q=q), cursor=cursor, limit=limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/units/{serial_number}", response=schemas.UnitOut)
def unit_get(request, serial_number: str):
    require(request, "units.read")
    unit = selectors.unit_get(serial_number)
    if unit is None:
        raise NotFound(_("Unit %(serial)s") % {"serial": serial_number})
    return json_response(200, _unit_out(request, unit))


@router.patch("/units/{serial_number}", response=schemas.UnitOut)
def unit_update(request, serial_number: str, payload: schemas.UnitPatch):
    require(request, "units.write")
    services.unit_update(serial_number=serial_number, **payload.model_dump(exclude_unset=True))
    return json_response(200, _unit_out(request, selectors.unit_get(serial_number)))


@router.post("/contracts", response={201: schemas.ContractOut, 200: schemas.ContractOut})
def contract_create(request, payload: schemas.ContractIn):
    require(request, "contracts.write")

    def create():
        contract = services.contract_create(**payload.model_dump())
        return 201, schemas.ContractOut.from_orm(
            selectors.contract_get(contract.number)
        ).model_dump(mode="json")

    return idempotent(request, "contracts", create)


@router.get("/contracts", response=ContractPage)
def contract_list(
    request,
    customer_id: int | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
):
    require(request, "contracts.read")
    items, next_cursor = page_by_id_desc(
        selectors.contract_list(customer_id=customer_id), cursor=cursor, limit=limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/contracts/{number}", response=schemas.ContractOut)
def contract_get(request, number: str):
    require(request, "contracts.read")
    contract = selectors.contract_get(number)
    if contract is None:
        raise NotFound(_("Contract %(number)s") % {"number": number})
    return contract


@router.patch("/contracts/{number}", response=schemas.ContractOut)
def contract_update(request, number: str, payload: schemas.ContractPatch):
    require(request, "contracts.write")
    services.contract_update(number=number, **payload.model_dump(exclude_unset=True))
    return selectors.contract_get(number)
