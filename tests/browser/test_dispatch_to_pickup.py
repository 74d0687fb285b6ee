"""A supervisor dispatches a job from the board; the technician works it on a phone and the
customer signs on the screen; the supervisor checks it; the customer's tracking page says the
product is ready for pickup."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from aftersales.accounts.services import user_create
from aftersales.cases.services import case_open
from aftersales.catalog import services as catalog
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.network.services import service_centre_create, staff_assign_centre
from aftersales.workorders import services as wo
from aftersales.workorders.models import WorkOrder
from aftersales.workorders.services import fault_code_create

PASSWORD = "browser-test-password-1"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def job(transactional_db):
    """An on-site job for a washing machine that the technician already took to the Madrid
    workshop (picked up, received), waiting in the queue for someone and a time."""
    catalog.policy_create(code="BR-24", name="Standard", months=24)
    catalog.product_create(
        sku="BR-WM",
        name="Washing machine BR-WM",
        category="washing_machine",
        warranty_policy="BR-24",
    )
    customer = customers.customer_create(
        name="Lucía García",
        email="lucia@example.com",
        phone="+34 612 345 678",
        country="ES",
        language="es",
    )
    customers.unit_register(
        serial_number="BR-SN-0002",
        sku="BR-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )
    service_centre_create(code="MAD", name="Madrid Service", region="madrid", time_zone="UTC")
    for name, role in (("sup_b", "supervisor"), ("tech_b", "technician")):
        user_create(username=name, role=role, password=PASSWORD, check_password_strength=False)
        staff_assign_centre(username=name, centre_code="MAD")
    agent, _ = user_create(
        username="agent_c", role="agent", password=PASSWORD, check_password_strength=False
    )
    fault_code_create(product_category="washing_machine", code="E21", description="Drain pump")
    case, _ = case_open(
        actor=agent,
        type="repair",
        channel="phone",
        summary="Does not drain",
        serial_number="BR-SN-0002",
    )
    order = wo.work_order_create(
        actor=agent, case_number=case.number, kind="on_site", centre_code="MAD"
    )
    for kind in ("picked_up", "received"):
        wo.custody_record(actor=agent, number=order.number, event=wo.CustodyInput(kind=kind))
    return order


def shot(page, path) -> None:
    page.screenshot(path=str(path), full_page=True, caret="initial")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def open_page(chromium, viewport=None, locale="en-GB"):
    context = chromium.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, locale=locale, timezone_id="UTC"
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


def draw_signature(page, canvas) -> None:
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 22, y + (18 if step % 2 else -18), steps=4)
    page.mouse.up()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dispatch_to_pickup(live_server, job, chromium, artifacts):
    base = live_server.url
    pages = []

    # The supervisor dispatches the job from the board's queue (htmx swaps the board).
    sup = open_page(chromium)
    pages.append(sup)
    log_in(sup, base, "sup_b")
    sup.get_by_role("link", name="Dispatch").click()
    expect(sup.get_by_role("heading", name="Dispatch", level=1)).to_be_visible()
    card = sup.locator(f"#card-{job.pk}")
    expect(card).to_contain_text(job.number)
    card.get_by_label("Technician or partner").select_option("tech:tech_b")
    card.get_by_label("Day").fill(clock.today().isoformat())
    card.get_by_label("From").fill("08:00")
    card.get_by_label("Until").fill("10:00")
    card.get_by_role("button", name="Dispatch").click()
    expect(sup.locator(".flash")).to_contain_text(f"{job.number} dispatched")
    expect(sup.locator(f"#card-{job.pk}")).to_have_count(0)
    expect(sup.locator(".board-grid")).to_contain_text(job.number)
    shot(sup, artifacts / "dispatch.png")
    assert WorkOrder.objects.get(pk=job.pk).status == "dispatched"

    # The technician, on a phone: My day, Start, record the visit, complete with a signature.
    tech = open_page(chromium, PHONE)
    pages.append(tech)
    log_in(tech, base, "tech_b")
    tech.get_by_role("link", name="My day").click()
    job_card = tech.locator(f"#job-{job.number}")
    expect(job_card).to_contain_text("Lucía García")
    expect(job_card.locator('a[href^="tel:"]')).to_contain_text(re.compile(r"612\s?345\s?678"))
    start = job_card.get_by_role("button", name="Start")
    assert start.bounding_box()["height"] >= 44  # a thumb-sized target
    assert no_horizontal_scroll(tech)
    shot(tech, artifacts / "my-day-phone.png")
    start.click()
    expect(tech.locator(".flash")).to_contain_text(f"Work started on {job.number}.")

    tech.locator(f"#job-{job.number}").get_by_role("button", name="Record visit").click()
    visit = tech.locator("#action-visit")
    expect(visit).to_have_attribute("open", "")
    visit.get_by_label("Fault code").select_option("E21")
    visit.get_by_label("Cause").fill("Drain pump blocked by a coin")
    visit.get_by_label("Action taken").fill("Removed the coin, tested a drain cycle")
    visit.get_by_label("Result").select_option("fixed")
    visit.get_by_role("button", name="Record visit").click()
    expect(tech.locator(".flash")).to_contain_text("Visit recorded.")
    assert tech.url.rstrip("/").endswith("/my-day")

    tech.locator(f"#job-{job.number}").get_by_role("button", name="Complete").click()
    complete = tech.locator("#action-complete")
    expect(complete).to_have_attribute("open", "")
    assert no_horizontal_scroll(tech)
    # Refused without the customer's acceptance, in words, swapped in by htmx.
    complete.get_by_role("button", name="Complete").click()
    expect(tech.locator("#action-complete .form-error")).to_contain_text(
        "An on-site job is completed with the customer's acceptance."
    )
    tech.problems[:] = [p for p in tech.problems if "422" not in p]
    complete = tech.locator("#action-complete")
    complete.get_by_label("Customer's name").fill("Lucía García")
    canvas = complete.locator("canvas.signature-pad")
    expect(canvas).to_be_visible()
    draw_signature(tech, canvas)
    expect(complete.locator("[data-empty]")).to_have_text("Signed.")
    signature = complete.locator("input[name=signature]").input_value()
    assert signature.startswith("data:image/png;base64,")
    assert no_horizontal_scroll(tech)
    shot(tech, artifacts / "complete-phone.png")
    complete.get_by_role("button", name="Complete").click()
    expect(tech.locator(".flash")).to_contain_text(f"{job.number} completed.")
    done = WorkOrder.objects.get(pk=job.pk)
    assert done.status == "completed" and bytes(done.acceptance_signature).startswith(b"\x89PNG")

    # The supervisor checks the job.
    sup.goto(f"{base}/work-orders/{job.number}/")
    verify = sup.locator("#action-verify")
    expect(verify).to_have_attribute("open", "")
    verify.get_by_label("Pass").check()
    verify.get_by_role("button", name="Record the check").click()
    expect(sup.locator(".flash")).to_contain_text("Quality check passed.")
    expect(sup.locator(".wo-head .badge.status-verified")).to_have_text("verified")
    expect(sup.get_by_text("ready for pickup", exact=True)).to_be_visible()
    shot(sup, artifacts / "work-order.png")

    # The same page in Spanish.
    es = open_page(chromium, locale="es-ES")
    pages.append(es)
    es.set_extra_http_headers({"Accept-Language": "es"})
    log_in_es = es.goto(f"{base}/login/")
    assert log_in_es.ok
    expect(es.locator("html")).to_have_attribute("lang", "es")
    es.locator("input[name=username]").fill("sup_b")
    es.locator("input[name=password]").fill(PASSWORD)
    es.locator("input[name=password]").press("Enter")
    expect(es.locator("h1")).to_be_visible()
    es.goto(f"{base}/work-orders/{job.number}/")
    expect(es.locator("html")).to_have_attribute("lang", "es")
    expect(es.get_by_role("heading", name="Cliente")).to_be_visible()

    # The customer's tracking page, on a phone.
    customer = open_page(chromium, PHONE)
    pages.append(customer)
    customer.goto(f"{base}/track/")
    customer.get_by_label("Case number").fill(job.case.number)
    customer.get_by_label("The e-mail or phone number you gave us").fill("lucia@example.com")
    customer.get_by_role("button", name="Show the status").click()
    expect(customer.locator(".track-where")).to_contain_text("Ready for pickup at Madrid Service.")
    assert no_horizontal_scroll(customer)
    shot(customer, artifacts / "track-pickup-phone.png")

    for page in pages:
        assert not [p for p in page.problems if "Content Security Policy" in p], page.problems
        assert not page.problems, page.problems
        page.context.close()
