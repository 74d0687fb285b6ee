from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

POLICY = {
    "code": "STD-24",
    "name": "Standard",
    "months": 24,
    "covers_parts": True,
    "covers_labour": True,
    "covers_travel": False,
    "starts_from": "sale",
    "country_overrides": [{"country": "es", "months": 36}],
    "exclusions": "misuse",
}


def test_manager_creates_policy_and_product(people):
    manager = people["manager"]
    response = manager.post("/api/v1/warranty-policies", POLICY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] > 0
    assert body["country_overrides"] == [{"country": "ES", "months": 36}]
    product = manager.post(
        "/api/v1/products",
        {
            "sku": "WM-1",
            "name": "Washer",
            "category": "washing_machine",
            "warranty_policy": "STD-24",
        },
    )
    assert product.status_code == 201
    assert product.json()["warranty_policy"] == "STD-24"
    assert manager.get("/api/v1/products/WM-1").json()["name"] == "Washer"


def test_policy_update_replaces_overrides(people):
    manager = people["manager"]
    manager.post("/api/v1/warranty-policies", POLICY)
    response = manager.patch(
        "/api/v1/warranty-policies/STD-24",
        {"months": 12, "country_overrides": [{"country": "PT", "months": 36}]},
    )
    assert response.status_code == 200
    assert response.json()["months"] == 12
    assert response.json()["country_overrides"] == [{"country": "PT", "months": 36}]


def test_duplicate_policy_is_409_and_bad_months_422(people):
    manager = people["manager"]
    manager.post("/api/v1/warranty-policies", POLICY)
    again = manager.post("/api/v1/warranty-policies", POLICY)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_policy"
    bad = manager.post("/api/v1/warranty-policies", {**POLICY, "code": "X", "months": 0})
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["field"] == "months"
    unknown = manager.post(
        "/api/v1/products", {"sku": "A", "name": "A", "category": "c", "warranty_policy": "NOPE"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["details"]["field"] == "warranty_policy"


def test_agent_may_read_but_not_write_catalog(people):
    people["manager"].post("/api/v1/warranty-policies", POLICY)
    agent = people["agent"]
    assert agent.get("/api/v1/warranty-policies").status_code == 200
    refused = agent.post("/api/v1/warranty-policies", {**POLICY, "code": "OTHER"})
    assert refused.status_code == 403
    assert set(refused.json()) == {"code", "message", "details"}
