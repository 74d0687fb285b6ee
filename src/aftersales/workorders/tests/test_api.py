from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from aftersales.core import clock
from aftersales.workorders import schemas
from aftersales.workorders import services as wo_services

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
PNG_B64 = base64.b64encode(PNG).decode()
SIGNED = {"name": "Lucía García", "signature_png_base64": PNG_B64}


def window(hours: int = 2, length: int = 2) -> dict:
    start = clock.now().replace(microsecond=0) + timedelta(hours=hours)
    return {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=length)).isoformat(),
    }


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def url(number: str, action: str = "") -> str:
    return f"/api/v1/work-orders/{number}" + (f"/{action}" if action else "")


def create(persona, case_number: str, **body) -> dict:
    response = persona.post(f"/api/v1/cases/{case_number}/work-orders", {"kind": "on_site", **body})
    return ok(response, 201)


def dispatched(people, case_number: str, *, kind: str = "on_site", to=None, **body) -> str:
    """A work order created, scheduled and assigned by the supervisor."""
    sup = people["supervisor"]
    number = create(sup, case_number, kind=kind, **body)["number"]
    ok(sup.post(url(number, "schedule"), window()))
    assignee = to or {"technician": "technician"}
    assert ok(sup.post(url(number, "assign"), assignee))["status"] == "dispatched"
    return number


def test_create_returns_the_work_order_routed_to_the_centre(people, repair_case):
    sup = people["supervisor"]
    body = create(sup, repair_case.number, instructions="Ring twice", **{"kind": "workshop"})
    assert body["number"].startswith("WO-")
    assert (body["status"], body["kind"], body["centre"], body["partner"]) == (
        "draft",
        "workshop",
        "MAD",
        None,
    )
    assert (body["case"], body["unit_serial"], body["category"]) == (
        repair_case.number,
        "SN-ES-1",
        "C",
    )
    assert body["instructions"] == "Ring twice"
    assert body["allowed_statuses"] == ["scheduled", "dispatched", "cancelled"]
    assert body["costing"] == {
        "currency": "EUR",
        "lines": [],
        "subtotal": "0.00",
        "tax_rate": "21.00",
        "tax": "0.00",
        "total": "0.00",
    }
    again = people["agent"].get(url(body["number"]))
    assert ok(again)["number"] == body["number"]


def test_create_is_idempotent_with_a_key(people, repair_case):
    agent = people["agent"]
    path = f"/api/v1/cases/{repair_case.number}/work-orders"
    first = agent.post(path, {"kind": "remote"}, **{"Idempotency-Key": "wo-1"})
    second = agent.post(path, {"kind": "remote"}, **{"Idempotency-Key": "wo-1"})
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert len(ok(agent.get("/api/v1/work-orders"))["items"]) == 1


def test_on_site_flow_with_costing(people, repair_case):
    sup, tech = people["supervisor"], people["technician"]
    number = dispatched(people, repair_case.number)
    detail = ok(tech.get(url(number)))
    assert (detail["technician"], detail["status"]) == ("technician", "dispatched")
    assert ok(tech.post(url(number, "start")))["status"] == "in_progress"
    arrived = clock.now().replace(microsecond=0)
    visit = ok(
        tech.post(
            url(number, "visit"),
            {
                "travel_started_at": (arrived - timedelta(minutes=30)).isoformat(),
                "arrived_at": arrived.isoformat(),
                "departed_at": (arrived + timedelta(hours=1)).isoformat(),
                "distance_km": "12",
                "fault_code": "e21",
                "cause": "Blocked pump",
                "action_taken": "Replaced pump",
                "result": "fixed",
            },
        ),
        201,
    )
    assert (visit["fault_code"], visit["distance_km"], visit["technician"]) == (
        "E21",
        "12.0",
        "technician",
    )
    labour = ok(tech.post(url(number, "labour"), {"minutes": 45, "labour_code": "rep"}), 201)
    assert (labour["labour_code"], labour["technician"], labour["planned"]) == (
        "REP",
        "technician",
        False,
    )
    part = ok(
        tech.post(
            url(number, "parts"),
            {"part_number": "DP-100", "quantity": 1, "location_code": "MAD-WH"},
        ),
        201,
    )
    assert (part["unit_price"], part["location"]) == ("42.50", "MAD-WH")
    refused = tech.post(url(number, "complete"), {"tests_performed": "spin test"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "cannot_complete"
    assert refused.json()["details"]["field"] == "acceptance"
    done = ok(
        tech.post(url(number, "complete"), {"tests_performed": "spin test", "acceptance": SIGNED})
    )
    assert (done["status"], done["accepted_by"], done["acceptance_signed"]) == (
        "completed",
        "Lucía García",
        True,
    )
    assert done["tests_performed"] == "spin test"
    # 45 min at 48/h = 36.00; pump 42.50; travel 25 + 12 km × 0.40 = 29.80; tax 21 %.
    costing = done["costing"]
    assert [(line["kind"], line["amount"]) for line in costing["lines"]] == [
        ("labour", "36.00"),
        ("part", "42.50"),
        ("travel", "29.80"),
    ]
    assert (costing["subtotal"], costing["tax"], costing["total"]) == (
        "108.30",
        "22.74",
        "131.04",
    )
    assert tech.post(url(number, "verify"), {"passed": True}).status_code == 403
    verified = ok(sup.post(url(number, "verify"), {"passed": True, "notes": "Looks good"}))
    assert verified["status"] == "verified"
    assert verified["quality_checks"][0]["passed"] is True
    assert verified["verified_by"] == "supervisor"
    closed = ok(people["agent"].post(url(number, "close")))
    assert (closed["status"], closed["allowed_statuses"]) == ("closed", [])
    timeline = ok(people["agent"].get(f"/api/v1/cases/{repair_case.number}"))["timeline"]
    assert any(e["data"].get("work_order") == number for e in timeline)


@pytest.mark.parametrize(
    ("kind", "labour_code", "expected_total"),
    [
        # 60 min at 48/h + travel 25, plus 21 % tax.
        ("preventive", "SERV", "88.33"),
        # The installation code is a flat 60 + travel 25, plus 21 % tax.
        ("installation", "INST", "102.85"),
        # Remote work: labour only.
        ("remote", "SERV", "58.08"),
    ],
)
def test_flow_for_kinds_without_custody(people, repair_case, kind, labour_code, expected_total):
    sup, tech = people["supervisor"], people["technician"]
    number = dispatched(people, repair_case.number, kind=kind)
    ok(tech.post(url(number, "start")))
    visit = {"result": "fixed", "notes": "done"}
    if kind != "remote":
        visit["arrived_at"] = clock.now().isoformat()
    ok(tech.post(url(number, "visit"), visit), 201)
    ok(tech.post(url(number, "labour"), {"minutes": 60, "labour_code": labour_code}), 201)
    body = {"result": "fixed"}
    if kind != "remote":
        body["acceptance"] = {"name": "Lucía", "typed": True}
    done = ok(tech.post(url(number, "complete"), body))
    assert done["status"] == "completed"
    assert done["acceptance_typed"] is (kind != "remote")
    assert done["costing"]["total"] == expected_total
    ok(sup.post(url(number, "verify"), {"passed": True}))
    assert ok(sup.post(url(number, "close")))["status"] == "closed"


def test_workshop_flow_with_custody_chain_location_and_tracking(people, repair_case):
    sup, tech, warehouse = people["supervisor"], people["technician"], people["warehouse"]
    number = dispatched(people, repair_case.number, kind="workshop")
    cache.clear()
    contact = {"number": repair_case.number, "contact": "lucia@example.com"}
    assert ok(Client().get("/api/v1/track", contact))["where"] is None
    picked = ok(
        tech.post(
            url(number, "custody"),
            {"kind": "picked_up", "accessories": "hose", "condition": "scratched lid"},
        ),
        201,
    )
    receipt = picked["receipt_number"]
    assert receipt.startswith("PR-")
    assert picked["event"]["label"] == "picked up from the customer"
    received = ok(
        warehouse.post(url(number, "custody"), {"kind": "received", "place": "shelf 4"}), 201
    )
    assert (received["event"]["centre"], received["receipt_number"]) == ("MAD", receipt)
    where = ok(people["agent"].get("/api/v1/units/SN-ES-1/location"))
    assert (where["in_our_hands"], where["kind"], where["place"], where["centre"]) == (
        True,
        "received",
        "shelf 4",
        "Madrid Service",
    )
    assert (where["work_order"], where["receipt"], where["ready_for_pickup"]) == (
        number,
        receipt,
        False,
    )
    assert where["since"] == received["event"]["at"]
    # Custody out of order is refused.
    wrong = warehouse.post(url(number, "custody"), {"kind": "picked_up"})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "custody_order")
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "visit"), {"result": "fixed", "fault_code": "E10"}), 201)
    ok(tech.post(url(number, "labour"), {"minutes": 30, "labour_code": "REP"}), 201)
    done = ok(tech.post(url(number, "complete"), {}))
    assert done["status"] == "completed"
    ok(sup.post(url(number, "verify"), {"passed": True}))
    where = ok(people["agent"].get("/api/v1/units/SN-ES-1/location"))
    assert where["ready_for_pickup"] is True
    cache.clear()
    tracked = ok(
        Client().get(
            "/api/v1/track", {"number": repair_case.number, "contact": "lucia@example.com"}
        )
    )
    assert tracked["where"]["ready_for_pickup"] is True
    assert tracked["where"]["label"] == "received at the service centre"
    assert tracked["where"]["centre"] == "Madrid Service"
    refused = sup.post(url(number, "close"))
    assert (refused.status_code, refused.json()["code"]) == (409, "cannot_close")
    returned = ok(
        people["agent"].post(
            url(number, "custody"),
            {"kind": "returned", "signed_by": "Lucía García", "receipt_number": receipt},
        ),
        201,
    )
    assert returned["event"]["kind"] == "returned"
    again = people["agent"].post(
        url(number, "custody"),
        {"kind": "returned", "signed_by": "Lucía García", "receipt_number": receipt},
    )
    assert (again.status_code, again.json()["code"]) == (409, "receipt_voided")
    detail = ok(sup.post(url(number, "close")))
    assert detail["status"] == "closed"
    assert [e["kind"] for e in detail["custody"]] == ["picked_up", "received", "returned"]
    assert detail["receipts"][0]["number"] == receipt
    assert detail["receipts"][0]["voided_at"] is not None
    assert detail["receipts"][0]["accessories"] == "hose"
    schemas.WorkOrderDetailOut.model_validate(detail)
    tracked = ok(
        Client().get(
            "/api/v1/track", {"number": repair_case.number, "contact": "lucia@example.com"}
        )
    )
    assert tracked["where"]["in_our_hands"] is False
    assert tracked["where"]["label"] == "returned to the customer"
    cache.clear()


def _paid_job(people, case_number: str, kind: str) -> str:
    """A category-A job quoted, approved by the agent, done and completed."""
    tech, agent = people["technician"], people["agent"]
    number = dispatched(
        people,
        case_number,
        kind=kind,
        category="A",
        category_reason="Water damage: not covered",
    )
    ok(tech.post(url(number, "start")))
    ok(
        tech.post(url(number, "labour"), {"minutes": 60, "labour_code": "REP", "planned": True}),
        201,
    )
    ok(
        tech.post(url(number, "parts"), {"part_number": "DP-100", "quantity": 1, "planned": True}),
        201,
    )
    quote = ok(tech.post(url(number, "quote")), 201)
    assert quote["status"] == "pending"
    assert "/quotes/" in quote["approval_link"]
    detail = ok(agent.get(url(number)))
    assert detail["status"] == "waiting_approval"
    assert "approval_link" not in detail["quotes"][0]
    assert quote["approval_link"].rstrip("/").rsplit("/", 1)[1] not in str(detail)
    early = tech.post(url(number, "complete"), {"result": "fixed"})
    assert early.status_code == 409
    answered = ok(agent.post(url(number, "approve"), {"accept": True, "answered_by": "Lucía"}))
    assert (answered["status"], answered["answered_via"], answered["answered_by"]) == (
        "accepted",
        "agent",
        "Lucía",
    )
    ok(tech.post(url(number, "labour"), {"minutes": 60, "labour_code": "REP"}), 201)
    ok(tech.post(url(number, "parts"), {"part_number": "DP-100", "quantity": 1}), 201)
    assert ok(tech.post(url(number, "complete"), {"result": "fixed"}))["status"] == "completed"
    return number


def test_paid_work_quote_approve_invoice_payment_close(people, repair_case):
    sup, tech, agent = people["supervisor"], people["technician"], people["agent"]
    number = _paid_job(people, repair_case.number, "remote")
    assert ok(agent.get(url(number)))["category"] == "A"
    ok(sup.post(url(number, "verify"), {"passed": True}))
    unpaid = sup.post(url(number, "close"))
    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "cannot_close")
    assert tech.post(url(number, "invoice")).status_code == 403
    invoice = ok(agent.post(url(number, "invoice")), 201)
    year = clock.today().year
    assert invoice["number"] == f"INV-{year}-000001"
    # 60 min at 48/h + pump 42.50 = 90.50, tax 19.01 (21 %, half up).
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["currency"]) == (
        "90.50",
        "19.01",
        "109.51",
        "EUR",
    )
    assert [line["kind"] for line in invoice["lines"]] == ["labour", "part"]
    assert (invoice["amount_due"], invoice["paid"], invoice["work_order"]) == (
        "109.51",
        "0.00",
        number,
    )
    twice = agent.post(url(number, "invoice"))
    assert (twice.status_code, twice.json()["code"]) == (409, "already_invoiced")
    over = agent.post(url(number, "payment"), {"amount": "200.00", "method": "card"})
    assert over.status_code == 422
    assert (over.json()["code"], over.json()["details"]["field"]) == ("overpayment", "amount")
    part = ok(
        agent.post(
            url(number, "payment"),
            {"amount": "9.51", "method": "cash", "reference": "till 3"},
            **{"Idempotency-Key": "pay-1"},
        ),
        201,
    )
    replay = agent.post(
        url(number, "payment"),
        {"amount": "9.51", "method": "cash", "reference": "till 3"},
        **{"Idempotency-Key": "pay-1"},
    )
    assert replay.json() == part
    assert (part["amount"], part["amount_due"], part["currency"]) == ("9.51", "100.00", "EUR")
    still = sup.post(url(number, "close"))
    assert still.status_code == 409
    rest = ok(agent.post(url(number, "payment"), {"amount": "100", "method": "transfer"}), 201)
    assert rest["amount_due"] == "0.00"
    detail = ok(agent.get(url(number)))
    assert detail["invoice"]["number"] == invoice["number"]
    assert detail["invoice"]["amount_due"] == "0.00"
    full = ok(agent.get(f"/api/v1/invoices/{invoice['number']}"))
    assert [p["amount"] for p in full["payments"]] == ["9.51", "100.00"]
    assert full["case"] == repair_case.number
    schemas.InvoiceOut.model_validate(full)
    schemas.WorkOrderDetailOut.model_validate(detail)
    schemas.WorkOrderPage.model_validate(ok(agent.get("/api/v1/work-orders")))
    assert ok(sup.post(url(number, "close")))["status"] == "closed"
    # The next invoice of the year takes the next number.
    second = _paid_job(people, repair_case.number, "remote")
    ok(sup.post(url(second, "verify"), {"passed": True}))
    assert ok(agent.post(url(second, "invoice")), 201)["number"] == f"INV-{year}-000002"


def test_quote_link_answers_the_quote_and_decline_cancels(people, repair_case):
    tech = people["technician"]
    number = dispatched(
        people, repair_case.number, kind="remote", category="A", category_reason="x"
    )
    ok(
        tech.post(url(number, "labour"), {"minutes": 30, "labour_code": "REP", "planned": True}),
        201,
    )
    quote = ok(tech.post(url(number, "quote")), 201)
    again = tech.post(url(number, "quote"))
    assert (again.status_code, again.json()["code"]) == (409, "quote_pending")
    secret = quote["approval_link"].rstrip("/").rsplit("/", 1)[1]
    answered = wo_services.quote_answer(accept=False, secret=secret)
    assert answered.status == "declined"
    detail = ok(people["agent"].get(url(number)))
    assert detail["status"] == "cancelled"
    late = people["agent"].post(url(number, "approve"), {"accept": True})
    assert (late.status_code, late.json()["code"]) == (409, "no_pending_quote")


def test_invoicing_free_work_is_409(people, repair_case):
    sup, tech, agent = people["supervisor"], people["technician"], people["agent"]
    number = dispatched(people, repair_case.number, kind="remote")
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "labour"), {"minutes": 30, "labour_code": "REP"}), 201)
    ok(tech.post(url(number, "complete"), {"result": "fixed"}))
    response = agent.post(url(number, "invoice"))
    assert (response.status_code, response.json()["code"]) == (409, "not_paid")
    payment = agent.post(url(number, "payment"), {"amount": "1.00", "method": "cash"})
    assert (payment.status_code, payment.json()["code"]) == (409, "not_invoiced")
    ok(sup.post(url(number, "verify"), {"passed": True}))
    assert ok(agent.post(url(number, "close")))["status"] == "closed"


def test_partner_does_the_work_assigned_by_a_supervisor(people, repair_case):
    sup, partner_a = people["supervisor"], people["partner_a"]
    number = dispatched(people, repair_case.number, to={"partner_code": "asp-a"})
    detail = ok(partner_a.get(url(number)))
    assert (detail["partner"], detail["technician"], detail["centre"]) == ("ASP-A", None, "MAD")
    assert people["partner_b"].get(url(number)).status_code == 404
    assert people["technician"].get(url(number)).status_code == 404
    ok(partner_a.post(url(number, "start")))
    ok(partner_a.post(url(number, "visit"), {"arrived_at": clock.now().isoformat()}), 201)
    ok(partner_a.post(url(number, "labour"), {"minutes": 90, "labour_code": "REP"}), 201)
    refused = partner_a.post(
        url(number, "parts"), {"part_number": "DP-100", "quantity": 1, "location_code": "MAD-WH"}
    )
    assert refused.status_code == 422
    assert refused.json()["details"]["field"] == "location_code"
    ok(
        partner_a.post(
            url(number, "parts"),
            {"part_number": "DP-100", "quantity": 2, "location_code": "ASPA-WH"},
        ),
        201,
    )
    done = ok(
        partner_a.post(
            url(number, "complete"),
            {"result": "fixed", "acceptance": {"name": "Lucía", "typed": True}},
        )
    )
    # Partner A has no rate card: its 30/h prices the labour, nothing else is charged.
    assert [line["amount"] for line in done["costing"]["lines"]] == ["45.00", "85.00", "0.00"]
    assert done["costing"]["total"] == "130.00"
    assert partner_a.post(url(number, "verify"), {"passed": True}).status_code == 403
    ok(sup.post(url(number, "verify"), {"passed": True}))
    assert ok(partner_a.post(url(number, "close")))["status"] == "closed"
    assert [w["number"] for w in ok(partner_a.get("/api/v1/work-orders"))["items"]] == [number]
    assert ok(people["partner_b"].get("/api/v1/work-orders"))["items"] == []


def test_partner_opens_case_and_work_order_for_itself(people, network):
    partner_a, manager = people["partner_a"], people["manager"]
    case = ok(
        partner_a.post(
            "/api/v1/cases",
            {"type": "repair", "channel": "partner", "serial_number": "SN-ES-1", "summary": "Leak"},
        ),
        201,
    )
    body = create(partner_a, case["number"], kind="workshop", partner_code="ASP-B")
    # A partner opens work orders for itself only.
    assert (body["partner"], body["centre"]) == ("ASP-A", None)
    assert (
        people["partner_b"]
        .post(f"/api/v1/cases/{case['number']}/work-orders", {"kind": "on_site"})
        .status_code
        == 404
    )
    ok(manager.post(url(body["number"], "schedule"), window()))
    assert ok(partner_a.get(url(body["number"])))["status"] == "dispatched"
    picked = ok(partner_a.post(url(body["number"], "custody"), {"kind": "picked_up"}), 201)
    where = ok(partner_a.get("/api/v1/units/SN-ES-1/location"))
    assert (where["kind"], where["receipt"]) == ("picked_up", picked["receipt_number"])
    assert people["partner_b"].get("/api/v1/units/SN-ES-1/location").status_code == 404
    assert people["partner_b"].get("/api/v1/units/NOPE/location").status_code == 404


def test_assign_unassign_and_planning_statuses(people, repair_case, tech2):
    sup = people["supervisor"]
    number = create(sup, repair_case.number)["number"]
    assigned = ok(sup.post(url(number, "assign"), {"technician": "tech2"}))
    assert (assigned["technician"], assigned["status"]) == ("tech2", "draft")
    scheduled = ok(sup.post(url(number, "schedule"), window()))
    assert scheduled["status"] == "dispatched"
    unassigned = ok(sup.post(url(number, "assign"), {}))
    assert (unassigned["technician"], unassigned["status"]) == (None, "scheduled")
    both = sup.post(url(number, "assign"), {"technician": "tech2", "partner_code": "ASP-A"})
    assert (both.status_code, both.json()["details"]["field"]) == (422, "partner_code")
    nobody = sup.post(url(number, "assign"), {"technician": "agent"})
    assert (nobody.status_code, nobody.json()["details"]["field"]) == (422, "technician")
    backwards = sup.post(
        url(number, "schedule"), {**window(), "window_end": window(1)["window_start"]}
    )
    assert (backwards.status_code, backwards.json()["details"]["field"]) == (422, "window_end")


def test_list_filters_and_cursor(people, repair_case, tech2):
    sup = people["supervisor"]
    first = dispatched(people, repair_case.number)
    second = dispatched(people, repair_case.number, to={"technician": "tech2"})
    third = create(sup, repair_case.number, kind="remote")["number"]
    fourth = dispatched(people, repair_case.number, to={"partner_code": "ASP-A"})

    def numbers(**params):
        return [w["number"] for w in ok(sup.get("/api/v1/work-orders", **params))["items"]]

    assert numbers() == [fourth, third, second, first]
    page = ok(sup.get("/api/v1/work-orders", limit=3))
    assert [w["number"] for w in page["items"]] == [fourth, third, second]
    rest = ok(sup.get("/api/v1/work-orders", limit=3, cursor=page["next"]))
    assert ([w["number"] for w in rest["items"]], rest["next"]) == ([first], None)
    assert numbers(technician="tech2") == [second]
    assert numbers(partner="asp-a") == [fourth]
    assert numbers(unassigned=True) == [third]
    assert numbers(status=["draft"]) == [third]
    assert numbers(status=["draft", "dispatched"]) == [fourth, third, second, first]
    assert numbers(centre="MAD", technician="technician") == [first]
    assert numbers(case=repair_case.number) == [fourth, third, second, first]
    assert numbers(case="SC-999999") == []
    day = timezone.localtime(clock.now() + timedelta(hours=2)).date()
    assert numbers(date=day.isoformat()) == [fourth, second, first]
    assert numbers(date="2001-01-01") == []
    assert sup.get("/api/v1/work-orders", status="bogus").status_code == 422
    assert sup.get("/api/v1/work-orders", date="yesterday").status_code == 422
    assert sup.get("/api/v1/work-orders", cursor="!!").status_code == 422
    # The technician's own list holds only their jobs.
    mine = ok(people["technician"].get("/api/v1/work-orders"))["items"]
    assert [w["number"] for w in mine] == [first]


def test_overlapping_jobs_of_a_technician_are_conflicts(people, repair_case):
    first = dispatched(people, repair_case.number)
    second = dispatched(people, repair_case.number)
    detail = ok(people["supervisor"].get(url(first)))
    assert [c["number"] for c in detail["conflicts"]] == [second]
    later = window(hours=30)
    ok(people["supervisor"].post(url(second, "schedule"), later))
    assert ok(people["supervisor"].get(url(first)))["conflicts"] == []


def test_waiting_parts_resume_category_and_cancel(people, repair_case):
    sup, tech, agent = people["supervisor"], people["technician"], people["agent"]
    number = dispatched(people, repair_case.number)
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "visit"), {"result": "needs_parts"}), 201)
    assert ok(tech.get(url(number)))["status"] == "waiting_parts"
    early = tech.post(url(number, "complete"), {"acceptance": SIGNED})
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert ok(tech.post(url(number, "resume"), {}))["status"] == "in_progress"
    ok(tech.post(url(number, "visit"), {"result": "needs_parts"}), 201)
    resumed = ok(tech.post(url(number, "resume"), {"reason": "pump arrived"}))
    assert resumed["status"] == "in_progress"
    not_waiting = tech.post(url(number, "resume"), {})
    assert (not_waiting.status_code, not_waiting.json()["code"]) == (409, "not_waiting")
    unfinished = tech.post(url(number, "complete"), {"acceptance": SIGNED})
    assert (unfinished.status_code, unfinished.json()["details"]["field"]) == (422, "result")
    assert agent.post(url(number, "category"), {"category": "A", "reason": "x"}).status_code == 403
    changed = ok(sup.post(url(number, "category"), {"category": "A", "reason": "Misuse"}))
    assert (changed["category"], changed["category_overridden"]) == ("A", True)
    # Paid work without an accepted quote is not completed: the quote is named.
    no_quote = tech.post(url(number, "complete"), {"result": "fixed", "acceptance": SIGNED})
    assert (no_quote.status_code, no_quote.json()["details"]["field"]) == (422, "quote")
    no_reason = agent.post(url(number, "cancel"), {"reason": ""})
    assert (no_reason.status_code, no_reason.json()["details"]["errors"][0]["field"]) == (
        422,
        "reason",
    )
    cancelled = ok(agent.post(url(number, "cancel"), {"reason": "Customer bought a new one"}))
    assert (cancelled["status"], cancelled["allowed_statuses"]) == ("cancelled", [])
    assert tech.post(url(number, "start")).status_code == 409


def test_failed_quality_check_sends_the_job_back(people, repair_case):
    sup, tech = people["supervisor"], people["technician"]
    number = dispatched(people, repair_case.number, kind="remote")
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "complete"), {"result": "no_fault_found"}))
    no_notes = sup.post(url(number, "verify"), {"passed": False})
    assert (no_notes.status_code, no_notes.json()["details"]["field"]) == (422, "notes")
    back = ok(sup.post(url(number, "verify"), {"passed": False, "notes": "Still noisy"}))
    assert (back["status"], back["completed_at"]) == ("in_progress", None)
    assert back["quality_checks"][0]["notes"] == "Still noisy"


def test_labour_and_parts_are_idempotent(people, repair_case):
    tech = people["technician"]
    number = dispatched(people, repair_case.number)
    ok(tech.post(url(number, "start")))
    for _ in range(2):
        tech.post(
            url(number, "labour"), {"minutes": 10, "labour_code": "X"}, **{"Idempotency-Key": "l"}
        )
        tech.post(
            url(number, "parts"),
            {"part_number": "DP-100", "quantity": 1},
            **{"Idempotency-Key": "p"},
        )
    detail = ok(tech.get(url(number)))
    assert (len(detail["labour"]), len(detail["parts"])) == (1, 1)


def test_attachments_upload_and_download(people, repair_case):
    tech = people["technician"]
    number = dispatched(people, repair_case.number)
    ok(tech.post(url(number, "start")))
    visit = ok(tech.post(url(number, "visit"), {"notes": "photo of the pump"}), 201)

    def upload(persona, name, content, content_type, **form):
        return persona.client.post(
            url(number, "attachments"),
            {"file": SimpleUploadedFile(name, content, content_type=content_type), **form},
            HTTP_AUTHORIZATION=f"Bearer {persona.token}",
        )

    photo = ok(upload(tech, "pump.png", PNG, "image/png", visit_id=visit["id"]), 201)
    assert (photo["filename"], photo["size"], photo["visit_id"]) == (
        "pump.png",
        len(PNG),
        visit["id"],
    )
    page = ok(upload(tech, "x.html", b"<script>alert(1)</script>", "text/html"), 201)
    other_visit = upload(tech, "a.png", PNG, "image/png", visit_id=999999)
    assert (other_visit.status_code, other_visit.json()["details"]["field"]) == (422, "visit_id")
    empty = upload(tech, "a.png", b"", "image/png")
    assert empty.status_code == 422
    missing = tech.client.post(
        url(number, "attachments"), {}, HTTP_AUTHORIZATION=f"Bearer {tech.token}"
    )
    assert missing.status_code == 422
    # ninja puts form files under a "file" location: core.api keeps it in the name for now.
    assert missing.json()["details"]["errors"][0]["field"].split(".")[-1] == "file"
    got = people["agent"].get(photo["url"])
    assert got.status_code == 200
    assert (got["Content-Type"], got.content) == ("image/png", PNG)
    risky = people["agent"].get(page["url"])
    assert risky["Content-Type"] == "application/octet-stream"
    assert risky["Content-Disposition"].startswith("attachment")
    assert people["partner_b"].get(photo["url"]).status_code == 404
    assert people["agent"].get(url(number, "attachments/999999")).status_code == 404
    detail = ok(tech.get(url(number)))
    assert [a["filename"] for a in detail["attachments"]] == ["pump.png", "x.html"]


def test_service_record(people, repair_case, tech2):
    tech, sup = people["technician"], people["supervisor"]
    number = dispatched(people, repair_case.number)
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "visit"), {"arrived_at": clock.now().isoformat()}), 201)
    ok(tech.post(url(number, "labour"), {"minutes": 40, "labour_code": "REP"}), 201)
    ok(
        tech.post(url(number, "labour"), {"minutes": 20, "labour_code": "REP", "planned": True}),
        201,
    )
    today = clock.today()
    path = "/api/v1/technicians/technician/service-record"
    mine = ok(tech.get(path, year=today.year, month=today.month))
    assert (mine["technician"], mine["year"], mine["month"]) == (
        "technician",
        today.year,
        today.month,
    )
    assert [(r["work_order"], r["visits"], r["labour_minutes"]) for r in mine["rows"]] == [
        (number, 1, 40)
    ]
    assert mine["totals"] == {"jobs": 1, "visits": 1, "labour_minutes": 40}
    assert ok(sup.get(path)) == mine
    assert ok(sup.get("/api/v1/technicians/tech2/service-record"))["rows"] == []
    assert tech2.get(path).status_code == 404
    assert sup.get("/api/v1/technicians/agent/service-record").status_code == 404
    assert people["agent"].get(path).status_code == 403
    assert people["partner_a"].get(path).status_code == 403
    bad = tech.get(path, month=13)
    assert (bad.status_code, bad.json()["details"]["errors"][0]["field"]) == (422, "month")
    earlier = ok(tech.get(path, year=2001, month=1))
    assert earlier["totals"] == {"jobs": 0, "visits": 0, "labour_minutes": 0}


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("labour", {"minutes": "abc", "labour_code": "X"}, "minutes"),
        ("labour", {"minutes": 0, "labour_code": "X"}, "minutes"),
        ("labour", {"minutes": 5}, "labour_code"),
        ("labour", {"minutes": 5, "labour_code": "X", "performed_on": "monday"}, "performed_on"),
        ("parts", {"part_number": "DP-100", "quantity": "two"}, "quantity"),
        ("schedule", {"window_start": "2030-01-01T10:00:00", "window_end": "x"}, "window_start"),
        ("visit", {"distance_km": "far"}, "distance_km"),
        ("visit", {"result": "great"}, "result"),
        ("verify", {"passed": "perhaps"}, "passed"),
        ("custody", {"kind": "teleported"}, "kind"),
        ("payment", {"amount": 10.5, "method": "card"}, "amount"),
        ("payment", {"amount": "-1", "method": "card"}, "amount"),
        ("payment", {"amount": "10.00", "method": "cheque"}, "method"),
        ("approve", {"accept": "maybe"}, "accept"),
        ("complete", {"acceptance": {"name": ""}}, "acceptance.name"),
        ("category", {"category": "Z", "reason": "x"}, "category"),
    ],
)
def test_bad_input_is_422_naming_the_field(people, repair_case, action, body, field):
    number = create(people["supervisor"], repair_case.number)["number"]
    response = people["admin"].post(url(number, action), body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "details"}
    assert response.json()["details"]["errors"][0]["field"] == field


def test_bad_signature_and_bad_kind(people, repair_case):
    sup = people["supervisor"]
    pizza = sup.post(f"/api/v1/cases/{repair_case.number}/work-orders", {"kind": "pizza"})
    assert (pizza.status_code, pizza.json()["details"]["errors"][0]["field"]) == (422, "kind")
    number = dispatched(people, repair_case.number)
    ok(people["technician"].post(url(number, "start")))
    not_b64 = people["technician"].post(
        url(number, "complete"),
        {"result": "fixed", "acceptance": {"name": "L", "signature_png_base64": "***"}},
    )
    assert not_b64.status_code == 422
    assert not_b64.json()["details"]["field"] == "acceptance.signature_png_base64"
    not_png = people["technician"].post(
        url(number, "complete"),
        {
            "result": "fixed",
            "acceptance": {
                "name": "L",
                "signature_png_base64": base64.b64encode(b"GIF89a").decode(),
            },
        },
    )
    assert (not_png.status_code, not_png.json()["details"]["field"]) == (422, "acceptance")


@pytest.mark.parametrize("number", ["WO-999999", "nope", "SC-000001", "WO-"])
def test_unknown_work_order_is_404(people, network, number):
    admin = people["admin"]
    for response in (
        admin.get(url(number)),
        admin.post(url(number, "start")),
        admin.post(url(number, "close")),
        admin.post(url(number, "labour"), {"minutes": 5, "labour_code": "X"}),
        admin.post(url(number, "payment"), {"amount": "1.00", "method": "cash"}),
        admin.get(url(number, "attachments/1")),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert admin.get("/api/v1/invoices/INV-2020-000001").status_code == 404
    assert admin.post("/api/v1/cases/SC-999999/work-orders", {"kind": "remote"}).status_code == 404


def test_closed_case_takes_no_work_order(people, repair_case):
    agent = people["agent"]
    ok(agent.post(f"/api/v1/cases/{repair_case.number}/status", {"status": "cancelled"}))
    response = agent.post(f"/api/v1/cases/{repair_case.number}/work-orders", {"kind": "remote"})
    assert (response.status_code, response.json()["code"]) == (409, "case_closed")


def test_money_is_a_decimal_string(people, repair_case):
    number = dispatched(people, repair_case.number, kind="remote")
    tech = people["technician"]
    ok(tech.post(url(number, "start")))
    ok(tech.post(url(number, "labour"), {"minutes": 7, "labour_code": "REP"}), 201)
    costing = ok(tech.get(url(number)))["costing"]
    # 7 minutes at 48/h = 5.60.
    assert costing["lines"][0]["amount"] == "5.60"
    assert Decimal(costing["total"]) == Decimal("6.78")
