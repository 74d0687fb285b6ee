"""POST /remedies/evaluate: facts from the unit's history, what-if facts over them, and the
case file's remedy decision with the supervisor's override."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from aftersales.cases.models import TimelineEntry
from aftersales.core import clock
from aftersales.returns.models import RemedyDecision
from aftersales.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

URL = "/api/v1/remedies/evaluate"
PF = {"performance_failure": True}


def _at(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _completed_repair(case, unit, centre, *, fault_code, started, completed) -> WorkOrder:
    return WorkOrder.objects.create(
        case=case,
        unit=unit,
        kind="workshop",
        status="completed",
        category=case.category,
        centre=centre,
        fault_code=fault_code,
        created_at=_at(started),
        updated_at=_at(completed),
        started_at=_at(started),
        completed_at=_at(completed),
    )


def test_evaluate_from_the_units_own_facts(people, world):
    today = clock.today()
    response = people["agent"].post(
        URL, {"serial_number": "SN-ES-1", "reported_on": today.isoformat(), "fault": PF}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["jurisdiction"] == "EU"
    assert body["country"] == "ES"
    assert body["days_since_sale"] == 100
    ids = [rule["id"] for rule in body["rules"]]
    assert "EU-CONFORMITY" in ids and "EU-BURDEN" in ids
    assert body["burden_of_proof"] == "seller"
    assert body["allowed"][:2] == ["repair", "replacement"]
    assert body["recommended"] in body["allowed"]
    assert all(rule["sentence"] for rule in body["rules"])
    assert body["facts"]["prior_failed_repairs"] == 0
    assert body["facts"]["warranty_months"] == 36  # the Spanish override of STD-24


def test_what_if_facts_override_history(people, world):
    today = clock.today()
    response = people["agent"].post(
        URL,
        {
            "serial_number": "SN-ES-1",
            "reported_on": today.isoformat(),
            "fault": PF,
            "jurisdiction": "CN",
            "prior_failed_repairs": 2,
        },
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["jurisdiction"] == "CN"
    assert "CN-TWICE" in [rule["id"] for rule in body["rules"]]
    assert body["recommended"] == "replacement"
    assert set(body["allowed"]) >= {"replacement", "refund"}


def test_two_completed_repairs_of_the_same_fault_give_cn_twice(people, world, repair_case, network):
    unit = world["unit"]
    today = clock.today()
    for weeks in (8, 4):
        start = today - timedelta(weeks=weeks)
        _completed_repair(
            repair_case,
            unit,
            network["centre"],
            fault_code="E21",
            started=start,
            completed=start + timedelta(days=3),
        )
    # Another fault does not count towards the same failure.
    _completed_repair(
        repair_case,
        unit,
        network["centre"],
        fault_code="E10",
        started=today - timedelta(days=20),
        completed=today - timedelta(days=19),
    )
    body = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": today.isoformat(),
                "fault": {**PF, "code": "E21"},
                "jurisdiction": "CN",
            },
        )
        .json()
    )
    assert body["facts"]["prior_failed_repairs"] == 2
    assert body["facts"]["days_in_repair"] == 7
    assert "CN-TWICE" in [rule["id"] for rule in body["rules"]]
    # With the other fault's code only one repair counts: no CN-TWICE.
    other = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": today.isoformat(),
                "fault": {**PF, "code": "E10"},
                "jurisdiction": "CN",
            },
        )
        .json()
    )
    assert other["facts"]["prior_failed_repairs"] == 1
    assert "CN-TWICE" not in [rule["id"] for rule in other["rules"]]


def test_days_waiting_for_parts_are_counted(people, world, repair_case, network):
    unit = world["unit"]
    today = clock.today()
    started = today - timedelta(days=60)
    wo = WorkOrder.objects.create(
        case=repair_case,
        unit=unit,
        kind="workshop",
        status="waiting_parts",
        category=repair_case.category,
        centre=network["centre"],
        fault_code="E21",
        created_at=_at(started),
        updated_at=_at(started),
        started_at=_at(started),
    )

    def status_entry(day, old, new):
        TimelineEntry.objects.create(
            case=repair_case,
            kind="system",
            body=f"{wo.number}: {old} → {new}",
            at=_at(day),
            data={"work_order": wo.number, "status": {"from": old, "to": new}},
        )

    # 10 days waiting, back to work, then waiting again since 40 days ago (still waiting).
    status_entry(today - timedelta(days=58), "in_progress", "waiting_parts")
    status_entry(today - timedelta(days=48), "waiting_parts", "in_progress")
    status_entry(today - timedelta(days=40), "in_progress", "waiting_parts")
    body = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": today.isoformat(),
                "fault": PF,
                "jurisdiction": "CN",
            },
        )
        .json()
    )
    assert body["facts"]["days_unrepaired_for_parts"] == 40
    assert body["facts"]["days_in_repair"] == 60  # still open: counted up to the report
    # The CN period is extended by the days in repair.
    base = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": today.isoformat(),
                "fault": PF,
                "jurisdiction": "CN",
                "days_in_repair": 0,
            },
        )
        .json()
    )
    extended = datetime.fromisoformat(body["coverage_ends_on"]) - datetime.fromisoformat(
        base["coverage_ends_on"]
    )
    assert extended.days == 60
    # Over 90 days unrepaired for lack of parts: CN-PARTS-90.
    later = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": (today + timedelta(days=60)).isoformat(),
                "fault": PF,
                "jurisdiction": "CN",
            },
        )
        .json()
    )
    assert later["facts"]["days_unrepaired_for_parts"] == 100
    assert "CN-PARTS-90" in [rule["id"] for rule in later["rules"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"serial_number": "NOPE", "reported_on": "2026-01-01", "fault": PF}, 404, "not_found"),
        ({"serial_number": "SN-ES-1", "reported_on": "2000-01-01", "fault": PF}, 422, None),
        ({"serial_number": "SN-ES-1", "reported_on": "yesterday", "fault": PF}, 422, None),
        ({"serial_number": "SN-ES-1", "reported_on": "2026-01-01"}, 422, None),
        (
            {
                "serial_number": "SN-ES-1",
                "reported_on": "2026-01-01",
                "fault": PF,
                "jurisdiction": "XX",
            },
            422,
            None,
        ),
        (
            {
                "serial_number": "SN-ES-1",
                "reported_on": "2026-01-01",
                "fault": PF,
                "prior_failed_repairs": -1,
            },
            422,
            None,
        ),
    ],
)
def test_bad_input_is_refused_with_the_error_shape(people, world, body, status, code):
    response = people["agent"].post(URL, body)
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "details"}
    if code:
        assert data["code"] == code


def test_evaluate_needs_a_token(client, world):
    response = client.post(URL, {}, content_type="application/json")
    assert response.status_code == 401


def test_a_decision_as_recommended_needs_no_reason(people, repair_case):
    url = f"/api/v1/cases/{repair_case.number}/remedy-decisions"
    verdict = (
        people["agent"]
        .post(
            URL,
            {
                "serial_number": "SN-ES-1",
                "reported_on": repair_case.opened_at.date().isoformat(),
                "fault": PF,
            },
        )
        .json()
    )
    response = people["agent"].post(url, {"chosen": verdict["recommended"]})
    assert response.status_code == 201, response.content
    assert response.json()["overridden"] is False


def test_override_is_a_supervisors_with_a_reason_and_on_the_timeline(people, repair_case):
    url = f"/api/v1/cases/{repair_case.number}/remedy-decisions"
    refused = people["agent"].post(url, {"chosen": "refund", "reason": "Customer insists"})
    assert refused.status_code == 403
    no_reason = people["supervisor"].post(url, {"chosen": "refund"})
    assert no_reason.status_code == 422
    assert no_reason.json()["details"]["field"] == "reason"
    done = people["supervisor"].post(
        url, {"chosen": "refund", "reason": "Repair disproportionate: board out of production"}
    )
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["overridden"] is True and body["decided_by"] == "supervisor"
    decision = RemedyDecision.objects.get(pk=body["id"])
    assert decision.verdict["rules"]
    entry = repair_case.timeline.filter(data__has_key="remedy_decision").get()
    assert "Repair disproportionate" in entry.body
    assert entry.data["overridden"] is True
