"""Personas and a small world every test can stand on: one user per role, two partners with a
user each, a catalog, a customer with a unit in warranty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from aftersales.accounts.services import token_create, user_create
from aftersales.catalog import services as catalog
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.network.services import partner_create

PASSWORD = "correct-horse-battery-staple"
ROLES = ["admin", "manager", "supervisor", "agent", "technician", "warehouse"]


@dataclass
class Persona:
    user: object
    token: str
    client: Client

    def get(self, path, **params):
        return self.client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def post(self, path, body=None, **headers):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return self.client.post(
            path,
            body or {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **extra,
        )

    def patch(self, path, body):
        return self.client.patch(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {self.token}"
        )


def make_persona(username: str, role: str, partner_code: str | None = None) -> Persona:
    user, _ = user_create(
        username=username, role=role, password=PASSWORD, partner_code=partner_code
    )
    _, token = token_create(username=username)
    return Persona(user=user, token=token, client=Client())


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language. A request in Spanish leaves Spanish active
    in the worker's thread (LocaleMiddleware activates per request and never resets), and
    would otherwise leak into whichever test the worker runs next."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def partners(db):
    return partner_create(code="ASP-A", name="Partner A"), partner_create(
        code="ASP-B", name="Partner B"
    )


@pytest.fixture
def people(db, partners) -> dict[str, Persona]:
    personas = {role: make_persona(role, role) for role in ROLES}
    personas["partner_a"] = make_persona("partner_a", "partner", "ASP-A")
    personas["partner_b"] = make_persona("partner_b", "partner", "ASP-B")
    return personas


@pytest.fixture
def agent(people) -> Persona:
    return people["agent"]


@pytest.fixture
def world(db):
    """A policy (24 months, 36 in Spain), a product, a Spanish customer, and a unit of theirs
    sold 100 days ago."""
    catalog.policy_create(
        code="STD-24",
        name="Standard",
        months=24,
        country_overrides=[{"country": "ES", "months": 36}],
    )
    product = catalog.product_create(
        sku="WM-1", name="Washing machine", category="washing_machine", warranty_policy="STD-24"
    )
    customer = customers.customer_create(
        name="Lucía García",
        email="lucia@example.com",
        phone="612 345 678",
        country="ES",
        language="es",
    )
    unit = customers.unit_register(
        serial_number="SN-ES-1",
        sku="WM-1",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )
    return {"product": product, "customer": customer, "unit": unit}


@pytest.fixture
def today() -> date:
    return clock.today()
