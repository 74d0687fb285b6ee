"""Before sending a technician, the dispatcher sees whether their van holds the job's planned
parts: over the API and on the work order page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.core import clock
from aftersales.inventory.services import stock_location_create, stock_receive
from aftersales.workorders import services as wo


@pytest.fixture
def planned_job(people, repair_case):
    sup = people["supervisor"].user
    stock_location_create(
        code="VAN-1", name="Van 1", kind="van", centre_code="MAD", technician_username="technician"
    )
    stock_receive(actor=None, part_number="DP-100", location_code="VAN-1", quantity=1)
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username="technician")
    wo.work_order_add_part(
        actor=sup, number=order.number, part_number="DP-100", quantity=2, planned=True
    )
    return order


def test_van_check_says_what_is_short(people, planned_job):
    answer = people["supervisor"].get(f"/api/v1/work-orders/{planned_job.number}/van-check")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["vans"], body["ok"]) == (["VAN-1"], False)
    assert body["lines"] == [{"part_number": "DP-100", "needed": 2, "available": 1, "short": 1}]
    stock_receive(actor=None, part_number="DP-100", location_code="VAN-1", quantity=1)
    assert (
        people["supervisor"].get(f"/api/v1/work-orders/{planned_job.number}/van-check").json()["ok"]
    )


def test_van_check_is_scoped_like_the_work_order(people, planned_job):
    answer = people["partner_b"].get(f"/api/v1/work-orders/{planned_job.number}/van-check")
    assert answer.status_code == 404


def test_the_work_order_page_shows_the_shortage(people, planned_job):
    client = people["supervisor"].client
    client.force_login(people["supervisor"].user)
    page = client.get(f"/work-orders/{planned_job.number}/")
    assert page.status_code == 200
    assert "Short in the van" in page.content.decode() and "1 × DP-100" in page.content.decode()
