"""The service network over HTTP: the brand's centres (and branches), its authorised
partners, and where staff are based. Everyone may read the centres; a partner's token reads
only its own partner record (another's answers 404); configurers write."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Query, Router

from aftersales.core.api import DEFAULT_PAGE_SIZE, idempotent, json_response, page_by_id_desc
from aftersales.core.errors import NotFound
from aftersales.core.permissions import require
from aftersales.network import schemas, selectors, services
from aftersales.network.models import Partner, ServiceCentre

router = Router(tags=["network"])


def centre_dict(centre: ServiceCentre) -> dict:
    return {
        "code": centre.code,
        "name": centre.name,
        "parent": centre.parent.code if centre.parent_id else None,
        "branches": sorted(centre.branches.values_list("code", flat=True)),
        "address": centre.address,
        "country": centre.country,
        "region": centre.region,
        "time_zone": centre.time_zone,
        "calendar": centre.calendar.code if centre.calendar_id else None,
        "product_lines": list(centre.product_lines),
        "currency": centre.currency,
        "active": centre.active,
        "created_at": centre.created_at.isoformat(),
    }


def partner_dict(partner: Partner) -> dict:
    return {
        "code": partner.code,
        "name": partner.name,
        "regions": list(partner.regions),
        "product_lines": list(partner.product_lines),
        "labour_rate": str(Decimal(partner.labour_rate).quantize(Decimal("0.01"))),
        "currency": partner.currency,
        "time_zone": partner.time_zone,
        "active": partner.active,
        "created_at": partner.created_at.isoformat(),
    }


class PageQuery(schemas.Schema):
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


# --- service centres -------------------------------------------------------------------------


@router.get("/service-centres", response=schemas.CentrePage)
def centre_list(request, query: Query[PageQuery]):
    require(request, "network.read")
    items, next_cursor = page_by_id_desc(
        selectors.centres(), cursor=query.cursor, limit=query.limit
    )
    return json_response(200, {"items": [centre_dict(c) for c in items], "next": next_cursor})


@router.get("/service-centres/{code}", response=schemas.CentreOut)
def centre_get(request, code: str):
    require(request, "network.read")
    centre = selectors.centre_by_code(code)
    if centre is None:
        raise NotFound(_("Service centre %(code)s") % {"code": code})
    return json_response(200, centre_dict(centre))


@router.post("/service-centres", response={201: schemas.CentreOut})
def centre_create(request, payload: schemas.CentreIn):
    require(request, "network.write")

    def create():
        centre = services.service_centre_create(**payload.model_dump())
        return 201, centre_dict(selectors.centre_by_code(centre.code))

    return idempotent(request, "network.centres", create)


# --- partners --------------------------------------------------------------------------------


def _partner_or_404(user, code: str) -> Partner:
    partner = selectors.partner_by_code(code)
    if partner is None or (user.is_partner and partner.pk != user.partner_id):
        raise NotFound(_("Partner %(code)s") % {"code": code})
    return partner


@router.get("/partners", response=schemas.PartnerPage)
def partner_list(request, query: Query[PageQuery]):
    user = require(request, "network.read")
    partners = selectors.partners()
    if user.is_partner:
        partners = partners.filter(pk=user.partner_id)
    items, next_cursor = page_by_id_desc(partners, cursor=query.cursor, limit=query.limit)
    return json_response(200, {"items": [partner_dict(p) for p in items], "next": next_cursor})


@router.get("/partners/{code}", response=schemas.PartnerOut)
def partner_get(request, code: str):
    user = require(request, "network.read")
    return json_response(200, partner_dict(_partner_or_404(user, code)))


@router.post("/partners", response={201: schemas.PartnerOut})
def partner_create(request, payload: schemas.PartnerIn):
    require(request, "network.write")

    def create():
        return 201, partner_dict(services.partner_create(**payload.model_dump()))

    return idempotent(request, "network.partners", create)


@router.patch("/partners/{code}", response=schemas.PartnerOut)
def partner_update(request, code: str, payload: schemas.PartnerPatch):
    user = require(request, "network.write")
    partner = _partner_or_404(user, code)
    changes = payload.model_dump(exclude_unset=True)
    updated = services.partner_update(code=partner.code, **changes)
    return json_response(200, partner_dict(updated))


# --- staff ----------------------------------------------------------------------------------


@router.post("/staff/{username}/centre", response=schemas.StaffCentreOut)
def staff_centre(request, username: str, payload: schemas.StaffCentreIn):
    """Bases a technician, supervisor or warehouse clerk at a centre (or nowhere)."""
    require(request, "network.write")
    staff = services.staff_assign_centre(username=username, centre_code=payload.centre_code)
    return json_response(
        200,
        {
            "username": staff.username,
            "role": staff.role,
            "centre": staff.service_centre.code if staff.service_centre_id else None,
        },
    )
