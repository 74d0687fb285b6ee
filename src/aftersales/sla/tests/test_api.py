from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.sla.tests.conftest import MONDAY_10

pytestmark = pytest.mark.django_db

MADRID_SPLIT = {
    "code": "madrid",
    "time_zone": "Europe/Madrid",
    "hours": {
        day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": ["2026-12-25"],
}


def error(response) -> tuple[int, str, str | None]:
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    field = body["details"].get("field")
    if field is None and body["details"].get("errors"):
        field = body["details"]["errors"][0]["field"]
    return response.status_code, body["code"], field


# Calendars ---------------------------------------------------------------------------------


def test_calendar_create_and_due_calculator(people):
    admin = people["admin"]
    created = admin.post("/api/v1/sla/calendars", MADRID_SPLIT)
    assert created.status_code == 201, created.content
    assert created.json() == {**MADRID_SPLIT, "name": "", "24x7": False}
    # Friday 16:30 + 4 working hours: 1.5 h on Friday, 2.5 h on Monday -> Monday 11:30.
    due = admin.get(
        "/api/v1/sla/calendars/madrid/due", start="2026-03-06T16:30:00+01:00", duration="PT4H"
    )
    assert due.status_code == 200, due.content
    assert due.json() == {"due_at": "2026-03-09T11:30:00+01:00"}
    # The same instant given in UTC answers in the calendar's zone.
    assert admin.get(
        "/api/v1/sla/calendars/madrid/due", start="2026-03-06T15:30:00Z", duration="PT4H"
    ).json() == {"due_at": "2026-03-09T11:30:00+01:00"}
    # A start outside working hours counts from the next opening (Saturday -> Monday 09:00).
    weekend = admin.get(
        "/api/v1/sla/calendars/madrid/due", start="2026-03-07T10:00:00+01:00", duration="PT1H"
    )
    assert weekend.json() == {"due_at": "2026-03-09T10:00:00+01:00"}
    # Holidays are closed; across the DST change the offset follows the zone.
    christmas = admin.get(
        "/api/v1/sla/calendars/madrid/due", start="2026-12-24T17:00:00+01:00", duration="PT2H"
    )
    assert christmas.json() == {"due_at": "2026-12-28T10:00:00+01:00"}
    summer = admin.get(
        "/api/v1/sla/calendars/madrid/due", start="2026-03-27T17:00:00+01:00", duration="PT2H"
    )
    assert summer.json() == {"due_at": "2026-03-30T10:00:00+02:00"}


def test_an_unescaped_plus_in_the_query_string_is_read_back(people):
    admin = people["admin"]
    admin.post("/api/v1/sla/calendars", MADRID_SPLIT)
    # "+01:00" typed into a URL arrives as " 01:00".
    response = admin.client.get(
        "/api/v1/sla/calendars/madrid/due?start=2026-03-06T16:30:00+01:00&duration=PT4H",
        HTTP_AUTHORIZATION=f"Bearer {admin.token}",
    )
    assert response.json() == {"due_at": "2026-03-09T11:30:00+01:00"}


def test_twenty_four_seven_calendar(people):
    admin = people["admin"]
    created = admin.post(
        "/api/v1/sla/calendars", {"code": "always", "time_zone": "UTC", "24x7": True}
    )
    assert created.status_code == 201, created.content
    assert created.json()["24x7"] is True
    due = admin.get(
        "/api/v1/sla/calendars/always/due", start="2026-03-07T23:00:00Z", duration="P1DT2H"
    )
    assert due.json() == {"due_at": "2026-03-09T01:00:00+00:00"}


@pytest.mark.parametrize(
    "start,duration,field",
    [
        ("2026-03-06T16:30:00", "PT4H", "start"),  # no offset
        ("yesterday", "PT4H", "start"),
        ("2026-03-06T16:30:00+01:00", "4 hours", "duration"),
        ("2026-03-06T16:30:00+01:00", "P1M", "duration"),  # months have no fixed length
        ("2026-03-06T16:30:00+01:00", "-PT4H", "duration"),
        ("2026-03-06T16:30:00+01:00", "PT", "duration"),
        ("2026-03-06T16:30:00+01:00", "P99999D", "duration"),
    ],
)
def test_due_calculator_errors_name_the_field(people, start, duration, field):
    admin = people["admin"]
    admin.post("/api/v1/sla/calendars", MADRID_SPLIT)
    response = admin.get("/api/v1/sla/calendars/madrid/due", start=start, duration=duration)
    assert error(response) == (422, "invalid", field)


def test_due_calculator_needs_both_parameters_and_a_known_calendar(people):
    admin = people["admin"]
    admin.post("/api/v1/sla/calendars", MADRID_SPLIT)
    missing = admin.get("/api/v1/sla/calendars/madrid/due", start="2026-03-06T16:30:00+01:00")
    assert error(missing) == (422, "validation_error", "duration")
    unknown = admin.get(
        "/api/v1/sla/calendars/nope/due", start="2026-03-06T16:30:00+01:00", duration="PT1H"
    )
    assert error(unknown)[:2] == (404, "not_found")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"hours": {"mon": [["25:00", "26:00"]]}}, "hours.mon[0].start"),
        ({"hours": {"mon": [["10:00", "09:00"]]}}, "hours.mon[0]"),
        ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "hours.mon[1]"),
        ({"hours": {"funday": [["09:00", "13:00"]]}}, "hours.funday"),
        ({"hours": {}}, "hours"),
        ({"holidays": ["25/12/2026"]}, "holidays[0]"),
        ({"code": "Not A Code"}, "code"),
    ],
)
def test_calendar_spec_errors_name_the_field(people, changes, field):
    response = people["admin"].post("/api/v1/sla/calendars", {**MADRID_SPLIT, **changes})
    assert error(response) == (422, "invalid", field)


def test_calendar_crud(people):
    admin = people["admin"]
    assert admin.post("/api/v1/sla/calendars", MADRID_SPLIT).status_code == 201
    assert error(admin.post("/api/v1/sla/calendars", MADRID_SPLIT))[:2] == (
        409,
        "duplicate_calendar",
    )
    listed = admin.get("/api/v1/sla/calendars").json()
    assert {c["code"] for c in listed["items"]} == {"madrid", "office", "24x7"}
    patched = admin.patch("/api/v1/sla/calendars/madrid", {"holidays": ["2026-01-06"]})
    assert patched.status_code == 200, patched.content
    assert patched.json()["holidays"] == ["2026-01-06"]
    assert patched.json()["hours"] == MADRID_SPLIT["hours"]
    bad = admin.patch("/api/v1/sla/calendars/madrid", {"time_zone": "Nowhere/Land"})
    assert error(bad) == (422, "invalid", "time_zone")
    assert admin.get("/api/v1/sla/calendars/madrid").json()["holidays"] == ["2026-01-06"]
    deleted = admin.client.delete(
        "/api/v1/sla/calendars/madrid", HTTP_AUTHORIZATION=f"Bearer {admin.token}"
    )
    assert deleted.status_code == 204
    assert admin.get("/api/v1/sla/calendars/madrid").status_code == 404
    in_use = admin.client.delete(
        "/api/v1/sla/calendars/office", HTTP_AUTHORIZATION=f"Bearer {admin.token}"
    )
    assert error(in_use)[:2] == (409, "calendar_in_use")


def test_calendar_permissions(people):
    assert people["agent"].post("/api/v1/sla/calendars", MADRID_SPLIT).status_code == 403
    assert people["manager"].post("/api/v1/sla/calendars", MADRID_SPLIT).status_code == 201
    assert people["technician"].get("/api/v1/sla/calendars").status_code == 200
    assert people["partner_a"].get("/api/v1/sla/calendars").status_code == 403


# Policies ----------------------------------------------------------------------------------

KEY_ACCOUNTS = {
    "name": "Key accounts",
    "precedence": 5,
    "tiers": ["key_account"],
    "countries": ["es"],
    "targets": [
        {
            "name": "first_response",
            "duration": "PT2H",
            "time_basis": "business",
            "calendar": "office",
        },
        {
            "name": "resolution",
            "duration": "P3D",
            "warn_fraction": 0.5,
            "escalation_levels": [
                {"fraction": 0.5, "actions": ["notify_owner"]},
                {"offset": "-PT2H", "actions": ["notify_supervisor"]},
            ],
        },
        {
            "name": "ship_after_payment",
            "duration": "P2D",
            "start_event": "payment_recorded",
            "stop_event": "shipped",
            "compensation": {"amount_per_day": "5.00", "currency": "EUR", "cap": "50.00"},
        },
    ],
}


def test_policy_create_read_patch(people):
    admin = people["admin"]
    created = admin.post("/api/v1/sla/policies", KEY_ACCOUNTS)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["countries"] == ["ES"]
    first, resolution, ship = body["targets"]
    assert (first["duration"], first["time_basis"], first["calendar"]) == (
        "PT2H",
        "business",
        "office",
    )
    assert first["stop_event"] == "first_response" and resolution["stop_event"] == "resolved"
    # Omitted levels get the default ladder: 80 %, 100 %, due + 24 h.
    assert [lvl["fraction"] for lvl in first["escalation_levels"]] == [0.8, 1.0, None]
    assert first["escalation_levels"][2]["offset"] == "P1D"
    assert resolution["escalation_levels"] == [
        {"fraction": 0.5, "offset": None, "actions": ["notify_owner"]},
        {"fraction": None, "offset": "-PT2H", "actions": ["notify_supervisor"]},
    ]
    assert ship["compensation"] == {"amount_per_day": "5.00", "currency": "EUR", "cap": "50.00"}
    got = admin.get(f"/api/v1/sla/policies/{body['id']}").json()
    assert got == body
    listed = admin.get("/api/v1/sla/policies").json()["items"]
    assert body["id"] in [p["id"] for p in listed]
    patched = admin.patch(f"/api/v1/sla/policies/{body['id']}", {"precedence": 1, "active": False})
    assert patched.status_code == 200
    assert (patched.json()["precedence"], patched.json()["active"]) == (1, False)
    assert patched.json()["version"] == 2
    assert patched.json()["targets"] == body["targets"]
    retarget = admin.patch(
        f"/api/v1/sla/policies/{body['id']}",
        {"targets": [{"name": "resolution", "duration": "P1D"}]},
    )
    assert [t["name"] for t in retarget.json()["targets"]] == ["resolution"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"targets": [{"name": "resolution", "duration": "soon"}]}, "targets[0].duration"),
        (
            {"targets": [{"name": "resolution", "duration": "PT1H", "time_basis": "business"}]},
            "targets[0].calendar",
        ),
        (
            {"targets": [{"name": "resolution", "duration": "PT1H", "calendar": "nope"}]},
            "targets[0].calendar",
        ),
        ({"targets": [{"name": "Resolution!", "duration": "PT1H"}]}, "targets[0].name"),
        (
            {"targets": [{"name": "x", "duration": "PT1H", "start_event": "resolved"}]},
            "targets[0].start_event",
        ),
        (
            {
                "targets": [
                    {
                        "name": "x",
                        "duration": "PT1H",
                        "escalation_levels": [{"offset": "tomorrow", "actions": ["reassign"]}],
                    }
                ]
            },
            "targets[0].escalation_levels[0].offset",
        ),
        (
            {
                "targets": [
                    {
                        "name": "x",
                        "duration": "PT1H",
                        "escalation_levels": [
                            {"fraction": 0.5, "offset": "PT1H", "actions": ["reassign"]}
                        ],
                    }
                ]
            },
            "targets[0].escalation_levels[0]",
        ),
        (
            {
                "targets": [
                    {
                        "name": "x",
                        "duration": "PT1H",
                        "compensation": {"amount_per_day": "1", "currency": "eur"},
                    }
                ]
            },
            "targets[0].compensation",
        ),
        (
            {"targets": [{"name": "x", "duration": "PT1H"}, {"name": "x", "duration": "PT2H"}]},
            "targets",
        ),
        ({"countries": ["Spain"]}, "countries"),
        ({"case_types": ["pizza"]}, "case_types.0"),
        ({"targets": []}, "targets"),
    ],
)
def test_policy_errors_name_the_field(people, change, field):
    response = people["admin"].post("/api/v1/sla/policies", {**KEY_ACCOUNTS, **change})
    status, _code, got = error(response)
    assert (status, got) == (422, field), response.json()


def test_policy_conflicts_and_permissions(people):
    admin = people["admin"]
    assert admin.post("/api/v1/sla/policies", KEY_ACCOUNTS).status_code == 201
    assert error(admin.post("/api/v1/sla/policies", KEY_ACCOUNTS))[:2] == (
        409,
        "duplicate_policy",
    )
    second_default = admin.post(
        "/api/v1/sla/policies", {**KEY_ACCOUNTS, "name": "Other", "is_default": True}
    )
    assert error(second_default)[:2] == (409, "default_exists")
    assert people["agent"].post("/api/v1/sla/policies", KEY_ACCOUNTS).status_code == 403
    assert people["supervisor"].get("/api/v1/sla/policies").status_code == 200
    assert people["partner_a"].get("/api/v1/sla/policies").status_code == 403
    assert admin.get("/api/v1/sla/policies/999999").status_code == 404


# Clocks on cases, tracking, at-risk, events ------------------------------------------------


def open_case(persona, customer, type="complaint"):
    response = persona.post(
        "/api/v1/cases",
        {"type": type, "channel": "phone", "customer_id": customer.pk, "summary": f"{type} case"},
    )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def test_case_detail_shows_the_clocks(at, people, customer):
    at(MONDAY_10)
    number = open_case(people["agent"], customer)
    at(MONDAY_10 + timedelta(hours=1))
    detail = people["agent"].get(f"/api/v1/cases/{number}")
    assert detail.status_code == 200
    sla = {c["target"]: c for c in detail.json()["sla"]}
    first = sla["first_response"]
    assert first["state"] == "running"
    assert first["remaining_seconds"] == 23 * 3600
    assert first["overdue_seconds"] is None
    assert datetime.fromisoformat(first["due_at"]) == MONDAY_10 + timedelta(hours=24)
    assert (first["duration"], first["time_basis"]) == ("P1D", "calendar")
    at(MONDAY_10 + timedelta(hours=30))
    late = {c["target"]: c for c in people["agent"].get(f"/api/v1/cases/{number}").json()["sla"]}
    assert late["first_response"]["state"] == "breached"
    assert late["first_response"]["overdue_seconds"] == 6 * 3600


def test_business_time_clock_is_shown_in_its_calendars_zone(at, people, customer):
    at(MONDAY_10)
    number = open_case(people["agent"], customer, type="repair")
    sla = {c["target"]: c for c in people["agent"].get(f"/api/v1/cases/{number}").json()["sla"]}
    assert sla["first_response"]["due_at"] == "2026-03-02T18:00:00+01:00"
    assert sla["first_response"]["calendar"] == "office"


def test_tracking_shows_the_promised_date(at, people, customer, client):
    at(MONDAY_10)
    number = open_case(people["agent"], customer)
    tracked = client.get("/api/v1/track", {"number": number, "contact": "lucia@example.com"})
    assert tracked.status_code == 200
    promised = datetime.fromisoformat(tracked.json()["promised_by"])
    assert promised == MONDAY_10 + timedelta(days=30)
    # No resolution target running (the delivery's targets are a reply and a shipment).
    delivery = open_case(people["agent"], customer, type="delivery")
    other = client.get("/api/v1/track", {"number": delivery, "contact": "lucia@example.com"})
    assert other.json()["promised_by"] is None


def test_at_risk_endpoint(at, people, customer):
    at(MONDAY_10)
    hotline = open_case(people["agent"], customer, type="technical_guidance")  # due 14:00
    complaint = open_case(people["agent"], customer)  # due Tuesday 10:00
    mine = open_case(people["partner_a"], customer)  # due Tuesday 10:00
    repair = open_case(people["agent"], customer, type="repair")  # due 18:00 (8 office hours)
    at(MONDAY_10 + timedelta(hours=20))
    page = people["supervisor"].get("/api/v1/sla/at-risk", limit=3)
    assert page.status_code == 200, page.content
    body = page.json()
    assert [(i["case_number"], i["clock"]["target"]) for i in body["items"]] == [
        (hotline, "first_response"),
        (repair, "first_response"),
        (complaint, "first_response"),
    ]
    assert [i["clock"]["state"] for i in body["items"]] == ["breached", "breached", "running"]
    rest = people["supervisor"].get("/api/v1/sla/at-risk", limit=3, cursor=body["next"]).json()
    assert [(i["case_number"], i["clock"]["target"]) for i in rest["items"]] == [
        (mine, "first_response")
    ]
    assert rest["next"] is None
    partner = people["partner_a"].get("/api/v1/sla/at-risk").json()
    assert [i["case_number"] for i in partner["items"]] == [mine]
    assert people["partner_b"].get("/api/v1/sla/at-risk").json()["items"] == []
    assert error(people["supervisor"].get("/api/v1/sla/at-risk", cursor="garbage!"))[0] == 422


def test_events_endpoint(at, people, customer):
    at(MONDAY_10)
    number = open_case(people["agent"], customer, type="delivery")
    started = people["agent"].post(f"/api/v1/cases/{number}/events", {"event": "payment_recorded"})
    assert started.status_code == 200, started.content
    body = started.json()
    assert (body["started"], body["stopped"]) == (["ship_after_payment"], [])
    ship = next(c for c in body["sla"] if c["target"] == "ship_after_payment")
    assert ship["state"] == "running"
    assert datetime.fromisoformat(ship["due_at"]) == MONDAY_10 + timedelta(days=2)
    refused = people["agent"].post(f"/api/v1/cases/{number}/events", {"event": "resolved"})
    assert error(refused) == (422, "invalid", "event")
    assert (
        people["technician"].post(f"/api/v1/cases/{number}/events", {"event": "x"}).status_code
        == 403
    )
    assert people["agent"].post("/api/v1/cases/SC-999999/events", {"event": "x"}).status_code == 404


def test_events_on_another_partners_case_are_hidden(people, customer):
    number = open_case(people["agent"], customer)
    assert people["partner_a"].post(
        f"/api/v1/cases/{number}/events", {"event": "x"}
    ).status_code in (
        403,
        404,
    )


def test_openapi_lists_the_sla_endpoints(people):
    spec = people["admin"].client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/sla/calendars",
        "/api/v1/sla/calendars/{code}",
        "/api/v1/sla/calendars/{code}/due",
        "/api/v1/sla/policies",
        "/api/v1/sla/policies/{policy_id}",
        "/api/v1/sla/at-risk",
        "/api/v1/cases/{number}/events",
    ):
        assert path in paths, path
    assert "24x7" in spec["components"]["schemas"]["CalendarIn"]["properties"]


def test_the_at_risk_time_is_now(at, people, customer):
    """Nothing is at risk right after opening: no "failed" shown at creation."""
    at(datetime.now(UTC))
    open_case(people["agent"], customer, type="technical_guidance")
    assert people["admin"].get("/api/v1/sla/at-risk").json()["items"] == []


def test_creates_are_idempotent(people):
    admin = people["admin"]
    first = admin.post("/api/v1/sla/policies", KEY_ACCOUNTS, **{"Idempotency-Key": "p-1"})
    again = admin.post("/api/v1/sla/policies", KEY_ACCOUNTS, **{"Idempotency-Key": "p-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    cal = admin.post("/api/v1/sla/calendars", MADRID_SPLIT, **{"Idempotency-Key": "c-1"})
    cal_again = admin.post("/api/v1/sla/calendars", MADRID_SPLIT, **{"Idempotency-Key": "c-1"})
    assert cal.status_code == cal_again.status_code == 201
