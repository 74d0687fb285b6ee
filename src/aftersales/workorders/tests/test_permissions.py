"""Who may call which work-order endpoint. Every role is tried on every endpoint: a role the
permission table refuses gets 403 before anything else happens; a role it allows gets an
answer from the business (2xx, or a 4xx about the work order), never 403 and never 500.
Objects outside the caller's scope answer 404, exactly like objects that do not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.accounts.rules import PERMISSIONS
from aftersales.core import clock
from aftersales.workorders import services as wo

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
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


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {wo}: the work order's URL, {case}: its case number, {att}: an attachment id
    permission: str
    body: dict | None = None
    scoped: bool = True  # answers about one work order


def _window() -> dict:
    start = clock.now().replace(microsecond=0) + timedelta(hours=3)
    return {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(),
    }


ENDPOINTS = [
    Endpoint("list", "get", "/api/v1/work-orders", "workorders.read", scoped=False),
    Endpoint("detail", "get", "{wo}", "workorders.read"),
    Endpoint("attachment", "get", "{wo}/attachments/{att}", "workorders.read"),
    Endpoint("location", "get", "/api/v1/units/SN-ES-1/location", "workorders.read", scoped=False),
    Endpoint(
        "service_record",
        "get",
        "/api/v1/technicians/technician/service-record",
        "workorders.report",
        scoped=False,
    ),
    Endpoint(
        "invoice_get", "get", "/api/v1/invoices/INV-2000-000001", "workorders.read", scoped=False
    ),
    Endpoint(
        "create",
        "post",
        "/api/v1/cases/{case}/work-orders",
        "workorders.create",
        {"kind": "remote"},
        scoped=False,
    ),
    Endpoint("schedule", "post", "{wo}/schedule", "workorders.dispatch", {}),
    Endpoint("assign", "post", "{wo}/assign", "workorders.dispatch", {"technician": "technician"}),
    Endpoint(
        "category",
        "post",
        "{wo}/category",
        "workorders.dispatch",
        {"category": "B", "reason": "goodwill"},
    ),
    Endpoint("custody", "post", "{wo}/custody", "workorders.custody", {"kind": "picked_up"}),
    Endpoint("start", "post", "{wo}/start", "workorders.work"),
    Endpoint("visit", "post", "{wo}/visit", "workorders.work", {"notes": "looked"}),
    Endpoint(
        "labour",
        "post",
        "{wo}/labour",
        "workorders.work",
        {"minutes": 10, "labour_code": "REP", "planned": True},
    ),
    Endpoint(
        "parts",
        "post",
        "{wo}/parts",
        "workorders.work",
        {"part_number": "DP-100", "quantity": 1, "planned": True},
    ),
    Endpoint("attach", "multipart", "{wo}/attachments", "workorders.work"),
    Endpoint("quote", "post", "{wo}/quote", "workorders.quote"),
    Endpoint("approve", "post", "{wo}/approve", "workorders.approve", {"accept": True}),
    Endpoint("resume", "post", "{wo}/resume", "workorders.work", {}),
    Endpoint(
        "complete",
        "post",
        "{wo}/complete",
        "workorders.work",
        {"result": "fixed", "acceptance": {"name": "Lucía", "typed": True}},
    ),
    Endpoint("verify", "post", "{wo}/verify", "workorders.verify", {"passed": True}),
    Endpoint("invoice", "post", "{wo}/invoice", "billing.invoice"),
    Endpoint(
        "payment", "post", "{wo}/payment", "billing.payment", {"amount": "1.00", "method": "cash"}
    ),
    Endpoint("close", "post", "{wo}/close", "workorders.close"),
    Endpoint("cancel", "post", "{wo}/cancel", "workorders.close", {"reason": "changed mind"}),
]


def call(persona, endpoint: Endpoint, *, number: str, case: str, attachment: int):
    path = endpoint.path.format(wo=f"/api/v1/work-orders/{number}", case=case, att=attachment)
    if endpoint.method == "get":
        return persona.get(path)
    if endpoint.method == "multipart":
        return persona.client.post(
            path,
            {"file": SimpleUploadedFile("photo.png", PNG, content_type="image/png")},
            HTTP_AUTHORIZATION=f"Bearer {persona.token}",
        )
    body = dict(endpoint.body or {})
    if endpoint.name == "schedule":
        body = _window()
    return persona.post(path, body)


def _dispatched_job(people, case, **assignee) -> tuple[str, int]:
    sup = people["supervisor"].user
    order = wo.work_order_create(actor=sup, case_number=case.number, kind="on_site")
    start = clock.now() + timedelta(hours=2)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_assign(actor=sup, number=order.number, **assignee)
    attachment = wo.work_order_attach(
        actor=sup, number=order.number, filename="a.png", content_type="image/png", content=PNG
    )
    return order.number, attachment.pk


def _role(persona_name: str) -> str:
    return "partner" if persona_name.startswith("partner") else persona_name


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_permission_matrix(people, repair_case, persona_name):
    persona = people[persona_name]
    number, attachment = _dispatched_job(people, repair_case, technician_username="technician")
    role = _role(persona_name)
    answers = {}
    for endpoint in ENDPOINTS:
        response = call(
            persona, endpoint, number=number, case=repair_case.number, attachment=attachment
        )
        answers[endpoint.name] = response.status_code
        assert response.status_code < 500, (endpoint.name, response.content)
        if role in PERMISSIONS[endpoint.permission]:
            assert response.status_code != 403, (endpoint.name, response.content)
        else:
            assert response.status_code == 403, (endpoint.name, response.content)
            body = response.json()
            assert (body["code"], body["details"]["action"]) == ("forbidden", endpoint.permission)
    # What the role sees of a job assigned to our technician at its centre.
    if role == "partner":
        assert (answers["list"], answers["detail"], answers["attachment"]) == (200, 404, 404)
        assert answers["location"] == 404
    else:
        assert (answers["list"], answers["detail"], answers["attachment"]) == (200, 200, 200)
        assert answers["location"] == 200


def _same_as_missing(response, missing, number: str) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == missing.json()["code"] == "not_found"
    assert response.json()["message"] == missing.json()["message"].replace("WO-999999", number)


def test_another_partners_work_order_is_404_everywhere(people, repair_case):
    number, attachment = _dispatched_job(people, repair_case, partner_code="ASP-A")
    partner_a, partner_b = people["partner_a"], people["partner_b"]
    assert partner_a.get(f"/api/v1/work-orders/{number}").status_code == 200
    before = partner_a.get(f"/api/v1/work-orders/{number}").json()
    for endpoint in ENDPOINTS:
        if not endpoint.scoped:
            continue
        response = call(partner_b, endpoint, number=number, case="", attachment=attachment)
        if "partner" not in PERMISSIONS[endpoint.permission]:
            assert response.status_code == 403, endpoint.name
            continue
        missing = call(partner_b, endpoint, number="WO-999999", case="", attachment=attachment)
        _same_as_missing(response, missing, number)
    assert partner_b.get("/api/v1/work-orders").json()["items"] == []
    assert partner_b.get("/api/v1/units/SN-ES-1/location").status_code == 404
    after = partner_a.get(f"/api/v1/work-orders/{number}").json()
    assert after == before


def test_a_technician_does_not_see_another_technicians_job(people, repair_case, tech2):
    number, attachment = _dispatched_job(people, repair_case, technician_username="tech2")
    technician = people["technician"]
    before = tech2.get(f"/api/v1/work-orders/{number}").json()
    assert before["technician"] == "tech2"
    for endpoint in ENDPOINTS:
        if not endpoint.scoped:
            continue
        response = call(technician, endpoint, number=number, case="", attachment=attachment)
        if "technician" not in PERMISSIONS[endpoint.permission]:
            assert response.status_code == 403, endpoint.name
            continue
        missing = call(technician, endpoint, number="WO-999999", case="", attachment=attachment)
        _same_as_missing(response, missing, number)
    assert technician.get("/api/v1/work-orders").json()["items"] == []
    assert tech2.get(f"/api/v1/work-orders/{number}").json() == before


def test_no_token_is_401(client, people, repair_case):
    number, _attachment = _dispatched_job(people, repair_case, technician_username="technician")
    for path in (f"/api/v1/work-orders/{number}", "/api/v1/work-orders"):
        response = client.get(path)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert client.post(f"/api/v1/work-orders/{number}/start").status_code == 401
