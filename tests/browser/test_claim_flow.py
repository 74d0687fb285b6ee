"""A partner claims warranty for a repair it completed (on a phone), straight from the work
order; a supervisor finds the claim in the review queue, reads why it is there and approves
part of it; a manager issues the partner's statement and the PDF answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from aftersales.accounts.services import user_create
from aftersales.cases.services import case_open
from aftersales.catalog import services as catalog
from aftersales.catalog.models import Part
from aftersales.claims.models import Claim, LabourStandard, Statement
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.network.services import partner_create, service_centre_create
from aftersales.workorders import services as wo
from aftersales.workorders.services import fault_code_create

PASSWORD = "browser-test-password-1"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def job(transactional_db):
    """Partner CL-A's completed, accepted repair of a washing machine in Madrid: 90 minutes
    of labour on PUMP (the standard is 30) and a drain pump."""
    catalog.policy_create(code="CL-24", name="Standard", months=24)
    product = catalog.product_create(
        sku="CL-WM",
        name="Washing machine CL-WM",
        category="washing_machine",
        warranty_policy="CL-24",
    )
    customer = customers.customer_create(
        name="Lucía García",
        email="lucia@example.com",
        phone="+34 612 345 678",
        country="ES",
        language="es",
    )
    customer.region = "madrid"
    customer.save(update_fields=["region"])
    customers.unit_register(
        serial_number="CL-SN-0001",
        sku="CL-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )
    service_centre_create(code="MAD", name="Madrid Service", region="madrid", time_zone="UTC")
    partner_create(
        code="CL-A",
        name="Reparaciones Centro",
        regions=["madrid"],
        product_lines=["washing_machine"],
        labour_rate="30",
    )
    pump = Part.objects.create(number="CL-DP-1", name="Drain pump", list_price="42.50")
    pump.fits.add(product)
    fault_code_create(product_category="washing_machine", code="E21", description="Drain pump")
    LabourStandard.objects.create(product_line="washing_machine", labour_code="PUMP", minutes=30)
    users = {}
    for name, role, partner_code in (
        ("asp_c", "partner", "CL-A"),
        ("sup_c", "supervisor", None),
        ("mgr_c", "manager", None),
        ("agent_c", "agent", None),
    ):
        users[name], _ = user_create(
            username=name,
            role=role,
            password=PASSWORD,
            partner_code=partner_code,
            check_password_strength=False,
        )
    agent, partner = users["agent_c"], users["asp_c"]
    case, _ = case_open(
        actor=agent,
        type="repair",
        channel="phone",
        summary="Does not drain",
        serial_number="CL-SN-0001",
    )
    order = wo.work_order_create(
        actor=agent, case_number=case.number, kind="on_site", partner_code="CL-A"
    )
    start = clock.now() - timedelta(hours=3)
    wo.work_order_schedule(
        actor=agent,
        number=order.number,
        window_start=start,
        window_end=start + timedelta(hours=2),
    )
    wo.work_order_start(actor=partner, number=order.number)
    wo.work_order_add_labour(
        actor=partner, number=order.number, minutes=90, labour_code="PUMP", description="Pump"
    )
    wo.work_order_add_part(actor=partner, number=order.number, part_number="CL-DP-1", quantity=1)
    wo.work_order_record_visit(
        actor=partner,
        number=order.number,
        visit=wo.VisitInput(arrived_at=clock.now(), fault_code="E21", result="fixed"),
    )
    return wo.work_order_complete(
        actor=partner, number=order.number, acceptance=wo.Acceptance(name="Lucía", typed=True)
    )


def open_page(chromium, viewport=None):
    context = chromium.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, locale="en-GB", timezone_id="UTC"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text + " @ " + str(m.location)) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_claim_flow(live_server, job, chromium, artifacts):
    base = live_server.url
    pages = []

    # The partner claims from the completed work order, on a phone.
    asp = open_page(chromium, PHONE)
    pages.append(asp)
    log_in(asp, base, "asp_c")
    asp.goto(f"{base}/work-orders/{job.number}/")
    asp.get_by_role("link", name="Claim warranty").click()
    expect(asp.get_by_role("heading", name="New warranty claim")).to_be_visible()
    expect(asp.get_by_label("Work order")).to_have_value(job.number)
    expect(asp.get_by_label("Serial number")).to_have_value("CL-SN-0001")
    first = asp.locator("#line-0")
    expect(first.get_by_label("Labour code")).to_have_value("PUMP")
    expect(first.get_by_label("Unit price")).to_have_value("45.00")
    second = asp.locator("#line-1")
    expect(second.get_by_label("Part number")).to_have_value("CL-DP-1")
    second.get_by_label("Defective part returned").check()
    asp.get_by_label("Your invoice number").fill("RC-2025-001")
    assert no_horizontal_scroll(asp)
    asp.screenshot(path=str(artifacts / "claim-new-phone.png"), full_page=True)
    asp.get_by_role("button", name="Submit the claim").click()
    expect(asp.locator("#claim-status")).to_have_text("in review")
    claim = Claim.objects.get()
    number = claim.number
    expect(asp.locator(".findings")).to_contain_text("LABOUR_STANDARD")
    assert no_horizontal_scroll(asp)
    asp.screenshot(path=str(artifacts / "claim-partner-phone.png"), full_page=True)

    # The supervisor finds it in the queue with its reasons and approves part of it.
    sup = open_page(chromium)
    pages.append(sup)
    log_in(sup, base, "sup_c")
    sup.get_by_role("link", name="Claims", exact=True).first.click()
    expect(sup.get_by_role("heading", name="Claims waiting for review")).to_be_visible()
    expect(sup.locator(".claims-table")).to_contain_text("Labour 90 min")
    sup.screenshot(path=str(artifacts / "claim-queue.png"), full_page=True)
    sup.get_by_role("link", name=number).click()
    expect(sup.locator("#claim-head")).to_contain_text(number)
    expect(sup.locator(".claim-history")).to_be_visible()
    sup.locator("#action-decide summary").click()
    decide = sup.locator("#action-decide")
    labour = claim.lines.order_by("pk").first()
    decide.locator(f"#decide_approved_{labour.pk}").fill("15.00")
    decide.locator(f"#decide_reason_code_{labour.pk}").select_option("labour_above_standard")
    decide.locator(f"#decide_reason_{labour.pk}").fill("The standard time is 30 minutes")
    decide.get_by_role("button", name="Record the decision").click()
    expect(sup.locator("#claim-status")).to_have_text("partially approved")
    expect(sup.locator("#claim-approved")).to_contain_text("57.50")
    sup.screenshot(path=str(artifacts / "claim-review.png"), full_page=True)

    # The manager issues the partner's statement for the month; the PDF answers.
    mgr = open_page(chromium)
    pages.append(mgr)
    log_in(mgr, base, "mgr_c")
    mgr.goto(f"{base}/claims/statements/")
    issue = mgr.locator("#action-issue")
    issue.get_by_label("Partner").select_option("CL-A")
    today = clock.today()
    issue.get_by_label("From").fill((today - timedelta(days=30)).isoformat())
    issue.get_by_label("Until").fill(today.isoformat())
    issue.get_by_role("button", name="Issue the statement").click()
    statement = Statement.objects.get()
    expect(mgr.get_by_role("heading", level=1)).to_contain_text(statement.number)
    expect(mgr.locator("#statement-net")).to_contain_text("57.50")
    expect(mgr.locator("main")).to_contain_text(number)
    href = mgr.locator("#statement-pdf").get_attribute("href")
    pdf = mgr.context.request.get(f"{base}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    mgr.screenshot(path=str(artifacts / "claim-statement.png"), full_page=True)

    # The partner's scorecard: the trend drawn on the server, the signals against peers.
    mgr.get_by_role("link", name="Scorecards").click()
    mgr.get_by_role("link", name="CL-A").click()
    expect(mgr.locator(".trend-chart svg")).to_be_visible()
    expect(mgr.locator(".scorecard-months")).to_contain_text("1")
    mgr.screenshot(path=str(artifacts / "claim-scorecard.png"), full_page=True)

    # The partner sees the decision and its statement.
    asp.reload()
    expect(asp.locator("#claim-status")).to_have_text("partially approved")
    expect(asp.locator(".claim-head")).to_contain_text(statement.number)

    for page in pages:
        assert page.problems == [], page.problems
        page.context.close()
