from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from aftersales.accounts.services import token_revoke
from aftersales.cases.models import Case
from aftersales.cases.rules import parse_case_number

pytestmark = pytest.mark.django_db

NEW_CASE = {
    "type": "repair",
    "channel": "phone",
    "serial_number": "SN-ES-1",
    "summary": "Drum does not spin",
    "description": "E21 after the first rinse",
    "priority": "normal",
}


def open_case(persona, **changes):
    return persona.post("/api/v1/cases", {**NEW_CASE, **changes})


def test_open_case_returns_201_with_number_and_category(agent, world):
    response = open_case(agent)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"SC-{body['id']:06d}"
    assert (body["status"], body["category"], body["owner"], body["reused"]) == (
        "open",
        "C",
        "agent",
        False,
    )
    assert body["customer"]["id"] == world["customer"].pk


def test_same_unit_same_type_reuses_the_open_case(agent, people, world):
    first = open_case(agent).json()
    again = open_case(people["supervisor"], channel="email", description="Customer e-mailed again")
    assert again.status_code == 200
    assert again.json()["reused"] is True
    assert again.json()["number"] == first["number"]
    timeline = agent.get(f"/api/v1/cases/{first['number']}").json()["timeline"]
    contacts = [e for e in timeline if e["kind"] == "contact"]
    assert len(contacts) == 2
    assert contacts[1]["data"] == {"channel": "email", "reused": True}
    assert contacts[1]["actor"] == "supervisor"
    case = Case.objects.get(pk=parse_case_number(first["number"]))
    assert case.updated_at > case.opened_at
    other_type = open_case(agent, type="complaint")
    assert other_type.status_code == 201


def test_idempotency_key_returns_the_first_case(agent, world):
    first = agent.post(
        "/api/v1/cases", {**NEW_CASE, "type": "installation"}, **{"Idempotency-Key": "k-1"}
    )
    second = agent.post(
        "/api/v1/cases", {**NEW_CASE, "type": "installation"}, **{"Idempotency-Key": "k-1"}
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(agent.get("/api/v1/cases").json()["items"]) == 1


def test_validation_errors_name_the_field(agent, world):
    bad_type = open_case(agent, type="pizza")
    assert bad_type.status_code == 422
    assert bad_type.json()["details"]["errors"][0]["field"] == "type"
    no_summary = open_case(agent, summary="")
    assert no_summary.json()["details"]["errors"][0]["field"] == "summary"
    unknown_unit = open_case(agent, serial_number="NOPE")
    assert unknown_unit.status_code == 422
    assert unknown_unit.json()["details"]["field"] == "serial_number"
    nobody = agent.post("/api/v1/cases", {"type": "repair", "summary": "x"})
    assert nobody.status_code == 422
    assert nobody.json()["details"]["field"] == "customer_id"
    not_json = agent.client.post(
        "/api/v1/cases",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agent.token}",
    )
    assert not_json.status_code in (400, 422)
    assert set(not_json.json()) == {"code", "message", "details"}


def test_entries_handoff_and_status_flow(agent, people, world):
    number = open_case(agent).json()["number"]
    entry = agent.post(
        f"/api/v1/cases/{number}/entries", {"kind": "message", "body": "We will call you"}
    )
    assert entry.status_code == 201
    assert entry.json()["visible_to_customer"] is True
    note = agent.post(f"/api/v1/cases/{number}/entries", {"kind": "note", "body": "internal"})
    assert note.json()["visible_to_customer"] is False
    handed = agent.post(
        f"/api/v1/cases/{number}/handoff", {"to": "supervisor", "reason": "needs a visit"}
    )
    assert handed.status_code == 200
    assert handed.json()["owner"] == "supervisor"
    handoff = [e for e in handed.json()["timeline"] if e["kind"] == "handoff"][0]
    assert handoff["data"] == {"from": "agent", "to": "supervisor"}
    assert handoff["body"] == "needs a visit"
    for status in (
        "in_progress",
        "waiting_customer",
        "in_progress",
        "resolved",
        "in_progress",
        "resolved",
        "closed",
    ):
        response = agent.post(
            f"/api/v1/cases/{number}/status", {"status": status, "reason": "step"}
        )
        assert response.status_code == 200, (status, response.content)
    final = agent.get(f"/api/v1/cases/{number}").json()
    assert final["status"] == "closed"
    assert final["allowed_statuses"] == []
    changes = [
        (e["data"]["from"], e["data"]["to"])
        for e in final["timeline"]
        if e["kind"] == "status_change"
    ]
    assert changes[0] == (None, "open")
    assert changes[-1] == ("resolved", "closed")
    times = [e["at"] for e in final["timeline"]]
    assert times == sorted(times)


def test_refused_transition_is_409(agent, world):
    number = open_case(agent).json()["number"]
    response = agent.post(f"/api/v1/cases/{number}/status", {"status": "closed"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["details"]["allowed"] == ["in_progress", "cancelled"]
    agent.post(f"/api/v1/cases/{number}/status", {"status": "cancelled"})
    assert agent.post(f"/api/v1/cases/{number}/status", {"status": "open"}).status_code == 409


def test_partner_case_waits_unowned_and_is_scoped(people, world):
    partner_a, partner_b = people["partner_a"], people["partner_b"]
    created = open_case(partner_a, channel="partner")
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["owner"]) == ("new", None)
    number = body["number"]
    assert partner_a.get(f"/api/v1/cases/{number}").status_code == 200
    assert partner_b.get(f"/api/v1/cases/{number}").status_code == 404
    assert (
        partner_b.post(f"/api/v1/cases/{number}/entries", {"kind": "note", "body": "x"}).status_code
        == 404
    )
    assert (
        partner_b.post(f"/api/v1/cases/{number}/status", {"status": "cancelled"}).status_code == 404
    )
    assert partner_b.get("/api/v1/cases").json()["items"] == []
    assert [c["number"] for c in partner_a.get("/api/v1/cases").json()["items"]] == [number]
    # The brand takes it: a handoff gives it an owner and opens it.
    taken = people["supervisor"].post(
        f"/api/v1/cases/{number}/handoff", {"to": "agent", "reason": "queue"}
    )
    assert (taken.json()["owner"], taken.json()["status"]) == ("agent", "open")


def test_list_filters_search_and_cursor(agent, people, world, settings):
    settings.PHONE_REGIONS = ["ES"]
    numbers = [
        open_case(agent, type=t).json()["number"] for t in ("repair", "complaint", "training")
    ]
    page = agent.get("/api/v1/cases", limit=2).json()
    assert [c["number"] for c in page["items"]] == numbers[::-1][:2]
    rest = agent.get("/api/v1/cases", limit=2, cursor=page["next"]).json()
    assert [c["number"] for c in rest["items"]] == [numbers[0]]
    assert rest["next"] is None
    assert [c["number"] for c in agent.get("/api/v1/cases", type="complaint").json()["items"]] == [
        numbers[1]
    ]
    for q in (numbers[2], "SN-ES-1", "lucia@example.com", "+34 612 345 678", "612345678"):
        found = agent.get("/api/v1/cases", q=q).json()["items"]
        assert numbers[2] in [c["number"] for c in found], q
    assert agent.get("/api/v1/cases", cursor="!!").status_code == 422
    assert agent.get("/api/v1/cases", status="bogus").status_code == 422


def test_track_shows_customer_visible_entries_only(agent, world):
    number = open_case(agent).json()["number"]
    agent.post(f"/api/v1/cases/{number}/entries", {"kind": "note", "body": "internal remark"})
    agent.post(
        f"/api/v1/cases/{number}/entries", {"kind": "message", "body": "Technician comes Monday"}
    )
    public = Client()
    for contact in ("lucia@example.com", "+34612345678", "612 345 678"):
        response = public.get("/api/v1/track", {"number": number, "contact": contact})
        assert response.status_code == 200, contact
    body = response.json()
    texts = [e["text"] for e in body["timeline"]]
    assert "Technician comes Monday" in texts
    assert "internal remark" not in texts
    assert body["label"] == "Your request is with our service team"


def test_track_wrong_contact_and_unknown_number_look_alike_and_are_rate_limited(
    agent, world, settings
):
    cache.clear()
    settings.TRACK_FAILURE_RATE = "3/m"
    number = open_case(agent).json()["number"]
    public = Client()
    wrong = public.get("/api/v1/track", {"number": number, "contact": "someone@else.com"})
    unknown = public.get("/api/v1/track", {"number": "SC-999999", "contact": "lucia@example.com"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    public.get("/api/v1/track", {"number": "SC-1", "contact": "x"})
    limited = public.get("/api/v1/track", {"number": number, "contact": "lucia@example.com"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    cache.clear()


def test_no_token_bad_token_and_revoked_token_are_401(agent, world):
    client = Client()
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert agent.get("/api/v1/cases").status_code == 200
    token_revoke(token_or_prefix=agent.token)
    response = agent.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_body_over_the_limit_is_413(agent, settings):
    settings.MAX_REQUEST_BODY_BYTES = 2000
    response = agent.post("/api/v1/cases", {**NEW_CASE, "description": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_security_headers_and_openapi(agent):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/cases", "/api/v1/units/{serial_number}/entitlement", "/api/v1/track"):
        assert path in paths
    page = Client().get("/track/")
    assert "default-src 'self'" in page["Content-Security-Policy"]
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["X-Frame-Options"] == "DENY"
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content


def test_unknown_api_path_is_json_404():
    response = Client().get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
