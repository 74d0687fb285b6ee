"""The printed invoice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from aftersales.billing import services as billing
from aftersales.billing.documents import invoice_pdf, invoice_qr_payload
from aftersales.core import clock
from aftersales.workorders import services as wo
from aftersales.workorders.tests.pdftext import flat


@pytest.fixture
def invoice(people, repair_case):
    sup, tech, agent = people["supervisor"].user, people["technician"].user, people["agent"].user
    order = wo.work_order_create(
        actor=sup,
        case_number=repair_case.number,
        kind="workshop",
        category="A",
        category_reason="Water damage, not covered",
    )
    start = clock.now()
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_add_labour(
        actor=tech, number=order.number, minutes=60, labour_code="REP", planned=True
    )
    _quote, secret = wo.quote_issue(actor=tech, number=order.number)
    wo.quote_answer(accept=True, secret=secret)
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=90, labour_code="REP")
    wo.work_order_add_part(actor=tech, number=order.number, part_number="DP-100", quantity=1)
    wo.work_order_complete(actor=tech, number=order.number, result="fixed")
    issued = billing.invoice_issue(actor=agent, number=order.number)
    billing.payment_record(
        actor=agent, number=order.number, amount="50.00", method="card", reference="TPV-778"
    )
    issued.refresh_from_db()
    return issued


def test_invoice_pdf_has_the_numbers(invoice):
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    text = flat(pdf)
    wo_ = invoice.work_order
    # 90 min at 48/h = 72.00; the pump 42.50; subtotal 114.50; 21 % tax 24.05; total 138.55.
    assert invoice.total == invoice.subtotal + invoice.tax
    for expected in (
        invoice.number,
        wo_.number,
        wo_.case.number,
        "Madrid Service",
        "Lucía García",
        "lucia@example.com",
        "REP",
        "DP-100",
        "1.50",
        "48.00 €",
        "72.00 €",
        "42.50 €",
        "114.50 €",
        "24.05 €",
        "138.55 €",
        "21.00 %",
        "EUR",
        "TPV-778",
        "50.00 €",
        "88.55 €",
    ):
        assert expected in text, expected


def test_invoice_qr_says_number_and_total(invoice):
    assert invoice_qr_payload(invoice) == f"{invoice.number}|138.55|EUR"


def test_invoice_in_spanish(invoice):
    with translation.override("es"):
        text = flat(invoice_pdf(invoice))
    assert "Cliente" in text and "Producto" in text
    assert "138,55 €" in text and "24,05 €" in text
    assert invoice.number in text


def test_paid_invoice_says_so(people, invoice):
    billing.payment_record(
        actor=people["agent"].user,
        number=invoice.work_order.number,
        amount="88.55",
        method="cash",
    )
    text = flat(invoice_pdf(invoice))
    assert "Paid in full" in text and "0.00 €" in text
