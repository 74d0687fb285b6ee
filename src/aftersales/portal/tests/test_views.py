"""The public tracking page: no login, the customer-visible timeline only, the same answer for
an unknown number and a wrong contact, a limit on failed attempts, English and Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import formats, timezone

from aftersales.cases import services as case_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(make_case, ui_users):
    case = make_case()
    agent = ui_users["agent"]
    case_services.case_add_entry(
        number=case.number, actor=agent, kind="note", body="Internal remark"
    )
    case_services.case_add_entry(
        number=case.number, actor=agent, kind="message", body="Technician comes Monday"
    )
    case_services.case_change_status(
        number=case.number, actor=agent, status="in_progress", reason="internal reason"
    )
    return case


def track(client, number, contact, **extra):
    return client.post("/track/", {"number": number, "contact": contact}, **extra)


def test_form_needs_no_login():
    response = Client().get("/track/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="number"' in body and 'name="contact"' in body
    assert 'for="id_number"' in body and 'for="id_contact"' in body
    assert Client().get("/track/", {"number": "SC-000042"}).content.decode().count("SC-000042") >= 1


def test_tracking_by_email_shows_status_product_and_customer_visible_entries(tracked, clean_cache):
    response = track(Client(), tracked.number, "JAN@example.com")
    assert response.status_code == 200
    body = response.content.decode()
    assert "We are working on it" in body
    assert "Washing machine UI-WM" in body
    assert "Technician comes Monday" in body
    assert "Internal remark" not in body and "internal reason" not in body
    assert "Jan Berg" not in body
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">', body)


def test_tracking_by_phone(tracked, clean_cache):
    for contact in ("+49 170 555 0001", "+491705550001"):
        assert track(Client(), tracked.number, contact).status_code == 200, contact


def test_wrong_contact_and_unknown_number_answer_alike(tracked, clean_cache):
    wrong = track(Client(), tracked.number, "someone@else.com")
    unknown = track(Client(), "SC-999999", "jan@example.com")
    assert wrong.status_code == unknown.status_code == 404
    message = "We could not find a case with that number and contact."
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert "Technician comes Monday" not in wrong.content.decode()


def test_failed_attempts_are_limited(tracked, clean_cache, settings):
    settings.TRACK_FAILURE_RATE = "3/m"
    client = Client()
    statuses = [track(client, tracked.number, f"x{i}@example.com").status_code for i in range(3)]
    assert statuses == [404, 404, 404]
    limited = track(client, tracked.number, "jan@example.com")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.content.decode()


def test_empty_form_is_refused_with_field_errors(clean_cache):
    response = Client().post("/track/", {"number": "", "contact": ""})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()


def test_contact_never_goes_in_the_url():
    body = Client().get("/track/").content.decode()
    assert 'method="post"' in body


def test_spanish_from_accept_language(tracked, clean_cache):
    form = Client().get("/track/", headers={"Accept-Language": "es"}).content.decode()
    assert 'lang="es"' in form and "Consulte su solicitud de servicio" in form
    result = track(Client(), tracked.number, "jan@example.com", headers={"Accept-Language": "es"})
    body = result.content.decode()
    assert "Estamos trabajando en ello" in body
    assert "Technician comes Monday" in body
    wrong = track(Client(), tracked.number, "x@example.com", headers={"Accept-Language": "es"})
    assert "No encontramos ninguna solicitud" in wrong.content.decode()


def test_language_switcher_on_the_page(clean_cache):
    client = Client()
    body = client.get("/track/").content.decode()
    assert 'action="/i18n/setlang/"' in body
    client.post("/i18n/setlang/", {"language": "es", "next": "/track/"})
    assert "Consulte su solicitud de servicio" in client.get("/track/").content.decode()


def test_no_inline_script_or_style():
    body = Client().get("/track/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert "style=" not in body


def test_tracking_shows_the_promised_date(make_case, clean_cache):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        case = make_case()
        response = track(Client(), case.number, "jan@example.com")
        promised = response.context["result"]["promised_by"]
        assert promised is not None
        body = response.content.decode()
        assert "We promise to resolve it by" in body
        assert formats.date_format(timezone.localtime(promised), "DATETIME_FORMAT") in body
        spanish = track(Client(), case.number, "jan@example.com", headers={"Accept-Language": "es"})
        assert "Nos comprometemos a resolverlo antes del" in spanish.content.decode()
