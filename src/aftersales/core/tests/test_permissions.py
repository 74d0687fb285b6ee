"""The permission matrix: every role against every endpoint, as a table."""

from __future__ import annotations

import pytest

from aftersales.cases.services import case_open

pytestmark = pytest.mark.django_db

OK, DENIED, HIDDEN = "ok", "denied", "hidden"
ROLES = ["admin", "manager", "supervisor", "agent", "technician", "warehouse", "partner_a"]


def expectation(*allowed: str, partner: str | None = None) -> dict[str, str]:
    table = {role: (OK if role in allowed else DENIED) for role in ROLES}
    if partner is not None:
        table["partner_a"] = partner
    return table


OFFICE = ("admin", "manager", "supervisor", "agent")
STAFF = ("admin", "manager", "supervisor", "agent", "technician", "warehouse")
EVERYONE = (*STAFF, "partner_a")

MATRIX = [
    ("GET", "/api/v1/warranty-policies", None, expectation(*EVERYONE)),
    (
        "POST",
        "/api/v1/warranty-policies",
        {"code": "P{n}", "name": "P", "months": 12},
        expectation("admin", "manager"),
    ),
    ("GET", "/api/v1/products", None, expectation(*EVERYONE)),
    (
        "POST",
        "/api/v1/products",
        {"sku": "S{n}", "name": "S", "category": "c", "warranty_policy": "STD-24"},
        expectation("admin", "manager"),
    ),
    ("GET", "/api/v1/customers", None, expectation(*STAFF)),
    ("POST", "/api/v1/customers", {"name": "C", "country": "ES"}, expectation(*OFFICE)),
    ("GET", "/api/v1/units/SN-ES-1", None, expectation(*EVERYONE)),
    ("GET", "/api/v1/units/SN-ES-1/entitlement", None, expectation(*EVERYONE)),
    (
        "POST",
        "/api/v1/units",
        {
            "serial_number": "N{n}",
            "sku": "WM-1",
            "customer_id": "{customer}",
            "sold_on": "2026-01-01",
        },
        expectation(*OFFICE),
    ),
    ("GET", "/api/v1/contracts", None, expectation(*STAFF)),
    ("GET", "/api/v1/cases", None, expectation(*EVERYONE)),
    (
        "POST",
        "/api/v1/cases",
        {"type": "other", "serial_number": "SN-ES-1", "summary": "s{n}"},
        expectation(*EVERYONE, partner=OK) | {"warehouse": DENIED},
    ),
    ("GET", "/api/v1/cases/{case}", None, expectation(*STAFF, partner=HIDDEN)),
    (
        "POST",
        "/api/v1/cases/{case}/entries",
        {"kind": "note", "body": "b"},
        expectation("admin", "manager", "supervisor", "agent", "technician", partner=HIDDEN),
    ),
    (
        "POST",
        "/api/v1/cases/{case}/handoff",
        {"to": "{self}", "reason": "r"},
        expectation(*OFFICE, partner=DENIED),
    ),
]


@pytest.mark.parametrize(
    "method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _b, _e in MATRIX]
)
def test_permission_matrix(people, world, method, path, body, expected):
    case, _ = case_open(
        actor=people["agent"].user,
        type="repair",
        channel="phone",
        serial_number="SN-ES-1",
        summary="x",
    )
    for n, role in enumerate(ROLES):
        persona = people[role]
        fill = {
            "case": case.number,
            "customer": world["customer"].pk,
            "n": n,
            "self": "supervisor" if n % 2 == 0 else "agent",
        }
        url = path.format(**fill)
        if method == "GET":
            response = persona.get(url)
        else:
            payload = {k: (v.format(**fill) if isinstance(v, str) else v) for k, v in body.items()}
            if "customer_id" in payload:
                payload["customer_id"] = int(payload["customer_id"])
            response = persona.post(url, payload)
        want = expected[role]
        if want == OK:
            assert response.status_code in (200, 201), (role, url, response.content)
        elif want == DENIED:
            assert response.status_code == 403, (role, url, response.status_code)
        else:
            assert response.status_code == 404, (role, url, response.status_code)
        if want != OK:
            assert set(response.json()) == {"code", "message", "details"}


def test_partner_b_cannot_reach_partner_a_case(people, world):
    created = (
        people["partner_a"]
        .post("/api/v1/cases", {"type": "repair", "serial_number": "SN-ES-1", "summary": "noise"})
        .json()
    )
    other = people["partner_b"]
    for url in (f"/api/v1/cases/{created['number']}",):
        assert other.get(url).status_code == 404
    assert (
        other.post(
            f"/api/v1/cases/{created['number']}/entries", {"kind": "note", "body": "x"}
        ).status_code
        == 404
    )
    assert other.get("/api/v1/cases", q=created["number"]).json()["items"] == []
