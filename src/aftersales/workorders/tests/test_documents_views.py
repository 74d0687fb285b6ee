"""The printable documents behind their links: PDF inline with the number as the file name,
and the same scoping as the screens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from aftersales.core import clock
from aftersales.workorders import selectors
from aftersales.workorders import services as wo

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(people):
    def make(who: str) -> Client:
        client = Client()
        client.force_login(people[who].user)
        return client

    return make


@pytest.fixture
def job(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="workshop")
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.custody_record(actor=tech, number=order.number, event=wo.CustodyInput(kind="picked_up"))
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=30, labour_code="REP")
    return order


def assert_pdf(response, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{filename}"'
    assert response.content.startswith(b"%PDF")


def test_work_order_and_receipt_pdfs(login, job):
    client = login("supervisor")
    assert_pdf(client.get(f"/work-orders/{job.number}/pdf/"), f"{job.number}.pdf")
    receipt = selectors.open_receipt(job.unit_id)
    assert_pdf(client.get(f"/receipts/{receipt.number}/pdf/"), f"{receipt.number}.pdf")
    assert login("partner_a").get(f"/work-orders/{job.number}/pdf/").status_code == 404
    assert login("partner_a").get(f"/receipts/{receipt.number}/pdf/").status_code == 404


def test_service_record_csv_and_pdf(login, job):
    month = clock.today().strftime("%Y-%m")
    client = login("technician")
    response = client.get("/technicians/technician/record.csv", {"month": month})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert job.number in response.content.decode()
    response = client.get("/technicians/technician/record.pdf", {"month": month})
    assert_pdf(response, f"service-record-technician-{month}.pdf")
    assert login("agent").get("/technicians/technician/record.csv").status_code == 403


def test_invoice_pdf(login, people, repair_case):
    sup, agent = people["supervisor"].user, people["agent"].user
    order = wo.work_order_create(
        actor=sup, case_number=repair_case.number, kind="remote", category="A", category_reason="x"
    )
    from aftersales.billing import services as billing

    start = clock.now()
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(
        actor=sup, number=order.number, technician_username=people["technician"].user.username
    )
    wo.work_order_add_labour(
        actor=sup, number=order.number, minutes=30, labour_code="REP", planned=True
    )
    _quote, secret = wo.quote_issue(actor=sup, number=order.number)
    wo.quote_answer(accept=True, secret=secret)
    wo.work_order_start(actor=sup, number=order.number)
    wo.work_order_add_labour(actor=sup, number=order.number, minutes=30, labour_code="REP")
    wo.work_order_complete(actor=sup, number=order.number, result="fixed")
    invoice = billing.invoice_issue(actor=agent, number=order.number)
    assert_pdf(login("agent").get(f"/invoices/{invoice.number}/pdf/"), f"{invoice.number}.pdf")
    assert login("partner_b").get(f"/invoices/{invoice.number}/pdf/").status_code == 404
