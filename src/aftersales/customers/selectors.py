from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from aftersales.customers.models import Customer, ServiceContract, Unit
from aftersales.customers.rules import normalise_email, phone_search_variants


def customer_get(customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def customer_list(*, q: str | None = None) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if q:
        customers = customers.filter(customer_matches(q))
    return customers


def customer_matches(q: str) -> Q:
    text = q.strip()
    condition = Q(name__icontains=text)
    if "@" in text:
        condition |= Q(email=normalise_email(text))
    if any(ch.isdigit() for ch in text):
        condition |= Q(phone__in=phone_search_variants(text, settings.PHONE_REGIONS))
    return condition


def unit_get(serial_number: str) -> Unit | None:
    return (
        Unit.objects.select_related("product", "product__warranty_policy", "customer")
        .filter(serial_number=serial_number)
        .first()
    )


def unit_lineage(unit: Unit, *, limit: int = 20) -> tuple[list[Unit], list[Unit]]:
    """The units this one replaced, nearest first, and the units that replaced it: a
    replacement's history runs back through every unit it stands in for."""
    earlier: list[Unit] = []
    current = unit
    while current.replaces_id and len(earlier) < limit:
        current = Unit.objects.select_related("product").get(pk=current.replaces_id)
        earlier.append(current)
    later = list(Unit.objects.select_related("product").filter(replaces=unit).order_by("pk"))
    return earlier, later


def unit_list(*, customer_id: int | None = None, q: str | None = None) -> QuerySet[Unit]:
    units = Unit.objects.select_related("product", "customer")
    if customer_id is not None:
        units = units.filter(customer_id=customer_id)
    if q:
        units = units.filter(serial_number__istartswith=q.strip())
    return units


def contract_get(number: str) -> ServiceContract | None:
    return (
        ServiceContract.objects.select_related("customer")
        .prefetch_related("units")
        .filter(number=number)
        .first()
    )


def contract_list(*, customer_id: int | None = None) -> QuerySet[ServiceContract]:
    contracts = ServiceContract.objects.select_related("customer").prefetch_related("units")
    if customer_id is not None:
        contracts = contracts.filter(customer_id=customer_id)
    return contracts


def contracts_for_unit(unit_id: int) -> QuerySet[ServiceContract]:
    return ServiceContract.objects.filter(units__id=unit_id)


def existing_serials(serials: list[str]) -> set[str]:
    return set(
        Unit.objects.filter(serial_number__in=serials).values_list("serial_number", flat=True)
    )


def customer_ids_by_email(emails: list[str]) -> dict[str, int]:
    return dict(
        Customer.objects.filter(email__in=emails).values_list("email", "id").order_by("-id")
    )
