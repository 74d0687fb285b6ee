"""People and a small world for the UI tests, built through the services. Shared by the web,
portal and browser tests (each conftest imports these)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from aftersales.accounts.services import user_create
from aftersales.cases import services as case_services
from aftersales.catalog import services as catalog
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.network.services import partner_create

UI_PASSWORD = "ui-test-password-1"
STAFF_ROLES = ["admin", "manager", "supervisor", "agent", "technician", "warehouse"]


@pytest.fixture
def ui_users(db):
    partner_create(code="UI-A", name="Partner A")
    partner_create(code="UI-B", name="Partner B")
    users = {
        role: user_create(
            username=f"ui_{role}", role=role, password=UI_PASSWORD, check_password_strength=False
        )[0]
        for role in STAFF_ROLES
    }
    for name, code in (("partner_a", "UI-A"), ("partner_b", "UI-B")):
        users[name] = user_create(
            username=f"ui_{name}",
            role="partner",
            password=UI_PASSWORD,
            partner_code=code,
            check_password_strength=False,
        )[0]
    return users


@pytest.fixture
def client_as(ui_users):
    """A test client logged in as one of the `ui_users` (by key: "agent", "partner_a", ...)."""

    def make(who: str) -> Client:
        client = Client()
        client.force_login(ui_users[who])
        return client

    return make


@pytest.fixture
def ui_world(db):
    """A 24-month policy, a washing machine, a customer with a unit sold 100 days ago (in
    warranty), an old unit out of warranty, and a customer with no units."""
    catalog.policy_create(code="UI-24", name="Standard", months=24)
    product = catalog.product_create(
        sku="UI-WM",
        name="Washing machine UI-WM",
        category="washing_machine",
        warranty_policy="UI-24",
    )
    customer = customers.customer_create(
        name="Jan Berg", email="jan@example.com", phone="+49 170 555 0001", country="DE"
    )
    unit = customers.unit_register(
        serial_number="UI-SN-1",
        sku="UI-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )
    old_unit = customers.unit_register(
        serial_number="UI-OLD-1",
        sku="UI-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=1000),
    )
    loner = customers.customer_create(name="Ana Solo", email="ana@example.com", country="ES")
    return {
        "product": product,
        "customer": customer,
        "unit": unit,
        "old_unit": old_unit,
        "loner": loner,
    }


@pytest.fixture
def make_case(ui_users, ui_world):
    """Opens a case through the service, as one of the `ui_users`."""

    def make(
        who: str = "agent",
        *,
        serial: str | None = "UI-SN-1",
        type: str = "repair",
        summary: str = "Drum does not spin",
        **kwargs,
    ):
        case, _ = case_services.case_open(
            actor=ui_users[who],
            type=type,
            channel="phone",
            summary=summary,
            serial_number=serial,
            **kwargs,
        )
        return case

    return make


@pytest.fixture
def clean_cache(db):
    """Rate-limit counters live in the cache: start and end each test that counts with none."""
    cache.clear()
    yield
    cache.clear()
