"""The claims API: shapes, idempotent creates, the house error shape for bad input, lists
with filters and cursors, the review queue by risk, decisions, statements (JSON, PDF, CSV),
scorecards, audits and labour standards."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from django.test import Client

from aftersales.claims import scoring, views
from aftersales.claims.models import Claim
from aftersales.claims.risk import Reason, RiskResult
from aftersales.claims.tests.conftest import SERIAL, good_lines
from aftersales.core import clock

pytestmark = pytest.mark.django_db

PHOTO = {
    "filename": "pump.png",
    "content_type": "image/png",
    "content_base64": base64.b64encode(b"\x89PNG fake").decode(),
}


def body(job, **extra) -> dict:
    data = {
        "work_order_number": job.number,
        "serial_number": SERIAL,
        "repair_date": clock.today().isoformat(),
        "fault_code": "E21",
        "lines": good_lines(),
    }
    data.update(extra)
    return data


@pytest.fixture
def posted(people, job):
    """Partner A's claims through the API; keyword arguments override the body."""

    def make(who="partner_a", **extra):
        response = people[who].post("/api/v1/claims", body(job, **extra))
        assert response.status_code == 201, response.content
        return response.json()

    return make


def assert_error(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "details"}
    assert data["code"] == code and data["message"]
    if field is not None:
        fields = [data["details"].get("field")] + [
            e["field"] for e in data["details"].get("errors", [])
        ]
        assert field in fields, data


# --- submission -----------------------------------------------------------------------------


def test_submit_returns_the_claim_with_findings_and_timeline(people, job):
    response = people["partner_a"].post("/api/v1/claims", body(job, attachments=[PHOTO]))
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["number"].startswith("CLM-") and claim["status"] == "auto_approved"
    assert claim["partner"] == "ASP-A" and claim["work_order"] == job.number
    assert claim["claimed_amount"] == claim["approved_amount"] == "65.90"
    assert claim["currency"] == "EUR" and claim["risk_score"] == 0
    assert [line["kind"] for line in claim["lines"]] == ["labour", "part"]
    assert claim["lines"][0]["standard_minutes"] == 30
    assert len(claim["findings"]) == 10 and all(f["passed"] for f in claim["findings"])
    assert {"code", "passed", "hard", "sentence", "line"} == set(claim["findings"][0])
    assert [e["kind"] for e in claim["events"]] == ["submitted", "validated", "scored"]
    assert claim["attachments"][0]["filename"] == "pump.png"
    assert "content" not in claim["attachments"][0]
    assert claim["history"] is None  # a partner does not see the brand's history view
    staff = people["manager"].get(f"/api/v1/claims/{claim['number']}").json()
    assert set(staff["history"]) == {"unit", "partner"}
    assert staff["history"]["partner"]["code"] == "ASP-A"
    assert any(row["type"] == "work_order" for row in staff["history"]["unit"])


def test_submit_is_idempotent(people, job):
    first = people["partner_a"].post("/api/v1/claims", body(job), **{"Idempotency-Key": "k-1"})
    again = people["partner_a"].post("/api/v1/claims", body(job), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Claim.objects.count() == 1


def test_rejected_claim_says_why(posted):
    claim = posted(work_order_number=None)
    assert claim["status"] == "auto_rejected" and claim["approved_amount"] == "0.00"
    failed = [f for f in claim["findings"] if not f["passed"]]
    assert [f["code"] for f in failed] == ["WORK_ORDER"] and failed[0]["hard"]
    assert "labour" in failed[0]["sentence"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"kind": "spaceship"}]}, "lines.0.kind"),
        ({"lines": [{"kind": "travel", "unit_price": "-1"}]}, "lines.0.unit_price"),
        ({"lines": [{"kind": "travel", "unit_price": "1.001"}]}, "lines.0.unit_price"),
        ({"lines": [{"kind": "travel", "quantity": 0}]}, "lines.0.quantity"),
        ({"repair_date": "yesterday"}, "repair_date"),
        ({"fault_code": "X" * 21}, "fault_code"),
    ],
)
def test_bad_input_is_a_422_in_the_house_shape(people, job, extra, field):
    response = people["partner_a"].post("/api/v1/claims", body(job, **extra))
    assert_error(response, 422, "validation_error", field)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"attachments": [{**PHOTO, "content_base64": "%%%"}]}, "attachments.0"),
        ({"attachments": [{**PHOTO, "content_type": "text/html"}]}, "attachments.0"),
        ({"lines": [{"kind": "part", "unit_price": "5"}]}, "lines.0.part_number"),
        ({"serial_number": "SN-NOT-THIS-ONE"}, "serial_number"),
        ({"partner_code": "ASP-B"}, "partner_code"),
    ],
)
def test_input_the_service_refuses_is_a_422(people, job, extra, field):
    response = people["partner_a"].post("/api/v1/claims", body(job, **extra))
    assert_error(response, 422, "invalid", field)


def test_brand_staff_must_name_the_partner(people, job):
    response = people["admin"].post("/api/v1/claims", body(job))
    assert_error(response, 422, "invalid", "partner_code")
    response = people["admin"].post("/api/v1/claims", body(job, partner_code="ASP-A"))
    assert response.status_code == 201 and response.json()["partner"] == "ASP-A"


# --- lists ----------------------------------------------------------------------------------


def test_list_filters_and_pages(people, posted):
    a = posted(invoice_number="1", fault_code="F1")
    b = posted(invoice_number="2", fault_code="F2", work_order_number=None)
    c = posted(invoice_number="3", fault_code="F3")
    manager = people["manager"]
    page = manager.get("/api/v1/claims", limit=2).json()
    assert [x["number"] for x in page["items"]] == [c["number"], b["number"]]
    rest = manager.get("/api/v1/claims", limit=2, cursor=page["next"]).json()
    assert [x["number"] for x in rest["items"]] == [a["number"]] and rest["next"] is None
    rejected = manager.get("/api/v1/claims", status="auto_rejected").json()["items"]
    assert [x["number"] for x in rejected] == [b["number"]]
    assert manager.get("/api/v1/claims", partner="ASP-B").json()["items"] == []
    assert len(people["partner_a"].get("/api/v1/claims").json()["items"]) == 3
    assert people["partner_b"].get("/api/v1/claims").json()["items"] == []
    assert_error(manager.get("/api/v1/claims", cursor="###"), 422, "invalid", "cursor")
    assert_error(manager.get("/api/v1/claims", min_risk=101), 422, "invalid", "min_risk")
    assert_error(manager.get("/api/v1/claims", status="nope"), 422, "validation_error")
    assert_error(manager.get("/api/v1/claims", limit=0), 422, "invalid", "limit")


def test_review_queue_is_riskiest_first(people, posted, monkeypatch):
    scores = iter([30, 80, 55, 0])
    monkeypatch.setattr(
        scoring,
        "score_claim",
        lambda claim: RiskResult(score=next(scores), reasons=(Reason("X", 1, "x"),)),
    )
    made = [
        posted(invoice_number=str(i), fault_code=f"F{i}", lines=good_lines(minutes=75))
        for i in range(4)
    ]
    sup = people["supervisor"]
    page = sup.get("/api/v1/claims/review-queue", limit=2).json()
    assert [x["risk_score"] for x in page["items"]] == [80, 55]
    rest = sup.get("/api/v1/claims/review-queue", limit=2, cursor=page["next"]).json()
    assert [x["risk_score"] for x in rest["items"]] == [30, 0] and rest["next"] is None
    assert page["items"][0]["risk_reasons"] == [{"code": "X", "points": 1, "sentence": "x"}]
    high = sup.get("/api/v1/claims/review-queue", min_risk=50).json()["items"]
    assert {x["number"] for x in high} == {made[1]["number"], made[2]["number"]}
    assert_error(sup.get("/api/v1/claims/review-queue", cursor="zz"), 422, "invalid", "cursor")


def test_review_screen_pages_by_risk_as_the_api_does(people, posted, monkeypatch):
    scores = iter([30, 80, 55])
    monkeypatch.setattr(
        scoring,
        "score_claim",
        lambda claim: RiskResult(score=next(scores), reasons=(Reason("X", 1, "x"),)),
    )
    numbers = [
        posted(invoice_number=str(i), fault_code=f"F{i}", lines=good_lines(minutes=75))["number"]
        for i in range(3)
    ]
    monkeypatch.setattr(views, "PAGE", 2)
    screen = Client()
    screen.force_login(people["supervisor"].user)
    first = screen.get("/claims/")
    assert [claim.number for claim in first.context["rows"]] == [numbers[1], numbers[2]]
    second = screen.get(first.context["next_url"])
    assert [claim.number for claim in second.context["rows"]] == [numbers[0]]
    assert second.context["next_url"] is None


# --- decisions ------------------------------------------------------------------------------


def test_request_info_reply_and_partial_approval(people, posted):
    claim = posted(lines=good_lines(minutes=75))
    number = claim["number"]
    sup, partner = people["supervisor"], people["partner_a"]
    asked = sup.post(f"/api/v1/claims/{number}/request-info", {"question": "Why so long?"})
    assert asked.status_code == 200 and asked.json()["status"] == "info_requested"
    assert_error(
        partner.post(f"/api/v1/claims/{number}/reply", {"message": ""}), 422, "validation_error"
    )
    replied = partner.post(
        f"/api/v1/claims/{number}/reply", {"message": "Seized pump.", "attachments": [PHOTO]}
    )
    assert replied.status_code == 200 and replied.json()["status"] == "review"
    assert_error(
        partner.post(f"/api/v1/claims/{number}/reply", {"message": "again"}), 409, "no_question"
    )
    labour, part = (line["id"] for line in replied.json()["lines"])
    bad = sup.post(
        f"/api/v1/claims/{number}/decide-lines",
        {"lines": [{"id": labour, "approved_amount": "10"}, {"id": part, "approved_amount": "1"}]},
    )
    assert_error(bad, 422, "invalid", "lines.0.reason_code")
    done = sup.post(
        f"/api/v1/claims/{number}/decide-lines",
        {
            "lines": [
                {"id": labour, "approved_amount": "10.00", "reason_code": "labour_above_standard"},
                {"id": part, "approved_amount": "42.50"},
            ]
        },
    )
    assert done.status_code == 200, done.content
    out = done.json()
    assert out["status"] == "partially_approved" and out["approved_amount"] == "52.50"
    assert out["lines"][0]["reason_code"] == "labour_above_standard"
    assert out["decided_by"] == "supervisor"
    assert [e["kind"] for e in out["events"]][-3:] == [
        "info_requested",
        "replied",
        "partially_approved",
    ]
    assert_error(sup.post(f"/api/v1/claims/{number}/approve", {}), 409, "not_in_review")


def test_reject_and_approve(people, posted):
    one = posted(lines=good_lines(minutes=75), invoice_number="1")["number"]
    two = posted(lines=good_lines(minutes=75), invoice_number="2", fault_code="E10")["number"]
    admin = people["admin"]
    rejected = admin.post(
        f"/api/v1/claims/{one}/reject", {"reason": "No proof.", "reason_code": "no_evidence"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert_error(
        admin.post(f"/api/v1/claims/{two}/reject", {"reason": "x", "reason_code": "?"}),
        422,
        "validation_error",
    )
    approved = admin.post(f"/api/v1/claims/{two}/approve", {"note": "OK"})
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_amount"] == approved.json()["claimed_amount"]


def test_bulk_approve(people, posted, monkeypatch):
    monkeypatch.setattr(scoring, "score_claim", lambda claim: RiskResult(score=5, reasons=()))
    number = posted(lines=good_lines(minutes=75))["number"]
    response = people["manager"].post(
        "/api/v1/claims/bulk-approve", {"numbers": [number, "CLM-0000999", "nonsense"]}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["approved"] == [number]
    assert set(data["refused"]) == {"CLM-0000999", "nonsense"}
    assert_error(
        people["manager"].post("/api/v1/claims/bulk-approve", {"numbers": []}),
        422,
        "validation_error",
    )


def test_unknown_claim_is_404(people):
    assert_error(people["manager"].get("/api/v1/claims/CLM-0000042"), 404, "not_found")
    assert_error(people["manager"].get("/api/v1/claims/garbage"), 404, "not_found")


# --- statements and chargebacks -------------------------------------------------------------


def test_statement_documents_and_chargeback(people, posted):
    claim = posted()
    today = clock.today().isoformat()
    manager = people["manager"]
    issue = {"partner_code": "ASP-A", "period_start": today, "period_end": today}
    response = manager.post("/api/v1/claim-statements", issue, **{"Idempotency-Key": "st-1"})
    assert response.status_code == 201, response.content
    statement = response.json()
    again = manager.post("/api/v1/claim-statements", issue, **{"Idempotency-Key": "st-1"})
    assert again.json()["number"] == statement["number"]
    assert_error(manager.post("/api/v1/claim-statements", issue), 409, "statement_exists")
    assert statement["number"].startswith("ST-") and statement["net_total"] == "65.90"
    assert statement["lines"] == [
        {
            "kind": "claim",
            "claim": claim["number"],
            "work_order": claim["work_order"],
            "serial_number": SERIAL,
            "repair_date": today,
            "description": statement["lines"][0]["description"],
            "amount": "65.90",
        }
    ]
    number = statement["number"]
    listed = people["partner_a"].get("/api/v1/claim-statements").json()["items"]
    assert [s["number"] for s in listed] == [number]
    assert people["partner_a"].get(f"/api/v1/claim-statements/{number}").status_code == 200
    pdf = people["partner_a"].get(f"/api/v1/claim-statements/{number}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    csv_response = manager.get(f"/api/v1/claim-statements/{number}.csv")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[1][0] == number and rows[1][-1] == "65.90"
    detail = manager.get(f"/api/v1/claims/{claim['number']}").json()
    assert detail["statement"] == number

    back = manager.post(
        f"/api/v1/claims/{claim['number']}/chargebacks",
        {"amount": "15.00", "reason": "Found invalid at audit."},
    )
    assert back.status_code == 201, back.content
    assert back.json()["amount"] == "15.00" and back.json()["statement"] is None
    assert_error(
        manager.post(
            f"/api/v1/claims/{claim['number']}/chargebacks", {"amount": "60", "reason": "x"}
        ),
        422,
        "invalid",
        "amount",
    )
    assert_error(
        manager.post(
            f"/api/v1/claims/{claim['number']}/chargebacks", {"amount": "0", "reason": "x"}
        ),
        422,
        "validation_error",
    )


def test_statement_input_errors(people):
    today = clock.today().isoformat()
    admin = people["admin"]
    assert_error(
        admin.post(
            "/api/v1/claim-statements",
            {"partner_code": "ASP-A", "period_start": today, "period_end": "2000-01-01"},
        ),
        422,
        "invalid",
        "period_end",
    )
    assert_error(
        admin.post(
            "/api/v1/claim-statements",
            {"partner_code": "ASP-A", "period_start": today, "period_end": today},
        ),
        409,
        "nothing_to_state",
    )
    assert_error(admin.get("/api/v1/claim-statements/ST-000099"), 404, "not_found")
    assert_error(admin.get("/api/v1/claim-statements/ST-000099.pdf"), 404, "not_found")


# --- scorecards, audits, standards ----------------------------------------------------------


def test_scorecard(people, posted):
    posted()
    card = people["manager"].get("/api/v1/partners/ASP-A/scorecard", months=3)
    assert card.status_code == 200, card.content
    data = card.json()
    assert data["partner"]["code"] == "ASP-A" and len(data["months"]) == 3
    now = data["months"][-1]
    assert now["month"] == clock.today().strftime("%Y-%m")
    assert (now["claims"], now["approved"], now["approval_rate"]) == (1, 1, 1.0)
    assert now["cost_per_claim"] == "65.90" and data["share_of_warranty_cost"] == 1.0
    assert data["months"][0]["claims"] == 0 and data["months"][0]["approval_rate"] is None
    assert people["partner_a"].get("/api/v1/partners/ASP-A/scorecard").status_code == 200
    scoring.refresh_peer_statistics()
    data = people["manager"].get("/api/v1/partners/ASP-A/scorecard").json()
    assert data["signals_computed_at"] is not None
    assert {"partner", "peers", "z", "flag"} <= set(data["signals"]["doa_rate"])
    assert_error(people["manager"].get("/api/v1/partners/NOPE/scorecard"), 404, "not_found")
    assert_error(
        people["manager"].get("/api/v1/partners/ASP-A/scorecard", months=0), 422, "invalid"
    )


def test_audits(people, posted):
    for i in range(3):
        posted(invoice_number=str(i), fault_code=f"F{i}")
    today = clock.today().isoformat()
    sup = people["supervisor"]
    drawn = sup.post(
        "/api/v1/claim-audits",
        {"period_start": today, "period_end": today, "size": 2, "seed": 3},
    )
    assert drawn.status_code == 201, drawn.content
    items = drawn.json()["items"]
    assert len(items) == 2 and items[0]["outcome"] == "pending"
    listed = sup.get("/api/v1/claim-audits", period_start=today).json()["items"]
    assert {a["id"] for a in listed} == {a["id"] for a in items}
    recorded = sup.post(
        f"/api/v1/claim-audits/{items[0]['id']}",
        {"outcome": "failed", "notes": "No repair.", "chargeback_amount": "10.00"},
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["outcome"] == "failed" and recorded.json()["audited_by"] == "supervisor"
    claim = people["manager"].get(f"/api/v1/claims/{items[0]['claim']}").json()
    assert claim["chargebacks"][0]["amount"] == "10.00"
    assert_error(
        sup.post(f"/api/v1/claim-audits/{items[0]['id']}", {"outcome": "passed"}),
        409,
        "already_audited",
    )
    assert_error(sup.post("/api/v1/claim-audits/999", {"outcome": "passed"}), 404, "not_found")
    assert_error(
        sup.post(f"/api/v1/claim-audits/{items[1]['id']}", {"outcome": "maybe"}),
        422,
        "validation_error",
    )


def test_labour_standards(people, standards):
    listed = people["partner_a"].get("/api/v1/labour-standards").json()["items"]
    assert [(s["labour_code"], s["minutes"]) for s in listed] == [("PUMP", 30)]
    response = people["manager"].post(
        "/api/v1/labour-standards",
        {"product_line": "washing_machine", "labour_code": "PUMP", "minutes": 40},
    )
    assert response.status_code == 200 and response.json()["minutes"] == 40
    assert response.json()["id"] == standards.pk
    assert_error(
        people["manager"].post(
            "/api/v1/labour-standards",
            {"product_line": "x", "labour_code": "y", "minutes": 0},
        ),
        422,
        "validation_error",
    )
