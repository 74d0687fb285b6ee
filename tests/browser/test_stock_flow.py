"""A warehouse clerk receives pumps from the supplier on the part's page; the page then shows
them available at the Madrid store, and the move is in the part's history. Then the clerk
tries to ship more than the shelf holds and reads the refusal in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from aftersales.accounts.services import user_create
from aftersales.catalog import services as catalog
from aftersales.catalog.models import Part
from aftersales.inventory.services import stock_location_create
from aftersales.network.services import service_centre_create, staff_assign_centre

PASSWORD = "browser-test-password-1"


@pytest.fixture
def store(transactional_db):
    catalog.policy_create(code="ST-24", name="Standard", months=24)
    catalog.product_create(
        sku="ST-WM", name="Washing machine", category="washing_machine", warranty_policy="ST-24"
    )
    Part.objects.create(number="DP-100", name="Drain pump", list_price="42.50")
    service_centre_create(code="MAD", name="Madrid Service", region="madrid", time_zone="UTC")
    stock_location_create(code="MAD-WH", name="Madrid store", centre_code="MAD")
    stock_location_create(code="MAD-BENCH", name="Madrid bench", centre_code="MAD", kind="bench")
    user_create(
        username="clerk", role="warehouse", password=PASSWORD, check_password_strength=False
    )
    staff_assign_centre(username="clerk", centre_code="MAD")


def test_receive_then_refused_transfer(live_server, store, browser_page, artifacts):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/parts/DP-100/")

    receive = page.locator("#action-receive")
    receive.locator("summary").click()
    receive.get_by_label("Part number").fill("DP-100")
    receive.get_by_label("Quantity").fill("5")
    receive.get_by_label("Into").select_option("MAD-WH")
    receive.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Stock received.")).to_be_visible()
    row = page.locator("tr", has_text="MAD-WH").first
    expect(row).to_contain_text("5")

    transfer = page.locator("#action-transfer")
    transfer.locator("summary").click()
    transfer.get_by_label("Part number").fill("DP-100")
    transfer.get_by_label("Quantity").fill("9")
    transfer.get_by_label("From").select_option("MAD-WH")
    transfer.get_by_label("To").select_option("MAD-BENCH")
    transfer.get_by_role("button", name="Ship").click()
    expect(page.locator("#action-transfer [role=alert]")).to_contain_text("5")
    page.screenshot(path=str(artifacts / "stock_flow.png"), full_page=True)
    # The refused transfer answers 409 on purpose; anything else in the console is a fault.
    assert [p for p in page.problems if "status of 409" not in p] == []
