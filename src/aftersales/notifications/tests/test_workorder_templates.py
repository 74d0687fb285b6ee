"""The messages the work-order services send have their own wording in English and Spanish."""

from __future__ import annotations

import pytest

from aftersales.notifications.services import notification_render

CONTEXT = {
    "customer": "Lucía García",
    "case": "SC-000042",
    "work_order": "WO-000007",
    "serial": "SN-ES-1",
    "centre": "Madrid Service",
}
QUOTE = {**CONTEXT, "total": "109.51", "currency": "EUR", "link": "/quotes/s3cret/"}


@pytest.mark.parametrize(
    "event,context,words",
    [
        ("workorder.quote", QUOTE, {"en": "quote", "es": "presupuesto"}),
        ("workorder.ready_for_pickup", CONTEXT, {"en": "ready for pickup", "es": "recoger"}),
    ],
)
def test_workorder_events_render_in_both_languages(event, context, words):
    rendered = {
        language: notification_render(event=event, language=language, context=context)
        for language in ("en", "es")
    }
    for language, (subject, body, _stored) in rendered.items():
        assert "SC-000042" in subject and "SC-000042" in body
        assert "WO-000007" in body and "SN-ES-1" in body and "Lucía García" in body
        assert words[language] in (subject + body).lower()
        assert "\n" not in subject
        assert "{{" not in subject + body and "{%" not in subject + body
        assert body.endswith("Aftersales\n")
    assert rendered["en"][0] != rendered["es"][0]
    assert rendered["en"][1] != rendered["es"][1]


def test_the_quote_names_total_and_link():
    for language in ("en", "es"):
        subject, body, _stored = notification_render(
            event="workorder.quote", language=language, context=QUOTE
        )
        assert "109.51 EUR" in subject and "109.51 EUR" in body
        assert "/quotes/s3cret/" in body


def test_ready_for_pickup_names_the_centre():
    _subject, body, _stored = notification_render(
        event="workorder.ready_for_pickup", language="es", context=CONTEXT
    )
    assert "en Madrid Service" in body


@pytest.mark.parametrize("event", ["workorder.quote", "workorder.ready_for_pickup"])
def test_missing_values_do_not_leave_gaps(event):
    for language in ("en", "es"):
        subject, body, _stored = notification_render(event=event, language=language, context={})
        assert subject and body.strip() and "None" not in body
