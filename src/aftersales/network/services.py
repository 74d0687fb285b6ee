from __future__ import annotations

from decimal import Decimal, InvalidOperation
from zoneinfo import available_timezones

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import Conflict, Invalid
from aftersales.network.models import Partner, ServiceCentre


def _time_zone(value: str) -> str:
    value = (value or "UTC").strip()
    if value not in available_timezones():
        raise Invalid("time_zone", _("%(tz)s is not a time zone name.") % {"tz": value})
    return value


def _words(values) -> list[str]:
    return sorted({str(v).strip() for v in (values or []) if str(v).strip()})


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("labour_rate", _("labour_rate must be a number.")) from None
    if rate < 0:
        raise Invalid("labour_rate", _("labour_rate cannot be negative."))
    return rate


@transaction.atomic
def partner_create(
    *,
    code: str,
    name: str,
    regions=(),
    product_lines=(),
    labour_rate: Decimal | str = "0",
    currency: str = "EUR",
    time_zone: str = "UTC",
) -> Partner:
    code = code.strip().upper()
    if not code:
        raise Invalid("code", _("A partner needs a code."))
    if Partner.objects.filter(code=code).exists():
        raise Conflict("duplicate_partner", _("Partner %(code)s already exists.") % {"code": code})
    return Partner.objects.create(
        code=code,
        name=name.strip() or code,
        regions=_words(regions),
        product_lines=_words(product_lines),
        labour_rate=_rate(labour_rate),
        currency=currency.strip().upper()[:3] or "EUR",
        time_zone=_time_zone(time_zone),
    )


@transaction.atomic
def partner_update(*, code: str, **changes) -> Partner:
    partner = Partner.objects.select_for_update().filter(code=code.strip().upper()).first()
    if partner is None:
        raise Invalid("code", _("No partner has code %(code)s.") % {"code": code})
    for key, value in changes.items():
        if value is None:
            continue
        if key in ("regions", "product_lines"):
            value = _words(value)
        elif key == "labour_rate":
            value = _rate(value)
        elif key == "time_zone":
            value = _time_zone(value)
        elif key == "currency":
            value = value.strip().upper()[:3]
        elif key not in ("name", "active"):
            raise Invalid(key, _("%(field)s cannot be changed here.") % {"field": key})
        setattr(partner, key, value)
    partner.save()
    return partner


@transaction.atomic
def service_centre_create(
    *,
    code: str,
    name: str,
    region: str,
    time_zone: str = "UTC",
    parent_code: str | None = None,
    address: str = "",
    country: str = "",
    calendar_code: str | None = None,
    product_lines=(),
    currency: str = "EUR",
) -> ServiceCentre:
    from aftersales.sla.models import BusinessCalendar

    code = code.strip()
    if not code:
        raise Invalid("code", _("A service centre needs a code."))
    if not region.strip():
        raise Invalid("region", _("A service centre serves a region."))
    if ServiceCentre.objects.filter(code=code).exists():
        raise Conflict(
            "duplicate_centre", _("Service centre %(code)s already exists.") % {"code": code}
        )
    parent = None
    if parent_code:
        parent = ServiceCentre.objects.filter(code=parent_code.strip()).first()
        if parent is None:
            raise Invalid("parent_code", _("No centre has code %(code)s.") % {"code": parent_code})
        if parent.parent_id is not None:
            raise Invalid(
                "parent_code", _("A branch belongs to a main centre, not to another branch.")
            )
    calendar = None
    if calendar_code:
        calendar = BusinessCalendar.objects.filter(code=calendar_code).first()
        if calendar is None:
            raise Invalid(
                "calendar_code", _("No calendar has code %(code)s.") % {"code": calendar_code}
            )
    return ServiceCentre.objects.create(
        code=code,
        name=name.strip() or code,
        parent=parent,
        address=address.strip(),
        country=country.strip().upper()[:2],
        region=region.strip(),
        time_zone=_time_zone(time_zone),
        calendar=calendar,
        product_lines=_words(product_lines),
        currency=currency.strip().upper()[:3] or "EUR",
    )


@transaction.atomic
def staff_assign_centre(*, username: str, centre_code: str | None):
    """Bases a technician, supervisor or warehouse clerk at a centre (or nowhere)."""
    from aftersales.accounts.models import User

    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise Invalid("username", _("No user is called %(name)s.") % {"name": username})
    if user.is_partner:
        raise Invalid(
            "username", _("A partner's people belong to their organisation, not to a centre.")
        )
    centre = None
    if centre_code:
        centre = ServiceCentre.objects.filter(code=centre_code.strip()).first()
        if centre is None:
            raise Invalid("centre_code", _("No centre has code %(code)s.") % {"code": centre_code})
    user.service_centre = centre
    user.save(update_fields=["service_centre"])
    return user
