"""Who may call which returns endpoint: every role on every endpoint. A role the permission
table refuses gets 403; a role it allows gets an answer from the business (2xx, or a 4xx
about the return: 404 outside its scope, 409 for a step out of order), never 403 or 500."""

from __future__ import annotations

import pytest

from aftersales.accounts.rules import PERMISSIONS

pytestmark = pytest.mark.django_db

PERSONAS = [
    "admin",
    "manager",
    "supervisor",
    "agent",
    "technician",
    "warehouse",
    "partner_a",
    "partner_b",
]

ENDPOINTS = [
    (
        "evaluate",
        "post",
        "/api/v1/remedies/evaluate",
        "returns.read",
        {
            "serial_number": "SN-ES-1",
            "reported_on": "2026-06-01",
            "fault": {"performance_failure": True},
        },
    ),
    (
        "decide",
        "post",
        "/api/v1/cases/{case}/remedy-decisions",
        "returns.write",
        {"chosen": "repair"},
    ),
    ("create", "post", "/api/v1/rmas", "returns.write", {"lines": [{"serial_number": "SN-ES-1"}]}),
    ("list", "get", "/api/v1/rmas", "returns.read", None),
    ("get", "get", "/api/v1/rmas/{rma}", "returns.read", None),
    ("label", "get", "/api/v1/rmas/{rma}/label.pdf", "returns.read", None),
    ("authorise", "post", "/api/v1/rmas/{rma}/authorise", "returns.authorise", {}),
    (
        "ship_in",
        "post",
        "/api/v1/rmas/{rma}/shipments",
        "returns.receive",
        {"direction": "inbound", "carrier": "SEUR"},
    ),
    (
        "ship_out",
        "post",
        "/api/v1/rmas/{rma}/shipments",
        "returns.resolve",
        {"direction": "outbound", "carrier": "SEUR"},
    ),
    ("receive", "post", "/api/v1/rmas/{rma}/receive", "returns.receive", {}),
    (
        "inspect",
        "post",
        "/api/v1/rmas/{rma}/inspect",
        "returns.inspect",
        {"lines": [{"line_id": 1, "result": "confirmed"}]},
    ),
    (
        "resolve",
        "post",
        "/api/v1/rmas/{rma}/resolve",
        "returns.resolve",
        {"line_id": 1, "disposition": "repair"},
    ),
    ("close", "post", "/api/v1/rmas/{rma}/close", "returns.resolve", None),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "method", "path", "permission", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_permission_matrix(people, repair_case, persona, name, method, path, permission, body):
    rma = people["agent"].post("/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}]})
    assert rma.status_code == 201, rma.content
    who = people[persona]
    url = path.format(rma=rma.json()["number"], case=repair_case.number)
    response = who.get(url) if method == "get" else who.post(url, body)
    role = who.user.role
    if role in PERMISSIONS[permission]:
        assert response.status_code != 403, (persona, name, response.content)
        assert response.status_code < 500, (persona, name, response.content)
        if role == "partner" and "{rma}" in path:
            assert response.status_code == 404, (persona, name, response.content)
    else:
        assert response.status_code == 403, (persona, name, response.content)
        assert response.json()["code"] == "forbidden"
