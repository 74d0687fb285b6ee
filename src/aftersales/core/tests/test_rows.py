"""The hand-written reads on every request (core.rows) give what the ORM gives."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Model

from aftersales.accounts.models import ApiToken, User
from aftersales.accounts.selectors import live_token
from aftersales.accounts.services import token_digest, token_revoke
from aftersales.core import rows
from aftersales.customers.models import Unit
from aftersales.customers.services import contract_create
from aftersales.warranty.selectors import unit_with_coverage, with_coverage_facts

pytestmark = pytest.mark.django_db


def fields(obj: Model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_token_row_is_the_orm_row_with_user_and_partner(people):
    persona = people["partner_a"]
    record = live_token(token_digest(persona.token))
    expected = ApiToken.objects.select_related("user", "user__partner").get(pk=record.pk)
    assert fields(record) == fields(expected)
    assert fields(record.user) == fields(expected.user)
    assert fields(record.user.partner) == fields(expected.user.partner)
    assert record.user.partner.code == "ASP-A"
    staff = live_token(token_digest(people["agent"].token))
    assert staff.user.partner is None


def test_a_revoked_token_or_an_inactive_user_is_not_live(people):
    persona = people["agent"]
    token_revoke(token_or_prefix=persona.token)
    assert live_token(token_digest(persona.token)) is None
    other = people["technician"]
    User.objects.filter(pk=other.user.pk).update(is_active=False)
    assert live_token(token_digest(other.token)) is None


def test_the_unit_row_is_the_orm_row_with_its_coverage_facts(world, people):
    expected = (
        with_coverage_facts(Unit.objects.select_related("product__warranty_policy", "customer"))
        .filter(serial_number="SN-ES-1")
        .get()
    )
    unit = unit_with_coverage("SN-ES-1", with_customer=True, lock=True)
    assert fields(unit) == fields(expected)
    assert fields(unit.product) == fields(expected.product)
    assert fields(unit.product.warranty_policy) == fields(expected.product.warranty_policy)
    assert fields(unit.customer) == fields(expected.customer)
    assert (unit.override_months, unit.has_contracts) == (36, False)
    contract_create(
        number="AMC-1",
        customer_id=world["customer"].pk,
        serial_numbers=["SN-ES-1"],
        starts_on=world["unit"].sold_on,
        ends_on=world["unit"].sold_on.replace(year=world["unit"].sold_on.year + 5),
    )
    assert unit_with_coverage("SN-ES-1").has_contracts is True
    assert unit_with_coverage("NO-SUCH-SERIAL") is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_token_check_is_prepared_once_then_only_executed(people):
    digest = token_digest(people["agent"].token)
    for _ in range(6):
        assert live_token(digest) is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ["SELECT %", "%FROM " + rows.table(ApiToken) + " t INNER JOIN%"],
        )
        (prepared,) = cursor.fetchone()
    assert prepared == 1
