"""The printed work-order papers: voucher and repair card, pickup receipt, monthly record."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import translation
from PIL import Image as PILImage

from aftersales.core import clock
from aftersales.workorders import selectors
from aftersales.workorders import services as wo
from aftersales.workorders.documents import (
    fmt_money,
    pickup_receipt_pdf,
    service_record_csv,
    service_record_pdf,
    work_order_pdf,
)
from aftersales.workorders.tests.pdftext import flat, pdf_text


def signature_png() -> bytes:
    image = PILImage.new("RGB", (120, 40), "white")
    for x in range(10, 110):
        image.putpixel((x, 20 + (x % 7)), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def on_site_job(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(
        actor=sup,
        case_number=repair_case.number,
        kind="on_site",
        instructions="Ring twice; the dog is friendly.",
    )
    start = clock.now() + timedelta(hours=1)
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=2)
    )
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.work_order_start(actor=tech, number=order.number)
    wo.work_order_record_visit(
        actor=tech,
        number=order.number,
        visit=wo.VisitInput(
            arrived_at=clock.now(),
            distance_km=12,
            fault_code="E21",
            cause="Pump blocked by a coin",
            action_taken="Replaced the drain pump",
            result="fixed",
        ),
    )
    wo.work_order_add_labour(actor=tech, number=order.number, minutes=45, labour_code="REP")
    wo.work_order_add_part(
        actor=tech, number=order.number, part_number="DP-100", quantity=2, location_code="MAD-WH"
    )
    wo.work_order_complete(
        actor=tech,
        number=order.number,
        acceptance=wo.Acceptance(name="Lucía García", signature_png=signature_png()),
        tests_performed="Drain cycle run twice; no leaks.",
        notes="Customer advised to check pockets.",
    )
    wo.work_order_verify(actor=sup, number=order.number, passed=True, notes="Photos fine")
    return selectors.work_order_get(sup, order.number)


def test_voucher_has_every_number_and_the_repair_card(on_site_job):
    pdf = work_order_pdf(on_site_job)
    assert pdf.startswith(b"%PDF")
    text = flat(pdf)
    for expected in (
        on_site_job.number,
        on_site_job.case.number,
        "Lucía García",
        "SN-ES-1",
        "Washing machine",
        "Madrid Service",
        "technician",
        "Ring twice",
        "E21 · Drain pump",
        "Pump blocked by a coin",
        "Replaced the drain pump",
        "REP",
        "0:45 h",
        "DP-100",
        "MAD-WH",
        "42.50 €",
        "85.00 €",
        "Drain cycle run twice",
        "Customer advised",
        "passed",
        "Photos fine",
        "Accepted by",
        "Aftersales",
    ):
        assert expected in text, expected
    # The signature is drawn as an image, and the work order number as a QR code.
    assert b"/Subtype /Image" in pdf


def test_voucher_in_spanish_formats_for_the_locale(on_site_job):
    with translation.override("es"):
        pdf = work_order_pdf(on_site_job)
    text = flat(pdf)
    assert "Cliente" in text and "Número de serie" in text and "Teléfono" in text
    assert "42,50 €" in text and "Lucía García" in text
    assert on_site_job.number in text


def test_typed_acceptance_says_accepted_in_writing(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="on_site")
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    start = clock.now()
    wo.work_order_schedule(
        actor=sup, number=order.number, window_start=start, window_end=start + timedelta(hours=1)
    )
    wo.work_order_start(actor=tech, number=order.number)
    order = wo.work_order_complete(
        actor=tech,
        number=order.number,
        result="no_fault_found",
        acceptance=wo.Acceptance(name="Pablo Ruiz", typed=True),
    )
    text = flat(work_order_pdf(selectors.work_order_get(sup, order.number)))
    assert "accepted in writing" in text and "Pablo Ruiz" in text


def test_a_damaged_signature_does_not_stop_the_voucher(on_site_job):
    on_site_job.acceptance_signature = b"\x89PNG\r\n\x1a\n" + b"0" * 50
    text = flat(work_order_pdf(on_site_job))
    assert "image kept on file" in text


def test_a_draft_voucher_prints(people, repair_case):
    order = wo.work_order_create(
        actor=people["supervisor"].user, case_number=repair_case.number, kind="workshop"
    )
    pdf = work_order_pdf(order)
    assert pdf.startswith(b"%PDF")
    assert "not scheduled" in flat(pdf)


@pytest.fixture
def receipt(people, repair_case):
    sup, tech = people["supervisor"].user, people["technician"].user
    order = wo.work_order_create(actor=sup, case_number=repair_case.number, kind="workshop")
    wo.work_order_assign(actor=sup, number=order.number, technician_username=tech.username)
    wo.custody_record(
        actor=tech,
        number=order.number,
        event=wo.CustodyInput(
            kind="picked_up", accessories="Hose & power cord", condition="Scratched lid"
        ),
    )
    return selectors.open_receipt(order.unit_id)


def test_pickup_receipt(receipt):
    pdf = pickup_receipt_pdf(receipt)
    assert pdf.startswith(b"%PDF")
    text = flat(pdf)
    wo_ = receipt.work_order
    for expected in (
        receipt.number,
        wo_.number,
        wo_.case.number,
        "Lucía García",
        "SN-ES-1",
        "Washing machine",
        "Hose & power cord",
        "Scratched lid",
        "Madrid Service",
        "signature",
    ):
        assert expected in text, expected
    assert "VOID" not in pdf_text(pdf).split()


def test_a_returned_receipt_prints_void(people, receipt):
    wo.custody_record(
        actor=people["agent"].user,
        number=receipt.work_order.number,
        event=wo.CustodyInput(kind="returned", signed_by="Lucía", receipt_number=receipt.number),
    )
    receipt.refresh_from_db()
    text = pdf_text(pickup_receipt_pdf(receipt))
    assert "VOID" in text.split("\n")
    assert "Voided" in text


def test_pickup_receipt_in_spanish(receipt):
    with translation.override("es"):
        text = flat(pickup_receipt_pdf(receipt))
    assert "Cliente" in text and "Número de serie" in text and receipt.number in text


def test_monthly_service_record(people, on_site_job):
    tech = people["technician"].user
    today = clock.today()
    record = selectors.monthly_service_record(tech, today.year, today.month)
    assert record.jobs == 1
    pdf = service_record_pdf(record)
    assert pdf.startswith(b"%PDF")
    text = flat(pdf)
    assert on_site_job.number in text and "Lucía García" in text and "0:45 h" in text

    rows = list(csv.reader(io.StringIO(service_record_csv(record))))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert "work order" in header and "labour minutes" in header
    assert len(body) == record.jobs
    assert body[0][header.index("work order")] == on_site_job.number
    assert body[0][header.index("labour minutes")] == "45"
    assert body[0][header.index("visits")] == "1"
    assert totals[header.index("labour minutes")] == str(record.total_minutes)
    assert totals[header.index("visits")] == str(record.visits)
    assert totals[header.index("work order")] == "TOTAL"


def test_empty_month_still_prints(people):
    record = selectors.monthly_service_record(people["technician"].user, 2020, 2)
    assert "No jobs" in flat(service_record_pdf(record))
    rows = list(csv.reader(io.StringIO(service_record_csv(record))))
    assert len(rows) == 2  # header and totals


def test_money_is_formatted_for_the_locale():
    from decimal import Decimal

    with translation.override("en"):
        assert fmt_money(Decimal("1234.5"), "EUR") == "1,234.50 €"
    with translation.override("es"):
        # Django's Spanish format groups thousands with a no-break space (as the RAE advises).
        assert fmt_money(Decimal("1234.5"), "EUR") == "1\xa0234,50 €"
        assert fmt_money(Decimal("3"), "CHF") == "3,00 CHF"
