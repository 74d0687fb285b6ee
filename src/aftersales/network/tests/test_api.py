from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

CENTRE = {
    "code": "MAD",
    "name": "Madrid Service",
    "region": "madrid",
    "time_zone": "Europe/Madrid",
    "country": "es",
    "product_lines": ["washing_machine", "dryer", "dryer"],
}


def test_centres_create_list_get(people):
    manager = people["manager"]
    created = manager.post("/api/v1/service-centres", CENTRE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["country"], body["parent"], body["active"]) == (
        "MAD",
        "ES",
        None,
        True,
    )
    assert body["product_lines"] == ["dryer", "washing_machine"]
    branch = manager.post(
        "/api/v1/service-centres",
        {"code": "MAD-N", "region": "madrid-norte", "parent_code": "MAD"},
    )
    assert branch.status_code == 201
    assert (branch.json()["parent"], branch.json()["name"]) == ("MAD", "MAD-N")
    # Everyone reads the centres, partners included.
    for persona in ("agent", "technician", "partner_a"):
        listed = people[persona].get("/api/v1/service-centres")
        assert [c["code"] for c in listed.json()["items"]] == ["MAD-N", "MAD"]
    main = people["partner_a"].get("/api/v1/service-centres/MAD").json()
    assert main["branches"] == ["MAD-N"]
    page = manager.get("/api/v1/service-centres", limit=1).json()
    rest = manager.get("/api/v1/service-centres", limit=1, cursor=page["next"]).json()
    assert [c["code"] for c in page["items"] + rest["items"]] == ["MAD-N", "MAD"]
    assert manager.get("/api/v1/service-centres/NOPE").status_code == 404


def test_centre_refusals(people):
    admin = people["admin"]
    assert admin.post("/api/v1/service-centres", CENTRE).status_code == 201
    again = admin.post("/api/v1/service-centres", CENTRE)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_centre")
    bad_tz = admin.post("/api/v1/service-centres", {**CENTRE, "code": "X", "time_zone": "Mars"})
    assert (bad_tz.status_code, bad_tz.json()["details"]["field"]) == (422, "time_zone")
    no_region = admin.post("/api/v1/service-centres", {"code": "Y"})
    assert no_region.status_code == 422
    assert no_region.json()["details"]["errors"][0]["field"] == "region"
    orphan = admin.post(
        "/api/v1/service-centres", {"code": "Z", "region": "r", "parent_code": "NOPE"}
    )
    assert (orphan.status_code, orphan.json()["details"]["field"]) == (422, "parent_code")
    for persona in ("supervisor", "agent", "technician", "warehouse", "partner_a"):
        response = people[persona].post("/api/v1/service-centres", {**CENTRE, "code": "W"})
        assert response.status_code == 403, persona


def test_centre_create_is_idempotent(people):
    admin = people["admin"]
    first = admin.post("/api/v1/service-centres", CENTRE, **{"Idempotency-Key": "c1"})
    second = admin.post("/api/v1/service-centres", CENTRE, **{"Idempotency-Key": "c1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()


def test_partners_create_update_and_scope(people):
    manager = people["manager"]
    created = manager.post(
        "/api/v1/partners",
        {
            "code": "asp-c",
            "name": "Partner C",
            "regions": ["toledo", "madrid"],
            "labour_rate": "32.5",
            "currency": "eur",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["labour_rate"], body["currency"], body["regions"]) == (
        "ASP-C",
        "32.50",
        "EUR",
        ["madrid", "toledo"],
    )
    duplicate = manager.post("/api/v1/partners", {"code": "ASP-C"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_partner")
    updated = manager.patch(
        "/api/v1/partners/asp-c", {"labour_rate": "35", "active": False, "product_lines": ["tv"]}
    )
    assert updated.status_code == 200, updated.content
    assert (updated.json()["labour_rate"], updated.json()["active"]) == ("35.00", False)
    assert updated.json()["product_lines"] == ["tv"]
    assert updated.json()["name"] == "Partner C"
    bad_rate = manager.patch("/api/v1/partners/ASP-C", {"labour_rate": "cheap"})
    assert bad_rate.status_code == 422
    assert bad_rate.json()["details"]["errors"][0]["field"] == "labour_rate"
    assert manager.patch("/api/v1/partners/NOPE", {"name": "x"}).status_code == 404
    staff = [p["code"] for p in people["agent"].get("/api/v1/partners").json()["items"]]
    assert staff == ["ASP-C", "ASP-B", "ASP-A"]
    # A partner reads its own record only; another's is 404, as if it did not exist.
    partner_a = people["partner_a"]
    assert [p["code"] for p in partner_a.get("/api/v1/partners").json()["items"]] == ["ASP-A"]
    assert partner_a.get("/api/v1/partners/ASP-A").status_code == 200
    assert partner_a.get("/api/v1/partners/ASP-B").status_code == 404
    assert partner_a.patch("/api/v1/partners/ASP-A", {"name": "Mine"}).status_code == 403
    assert people["supervisor"].post("/api/v1/partners", {"code": "Q"}).status_code == 403


def test_staff_are_based_at_a_centre(people):
    admin = people["admin"]
    admin.post("/api/v1/service-centres", CENTRE)
    based = admin.post("/api/v1/staff/technician/centre", {"centre_code": "MAD"})
    assert based.status_code == 200, based.content
    assert based.json() == {"username": "technician", "role": "technician", "centre": "MAD"}
    people["technician"].user.refresh_from_db()
    assert people["technician"].user.service_centre.code == "MAD"
    nowhere = admin.post("/api/v1/staff/technician/centre", {"centre_code": None})
    assert nowhere.json()["centre"] is None
    partner = admin.post("/api/v1/staff/partner_a/centre", {"centre_code": "MAD"})
    assert (partner.status_code, partner.json()["details"]["field"]) == (422, "username")
    unknown = admin.post("/api/v1/staff/technician/centre", {"centre_code": "NOPE"})
    assert (unknown.status_code, unknown.json()["details"]["field"]) == (422, "centre_code")
    assert (
        people["supervisor"].post("/api/v1/staff/technician/centre", {"centre_code": "MAD"})
    ).status_code == 403
