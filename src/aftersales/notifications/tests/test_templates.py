"""Every shipped event has complete English and Spanish wording; nothing unknown crashes."""

from __future__ import annotations

import pytest

from aftersales.notifications.rules import Event
from aftersales.notifications.services import notification_render
from aftersales.notifications.tests.conftest import CASE_CONTEXT, SLA_CONTEXT

CONTEXT = {**SLA_CONTEXT, **CASE_CONTEXT}


@pytest.mark.parametrize("event", [e.value for e in Event])
def test_every_event_renders_in_english_and_spanish(event):
    english = notification_render(event=event, language="en", context=CONTEXT)
    spanish = notification_render(event=event, language="es", context=CONTEXT)
    for subject, body, _stored in (english, spanish):
        assert "SC-000042" in subject
        assert "SC-000042" in body
        assert "\n" not in subject
        assert "{{" not in subject + body and "{%" not in subject + body
        assert "&amp;" not in body  # plain text
        assert body.endswith("Aftersales\n")
    assert english[0] != spanish[0] and english[1] != spanish[1]
    # Not the generic wording: each event has its own.
    assert "notification" not in english[0] and "aviso sobre" not in spanish[0]


def test_instants_are_shown_in_the_readers_language_and_time_zone(settings):
    settings.TIME_ZONE = "Europe/Madrid"
    subject, body, stored = notification_render(
        event="sla.warning", language="es", context=SLA_CONTEXT
    )
    assert "vence el 2 de marzo de 2026 a las 14:00 CET" in subject
    assert stored["due_at"] == "2026-03-02T13:00:00+00:00"  # the stored value is untouched
    subject, _body, _stored = notification_render(
        event="sla.warning", language="en", context=SLA_CONTEXT
    )
    assert subject.endswith("due March 2, 2026, 2 p.m. CET")


def test_missing_context_never_crashes():
    for event in [*(e.value for e in Event), "anything.else"]:
        for language in ("en", "es"):
            subject, body, _stored = notification_render(event=event, language=language, context={})
            assert subject and body.strip()


def test_null_values_read_as_nothing():
    subject, body, stored = notification_render(
        event="sla.breached", language="en", context={**SLA_CONTEXT, "due_at": None}
    )
    assert "None" not in subject + body
    assert stored["due_at"] is None


def test_a_value_that_is_not_an_instant_is_shown_as_given():
    subject, _body, _stored = notification_render(
        event="sla.warning", language="en", context={**SLA_CONTEXT, "due_at": "tomorrow noon"}
    )
    assert subject.endswith("due tomorrow noon")


def test_lazy_labels_are_stored_as_text():
    from django.utils.functional import lazy

    label = lazy(lambda: "in progress", str)()
    _subject, body, stored = notification_render(
        event="case.status_changed", language="en", context={**CASE_CONTEXT, "status_label": label}
    )
    assert stored["status_label"] == "in progress"
    assert "is now: in progress." in body


def test_an_installation_can_reword_and_a_broken_override_falls_back(settings, tmp_path):
    folder = tmp_path / "notifications" / "case.opened"
    folder.mkdir(parents=True)
    (folder / "en.subject.txt").write_text("Thanks! {{ case_number }} is ours now\n")
    (folder / "en.body.txt").write_text("{% if %}broken\n")
    settings.NOTIFICATIONS_TEMPLATE_DIRS = [tmp_path]
    subject, body, _stored = notification_render(
        event="case.opened", language="en", context=CASE_CONTEXT
    )
    assert subject == "Thanks! SC-000042 is ours now"
    # The broken body is skipped for the next template in line (the generic one), not a crash.
    assert body.startswith("Case: SC-000042\nSummary: Drum makes noise & leaks")
