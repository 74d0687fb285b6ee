from __future__ import annotations

from django.db.models import QuerySet

from aftersales.network.models import Partner, ServiceCentre


def partner_by_code(code: str) -> Partner | None:
    return Partner.objects.filter(code=code.strip().upper()).first()


def partners() -> QuerySet[Partner]:
    return Partner.objects.order_by("code")


def centres() -> QuerySet[ServiceCentre]:
    return ServiceCentre.objects.select_related("parent", "calendar").order_by("code")


def centre_by_code(code: str) -> ServiceCentre | None:
    return ServiceCentre.objects.filter(code=code.strip()).select_related("parent").first()
