from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from aftersales.catalog.models import WarrantyCountryOverride
from aftersales.core import rows
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


@rows.statement
def _unit_with_coverage_sql(with_customer: bool, lock: bool) -> str:
    Product = Unit._meta.get_field("product").related_model
    Policy = Product._meta.get_field("warranty_policy").related_model
    Customer = Unit._meta.get_field("customer").related_model
    Contracts = ServiceContract.units.through
    col = rows.column
    select = [
        rows.columns(Unit, "u"),
        rows.columns(Product, "pr"),
        rows.columns(Policy, "wp"),
        f"(SELECT {col(WarrantyCountryOverride, 'months', 'o')}"
        f" FROM {rows.table(WarrantyCountryOverride)} o"
        f" WHERE {col(WarrantyCountryOverride, 'policy', 'o')} = wp.id"
        f" AND {col(WarrantyCountryOverride, 'country', 'o')} = {col(Unit, 'country', 'u')}"
        " LIMIT 1)",
        f"EXISTS (SELECT 1 FROM {rows.table(Contracts)} cu"
        f" WHERE {col(Contracts, 'unit', 'cu')} = u.id)",
    ]
    joins = [
        f" INNER JOIN {rows.table(Product)} pr ON pr.id = {col(Unit, 'product', 'u')}",
        f" INNER JOIN {rows.table(Policy)} wp ON wp.id = {col(Product, 'warranty_policy', 'pr')}",
    ]
    if with_customer:
        select.append(rows.columns(Customer, "c"))
        joins.append(f" INNER JOIN {rows.table(Customer)} c ON c.id = {col(Unit, 'customer', 'u')}")
    sql = (
        f"SELECT {', '.join(select)} FROM {rows.table(Unit)} u{''.join(joins)}"
        f" WHERE {col(Unit, 'serial_number', 'u')} = %s"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE OF u" if connection.features.has_select_for_update_of else " FOR UPDATE"
    return sql


def unit_with_coverage(
    serial_number: str, *, with_customer: bool = False, lock: bool = False
) -> Unit | None:
    """The unit with its product, warranty policy and coverage facts (see
    `with_coverage_facts`), and its customer when asked, in one query written by hand
    (core.rows): this read is behind every entitlement lookup and every new case.
    `lock` takes the unit row FOR UPDATE (inside the caller's transaction)."""
    with rows.cursor() as cursor:
        cursor.execute(_unit_with_coverage_sql(with_customer, lock), [serial_number])
        row = cursor.fetchone()
    if row is None:
        return None
    Product = Unit._meta.get_field("product").related_model
    unit = rows.instance(Unit, row)
    at = rows.width(Unit)
    product = rows.instance(Product, row, at)
    at += rows.width(Product)
    Policy = Product._meta.get_field("warranty_policy").related_model
    rows.cache_related(product, "warranty_policy", rows.instance(Policy, row, at))
    rows.cache_related(unit, "product", product)
    at += rows.width(Policy)
    unit.override_months = row[at]
    unit.has_contracts = bool(row[at + 1])
    if with_customer:
        Customer = Unit._meta.get_field("customer").related_model
        rows.cache_related(unit, "customer", rows.instance(Customer, row, at + 2))
    return unit
