from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import Conflict, Invalid
from aftersales.inventory.models import LocationKind, StockLocation
from aftersales.network.models import Partner, ServiceCentre


@transaction.atomic
def stock_location_create(
    *,
    code: str,
    name: str,
    kind: str = LocationKind.WAREHOUSE,
    centre_code: str | None = None,
    partner_code: str | None = None,
) -> StockLocation:
    code = code.strip()
    if not code:
        raise Invalid("code", _("A stock location needs a code."))
    if kind not in LocationKind.values:
        raise Invalid(
            "kind", _("kind must be one of: %(k)s.") % {"k": ", ".join(LocationKind.values)}
        )
    if bool(centre_code) == bool(partner_code):
        raise Invalid("centre_code", _("A stock location is held by one centre or one partner."))
    if StockLocation.objects.filter(code=code).exists():
        raise Conflict(
            "duplicate_location", _("Location %(code)s already exists.") % {"code": code}
        )
    centre = partner = None
    if centre_code:
        centre = ServiceCentre.objects.filter(code=centre_code.strip()).first()
        if centre is None:
            raise Invalid("centre_code", _("No centre has code %(code)s.") % {"code": centre_code})
    else:
        partner = Partner.objects.filter(code=partner_code.strip().upper()).first()
        if partner is None:
            raise Invalid(
                "partner_code", _("No partner has code %(code)s.") % {"code": partner_code}
            )
    return StockLocation.objects.create(
        code=code, name=name.strip() or code, kind=kind, centre=centre, partner=partner
    )
