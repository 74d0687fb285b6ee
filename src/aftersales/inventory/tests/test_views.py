"""The parts screens render for every role that may open them, refuse the others, scope a
partner to its own locations, and the stock forms work with and without htmx, in English and
Spanish."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from aftersales.core import clock
from aftersales.inventory import services as inv
from aftersales.inventory.models import StockBalance

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "supervisor", "agent", "technician", "warehouse", "partner_a"]


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


def on_hand(part: str, location: str) -> int:
    row = StockBalance.objects.filter(part__number=part, location__code=location).first()
    return row.on_hand if row else 0


@pytest.fixture
def stocked(stock):
    inv.stock_receive(actor=None, part_number="DP-100", location_code="CENTRAL", quantity=9)
    inv.stock_receive(actor=None, part_number="DP-100", location_code="ASPA-WH", quantity=2)
    return stock


PAGES = [
    ("/parts/", "stock.read"),
    ("/parts/?q=DP&fits=WM-1", "stock.read"),
    ("/parts/DP-100/", "stock.read"),
    ("/stock/locations/", "stock.read"),
    ("/stock/locations/CENTRAL/", "stock.read"),
    ("/stock/defective/", "stock.read"),
    ("/stock/replenishment/", "stock.plan"),
    ("/stock/reconciliation/", "stock.reconcile"),
    ("/stock/reconciliation/?holder=technician", "stock.reconcile"),
]


@pytest.mark.parametrize("who", ROLES)
def test_pages_render_per_role(login, stocked, who):
    from aftersales.accounts.rules import PERMISSIONS

    client = login(who)
    role = "partner" if who.startswith("partner") else who
    for path, permission in PAGES:
        response = client.get(path)
        expected = {200} if role in PERMISSIONS[permission] else {403}
        if who.startswith("partner") and "CENTRAL" in path:
            expected = {404}
        assert response.status_code in expected, (who, path, response.status_code)


def test_anonymous_is_sent_to_login(client, stocked):
    response = client.get("/parts/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_part_page_shows_availability_fits_and_history(login, stocked):
    page = text(login("agent").get("/parts/DP-100/"))
    assert "CENTRAL" in page and "ASPA-WH" in page and "WM-1" in page
    assert "Move history" in page and "receipt" in page
    # The agent may not move stock: no side panel forms.
    assert "action-receive" not in page
    clerk_page = text(login("warehouse").get("/parts/DP-100/"))
    assert "action-receive" in clerk_page and "action-adjust" in clerk_page


def test_partner_sees_only_its_own_stock(login, stocked):
    page = text(login("partner_a").get("/parts/DP-100/"))
    assert "ASPA-WH" in page and "CENTRAL" not in page.split("Move history")[0]
    assert login("partner_b").get("/stock/locations/ASPA-WH/").status_code == 404
    assert "ASPA-WH" not in text(login("partner_b").get("/stock/locations/"))
    before = on_hand("DP-100", "ASPA-WH")
    refused = login("partner_b").post(
        "/stock/receive/",
        {
            "part_number": "DP-100",
            "location_code": "ASPA-WH",
            "quantity": 1,
            "back": "part:DP-100",
        },
    )
    assert refused.status_code == 404
    assert on_hand("DP-100", "ASPA-WH") == before


def test_receive_without_javascript_redirects_back(login, stocked):
    response = login("warehouse").post(
        "/stock/receive/",
        {
            "part_number": "DP-100",
            "location_code": "CENTRAL",
            "quantity": 3,
            "back": "location:CENTRAL",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/stock/locations/CENTRAL/"
    assert on_hand("DP-100", "CENTRAL") == 12


def test_transfer_with_htmx_and_a_refusal_comes_back_next_to_the_form(login, stocked):
    client = login("warehouse")
    short = client.post(
        "/stock/transfer/",
        {
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 50,
            "back": "part:DP-100",
        },
        HTTP_HX_REQUEST="true",
    )
    assert short.status_code == 409
    assert "Only 9 of DP-100 available at CENTRAL" in text(short)
    bad = client.post(
        "/stock/transfer/",
        {"part_number": "DP-100", "from_code": "CENTRAL", "quantity": 0, "back": "part:DP-100"},
    )
    assert bad.status_code == 422 and "Check the fields below." in text(bad)
    done = client.post(
        "/stock/transfer/",
        {
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 2,
            "back": "part:DP-100",
        },
        follow=True,
    )
    assert done.status_code == 200 and "Transfer recorded." in text(done)
    van = text(client.get("/stock/locations/VAN-1/"))
    assert "On its way here" in van and "TR-" in van
    number = van.split("TR-")[1][:6]
    received = login("technician").post(f"/stock/transfers/TR-{number}/receive/")
    assert received.status_code == 302 and on_hand("DP-100", "VAN-1") == 2


def test_technician_may_not_move_stock_out_of_the_warehouse(login, stocked):
    response = login("technician").post(
        "/stock/transfer/",
        {
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 1,
            "back": "part:DP-100",
        },
    )
    assert response.status_code == 403 and "not one" in text(response)
    assert on_hand("DP-100", "CENTRAL") == 9


def test_adjust_and_count(login, stocked):
    client = login("warehouse")
    client.post(
        "/stock/adjust/",
        {
            "part_number": "DP-100",
            "location_code": "CENTRAL",
            "delta": -1,
            "reason": "broken",
            "back": "part:DP-100",
        },
    )
    assert on_hand("DP-100", "CENTRAL") == 8
    client.post(
        "/stock/count/",
        {"part_number": "DP-100", "location_code": "CENTRAL", "counted": 5, "back": "part:DP-100"},
    )
    assert on_hand("DP-100", "CENTRAL") == 5
    assert login("technician").post("/stock/count/", {}).status_code == 403


def test_replenishment_run_csv_and_pdf(login, stocked):
    inv.reorder_rule_set(part_number="DP-100", location_code="VAN-1", minimum=1, maximum=4)
    client = login("warehouse")
    assert "No replenishment run yet." in text(client.get("/stock/replenishment/"))
    assert client.post("/stock/replenishment/run/").status_code == 302
    page = text(client.get("/stock/replenishment/"))
    assert "VAN-1" in page and "Download CSV" in page
    run_id = re.search(r"/stock/replenishment/(\d+)\.csv", page).group(1)
    csv_text = b"".join(client.get(f"/stock/replenishment/{run_id}.csv").streaming_content)
    assert b"transfer,DP-100" in csv_text
    pdf = client.get(f"/stock/replenishment/{run_id}.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert client.get("/stock/replenishment/999999.pdf").status_code == 404


def test_defective_returns_due_with_overdue_badge_and_steps(login, stocked, order, settings):
    import time_machine

    settings.INVENTORY_DEFECTIVE_RETURN_DAYS = 2
    inv.stock_receive(
        actor=None, part_number="MB-200", location_code="VAN-1", quantity=1, serials=["N1"]
    )
    r = inv.reservation_create(
        actor=None,
        work_order_number=order.number,
        part_number="MB-200",
        location_code="VAN-1",
        quantity=1,
    )
    inv.reservation_consume(actor=None, number=r.number, serials=["N1"])
    tech = login("technician")
    assert "DR-" in text(tech.get("/stock/defective/"))
    with time_machine.travel(clock.now() + __import__("datetime").timedelta(days=5)):
        page = text(tech.get("/stock/defective/?overdue=on"))
        assert "overdue" in page
    assert "DR-" not in text(login("partner_a").get("/stock/defective/"))
    clerk = login("warehouse")
    number = text(clerk.get("/stock/defective/")).split("DR-")[1][:6]
    clerk.post(f"/stock/defective/DR-{number}/receive/", {"serials": "OLD-1"})
    clerk.post(f"/stock/defective/DR-{number}/inspect/", {"outcome": "confirmed_defective"})
    done = clerk.post(
        f"/stock/defective/DR-{number}/close/",
        {"disposition": "returned_to_vendor", "recovery_amount": "40"},
        follow=True,
    )
    assert "closed" in text(done)
    assert tech.post(f"/stock/defective/DR-{number}/receive/").status_code == 403


def test_reconciliation_with_a_period_and_csv(login, stocked):
    client = login("supervisor")
    today = clock.today().isoformat()
    page = client.get(
        "/stock/reconciliation/", {"holder": "ASP-A", "date_from": today, "date_to": today}
    )
    assert page.status_code == 200 and "ASPA-WH" in text(page)
    csv_response = client.get(
        "/stock/reconciliation/",
        {"holder": "ASP-A", "date_from": today, "date_to": today, "format": "csv"},
    )
    assert b"TOTAL" in b"".join(csv_response.streaming_content)
    backwards = client.get(
        "/stock/reconciliation/",
        {"holder": "ASP-A", "date_from": today, "date_to": "2000-01-01"},
    )
    assert backwards.status_code == 422 and "The period starts after it ends." in text(backwards)


def test_spanish(login, stocked):
    client = login("warehouse")
    client.cookies["django_language"] = "es"
    page = client.get("/parts/DP-100/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200 and 'lang="es"' in text(page)
