"""A service network around the shared world: a centre with a branch, a technician and a
supervisor based there, partner A serving the same region, a part, rates and a fault code,
and a repair case on Lucía's washing machine."""

from __future__ import annotations

import pytest

from aftersales.billing.services import rate_card_create
from aftersales.cases.services import case_open
from aftersales.catalog.models import Part
from aftersales.inventory.services import stock_location_create, stock_receive
from aftersales.network.services import partner_update, service_centre_create, staff_assign_centre
from aftersales.workorders.services import fault_code_create


@pytest.fixture
def network(people, world):
    centre = service_centre_create(
        code="MAD", name="Madrid Service", region="madrid", time_zone="Europe/Madrid"
    )
    branch = service_centre_create(
        code="MAD-N",
        name="Madrid Norte",
        region="madrid-norte",
        parent_code="MAD",
        time_zone="Europe/Madrid",
    )
    partner_update(
        code="ASP-A",
        regions=["madrid", "toledo"],
        product_lines=["washing_machine"],
        labour_rate="30",
    )
    partner_update(code="ASP-B", regions=["sevilla"])
    for role in ("technician", "supervisor", "warehouse"):
        staff_assign_centre(username=people[role].user.username, centre_code="MAD")
        people[role].user.refresh_from_db()
    customer = world["customer"]
    customer.region = "madrid"
    customer.save(update_fields=["region"])
    pump = Part.objects.create(number="DP-100", name="Drain pump", list_price="42.50")
    pump.fits.add(world["product"])
    stock_location_create(code="MAD-WH", name="Madrid warehouse", centre_code="MAD")
    stock_location_create(code="ASPA-WH", name="Partner A stock", partner_code="ASP-A")
    rate_card_create(
        name="Madrid rates",
        centre_code="MAD",
        hourly_rate="48",
        travel_per_visit="25",
        travel_per_km="0.40",
        tax_rate="21",
        labour={"INST": {"flat": "60"}},
    )
    fault_code_create(product_category="washing_machine", code="E21", description="Drain pump")
    fault_code_create(product_category="washing_machine", code="E10", description="Water inlet")
    return {"centre": centre, "branch": branch}


@pytest.fixture
def repair_case(people, world, network):
    case, _ = case_open(
        actor=people["agent"].user,
        type="repair",
        channel="phone",
        summary="Does not drain",
        serial_number="SN-ES-1",
    )
    return case


@pytest.fixture
def tech2(people, network):
    """A second technician at the Madrid centre, for jobs that are not the first one's."""
    from aftersales.conftest import make_persona

    persona = make_persona("tech2", "technician")
    staff_assign_centre(username="tech2", centre_code="MAD")
    persona.user.refresh_from_db()
    return persona


@pytest.fixture(autouse=True)
def pumps_on_the_shelves(request):
    """Work-order tests fit parts from stock: 20 pumps at Madrid, 10 at partner A's store.
    (Autouse here only: the inventory tests reuse `network` and want empty shelves.)"""
    if "network" not in request.fixturenames:
        return
    request.getfixturevalue("network")
    stock_receive(actor=None, part_number="DP-100", location_code="MAD-WH", quantity=20)
    stock_receive(actor=None, part_number="DP-100", location_code="ASPA-WH", quantity=10)
