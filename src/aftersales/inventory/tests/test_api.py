"""The stock API: happy paths and refusals. Every refusal has the one error shape and the
right status (409 with what there is, 422 naming the field); nothing answers 500."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.inventory import services as inv
from aftersales.inventory.models import StockMove

pytestmark = pytest.mark.django_db

API = "/api/v1"


def receive(location="CENTRAL", part="DP-100", quantity=10, **kw):
    return inv.stock_receive(
        actor=None, part_number=part, location_code=location, quantity=quantity, **kw
    )


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return body


# --- parts ----------------------------------------------------------------------------------


def test_part_search_by_text_and_by_fit(people, stock):
    agent = people["agent"]
    found = agent.get(f"{API}/parts", q="dp").json()
    assert [p["number"] for p in found["items"]] == ["DP-100"]
    assert {p["number"] for p in agent.get(f"{API}/parts", fits="WM-1").json()["items"]} == {
        "DP-100",
        "MB-200",
    }
    page = agent.get(f"{API}/parts", limit=2).json()
    assert len(page["items"]) == 2 and page["next"]
    rest = agent.get(f"{API}/parts", limit=2, cursor=page["next"]).json()
    assert {p["number"] for p in page["items"]}.isdisjoint(p["number"] for p in rest["items"])
    error_of(agent.get(f"{API}/parts", cursor="not-a-cursor"), 422)


def test_part_detail_has_fits_supersession_and_availability_per_location(people, stock):
    receive(quantity=7)
    receive(location="VAN-1", quantity=2)
    new = Part.objects.create(number="DP-101", name="Drain pump v2")
    inv_part = Part.objects.get(number="DP-100")
    inv_part.replaced_by = new
    inv_part.save()
    body = people["technician"].get(f"{API}/parts/dp-100").json()
    assert body["fits"] == ["WM-1"]
    assert body["supersession"] == {"replaces": [], "successors": ["DP-101"]}
    where = {a["location"]: a for a in body["availability"]}
    assert where["CENTRAL"]["available"] == 7 and where["VAN-1"]["on_hand"] == 2
    assert people["technician"].get(f"{API}/parts/DP-101").json()["supersession"] == {
        "replaces": ["DP-100"],
        "successors": [],
    }
    error_of(people["agent"].get(f"{API}/parts/NOPE-1"), 404)


def test_a_partner_sees_only_its_own_locations_and_no_cost(people, stock):
    receive(quantity=5)
    receive(location="ASPA-WH", quantity=3)
    body = people["partner_a"].get(f"{API}/parts/DP-100").json()
    assert body["cost_price"] is None
    assert {a["location"] for a in body["availability"]} == {"ASPA-WH"}
    assert people["partner_b"].get(f"{API}/parts/DP-100").json()["availability"] == []


def test_part_create_update_fits_and_supersede(people, stock):
    admin = people["admin"]
    made = admin.post(
        f"{API}/parts",
        {
            "number": "fl-900",
            "name": "Filter",
            "unit_of_measure": "set",
            "list_price": "9.90",
            "cost_price": 4,
            "fits": ["WM-1"],
        },
        **{"Idempotency-Key": "part-fl-900"},
    )
    assert made.status_code == 201, made.content
    assert made.json()["number"] == "FL-900" and made.json()["fits"] == ["WM-1"]
    again = admin.post(
        f"{API}/parts", {"number": "FL-900", "name": "x"}, **{"Idempotency-Key": "part-fl-900"}
    )
    assert again.json()["name"] == "Filter"
    dup = error_of(admin.post(f"{API}/parts", {"number": "FL-900", "name": "Filter"}), 409)
    assert dup["code"] == "duplicate_part" and dup["details"]["field"] == "number"
    bad = error_of(
        admin.post(f"{API}/parts", {"number": "FL-901", "name": "F", "list_price": "-1"}), 422
    )
    assert bad["details"]["field"] == "list_price"
    bad = error_of(
        admin.post(f"{API}/parts", {"number": "FL-902", "name": "F", "unit_of_measure": "box"}),
        422,
    )
    assert bad["details"]["errors"][0]["field"] == "unit_of_measure"
    bad = error_of(admin.post(f"{API}/parts", {"number": "FL 9", "name": "F"}), 422)
    assert bad["details"]["field"] == "number"
    bad = error_of(
        admin.post(f"{API}/parts", {"number": "FL-903", "name": "F", "fits": ["X"]}), 422
    )
    assert bad["details"]["field"] == "fits"
    patched = admin.patch(f"{API}/parts/FL-900", {"list_price": "12.5", "active": False}).json()
    assert patched["list_price"] == "12.50" and patched["active"] is False
    error_of(admin.patch(f"{API}/parts/NOPE", {"name": "x"}), 404)
    cleared = admin.client.put(
        f"{API}/parts/FL-900/fits",
        {"skus": []},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin.token}",
    )
    assert cleared.json()["fits"] == []
    chain = admin.post(f"{API}/parts/DP-100/supersede", {"replaced_by": "FL-900"}).json()
    assert chain["replaced_by"] == "FL-900"
    loop = error_of(admin.post(f"{API}/parts/FL-900/supersede", {"replaced_by": "DP-100"}), 409)
    assert loop["code"] == "supersession_loop"
    own = error_of(admin.post(f"{API}/parts/FL-900/supersede", {"replaced_by": "FL-900"}), 422)
    assert own["details"]["field"] == "replaced_by"


# --- moves ----------------------------------------------------------------------------------


def test_receipt_is_idempotent(people, stock):
    clerk = people["warehouse"]
    body = {"part_number": "DP-100", "location_code": "CENTRAL", "quantity": 4}
    first = clerk.post(f"{API}/stock/receipts", body, **{"Idempotency-Key": "r-1"})
    second = clerk.post(f"{API}/stock/receipts", body, **{"Idempotency-Key": "r-1"})
    assert first.status_code == 201 and first.json() == second.json()
    assert StockMove.objects.filter(kind="receipt", to_location__code="CENTRAL").count() == 1
    move = first.json()["moves"][0]
    assert move["from_location"] == "SUPPLIER" and move["actor"] == "warehouse"


def test_transfer_ships_then_is_received(people, stock):
    receive(quantity=5)
    clerk = people["warehouse"]
    arrival = (clock.today() + timedelta(days=2)).isoformat()
    sent = clerk.post(
        f"{API}/stock/transfers",
        {
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 2,
            "expected_arrival": arrival,
        },
    )
    assert sent.status_code == 201, sent.content
    transfer = sent.json()
    assert transfer["status"] == "in_transit" and transfer["expected_arrival"] == arrival
    on_way = clerk.get(f"{API}/stock/transfers", to="VAN-1").json()
    assert [t["number"] for t in on_way] == [transfer["number"]]
    van = {a["location"]: a for a in clerk.get(f"{API}/parts/DP-100").json()["availability"]}
    assert van["VAN-1"]["incoming"] == 2 and van["VAN-1"]["on_hand"] == 0
    got = people["technician"].post(f"{API}/stock/transfers/{transfer['number']}/receive")
    assert got.status_code == 200 and got.json()["status"] == "received"
    again = error_of(clerk.post(f"{API}/stock/transfers/{transfer['number']}/receive"), 409)
    assert again["code"] == "transfer_received"
    error_of(clerk.post(f"{API}/stock/transfers/TR-999999/receive"), 404)
    handed = clerk.post(
        f"{API}/stock/transfers",
        {
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 1,
            "received": True,
        },
    ).json()
    assert handed["status"] == "received"


def test_taking_more_than_there_is_is_a_409_with_details(people, stock):
    receive(quantity=2)
    response = people["warehouse"].post(
        f"{API}/stock/moves",
        {
            "kind": "transfer",
            "part_number": "DP-100",
            "from_code": "CENTRAL",
            "to_code": "VAN-1",
            "quantity": 3,
        },
    )
    body = error_of(response, 409)
    assert body["code"] == "insufficient_stock"
    assert body["details"]["available"] == 2 and body["details"]["requested"] == 3
    assert "available_elsewhere" in body["details"]


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {"kind": "receipt", "part_number": "NOPE", "quantity": 1, "to_code": "CENTRAL"},
            "part_number",
        ),
        (
            {"kind": "receipt", "part_number": "DP-100", "quantity": 1, "to_code": "X"},
            "location_code",
        ),
        (
            {"kind": "receipt", "part_number": "DP-100", "quantity": 0, "to_code": "CENTRAL"},
            "quantity",
        ),
        ({"kind": "teleport", "part_number": "DP-100", "quantity": 1}, "kind"),
        (
            {"kind": "scrap", "part_number": "DP-100", "quantity": 1, "from_code": "CENTRAL"},
            "reason",
        ),
        (
            {
                "kind": "receipt",
                "part_number": "MB-200",
                "quantity": 2,
                "to_code": "CENTRAL",
                "serials": ["A"],
            },
            "serials",
        ),
    ],
)
def test_bad_moves_are_422_naming_the_field(people, stock, payload, field):
    body = error_of(people["warehouse"].post(f"{API}/stock/moves", payload), 422)
    named = body["details"].get("field") or body["details"]["errors"][0]["field"]
    assert named == field


def test_moves_endpoint_runs_every_kind_it_knows(people, stock, order):
    clerk = people["warehouse"]

    def move(**payload):
        response = clerk.post(f"{API}/stock/moves", {"part_number": "DP-100", **payload})
        assert response.status_code == 201, response.content
        return response.json()["moves"]

    move(kind="receipt", to_code="VAN-1", quantity=6)
    move(kind="issue", from_code="VAN-1", quantity=2, work_order_number=order.number)
    move(kind="return_unused", to_code="VAN-1", quantity=1, work_order_number=order.number)
    move(kind="scrap", from_code="VAN-1", quantity=1, reason="dropped")
    move(kind="return_to_vendor", from_code="VAN-1", quantity=1)
    [adj] = move(kind="adjustment", from_code="VAN-1", quantity=1, reason="count")
    assert adj["kind"] == "adjustment" and adj["actor"] == "warehouse"
    balance = clerk.get(f"{API}/stock/balances", location="VAN-1", part="DP-100").json()
    assert balance["items"][0]["on_hand"] == 2


def test_adjustments_and_counts(people, stock):
    receive(quantity=5)
    clerk = people["warehouse"]
    lost = clerk.post(
        f"{API}/stock/adjustments",
        {"part_number": "DP-100", "location_code": "CENTRAL", "delta": -2, "reason": "broken"},
    )
    assert lost.status_code == 201 and lost.json()["moves"][0]["to_location"] == "ADJUSTMENT"
    counted = clerk.post(
        f"{API}/stock/counts", {"part_number": "DP-100", "location_code": "CENTRAL", "counted": 1}
    )
    assert counted.json() == {"part": "DP-100", "location": "CENTRAL", "counted": 1, "variance": -2}
    bad = error_of(
        clerk.post(
            f"{API}/stock/adjustments",
            {"part_number": "DP-100", "location_code": "CENTRAL", "delta": 0, "reason": "x"},
        ),
        422,
    )
    assert bad["details"]["field"] == "delta"
    serial = error_of(
        clerk.post(
            f"{API}/stock/counts",
            {"part_number": "MB-200", "location_code": "CENTRAL", "counted": 1},
        ),
        422,
    )
    assert serial["details"]["field"] == "part_number"


def test_balances_and_move_history_page_with_a_cursor(people, stock):
    for _ in range(3):
        receive(quantity=1)
    clerk = people["warehouse"]
    page = clerk.get(f"{API}/stock/moves", part="DP-100", location="CENTRAL", limit=2).json()
    assert len(page["items"]) == 2 and page["next"]
    rest = clerk.get(f"{API}/stock/moves", part="DP-100", location="CENTRAL", cursor=page["next"])
    assert len(rest.json()["items"]) == 1 and rest.json()["next"] is None
    error_of(clerk.get(f"{API}/stock/moves"), 422)
    error_of(clerk.get(f"{API}/stock/balances", location="NOWHERE"), 404)
    items = clerk.get(f"{API}/stock/balances", location="CENTRAL").json()["items"]
    assert items == [
        {"part": "DP-100", "location": "CENTRAL", "on_hand": 3, "reserved": 0, "available": 3}
    ]


# --- reservations ---------------------------------------------------------------------------


def test_reserve_consume_and_release_on_a_work_order(people, stock, order):
    receive(location="VAN-1", quantity=3)
    tech = people["technician"]
    url = f"{API}/work-orders/{order.number}/reservations"
    made = tech.post(url, {"part_number": "DP-100", "location_code": "VAN-1", "quantity": 2})
    assert made.status_code == 201, made.content
    number = made.json()["number"]
    assert tech.get(url).json()[0]["status"] == "active"
    short = error_of(
        tech.post(url, {"part_number": "DP-100", "location_code": "VAN-1", "quantity": 2}), 409
    )
    assert short["details"]["available"] == 1
    unfit = error_of(
        tech.post(url, {"part_number": "SL-300", "location_code": "VAN-1", "quantity": 1}), 422
    )
    assert unfit["code"] == "part_does_not_fit" and unfit["details"]["field"] == "part_number"
    consumed = tech.post(f"{API}/stock/reservations/{number}/consume", {"quantity": 1})
    assert consumed.status_code == 200 and consumed.json()["moves"][0]["kind"] == "issue"
    again = error_of(tech.post(f"{API}/stock/reservations/{number}/release"), 409)
    assert again["code"] == "reservation_closed"
    second = tech.post(url, {"part_number": "DP-100", "location_code": "VAN-1", "quantity": 1})
    released = tech.post(f"{API}/stock/reservations/{second.json()['number']}/release")
    assert released.json()["status"] == "released"
    error_of(tech.post(f"{API}/stock/reservations/RS-999999/release"), 404)
    error_of(people["agent"].get(f"{API}/work-orders/WO-999999/reservations"), 404)


# --- reconciliation, replenishment, defective returns, supply ---------------------------------


def test_reconciliation_per_technician_and_partner_with_csv(people, stock, order):
    receive(location="VAN-1", quantity=4)
    clerk = people["warehouse"]
    today = clock.today().isoformat()
    report = clerk.get(
        f"{API}/stock/reconciliation", holder="technician", **{"from": today, "to": today}
    ).json()
    assert report["holder"] == "technician" and report["locations"] == ["VAN-1"]
    assert report["total"]["received"] == 4 and report["total"]["difference"] == 0
    partner = clerk.get(f"{API}/stock/reconciliation", holder="ASP-A").json()
    assert partner["holder"] == "ASP-A" and partner["locations"] == ["ASPA-WH"]
    bad = error_of(
        clerk.get(
            f"{API}/stock/reconciliation",
            holder="technician",
            **{"from": today, "to": "2000-01-01"},
        ),
        422,
    )
    assert bad["details"]["field"] == "from"
    error_of(clerk.get(f"{API}/stock/reconciliation", holder="nobody"), 404)
    error_of(clerk.get(f"{API}/stock/reconciliation", holder="x", **{"from": "yesterday"}), 422)
    csv_text = b"".join(
        clerk.get(f"{API}/stock/reconciliation/csv", holder="technician").streaming_content
    ).decode()
    assert "DP-100" in csv_text and "TOTAL" in csv_text


def test_replenishment_run_latest_csv_and_pdf(people, stock):
    receive(quantity=5)
    inv.reorder_rule_set(part_number="DP-100", location_code="VAN-1", minimum=1, maximum=3)
    clerk = people["warehouse"]
    error_of(clerk.get(f"{API}/stock/replenishment/runs/latest"), 404)
    set_rule = clerk.client.put(
        f"{API}/stock/reorder-rules",
        {"part_number": "DP-100", "location_code": "CENTRAL", "minimum": 2, "maximum": 10},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {clerk.token}",
    )
    assert set_rule.json()["maximum"] == 10
    run = clerk.post(f"{API}/stock/replenishment/runs", {})
    assert run.status_code == 201, run.content
    latest = clerk.get(f"{API}/stock/replenishment/runs/latest").json()
    assert latest["transfer_lines"] == 1
    kinds = {(x["kind"], x["to_location"]): x["quantity"] for x in latest["lines"]}
    assert kinds[("transfer", "VAN-1")] == 3
    csv_text = b"".join(
        clerk.get(f"{API}/stock/replenishment/runs/latest/csv").streaming_content
    ).decode()
    assert csv_text.splitlines()[0].startswith("kind,part,part_name")
    pdf = clerk.get(f"{API}/stock/replenishment/runs/latest/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    bad = error_of(clerk.post(f"{API}/stock/replenishment/runs", {"source_code": "NOPE"}), 422)
    assert bad["details"]["field"] == "source_code"


def test_defective_return_flow(people, stock, order):
    receive(part="MB-200", location="VAN-1", quantity=1, serials=["NEW-1"])
    tech = people["technician"]
    made = tech.post(
        f"{API}/work-orders/{order.number}/reservations",
        {"part_number": "MB-200", "location_code": "VAN-1", "quantity": 1},
    ).json()
    tech.post(f"{API}/stock/reservations/{made['number']}/consume", {"serials": ["NEW-1"]})
    listed = tech.get(f"{API}/stock/defective-returns").json()["items"]
    assert len(listed) == 1 and listed[0]["status"] == "due" and listed[0]["overdue"] is False
    number = listed[0]["number"]
    assert people["partner_a"].get(f"{API}/stock/defective-returns").json()["items"] == []
    error_of(people["partner_a"].get(f"{API}/stock/defective-returns/{number}"), 404)
    clerk = people["warehouse"]
    got = clerk.post(f"{API}/stock/defective-returns/{number}/receive", {"serials": ["OLD-1"]})
    assert got.status_code == 200, got.content
    wrong = error_of(clerk.post(f"{API}/stock/defective-returns/{number}/receive", {}), 409)
    assert wrong["code"] == "defective_wrong_step"
    clerk.post(
        f"{API}/stock/defective-returns/{number}/inspect", {"outcome": "confirmed_defective"}
    )
    no_amount = error_of(
        clerk.post(
            f"{API}/stock/defective-returns/{number}/close", {"disposition": "returned_to_vendor"}
        ),
        422,
    )
    assert no_amount["details"]["field"] == "recovery_amount"
    closed = clerk.post(
        f"{API}/stock/defective-returns/{number}/close",
        {"disposition": "returned_to_vendor", "recovery_amount": "55.00"},
    ).json()
    assert closed["status"] == "returned_to_vendor" and closed["recovery_amount"] == "55.00"
    error_of(clerk.get(f"{API}/stock/defective-returns", status="lost"), 422)


def test_supply_at_risk(people, stock):
    product = stock["product"]
    product.end_of_production = clock.today() - timedelta(days=365)
    product.save()
    board = stock["board"]
    board.supply_obligation_years = 10
    board.save()
    rows = people["warehouse"].get(f"{API}/stock/supply-at-risk").json()
    assert [(r["part"], r["reason"]) for r in rows] == [("MB-200", "no_stock")]
    error_of(people["warehouse"].get(f"{API}/stock/supply-at-risk", minimum=0), 422)
