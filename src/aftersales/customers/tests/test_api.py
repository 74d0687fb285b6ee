from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


def test_customer_phone_is_normalised(agent):
    response = agent.post(
        "/api/v1/customers",
        {
            "name": "Jan Berg",
            "email": "Jan@Example.com",
            "phone": "0170 5550001",
            "country": "de",
            "language": "en",
            "address": "Hauptstr. 1",
            "tier": "premium",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+491705550001"
    assert body["email"] == "jan@example.com"
    assert body["country"] == "DE"
    assert agent.get(f"/api/v1/customers/{body['id']}").json()["tier"] == "premium"
    found = agent.get("/api/v1/customers", q="+49 170 5550001").json()["items"]
    assert [c["id"] for c in found] == [body["id"]]


def test_unit_registration_and_duplicate_serial(agent, world, today):
    customer = world["customer"]
    body = {
        "serial_number": "SN-2",
        "sku": "WM-1",
        "customer_id": customer.pk,
        "sold_on": str(today),
        "installed_on": None,
        "country": None,
        "dealer": "Shop",
    }
    created = agent.post("/api/v1/units", body)
    assert created.status_code == 201, created.content
    assert created.json()["country"] == "ES"
    duplicate = agent.post("/api/v1/units", body)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_serial"
    unit = agent.get("/api/v1/units/SN-2").json()
    assert unit["customer"] == {"id": customer.pk, "name": customer.name}


def test_unit_validation_names_the_field(agent, world, today):
    base = {
        "serial_number": "SN-3",
        "sku": "WM-1",
        "customer_id": world["customer"].pk,
        "sold_on": str(today),
    }
    bad_date = agent.post("/api/v1/units", {**base, "sold_on": "2026-02-30"})
    assert bad_date.status_code == 422
    assert bad_date.json()["details"]["errors"][0]["field"] == "sold_on"
    before = agent.post("/api/v1/units", {**base, "installed_on": str(today - timedelta(days=1))})
    assert before.status_code == 422
    assert before.json()["details"]["field"] == "installed_on"
    unknown = agent.post("/api/v1/units", {**base, "sku": "NOPE"})
    assert unknown.json()["details"]["field"] == "sku"


def test_entitlement_endpoint(agent, world, today):
    response = agent.get("/api/v1/units/SN-ES-1/entitlement", on=str(today))
    assert response.status_code == 200
    body = response.json()
    assert body["category"] == "C"
    assert body["warranty"]["policy"] == "STD-24"
    assert body["warranty"]["months"] == 36  # the Spanish override
    assert body["warranty"]["active"] is True
    assert body["contract"] is None
    assert "36 months" in body["reason"]
    later = agent.get(
        "/api/v1/units/SN-ES-1/entitlement", on=str(today + timedelta(days=365 * 4))
    ).json()
    assert later["category"] == "A"


def test_contract_makes_category_b(agent, world, today):
    unit = world["unit"]
    starts = unit.sold_on + timedelta(days=365 * 3)
    response = agent.post(
        "/api/v1/contracts",
        {
            "number": "AMC-1",
            "customer_id": world["customer"].pk,
            "serial_numbers": ["SN-ES-1"],
            "starts_on": str(starts),
            "ends_on": str(starts + timedelta(days=364)),
            "covers_parts": True,
            "covers_labour": True,
            "price": "149.90",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["serial_numbers"] == ["SN-ES-1"]
    on = starts + timedelta(days=200)
    body = agent.get("/api/v1/units/SN-ES-1/entitlement", on=str(on)).json()
    assert body["category"] == "B"
    assert body["contract"]["number"] == "AMC-1"
    reversed_dates = agent.post(
        "/api/v1/contracts",
        {
            "number": "AMC-2",
            "customer_id": world["customer"].pk,
            "serial_numbers": [],
            "starts_on": str(starts),
            "ends_on": str(starts - timedelta(days=1)),
        },
    )
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["details"]["field"] == "ends_on"


def test_partner_sees_coverage_but_not_the_owner(people, world):
    partner = people["partner_a"]
    unit = partner.get("/api/v1/units/SN-ES-1")
    assert unit.status_code == 200
    assert unit.json()["customer"] is None
    assert partner.get("/api/v1/units/SN-ES-1/entitlement").json()["category"] == "C"
    assert partner.get(f"/api/v1/customers/{world['customer'].pk}").status_code == 403


def test_unknown_unit_is_404_in_error_shape(agent, world):
    response = agent.get("/api/v1/units/NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
