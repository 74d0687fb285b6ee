"""A customer starts a return in the portal and prints the label; the warehouse scans it at
the receiving desk and inspects it; a supervisor resolves it with a replacement and ships it;
the customer's return page shows the new serial number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from aftersales.accounts.services import user_create
from aftersales.catalog import services as catalog
from aftersales.core import clock
from aftersales.customers import services as customers
from aftersales.customers.models import Unit
from aftersales.returns.models import Rma

PASSWORD = "browser-test-password-1"


@pytest.fixture
def unit(transactional_db):
    catalog.policy_create(code="RT-24", name="Standard", months=24)
    catalog.product_create(
        sku="RT-WM",
        name="Washing machine RT-WM",
        category="washing_machine",
        warranty_policy="RT-24",
    )
    customer = customers.customer_create(
        name="Lucía García",
        email="lucia@example.com",
        phone="+34 612 345 678",
        country="ES",
        language="es",
    )
    for name, role in (("sup_r", "supervisor"), ("wh_r", "warehouse")):
        user_create(username=name, role=role, password=PASSWORD, check_password_strength=False)
    return customers.unit_register(
        serial_number="RT-SN-0001",
        sku="RT-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )


def open_page(chromium, locale="en-GB"):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale=locale, timezone_id="UTC"
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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_return_flow(live_server, unit, chromium, artifacts):
    base = live_server.url
    pages = []

    # The customer starts a return for their own unit and sees what they are owed and why.
    customer = open_page(chromium)
    pages.append(customer)
    customer.goto(f"{base}/returns/start/")
    customer.get_by_label("Serial number of your product").fill("RT-SN-0001")
    customer.get_by_label("The e-mail or phone number you gave us").fill("lucia@example.com")
    customer.get_by_label("What is wrong?").fill("The drum does not spin")
    customer.get_by_role("button", name="Start the return").click()
    expect(customer.locator("#rma-status")).to_have_text("Awaiting shipment")
    expect(customer.locator(".rma-line")).to_contain_text("What you are owed:")
    expect(customer.locator(".rma-line")).to_contain_text("repair")
    rma = Rma.objects.get()
    number = rma.number
    customer.screenshot(path=str(artifacts / "return-portal.png"), full_page=True)

    # The label: a PDF with the RMA number.
    link = customer.get_by_role("button", name="Download the return label (PDF)")
    href = link.get_attribute("href")
    label = customer.context.request.get(f"{base}{href}")
    assert label.ok and label.headers["content-type"] == "application/pdf"
    assert label.body().startswith(b"%PDF")

    # The warehouse scans the label at the receiving desk, then inspects the unit.
    wh = open_page(chromium)
    pages.append(wh)
    log_in(wh, base, "wh_r")
    wh.get_by_role("link", name="Returns").click()
    wh.get_by_role("link", name="Receiving desk").click()
    wh.get_by_label("Return label number").fill(number)
    wh.get_by_label("Condition").fill("Box dented, unit intact")
    wh.get_by_role("button", name="Book the arrival").click()
    expect(wh.locator(".flash")).to_contain_text(f"{number} received")
    inspect = wh.locator("#action-inspect")
    inspect.get_by_label("Result").select_option("confirmed")
    inspect.get_by_label("Notes").fill("Motor does not turn")
    inspect.get_by_role("button", name="Record the inspection").click()
    expect(wh.locator("#rma-head .badge")).to_have_text("inspected")

    # The supervisor resolves it with a replacement and ships it.
    sup = open_page(chromium)
    pages.append(sup)
    log_in(sup, base, "sup_r")
    # On the case file: the verdict for the unit, and the supervisor's override.
    sup.goto(f"{base}/cases/{rma.case.number}/")
    panel = sup.locator("#remedy-panel")
    expect(panel).to_contain_text("EU-CONFORMITY")
    panel.locator("summary").click()
    panel.get_by_label("Remedy", exact=True).select_option("replacement")
    panel.get_by_label("Reason (required when not the recommended remedy)").fill(
        "The motor is out of production: repair is disproportionate"
    )
    panel.get_by_role("button", name="Record the decision").click()
    expect(sup.locator("#remedy-panel .remedy-decision")).to_contain_text("out of production")
    sup.screenshot(path=str(artifacts / "return-case-panel.png"), full_page=True)

    sup.goto(f"{base}/rmas/{number}/")
    resolve = sup.locator("#action-resolve")
    resolve.get_by_label("Disposition").select_option("replace")
    resolve.get_by_label("Replacement serial number").fill("RT-SN-0002")
    resolve.get_by_role("button", name="Resolve").click()
    expect(sup.locator(".replacement-serial")).to_have_text("RT-SN-0002")
    sup.locator("#action-ship summary").click()
    ship = sup.locator("#action-ship")
    ship.get_by_label("Direction").select_option("outbound")
    ship.get_by_label("Carrier").fill("SEUR")
    ship.get_by_label("Tracking number").fill("OUT-123")
    ship.get_by_label("Line").select_option(index=1)
    ship.get_by_role("button", name="Record the shipment").click()
    expect(sup.locator("#main")).to_contain_text("OUT-123")
    sup.screenshot(path=str(artifacts / "return-detail.png"), full_page=True)
    new = Unit.objects.get(serial_number="RT-SN-0002")
    assert new.replaces_id == unit.pk

    # The customer sees the new serial number and the parcel on its way.
    customer.reload()
    expect(customer.locator(".replacement-serial")).to_have_text("RT-SN-0002")
    expect(customer.locator("body")).to_contain_text("OUT-123")

    for page in pages:
        assert page.problems == [], page.problems
        page.context.close()
