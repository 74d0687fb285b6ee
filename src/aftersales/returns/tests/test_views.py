"""The returns screens through Django's test client: the case file's verdict panel and the
override dialog, the RMA list and page with its side-panel actions (plain POST and htmx), the
receiving desk, and the customer's pages (start, track, label, the new serial)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.returns.models import RemedyDecision, Rma

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


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


def test_case_file_shows_the_verdict_with_rules(login, repair_case):
    page = login("agent").get(f"/cases/{repair_case.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="remedy-panel"' in html
    assert "EU-CONFORMITY" in html and "EU-BURDEN" in html
    assert "Record the remedy" in html


def test_override_dialog_plain_post_and_htmx(login, repair_case):
    url = f"/cases/{repair_case.number}/remedy/"
    agent = login("agent")
    refused = agent.post(
        url, {"remedy-chosen": "refund", "remedy-reason": "asks for it"}, headers=HX
    )
    assert refused.status_code == 422
    assert "Only a supervisor" in refused.content.decode()
    sup = login("supervisor")
    no_reason = sup.post(url, {"remedy-chosen": "refund"})
    assert no_reason.status_code == 302
    assert RemedyDecision.objects.count() == 0
    done = sup.post(
        url, {"remedy-chosen": "refund", "remedy-reason": "Repair impossible"}, headers=HX
    )
    assert done.status_code == 200
    assert "Repair impossible" in done.content.decode()
    decision = RemedyDecision.objects.get()
    assert decision.overridden and decision.decided_by.username == "supervisor"
    page = sup.get(f"/cases/{repair_case.number}/").content.decode()
    assert "Remedy overridden" in page


def test_rma_screens_from_request_to_replacement(login, people, repair_case):
    number = (
        people["agent"]
        .post("/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}]})
        .json()["number"]
    )
    agent = login("agent")
    listed = agent.get("/rmas/").content.decode()
    assert number in listed
    sup = login("supervisor")
    page = sup.get(f"/rmas/{number}/").content.decode()
    assert "Authorise or reject" in page
    done = sup.post(f"/rmas/{number}/do/authorise/", {"approve": "yes"})
    assert done.status_code == 302
    # The warehouse scans the label at the receiving desk.
    wh = login("warehouse")
    assert wh.get("/rmas/receiving/").status_code == 200
    unknown = wh.post("/rmas/receiving/", {"number": "RMA-999999"})
    assert unknown.status_code == 422
    scanned = wh.post("/rmas/receiving/", {"number": number, "condition": "box dented"})
    assert scanned.status_code == 302 and scanned["Location"].endswith(f"/rmas/{number}/")
    rma = Rma.objects.get()
    line = rma.lines.get()
    assert rma.status == "received" and line.condition == "box dented"
    photo = SimpleUploadedFile("motor.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, "image/png")
    inspected = wh.post(
        f"/rmas/{number}/do/inspect/",
        {"line_id": line.pk, "result": "confirmed", "photo": photo},
        headers=HX,
    )
    assert inspected.status_code == 200
    assert "motor.png" in inspected.content.decode()
    assert "Resolve a line" not in inspected.content.decode()  # warehouse cannot resolve
    bad = sup.post(f"/rmas/{number}/do/resolve/", {"line_id": line.pk, "disposition": "replace"})
    assert bad.status_code == 422
    assert "replacement unit" in bad.content.decode()
    resolved = sup.post(
        f"/rmas/{number}/do/resolve/",
        {"line_id": line.pk, "disposition": "replace", "serial_number": "SN-NEW-9"},
    )
    assert resolved.status_code == 302
    page = sup.get(f"/rmas/{number}/").content.decode()
    assert "SN-NEW-9" in page
    label = sup.get(f"/rmas/{number}/label.pdf")
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"


def test_partner_b_cannot_open_partner_as_return(login, people, network):
    number = (
        people["partner_a"]
        .post("/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}]})
        .json()["number"]
    )
    assert login("partner_a").get(f"/rmas/{number}/").status_code == 200
    assert login("partner_b").get(f"/rmas/{number}/").status_code == 404
    assert login("partner_b").post(f"/rmas/{number}/do/receive/", {}).status_code == 404


def test_technician_may_not_authorise(login, people, repair_case):
    number = (
        people["agent"]
        .post("/api/v1/rmas", {"lines": [{"serial_number": "SN-ES-1"}]})
        .json()["number"]
    )
    response = login("technician").post(f"/rmas/{number}/do/authorise/", {"approve": "yes"})
    assert response.status_code == 403


def test_portal_start_track_label_and_new_serial(people, world, network):
    customer = Client()
    wrong = customer.post(
        "/returns/start/",
        {"serial_number": "SN-ES-1", "contact": "someone@else.com", "description": "Broken"},
    )
    assert wrong.status_code == 404
    started = customer.post(
        "/returns/start/",
        {"serial_number": "SN-ES-1", "contact": "lucia@example.com", "description": "No spin"},
    )
    assert started.status_code == 302
    rma = Rma.objects.get()
    assert rma.status == "awaiting_shipment"  # a free remedy is owed: authorised at once
    page = customer.get(started["Location"]).content.decode()
    assert rma.number in page and "EU-CONFORMITY" not in page  # sentences, not ids
    assert "Download the return label" in page
    label = customer.get(f"/returns/{rma.number}/label.pdf")
    assert label.status_code == 200
    # Somebody else's browser has no access without the contact.
    stranger = Client()
    assert stranger.get(f"/returns/{rma.number}/").status_code == 302
    assert stranger.get(f"/returns/{rma.number}/label.pdf").status_code == 404
    assert (
        stranger.post("/returns/track/", {"number": rma.number, "contact": "x@y.z"}).status_code
        == 404
    )
    tracked = stranger.post("/returns/track/", {"number": rma.number, "contact": "612345678"})
    assert tracked.status_code == 302
    # The warehouse books it, inspects, the supervisor replaces: the customer sees the serial.
    number = rma.number
    people["warehouse"].post(f"/api/v1/rmas/{number}/receive", {})
    line_id = rma.lines.get().pk
    people["warehouse"].post(
        f"/api/v1/rmas/{number}/inspect", {"lines": [{"line_id": line_id, "result": "confirmed"}]}
    )
    people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "replace", "serial_number": "SN-ES-2"},
    )
    page = stranger.get(f"/returns/{number}/").content.decode()
    assert "SN-ES-2" in page


def test_portal_lookups_are_rate_limited(world):
    client = Client()
    for _ in range(10):
        client.post("/returns/track/", {"number": "RMA-000001", "contact": "nobody@x.org"})
    response = client.post("/returns/track/", {"number": "RMA-000001", "contact": "a@b.c"})
    assert response.status_code == 429


def test_the_verdict_panel_stays_after_an_htmx_action_on_the_case(login, repair_case):
    """Case actions swap the whole main region back in: the verdict panel must come with it."""
    added = login("agent").post(
        f"/cases/{repair_case.number}/entries/",
        {"kind": "note", "body": "Customer called back"},
        headers=HX,
    )
    assert added.status_code == 200
    html = added.content.decode()
    assert "Customer called back" in html
    assert 'id="remedy-panel"' in html and "EU-CONFORMITY" in html


def test_a_replacement_unit_page_reaches_the_original_history(login, people, repair_case):
    from aftersales.returns.tests.test_rma_api import _create, _to_inspected

    number = _create(people["agent"])["number"]
    line_id = _to_inspected(people, number)
    resolved = people["supervisor"].post(
        f"/api/v1/rmas/{number}/resolve",
        {"line_id": line_id, "disposition": "replace", "serial_number": "SN-ES-NEW"},
    )
    assert resolved.status_code == 200, resolved.content
    agent = login("agent")
    new_page = agent.get("/units/SN-ES-NEW/").content.decode()
    assert "History of SN-ES-1, which this unit replaces" in new_page
    # The original's case is listed under its history, and the original links forward.
    assert repair_case.number in new_page
    old_page = agent.get("/units/SN-ES-1/").content.decode()
    assert "Replaced by" in old_page and "/units/SN-ES-NEW/" in old_page
