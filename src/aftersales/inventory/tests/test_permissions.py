"""Who may call which stock endpoint. Every persona is tried on every endpoint: a role the
permission table refuses gets 403 `forbidden` before anything else happens; a role it allows
gets an answer from the business (2xx, 404, 409, 422, or 403 `not_your_stock` for a
location outside its scope), never 500. Then the scope itself: a partner's locations are
invisible to other partners (404), a technician moves stock only at their own van."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from aftersales.accounts.rules import PERMISSIONS
from aftersales.inventory import services as inv
from aftersales.workorders.tests.conftest import tech2  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1"
PERSONAS = [
    "admin",
    "manager",
    "supervisor",
    "agent",
    "technician",
    "warehouse",
    "partner_a",
    "partner_b",
]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {wo}: the work order's number
    permission: str
    body: dict | None = None


ENDPOINTS = [
    Endpoint("parts", "get", "/parts", "stock.read"),
    Endpoint("part", "get", "/parts/DP-100", "stock.read"),
    Endpoint("part_create", "post", "/parts", "catalog.write", {"number": "N-1", "name": "N"}),
    Endpoint("part_update", "patch", "/parts/DP-100", "catalog.write", {"name": "Pump"}),
    Endpoint("part_fits", "put", "/parts/DP-100/fits", "catalog.write", {"skus": ["WM-1"]}),
    Endpoint("part_supersede", "post", "/parts/SL-300/supersede", "catalog.write", {}),
    Endpoint("balances", "get", "/stock/balances", "stock.read"),
    Endpoint("history", "get", "/stock/moves?part=DP-100", "stock.read"),
    Endpoint("transfers", "get", "/stock/transfers", "stock.read"),
    Endpoint(
        "move",
        "post",
        "/stock/moves",
        "stock.write",
        {"kind": "receipt", "part_number": "DP-100", "to_code": "VAN-1", "quantity": 1},
    ),
    Endpoint(
        "receipt",
        "post",
        "/stock/receipts",
        "stock.write",
        {"part_number": "DP-100", "location_code": "ASPA-WH", "quantity": 1},
    ),
    Endpoint(
        "transfer",
        "post",
        "/stock/transfers",
        "stock.write",
        {"part_number": "DP-100", "from_code": "CENTRAL", "to_code": "VAN-1", "quantity": 1},
    ),
    Endpoint("transfer_receive", "post", "/stock/transfers/TR-999999/receive", "stock.write"),
    Endpoint(
        "adjustment",
        "post",
        "/stock/adjustments",
        "stock.adjust",
        {"part_number": "DP-100", "location_code": "CENTRAL", "delta": 1, "reason": "found"},
    ),
    Endpoint(
        "count",
        "post",
        "/stock/counts",
        "stock.adjust",
        {"part_number": "DP-100", "location_code": "CENTRAL", "counted": 4},
    ),
    Endpoint(
        "reorder_rule",
        "put",
        "/stock/reorder-rules",
        "stock.plan",
        {"part_number": "DP-100", "location_code": "VAN-1", "minimum": 1, "maximum": 2},
    ),
    Endpoint(
        "reserve",
        "post",
        "/work-orders/{wo}/reservations",
        "stock.write",
        {"part_number": "DP-100", "location_code": "VAN-1", "quantity": 1},
    ),
    Endpoint("reservations", "get", "/work-orders/{wo}/reservations", "stock.read"),
    Endpoint("consume", "post", "/stock/reservations/RS-999999/consume", "stock.write", {}),
    Endpoint("release", "post", "/stock/reservations/RS-999999/release", "stock.write"),
    Endpoint("reconciliation", "get", "/stock/reconciliation?holder=technician", "stock.reconcile"),
    Endpoint(
        "reconciliation_csv", "get", "/stock/reconciliation/csv?holder=ASP-A", "stock.reconcile"
    ),
    Endpoint("replenish", "post", "/stock/replenishment/runs", "stock.plan", {}),
    Endpoint("replenish_latest", "get", "/stock/replenishment/runs/latest", "stock.plan"),
    Endpoint("replenish_csv", "get", "/stock/replenishment/runs/latest/csv", "stock.plan"),
    Endpoint("replenish_pdf", "get", "/stock/replenishment/runs/latest/pdf", "stock.plan"),
    Endpoint("defective", "get", "/stock/defective-returns", "stock.read"),
    Endpoint("defective_get", "get", "/stock/defective-returns/DR-999999", "stock.read"),
    Endpoint(
        "defective_receive",
        "post",
        "/stock/defective-returns/DR-999999/receive",
        "stock.adjust",
        {},
    ),
    Endpoint(
        "defective_inspect",
        "post",
        "/stock/defective-returns/DR-999999/inspect",
        "stock.adjust",
        {"outcome": "no_fault_found"},
    ),
    Endpoint(
        "defective_close",
        "post",
        "/stock/defective-returns/DR-999999/close",
        "stock.adjust",
        {"disposition": "scrapped"},
    ),
    Endpoint("supply", "get", "/stock/supply-at-risk", "stock.plan"),
]


def call(persona, method: str, path: str, body: dict | None = None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {persona.token}"}
    if method == "get":
        return persona.client.get(path, **auth)
    return getattr(persona.client, method)(
        path, body or {}, content_type="application/json", **auth
    )


@pytest.fixture
def stocked(stock):
    inv.stock_receive(actor=None, part_number="DP-100", location_code="CENTRAL", quantity=20)
    return stock


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_role_on_every_endpoint(people, stocked, order, endpoint):
    path = API + endpoint.path.replace("{wo}", order.number)
    for who in PERSONAS:
        persona = people[who]
        response = call(persona, endpoint.method, path, endpoint.body)
        allowed = persona.user.role in PERMISSIONS[endpoint.permission]
        assert response.status_code != 500, (who, response.content)
        if not allowed:
            assert response.status_code == 403, (who, endpoint.name, response.content)
            assert response.json()["code"] == "forbidden"
        elif response.status_code == 403:
            # Allowed by role, refused by scope: only for moves outside one's own stock.
            assert response.json()["code"] == "not_your_stock", (who, response.content)


def test_every_stock_permission_is_exercised():
    used = {e.permission for e in ENDPOINTS}
    assert {p for p in PERMISSIONS if p.startswith("stock.")} <= used


# --- partners: others' locations do not exist -----------------------------------------------


def test_partner_b_on_partner_a_locations_gets_404(people, stocked):
    inv.stock_receive(actor=None, part_number="DP-100", location_code="ASPA-WH", quantity=3)
    b = people["partner_b"]
    assert call(b, "get", f"{API}/stock/balances?location=ASPA-WH").status_code == 404
    assert call(b, "get", f"{API}/stock/moves?location=ASPA-WH").status_code == 404
    assert call(b, "get", f"{API}/stock/transfers?to=ASPA-WH").status_code == 404
    receipt = {"part_number": "DP-100", "location_code": "ASPA-WH", "quantity": 1}
    assert call(b, "post", f"{API}/stock/receipts", receipt).status_code == 404
    ship = {"part_number": "DP-100", "from_code": "ASPA-WH", "to_code": "CENTRAL", "quantity": 1}
    assert call(b, "post", f"{API}/stock/transfers", ship).status_code == 404
    move = {"kind": "scrap", "part_number": "DP-100", "from_code": "ASPA-WH", "quantity": 1}
    assert call(b, "post", f"{API}/stock/moves", {**move, "reason": "x"}).status_code == 404
    # Partner B's lists simply leave partner A's stock out.
    assert call(b, "get", f"{API}/stock/balances").json()["items"] == []
    assert call(b, "get", f"{API}/stock/moves?part=DP-100").json()["items"] == []


def test_partner_a_moves_its_own_stock_and_may_send_it_back_to_the_brand(people, stocked):
    a = people["partner_a"]
    receipt = {"part_number": "DP-100", "location_code": "ASPA-WH", "quantity": 4}
    assert call(a, "post", f"{API}/stock/receipts", receipt).status_code == 201
    items = call(a, "get", f"{API}/stock/balances").json()["items"]
    assert {i["location"] for i in items} == {"ASPA-WH"}
    back = {"part_number": "DP-100", "from_code": "ASPA-WH", "to_code": "CENTRAL", "quantity": 1}
    assert call(a, "post", f"{API}/stock/transfers", back).status_code == 201
    # Taking from the brand's warehouse is not theirs to do: it is not even visible.
    take = {"part_number": "DP-100", "from_code": "CENTRAL", "to_code": "ASPA-WH", "quantity": 1}
    assert call(a, "post", f"{API}/stock/transfers", take).status_code == 404


def test_a_partner_cannot_receive_a_transfer_to_another_partner(people, stocked):
    transfer = inv.transfer_ship(
        actor=None, part_number="DP-100", from_code="CENTRAL", to_code="ASPA-WH", quantity=1
    )
    path = f"{API}/stock/transfers/{transfer.number}/receive"
    assert call(people["partner_b"], "post", path).status_code == 404
    assert call(people["partner_a"], "post", path).status_code == 200


# --- technicians: their own van ------------------------------------------------------------


def test_a_technician_moves_stock_only_at_their_own_van(people, stocked, tech2):  # noqa: F811
    tech = people["technician"]
    inv.stock_location_create(
        code="VAN-2", name="Second van", kind="van", technician_username="tech2"
    )
    into_central = {"part_number": "DP-100", "location_code": "CENTRAL", "quantity": 1}
    refused = call(tech, "post", f"{API}/stock/receipts", into_central)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_stock"
    take = {"part_number": "DP-100", "from_code": "CENTRAL", "to_code": "VAN-1", "quantity": 1}
    assert call(tech, "post", f"{API}/stock/transfers", take).status_code == 403
    own = {"part_number": "DP-100", "location_code": "VAN-1", "quantity": 2}
    assert call(tech, "post", f"{API}/stock/receipts", own).status_code == 201
    back = {"part_number": "DP-100", "from_code": "VAN-1", "to_code": "CENTRAL", "quantity": 1}
    assert call(tech, "post", f"{API}/stock/transfers", back).status_code == 201
    other = {"part_number": "DP-100", "from_code": "VAN-2", "to_code": "CENTRAL", "quantity": 1}
    assert call(tech, "post", f"{API}/stock/transfers", other).status_code == 403
    # Reading is not scoped: the technician sees the warehouse's stock.
    where = call(tech, "get", f"{API}/parts/DP-100").json()["availability"]
    assert {a["location"] for a in where} >= {"CENTRAL", "VAN-1"}
    to_van2 = inv.transfer_ship(
        actor=None, part_number="DP-100", from_code="CENTRAL", to_code="VAN-2", quantity=1
    )
    path = f"{API}/stock/transfers/{to_van2.number}/receive"
    assert call(tech, "post", path).status_code == 403
