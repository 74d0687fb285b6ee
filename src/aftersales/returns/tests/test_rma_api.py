"""The RMA over HTTP: request, authorise, ship, receive, inspect, resolve (replace, repair,
refund, parts into stock and out again), DOA evidence, partner scoping, documents."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from django.urls import reverse

from aftersales.core import clock
from aftersales.customers.models import Unit
from aftersales.inventory.models import StockBalance
from aftersales.returns.models import Rma
from aftersales.workorders.tests.pdftext import flat

pytestmark = pytest.mark.django_db

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 50).decode()


def _create(persona, **extra):
    body = {"lines": [{"serial_number": "SN-ES-1", "reason": "Does not spin"}], **extra}
    response = persona.post("/api/v1/rmas", body)
    assert response.status_code == 201, response.content
    return response.json()


def _to_inspected(people, number, result="confirmed"):
    sup, wh = people["supervisor"], people["warehouse"]
    assert sup.post(f"/api/v1/rmas/{number}/authorise", {}).status_code == 200
    shipped = wh.post(
        f"/api/v1/rmas/{number}/shipments",
        {"direction": "inbound", "carrier": "SEUR", "tracking_number": "TRK1"},
    )
    assert shipped.status_code == 201, shipped.content
    received = wh.post(f"/api/v1/rmas/{number}/receive", {})
    assert received.status_code == 200, received.content
    line_id = received.json()["lines"][0]["id"]
    photo = {"filename": "seen.png", "content_type": "image/png", "content_base64": PNG}
    inspected = wh.post(
        f"/api/v1/rmas/{number}/inspect",
        {"lines": [{"line_id": line_id, "result": result}], "photos": [photo]},
    )
    assert inspected.status_code == 200, inspected.content
    return line_id


def test_numbering_lifecycle_and_replacement(people, repair_case):
    rma = _create(people["agent"])
    number = rma["number"]
    assert number.startswith("RMA-") and len(number) == 10
    assert rma["status"] == "requested"
    assert rma["lines"][0]["verdict"]["jurisdiction"] == "EU"
    line_id = _to_inspected(people, number)
    detail = people["agent"].get(f"/api/v1/rmas/{number}").json()
    assert detail["status"] == "inspected"
    assert detail["shipments"][0]["freight_payer"] == "business"
    assert [e["filename"] for e in detail["evidence"]] == ["seen.png"]
    resolved = people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "replace", "serial_number": "SN-ES-NEW"},
    )
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["lines"][0]["replacement_serial"] == "SN-ES-NEW"
    assert body["lines"][0]["remedy_decided"] == "replacement"
    new = Unit.objects.get(serial_number="SN-ES-NEW")
    assert new.replaces.serial_number == "SN-ES-1"
    assert new.customer_id == new.replaces.customer_id
    # EU: the legal guarantee keeps running from the original sale.
    assert new.sold_on == new.replaces.sold_on
    assert list(Unit.objects.get(serial_number="SN-ES-1").replaced_by.all()) == [new]
    ship = people["supervisor"].post(
        f"/api/v1/rmas/{number}/shipments",
        {"direction": "outbound", "carrier": "SEUR", "tracking_number": "OUT1", "line_id": line_id},
    )
    assert ship.status_code == 201, ship.content
    closed = people["supervisor"].post(f"/api/v1/rmas/{number}/close")
    assert closed.json()["status"] == "closed"
    statuses = [
        e.data["status"]["to"]
        for e in repair_case.__class__.objects.get(pk=rma_case_id(number)).timeline.all()
        if e.data.get("rma") == number and "status" in e.data
    ]
    assert statuses == [
        "requested",
        "authorised",
        "awaiting_shipment",
        "in_transit",
        "received",
        "inspected",
        "resolved",
        "closed",
    ]


def rma_case_id(number: str) -> int:
    return Rma.objects.get(pk=int(number.split("-")[1])).case_id


def test_cn_replacement_restarts_coverage(people, repair_case, world):
    unit = world["unit"]
    unit.country = "CN"
    unit.save(update_fields=["country"])
    number = _create(people["agent"])["number"]
    line_id = _to_inspected(people, number)
    people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "replace", "serial_number": "SN-CN-NEW"},
    )
    assert Unit.objects.get(serial_number="SN-CN-NEW").sold_on == clock.today()


def test_repair_opens_a_work_order(people, repair_case):
    number = _create(people["agent"], case_number=repair_case.number)["number"]
    line_id = _to_inspected(people, number)
    body = (
        people["supervisor"]
        .post(f"/api/v1/rmas/{number}/resolve", {"line_id": line_id, "disposition": "repair"})
        .json()
    )
    wo_number = body["lines"][0]["work_order"]
    assert wo_number and wo_number.startswith("WO-")
    assert body["case"] == repair_case.number


def test_refund_with_depreciation_and_a_credit_note(people, repair_case, world, settings):
    settings.RETURNS_DEPRECIATION_PERCENT_PER_MONTH = "2"
    unit = world["unit"]
    unit.sale_price = Decimal("500.00")
    unit.save(update_fields=["sale_price"])
    number = _create(people["agent"])["number"]
    line_id = _to_inspected(people, number)
    body = (
        people["supervisor"]
        .post(f"/api/v1/rmas/{number}/resolve", {"line_id": line_id, "disposition": "refund"})
        .json()
    )
    line = body["lines"][0]
    # 100 days of use: 4 started months at 2 % = 8 % off.
    assert line["refund_amount"] == "460.00"
    # The refund is posted to billing as a credit note in its own gapless series.
    from aftersales.billing.models import CreditNote

    note = CreditNote.objects.get(number=line["credit_note"])
    assert note.number == f"CRN-{clock.today().year}-000001"
    assert note.amount == Decimal("460.00") and note.customer_id == world["customer"].pk
    assert note.source == number
    pdf = people["agent"].get(f"/api/v1/rmas/{number}/lines/{line_id}/credit-note.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert line["credit_note"] in flat(pdf.content)


def test_refund_without_a_sale_price_is_a_conflict(people, repair_case):
    number = _create(people["agent"])["number"]
    line_id = _to_inspected(people, number)
    response = people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve", {"line_id": line_id, "disposition": "refund"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_sale_price"


def test_return_label_carries_the_number(people, repair_case):
    number = _create(people["agent"])["number"]
    people["supervisor"].post(f"/api/v1/rmas/{number}/authorise", {})
    pdf = people["agent"].get(f"/api/v1/rmas/{number}/label.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert number in flat(pdf.content)


def test_parts_are_inventory_moves(people, network, world):
    body = {
        "customer_id": world["customer"].pk,
        "lines": [{"part_number": "DP-100", "quantity": 3, "reason": "Wrong part ordered"}],
    }
    created = people["agent"].post("/api/v1/rmas", body)
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    line_id = created.json()["lines"][0]["id"]
    people["supervisor"].post(f"/api/v1/rmas/{number}/authorise", {})
    shelf = StockBalance.objects.filter(part__number="DP-100", location__code="MAD-WH").first()
    before = shelf.on_hand if shelf else 0
    received = people["warehouse"].post(
        f"/api/v1/rmas/{number}/receive",
        {"location_code": "MAD-WH", "lines": [{"line_id": line_id, "quantity": 2}]},
    )
    assert received.status_code == 200, received.content
    balance = StockBalance.objects.get(part__number="DP-100", location__code="MAD-WH")
    assert balance.on_hand == before + 2
    people["warehouse"].post(
        f"/api/v1/rmas/{number}/inspect",
        {"lines": [{"line_id": line_id, "result": "wrong_item"}]},
    )
    done = people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "scrap", "location_code": "MAD-WH"},
    )
    assert done.status_code == 200, done.content
    balance.refresh_from_db()
    assert balance.on_hand == before


def test_doa_needs_evidence_and_is_flagged(people, world, network):
    world["unit"].sold_on = clock.today()
    world["unit"].save(update_fields=["sold_on"])
    refused = people["agent"].post(
        "/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}], "doa": True}
    )
    assert refused.status_code == 422
    assert refused.json()["details"]["field"] == "evidence"
    # A performance failure within the DOA window is a DOA claim even if not asked for.
    implied = people["agent"].post("/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}]})
    assert implied.status_code == 422
    created = people["partner_a"].post(
        "/api/v1/rmas",
        {
            "lines": [{"serial_number": "SN-ES-1"}],
            "evidence": [
                {"filename": "photo.png", "content_type": "image/png", "content_base64": PNG}
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["doa"] is True and body["flagged_for_claims"] is True
    assert body["evidence"][0]["filename"] == "photo.png"
    assert body["partner"] == "ASP-A"


def test_partner_scoping(people, network):
    mine = _create(people["partner_a"])["number"]
    assert people["partner_a"].get(f"/api/v1/rmas/{mine}").status_code == 200
    assert people["partner_b"].get(f"/api/v1/rmas/{mine}").status_code == 404
    assert people["partner_b"].post(f"/api/v1/rmas/{mine}/receive", {}).status_code == 404
    listed = people["partner_b"].get("/api/v1/rmas").json()
    assert listed["items"] == []
    assert [r["number"] for r in people["agent"].get("/api/v1/rmas").json()["items"]] == [mine]


def test_advance_replacement_and_charge(people, repair_case, world):
    from aftersales.returns.services import rma_charge_unreturned

    world["unit"].sale_price = Decimal("300")
    world["unit"].save(update_fields=["sale_price"])
    number = _create(people["agent"])["number"]
    body = (
        people["supervisor"]
        .post(
            f"/api/v1/rmas/{number}/authorise", {"advance_replacement": True, "return_due_days": 10}
        )
        .json()
    )
    assert body["advance_replacement"] and body["return_due_on"]
    line_id = body["lines"][0]["id"]
    early = people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "replace", "serial_number": "SN-ADV"},
    )
    assert early.status_code == 200, early.content
    shipped = people["supervisor"].post(
        f"/api/v1/rmas/{number}/shipments",
        {"direction": "outbound", "carrier": "DHL", "line_id": line_id},
    )
    assert shipped.status_code == 201
    from datetime import timedelta

    import time_machine

    from aftersales.billing.documents import invoice_pdf
    from aftersales.returns.models import Rma
    from aftersales.returns.tasks import charge_unreturned_advance_replacements

    assert rma_charge_unreturned(number=number, on=clock.today() + timedelta(days=5)) is None
    # The nightly task finds the overdue return and invoices the replacement's sale price.
    with time_machine.travel(clock.now() + timedelta(days=5), tick=False):
        charge_unreturned_advance_replacements.call_local()
    assert Rma.objects.get(pk=charged_pk(number)).advance_charge is None
    with time_machine.travel(clock.now() + timedelta(days=11), tick=False):
        charge_unreturned_advance_replacements.call_local()
        charge_unreturned_advance_replacements.call_local()  # a second night charges nothing more
    charged = Rma.objects.select_related("advance_invoice").get(pk=charged_pk(number))
    assert charged.advance_charge == Decimal("300")
    invoice = charged.advance_invoice
    assert invoice.total == Decimal("300") and invoice.source == number
    assert invoice.work_order_id is None and invoice.number.startswith("INV-")
    shown = people["agent"].get(f"/api/v1/rmas/{number}").json()
    assert shown["advance_invoice"] == invoice.number
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF") and number in flat(pdf)


def charged_pk(number: str) -> int:
    from aftersales.returns.lifecycle import parse_rma_number

    return parse_rma_number(number)


def test_wrong_order_of_steps_is_a_conflict(people, repair_case):
    number = _create(people["agent"])["number"]
    response = people["warehouse"].post(
        f"/api/v1/rmas/{number}/inspect", {"lines": [{"line_id": 1, "result": "confirmed"}]}
    )
    assert response.status_code == 409
    received = people["warehouse"].post(f"/api/v1/rmas/{number}/receive", {})
    assert received.status_code == 409
    rejected = people["supervisor"].post(f"/api/v1/rmas/{number}/authorise", {"approve": False})
    assert rejected.status_code == 422
    rejected = people["supervisor"].post(
        f"/api/v1/rmas/{number}/authorise", {"approve": False, "reason": "Out of warranty"}
    )
    assert rejected.json()["status"] == "rejected"


def test_idempotent_create(people, repair_case):
    body = {"lines": [{"serial_number": "SN-ES-1"}]}
    first = people["agent"].post("/api/v1/rmas", body, **{"Idempotency-Key": "k1"})
    again = people["agent"].post("/api/v1/rmas", body, **{"Idempotency-Key": "k1"})
    assert first.json()["number"] == again.json()["number"]
    assert Rma.objects.count() == 1


def test_unknown_number_and_bad_cursor(people, world):
    assert people["agent"].get("/api/v1/rmas/RMA-999999").status_code == 404
    assert people["agent"].get("/api/v1/rmas/banana").status_code == 404
    assert people["agent"].get("/api/v1/rmas", cursor="!!").status_code == 422


def test_a_dealer_files_a_doa_return_through_the_office(people, world, network, client):
    """Dealers have no login: the office files for them, and the return names the dealer."""
    world["unit"].sold_on = clock.today()
    world["unit"].save(update_fields=["sold_on"])
    created = people["agent"].post(
        "/api/v1/rmas",
        {
            "lines": [{"serial_number": "SN-ES-1"}],
            "doa": True,
            "dealer": "MediaHogar Getafe",
            "evidence": [
                {
                    "filename": "test.txt",
                    "content_type": "text/plain",
                    "content_base64": base64.b64encode(b"no power").decode(),
                }
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dealer"] == "MediaHogar Getafe"
    assert body["doa"] is True and body["flagged_for_claims"] is True
    client.force_login(people["agent"].user)
    page = client.get(reverse("returns:detail", args=[body["number"]])).content.decode()
    assert "filed by the dealer MediaHogar Getafe" in page
