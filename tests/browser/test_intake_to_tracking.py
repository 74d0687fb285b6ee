"""An agent takes a call from intake to the case file; the customer then tracks the case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from aftersales.accounts.services import user_create
from aftersales.catalog import services as catalog
from aftersales.core import clock
from aftersales.customers import services as customers

PASSWORD = "browser-test-password-1"


@pytest.fixture
def shop(transactional_db):
    catalog.policy_create(code="BR-24", name="Standard", months=24)
    catalog.product_create(
        sku="BR-WM",
        name="Washing machine BR-WM",
        category="washing_machine",
        warranty_policy="BR-24",
    )
    customer = customers.customer_create(
        name="Jan Berg", email="jan@example.com", phone="+49 170 555 0001", country="DE"
    )
    customers.unit_register(
        serial_number="BR-SN-0001",
        sku="BR-WM",
        customer_id=customer.pk,
        sold_on=clock.today() - timedelta(days=100),
    )
    user_create(username="agent_b", role="agent", password=PASSWORD, check_password_strength=False)
    return customer


def shot(page, path) -> None:
    # caret="initial": Playwright's default hides the caret by touching every input's inline
    # style, which leaves style="" behind; htmx then copies it on the next swap and the CSP
    # (rightly) reports an inline style. Not something a real user's browser does.
    page.screenshot(path=str(path), full_page=True, caret="initial")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_intake_to_tracking(live_server, shop, browser_page, artifacts):
    page = browser_page
    base = live_server.url

    # Log in.
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("agent_b")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Intake: the search answers as the serial is typed; the verdict comes before the form.
    page.get_by_role("link", name="Intake").click()
    page.locator("#intake-q").press_sequentially("BR-SN", delay=30)
    result = page.locator("#intake-results").get_by_role("link", name=re.compile("BR-SN-0001"))
    expect(result).to_be_visible()
    result.click()
    expect(page.locator(".verdict")).to_contain_text("In warranty until")
    expect(page.locator(".verdict .badge.category-C")).to_contain_text("C")
    shot(page, artifacts / "intake.png")

    page.get_by_label("Type").select_option("repair")
    page.get_by_label("Summary").fill("Drum does not spin")
    page.get_by_label("Description").fill("Makes a grinding noise, then stops.")
    page.get_by_role("button", name="Open case").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"SC-\d{6}"))
    number = re.search(r"SC-\d{6}", heading.inner_text()).group(0)
    expect(page.locator(".flash")).to_contain_text(f"Case {number} opened.")
    case_url = page.url

    # Add a customer-visible message (htmx: the page is not reloaded).
    page.get_by_label("Kind").select_option("message")
    page.get_by_label("Text").fill("A technician will come on Monday morning.")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Entry added.")
    entry = page.locator(".entry", has_text="A technician will come on Monday morning.")
    expect(entry).to_be_visible()
    expect(entry.locator(".badge.public")).to_be_visible()
    assert page.url == case_url

    # Change the status through the side panel.
    page.locator("#action-status summary").click()
    page.get_by_label("New status").select_option("in_progress")
    page.locator("#action-status").get_by_label("Reason").fill("Diagnosis started")
    page.locator("#action-status").get_by_role("button", name="Change status").click()
    expect(page.locator(".flash")).to_contain_text("Status changed.")
    expect(page.locator(".case-head .badge.status-in_progress")).to_have_text("in progress")
    shot(page, artifacts / "case.png")

    # A refused transition (as from a stale page: the select only offers allowed ones) comes
    # back as a message next to the form, swapped in by htmx.
    page.locator("#action-status summary").click()
    page.get_by_label("New status").evaluate(
        "select => select.add(new Option('closed', 'closed', true, true))"
    )
    page.locator("#action-status").get_by_role("button", name="Change status").click()
    expect(page.locator("#action-status .form-error")).to_contain_text(
        "A case that is in progress cannot become closed."
    )
    assert page.url == case_url
    # The browser logs the 409 answer itself as a console error; nothing else may be there.
    page.problems[:] = [p for p in page.problems if "409" not in p]

    # The case file on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(case_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    assert no_horizontal_scroll(page)
    add = page.get_by_role("button", name="Add", exact=True)
    expect(add).to_be_visible()
    assert add.bounding_box()["height"] >= 36  # a thumb-sized target
    shot(page, artifacts / "case-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Log out (a POST from the user menu).
    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    # The customer tracks the case with the number and the e-mail.
    page.goto(f"{base}/track/")
    page.get_by_label("Case number").fill(number)
    page.get_by_label("The e-mail or phone number you gave us").fill("jan@example.com")
    page.get_by_role("button", name="Show the status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We are working on it")
    expect(page.locator(".entries")).to_contain_text("A technician will come on Monday morning.")
    expect(page.locator(".entries")).not_to_contain_text("grinding noise")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_scroll(page)
    shot(page, artifacts / "track-phone.png")

    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems
    assert not page.problems, page.problems
