from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from ninja import Router, Schema

from aftersales.core import clock
from aftersales.core.api import json_response
from aftersales.core.errors import NotFound
from aftersales.core.permissions import require
from aftersales.warranty.selectors import unit_entitlement, unit_with_coverage

router = Router(tags=["warranty"])


class WarrantyOut(Schema):
    policy: str
    months: int
    starts_on: date
    ends_on: date
    active: bool


class ContractCoverOut(Schema):
    number: str
    starts_on: date
    ends_on: date
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool


class EntitlementOut(Schema):
    serial_number: str
    on: date
    warranty: WarrantyOut
    contract: ContractCoverOut | None
    category: str
    reason: str


def entitlement_out(serial_number: str, verdict) -> dict:
    period = verdict.warranty
    contract = verdict.contract
    return {
        "serial_number": serial_number,
        "on": verdict.on,
        "warranty": {
            "policy": period.policy,
            "months": period.months,
            "starts_on": period.starts_on,
            "ends_on": period.ends_on,
            "active": verdict.warranty_active,
        },
        "contract": None
        if contract is None
        else {
            "number": contract.number,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "covers_parts": contract.covers_parts,
            "covers_labour": contract.covers_labour,
            "covers_travel": contract.covers_travel,
        },
        "category": verdict.category.value,
        "reason": verdict.reason,
    }


@router.get("/units/{serial_number}/entitlement", response=EntitlementOut)
def entitlement(request, serial_number: str, on: date | None = None):
    require(request, "units.read")
    unit = unit_with_coverage(serial_number)
    if unit is None:
        raise NotFound(_("Unit %(serial)s") % {"serial": serial_number})
    # Shaped by entitlement_out field for field: sent as it is, without a second pass
    # through the output schema (this endpoint is the hottest read of the API).
    return json_response(
        200, entitlement_out(unit.serial_number, unit_entitlement(unit, on or clock.today()))
    )
