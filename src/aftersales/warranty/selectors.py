from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from aftersales.catalog.models import WarrantyCountryOverride
from aftersales.customers.models import ServiceContract, Unit
from aftersales.customers.selectors import contracts_for_unit
from aftersales.warranty import rules


def with_coverage_facts(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Adds, in the same query, the country override of the unit's policy and whether any
    contract names the unit: the common case (no contract) then costs no second query."""
    override = WarrantyCountryOverride.objects.filter(
        policy_id=OuterRef("product__warranty_policy_id"), country=OuterRef("country")
    ).values("months")[:1]
    return units.annotate(
        override_months=Subquery(override),
        has_contracts=Exists(ServiceContract.units.through.objects.filter(unit_id=OuterRef("pk"))),
    )


def terms_for(unit: Unit) -> rules.WarrantyTerms:
    policy = unit.product.warranty_policy
    if hasattr(unit, "override_months"):
        override = unit.override_months
    else:
        override = (
            WarrantyCountryOverride.objects.filter(policy_id=policy.pk, country=unit.country)
            .values_list("months", flat=True)
            .first()
        )
    return rules.WarrantyTerms(
        policy_code=policy.code,
        months=policy.months,
        starts_from=policy.starts_from,
        country_months={unit.country: override} if override else {},
        covers_parts=policy.covers_parts,
        covers_labour=policy.covers_labour,
        covers_travel=policy.covers_travel,
    )


def contract_terms_for(unit: Unit) -> list[rules.ContractTerms]:
    if getattr(unit, "has_contracts", True) is False:
        return []
    return [
        rules.ContractTerms(
            number=c.number,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            covers_parts=c.covers_parts,
            covers_labour=c.covers_labour,
            covers_travel=c.covers_travel,
        )
        for c in contracts_for_unit(unit.pk)
    ]


def unit_entitlement(unit: Unit, on: date) -> rules.Verdict:
    """The unit must come with product and warranty policy loaded (customers.selectors.unit_get)."""
    return rules.entitlement(
        terms=terms_for(unit),
        unit=rules.UnitDates(
            sold_on=unit.sold_on, installed_on=unit.installed_on, country=unit.country
        ),
        contracts=contract_terms_for(unit),
        on=on,
    )


def unit_with_coverage(serial_number: str) -> Unit | None:
    return (
        with_coverage_facts(Unit.objects.select_related("product", "product__warranty_policy"))
        .filter(serial_number=serial_number)
        .first()
    )
