"""The claims screens through Django's test client: who sees which screen, the partner's
submission form (from a completed work order, blank rows ignored, errors in the form), the
claim page with its findings, risk and timeline, the reviewer's decisions (plain POST and
htmx) and the partner's reply, bulk approval, statements (PDF and CSV), scorecards with
their chart, audits; partner B never sees partner A's things; Spanish renders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.claims import services
from aftersales.claims.models import AuditSample, Chargeback, Claim, Statement
from aftersales.core import clock
from aftersales.workorders import services as wo

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
BRAND_STAFF = ["admin", "manager", "supervisor", "agent"]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def login(people):
    def make(who: str) -> Client:
        client = Client()
        client.force_login(people[who].user)
        return client

    return make


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def job(people, repair_case, standards):
    """Partner A's completed, customer-accepted repair of Lucía's washing machine: 90 minutes
    of labour on code PUMP (standard: 30) and a drain pump."""
    sup = people["manager"].user
    partner = people["partner_a"].user
    order = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="on_site", partner_code="ASP-A"
    )
    start = clock.now() - timedelta(hours=3)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_start(actor=partner, number=order.number)
    wo.work_order_add_labour(
        actor=partner, number=order.number, minutes=90, labour_code="PUMP", description="Pump"
    )
    wo.work_order_add_part(actor=partner, number=order.number, part_number="DP-100", quantity=1)
    wo.work_order_record_visit(
        actor=partner,
        number=order.number,
        visit=wo.VisitInput(arrived_at=clock.now(), fault_code="E21", result="fixed"),
    )
    return wo.work_order_complete(
        actor=partner, number=order.number, acceptance=wo.Acceptance(name="Lucía", typed=True)
    )


def claim_form(job, **extra) -> dict:
    """The submission form as a partner fills it: a labour line above the standard time with
    no explanation (so a reviewer looks at it), a part line, four blank rows."""
    data = {
        "work_order": job.number,
        "serial_number": "SN-ES-1",
        "repair_date": clock.today().isoformat(),
        "fault_code": "E21",
        "invoice_number": "INV-1",
        "explanation": "",
        "line-0-kind": "labour",
        "line-0-description": "Replace the drain pump",
        "line-0-labour_code": "PUMP",
        "line-0-minutes": "90",
        "line-0-quantity": "1",
        "line-0-unit_price": "45.00",
        "line-1-kind": "part",
        "line-1-part_number": "DP-100",
        "line-1-quantity": "1",
        "line-1-unit_price": "42.50",
        "line-1-defective_returned": "on",
    }
    for i in range(2, 6):
        data.update({f"line-{i}-kind": "", f"line-{i}-quantity": "1"})
    data.update(extra)
    return data


@pytest.fixture
def claim(people, job) -> Claim:
    """Partner A's claim on the job, in review (labour above the standard time)."""
    made = services.claim_submit(
        actor=people["partner_a"].user,
        work_order_number=job.number,
        serial_number="SN-ES-1",
        repair_date=clock.today(),
        fault_code="E21",
        invoice_number="INV-1",
        lines=[
            {
                "kind": "labour",
                "description": "Replace the drain pump",
                "labour_code": "PUMP",
                "minutes": 90,
                "quantity": 1,
                "unit_price": "45.00",
            },
            {
                "kind": "part",
                "part_number": "DP-100",
                "quantity": 1,
                "unit_price": "42.50",
                "defective_returned": True,
            },
        ],
    )
    assert made.status == "review", made.findings
    return made


# Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/claims/", "/claims/new/", "/claims/statements/", "/claims/scorecards/", "/claims/audits/"],
)
def test_anonymous_is_sent_to_login(path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("who", "status"),
    [(w, 200) for w in BRAND_STAFF] + [("partner_a", 200), ("technician", 403), ("warehouse", 403)],
)
def test_claim_list_by_role(who, status, login, network):
    response = login(who).get("/claims/")
    assert response.status_code == status
    if status == 200:
        body = text(response)
        assert 'href="/claims/"' in body  # the nav link
        assert ("New claim" in body) == (who in ("admin", "manager", "partner_a"))
        assert ("Claims waiting for review" in body) == (who != "partner_a")


@pytest.mark.parametrize("who", ["technician", "warehouse"])
def test_no_claims_link_for_roles_without_claims(who, login, network):
    body = text(login(who).get("/"))
    assert 'href="/claims/"' not in body


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/claims/new/", {"admin", "manager", "partner_a"}),
        ("/claims/statements/", {"admin", "manager", "supervisor", "agent", "partner_a"}),
        ("/claims/audits/", {"admin", "manager", "supervisor"}),
    ],
)
def test_screens_by_role(path, allowed, login, network):
    for who in BRAND_STAFF + ["partner_a", "technician"]:
        response = login(who).get(path)
        assert response.status_code == (200 if who in allowed else 403), (who, path)


# The partner's submission form ---------------------------------------------------------------


def test_work_order_page_offers_a_claim_to_the_partner(login, job):
    page = text(login("partner_a").get(f"/work-orders/{job.number}/"))
    assert "Claim warranty" in page and f"/claims/new/?work_order={job.number}" in page
    assert "Claim warranty" not in text(login("manager").get(f"/work-orders/{job.number}/"))


def test_new_claim_is_filled_from_the_work_order(login, job):
    page = text(login("partner_a").get(f"/claims/new/?work_order={job.number}"))
    assert f'value="{job.number}"' in page
    assert 'value="SN-ES-1"' in page and 'value="E21"' in page
    assert 'value="PUMP"' in page and 'value="DP-100"' in page
    assert 'value="45.00"' in page  # 90 min at partner A's 30/h
    assert 'name="line-5-kind"' in page  # blank rows to add more
    assert 'name="partner"' not in page  # a partner claims for itself


def test_partner_submits_a_claim_and_lands_on_it(login, job):
    partner = login("partner_a")
    invoice = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", "application/pdf")
    photo = SimpleUploadedFile("pump.png", b"\x89PNG\r\n\x1a\n" + b"1" * 40, "image/png")
    response = partner.post(
        "/claims/new/", {**claim_form(job), "invoice": invoice, "photos": photo}
    )
    assert response.status_code == 302, text(response)
    made = Claim.objects.get()
    assert response["Location"] == f"/claims/{made.number}/"
    assert made.partner.code == "ASP-A" and made.lines.count() == 2  # blank rows ignored
    assert made.attachments.count() == 2
    page = text(partner.get(response["Location"]))
    assert made.number in page and "Submitted" in page
    assert "LABOUR_STANDARD" in page and "finding-soft" in page
    # How the brand scores claims stays with the brand.
    assert "risk-card" not in page and "Scored" not in page
    assert "invoice.pdf" in page
    attachment = made.attachments.first()
    download = partner.get(f"/claims/{made.number}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


def test_submission_errors_stay_in_the_form(login, job):
    partner = login("partner_a")
    blank = {k: v for k, v in claim_form(job).items() if not k.startswith("line-")}
    no_lines = partner.post("/claims/new/", blank)
    assert no_lines.status_code == 422
    assert "Add at least one line" in text(no_lines)
    no_price = partner.post("/claims/new/", claim_form(job, **{"line-0-unit_price": ""}))
    assert no_price.status_code == 422 and "Give the price." in text(no_price)
    # The service refuses a labour line without minutes: said under that line's field.
    refused = partner.post("/claims/new/", claim_form(job, **{"line-0-minutes": ""}))
    assert refused.status_code == 422
    body = text(refused)
    assert "Check the lines." in body
    assert 'id="id_line-0-minutes_error"' in body and "how many minutes" in body
    assert Claim.objects.count() == 0
    # A work order that is not the partner's is no refusal: the claim is judged and fails.
    judged = partner.post("/claims/new/", claim_form(job, work_order="WO-999999"))
    assert judged.status_code == 302
    assert Claim.objects.get().status == "auto_rejected"


def test_manager_names_the_partner(login, job):
    manager = login("manager")
    page = text(manager.get(f"/claims/new/?work_order={job.number}"))
    assert 'name="partner"' in page
    response = manager.post("/claims/new/", claim_form(job, partner="ASP-A"))
    assert response.status_code == 302, text(response)
    assert Claim.objects.get().partner.code == "ASP-A"


# The claim page and the reviewer's decisions -----------------------------------------------


def test_supervisor_sees_queue_with_reasons_and_history(login, claim):
    sup = login("supervisor")
    queue = text(sup.get("/claims/"))
    assert claim.number in queue
    detail = text(sup.get(f"/claims/{claim.number}/"))
    for piece in ("Approve in full", "Approve part of it", "Ask the partner", "Reject"):
        assert piece in detail
    assert "Timeline" in detail and "claim-history" in detail
    assert f"Risk {claim.risk.score} of 100" in detail and "Scored" in detail
    filtered = text(sup.get("/claims/", {"status": "all", "partner": "ASP-B"}))
    assert claim.number not in filtered
    high = text(sup.get("/claims/", {"min_risk": "101"}))
    assert 'class="field-error"' in high  # out of range: said, not a 500


def test_agent_reads_but_does_not_decide(login, claim):
    page = text(login("agent").get(f"/claims/{claim.number}/"))
    assert claim.number in page and "Approve in full" not in page
    refused = login("agent").post(f"/claims/{claim.number}/do/approve/", {})
    assert refused.status_code == 403


def test_approve_plain_post(login, claim):
    done = login("supervisor").post(f"/claims/{claim.number}/do/approve/", {"note": "fine"})
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved"
    page = text(login("partner_a").get(f"/claims/{claim.number}/"))
    assert "approved" in page


def test_partial_approval_per_line_with_htmx(login, claim):
    labour, part = claim.lines.order_by("pk")
    url = f"/claims/{claim.number}/do/decide/"
    sup = login("supervisor")
    missing_reason = sup.post(
        url,
        {f"approved_{labour.pk}": "15.00", f"approved_{part.pk}": "42.50"},
        headers=HX,
    )
    assert missing_reason.status_code == 422
    assert 'class="form-error"' in text(missing_reason)
    done = sup.post(
        url,
        {
            f"approved_{labour.pk}": "15.00",
            f"reason_code_{labour.pk}": "labour_above_standard",
            f"reason_{labour.pk}": "30 minutes is the standard",
            f"approved_{part.pk}": "42.50",
        },
        headers=HX,
    )
    assert done.status_code == 200, text(done)
    assert "partially approved" in text(done)
    claim.refresh_from_db()
    assert claim.status == "partially_approved" and str(claim.approved_amount) == "57.50"


def test_reject_needs_a_reason(login, claim):
    url = f"/claims/{claim.number}/do/reject/"
    sup = login("supervisor")
    empty = sup.post(url, {"reason_code": "other", "reason": ""})
    assert empty.status_code == 422
    done = sup.post(url, {"reason_code": "no_evidence", "reason": "No photo of the old pump"})
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "rejected"


def test_request_information_and_the_partners_reply(login, claim):
    sup = login("supervisor")
    asked = sup.post(f"/claims/{claim.number}/do/ask/", {"question": "Why 90 minutes for a pump?"})
    assert asked.status_code == 302
    partner = login("partner_a")
    page = text(partner.get(f"/claims/{claim.number}/"))
    assert "The brand asks:" in page and "Why 90 minutes" in page
    assert "Answer the brand" in page
    photo = SimpleUploadedFile("seized.jpg", b"\xff\xd8\xff" + b"2" * 40, "image/jpeg")
    replied = partner.post(
        f"/claims/{claim.number}/do/reply/",
        {"message": "The pump had seized; photo attached.", "attachments": photo},
    )
    assert replied.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "review"
    assert claim.attachments.filter(filename="seized.jpg").exists()
    # Partner B never sees it, nor may act on it.
    other = login("partner_b")
    assert other.get(f"/claims/{claim.number}/").status_code == 404
    assert other.post(f"/claims/{claim.number}/do/reply/", {"message": "x"}).status_code == 404


def test_partner_sees_only_its_own_claims(login, claim):
    assert claim.number in text(login("partner_a").get("/claims/"))
    assert claim.number not in text(login("partner_b").get("/claims/"))
    assert login("partner_b").get(f"/claims/{claim.number}/").status_code == 404
    attachment_url = f"/claims/{claim.number}/attachments/1/"
    assert login("partner_b").get(attachment_url).status_code == 404


def test_bulk_approve_low_risk_claims(login, claim, settings):
    settings.CLAIM_REVIEW_THRESHOLD = 101  # every claim counts as low risk here
    sup = login("supervisor")
    queue = text(sup.get("/claims/"))
    assert f'name="numbers" value="{claim.number}"' in queue
    done = sup.post("/claims/bulk-approve/", {"numbers": [claim.number], "query": ""})
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved"
    nothing = sup.post("/claims/bulk-approve/", {})
    assert nothing.status_code == 302
    assert (
        login("agent").post("/claims/bulk-approve/", {"numbers": [claim.number]}).status_code == 403
    )


# Statements, chargebacks -------------------------------------------------------------------


def _period() -> dict:
    today = clock.today()
    return {
        "partner": "ASP-A",
        "period_start": (today - timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
    }


def test_manager_issues_a_statement_with_pdf_and_csv(login, claim):
    login("supervisor").post(f"/claims/{claim.number}/do/approve/", {})
    manager = login("manager")
    bad = manager.post("/claims/statements/", {**_period(), "period_end": "2000-01-01"})
    assert bad.status_code == 422
    issued = manager.post("/claims/statements/", _period())
    assert issued.status_code == 302, text(issued)
    statement = Statement.objects.get()
    assert issued["Location"] == f"/claims/statements/{statement.number}/"
    page = text(manager.get(issued["Location"]))
    assert claim.number in page and "Statement (PDF)" in page
    pdf = manager.get(f"/claims/statements/{statement.number}/statement.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    csv = manager.get(f"/claims/statements/{statement.number}/statement.csv")
    assert csv.status_code == 200
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("statement,partner,period_start,period_end,currency,kind,claim")
    assert any(claim.number in line for line in lines[1:])
    # Partner A sees its statement; partner B gets a 404; a supervisor may not issue.
    assert login("partner_a").get(issued["Location"]).status_code == 200
    assert login("partner_b").get(issued["Location"]).status_code == 404
    assert (
        login("partner_b").get(f"/claims/statements/{statement.number}/statement.pdf").status_code
        == 404
    )
    assert login("supervisor").post("/claims/statements/", _period()).status_code == 403
    # A paid claim later found invalid: the manager charges it back.
    page = text(manager.get(f"/claims/{claim.number}/"))
    assert "Record the chargeback" in page
    charged = manager.post(
        f"/claims/{claim.number}/do/chargeback/", {"amount": "20.00", "reason": "Audit failed"}
    )
    assert charged.status_code == 302, text(charged)
    assert Chargeback.objects.get().amount == 20
    assert "Record the chargeback" not in text(login("supervisor").get(f"/claims/{claim.number}/"))
    # It lands on the partner's next statement as a negative line, in the PDF and the CSV.
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    second = manager.post(
        "/claims/statements/",
        {"partner": "ASP-A", "period_start": tomorrow, "period_end": tomorrow},
    )
    assert second.status_code == 302, text(second)
    later = Statement.objects.exclude(pk=statement.pk).get()
    page = text(manager.get(second["Location"]))
    assert "Chargebacks" in page and "Audit failed" in page
    rows = manager.get(f"/claims/statements/{later.number}/statement.csv").content.decode()
    assert ",chargeback," in rows and ",-20.00" in rows
    pdf = manager.get(f"/claims/statements/{later.number}/statement.pdf")
    assert pdf.content.startswith(b"%PDF")


# Scorecards --------------------------------------------------------------------------------


def test_scorecards(login, claim):
    sup = login("supervisor")
    listing = text(sup.get("/claims/scorecards/"))
    assert "ASP-A" in listing
    card = sup.get("/claims/scorecards/ASP-A/")
    assert card.status_code == 200
    body = text(card)
    assert "<svg" in body and 'class="bar"' in body
    assert "Signals against the peer group" in body
    assert sup.get("/claims/scorecards/NOPE/").status_code == 404
    partner = login("partner_a")
    own = partner.get("/claims/scorecards/")
    assert own.status_code == 302 and own["Location"] == "/claims/scorecards/ASP-A/"
    assert partner.get("/claims/scorecards/ASP-A/").status_code == 200
    assert login("partner_b").get("/claims/scorecards/ASP-A/").status_code == 404


# Audits ------------------------------------------------------------------------------------


def test_audit_draw_and_record(login, claim):
    login("supervisor").post(f"/claims/{claim.number}/do/approve/", {})
    sup = login("supervisor")
    today = clock.today()
    drawn = sup.post(
        "/claims/audits/",
        {
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "size": "5",
            "seed": "7",
        },
    )
    assert drawn.status_code == 302, text(drawn)
    sample = AuditSample.objects.get()
    page = text(sup.get(drawn["Location"]))
    assert claim.number in page and "Record the outcome" in page
    bad = sup.post(f"/claims/audits/{sample.pk}/record/", {"outcome": "maybe"})
    assert bad.status_code == 422
    done = sup.post(
        f"/claims/audits/{sample.pk}/record/", {"outcome": "passed", "notes": "All in order"}
    )
    assert done.status_code == 302
    sample.refresh_from_db()
    assert sample.outcome == "passed"
    empty = sup.post("/claims/audits/", {"period_start": "", "size": "5"})
    assert empty.status_code == 422


# Spanish -------------------------------------------------------------------------------------


def test_screens_render_in_spanish(login, claim):
    sup = login("supervisor")
    for path in (
        "/claims/",
        f"/claims/{claim.number}/",
        "/claims/statements/",
        "/claims/scorecards/ASP-A/",
        "/claims/audits/",
    ):
        response = sup.get(path, headers={"Accept-Language": "es"})
        assert response.status_code == 200, path
        body = text(response)
        assert '<html lang="es"' in body and "Cerrar sesión" in body, path
    partner = login("partner_a")
    partner.cookies["django_language"] = "es"
    form = text(partner.get(f"/claims/new/?work_order={claim.work_order.number}"))
    assert '<html lang="es"' in form


# Pages and the chart -----------------------------------------------------------------------


def test_lists_page_without_offset(login, claim, submit, monkeypatch):
    from aftersales.claims import views

    other = submit(work_order_number="WO-999999", invoice_number="INV-2")
    assert other.status == "auto_rejected"
    monkeypatch.setattr(views, "PAGE", 1)
    sup = login("supervisor")
    first = text(sup.get("/claims/", {"status": "all"}))
    link = 'href="/claims/{}/"'.format
    assert link(other.number) in first and link(claim.number) not in first
    assert 'rel="next"' in first
    cursor = first.split('rel="next"')[0].rsplit("cursor=", 1)[1].split('"')[0]
    second = text(sup.get("/claims/", {"status": "all", "cursor": cursor}))
    assert link(claim.number) in second and link(other.number) not in second
    # Riskiest first, keyed on (risk, id).
    rows, cursor = views._page_by_risk(Claim.objects.all(), cursor=None, limit=1)
    riskier, calmer = sorted([claim, other], key=lambda c: (-c.risk.score, -c.pk))
    assert rows == [riskier] and cursor == f"{riskier.risk.score}-{riskier.pk}"
    rows, cursor = views._page_by_risk(Claim.objects.all(), cursor=cursor, limit=1)
    assert rows == [calmer] and cursor is None


def test_trend_chart_geometry():
    from aftersales.claims.views import trend_chart

    assert trend_chart([]) is None
    chart = trend_chart(
        [
            {"month": "2026-01", "claims": 0, "avg_risk": None, "approval_rate": None},
            {"month": "2026-02", "claims": 6, "avg_risk": 40.0, "approval_rate": 0.5},
            {"month": "2026-03", "claims": 3, "avg_risk": 80.0, "approval_rate": 1.0},
        ]
    )
    assert len(chart["bars"]) == 3 and chart["bars"][0]["h"] == 0
    assert chart["most"] == 8 and [t["right"] for t in chart["ticks"]] == [0, 2, 4, 6, 8]
    assert len(chart["risk"]) == 2 and chart["risk"][1]["y"] < chart["risk"][0]["y"]
    top = chart["top"]
    assert chart["approval"][1]["y"] == top  # 100 % at the top of the plot
    assert "," in chart["risk_points"] and " " in chart["risk_points"]
