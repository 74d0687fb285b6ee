"""The channels against real servers: aiosmtpd for SMTP, http.server for webhooks."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest

from aftersales.notifications.channels import WEBHOOK_TIMEOUT, PermanentError, post_json
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rules import BACKOFF, Status
from aftersales.notifications.services import (
    notification_enqueue,
    notify_customer,
    outbox_send,
)
from aftersales.notifications.tests.conftest import CASE_CONTEXT, SLA_CONTEXT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def _status(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


# E-mail over real SMTP ---------------------------------------------------------------------


def test_smtp_server_receives_the_spanish_message(
    db, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = notify_customer(
            event="case.status_changed",
            email="lucia@example.com",
            language="es",
            context={**CASE_CONTEXT, "status_label": "Estamos trabajando en ello"},
            case_id=42,
        )
    assert _status(message).status == Status.SENT
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["lucia@example.com"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Su solicitud SC-000042: Estamos trabajando en ello"
    assert received["Content-Language"] == "es"
    assert received["Message-ID"].startswith(f"<outbox.{message.pk}.")
    body = received.get_content()
    assert "El estado de su solicitud SC-000042 (Drum makes noise & leaks)" in body
    assert "Consulte los detalles aquí: https://service.example/track/SC-000042" in body


def test_smtp_server_receives_english_for_an_english_reader(db, smtp_server):
    message = notification_enqueue(
        event="sla.warning",
        channel="email",
        recipient="agent@example.com",
        language="en",
        context=SLA_CONTEXT,
    )
    outbox_send(message_id=message.pk)
    [envelope] = smtp_server.envelopes
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"].startswith("[SC-000042] SLA warning: first response due March 2")
    assert "has used 80 % of the time allowed" in received.get_content()


def test_smtp_unreachable_schedules_a_retry_with_the_error(db, frozen, smtp_unreachable):
    message = notification_enqueue(
        event="case.opened",
        channel="email",
        recipient="lucia@example.com",
        language="es",
        context=CASE_CONTEXT,
    )
    outbox_send(message_id=message.pk)
    message = _status(message)
    assert message.status == Status.PENDING
    assert message.next_attempt_at == T0 + BACKOFF[0]
    assert message.last_error.startswith("ConnectionRefusedError")


# Webhook -----------------------------------------------------------------------------------


def _webhook_message(url: str) -> OutboxMessage:
    return notification_enqueue(
        event="sla.breached",
        channel="webhook",
        recipient=url,
        language="en",
        context=SLA_CONTEXT,
        case_id=42,
    )


def test_webhook_200_is_sent(db, webhook):
    message = _webhook_message(webhook.url)
    assert outbox_send(message_id=message.pk).status == Status.SENT
    [request] = webhook.requests
    assert request["path"] == "/hook"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Idempotency-Key"] == f"outbox-{message.pk}"
    payload = request["json"]
    assert payload["id"] == message.pk
    assert payload["event"] == "sla.breached"
    assert payload["case_id"] == 42
    assert payload["subject"] == message.subject
    assert payload["context"]["case_number"] == "SC-000042"


def test_webhook_500_is_retried(db, frozen, webhook):
    webhook.status = 500
    message = _webhook_message(webhook.url)
    message = outbox_send(message_id=message.pk)
    assert message.status == Status.PENDING
    assert message.next_attempt_at == T0 + BACKOFF[0]
    assert "answered HTTP 500" in message.last_error
    webhook.status = 204
    frozen.shift(BACKOFF[0])
    assert outbox_send(message_id=message.pk).status == Status.SENT
    assert len(webhook.requests) == 2


def test_webhook_404_fails_at_once(db, webhook):
    webhook.status = 404
    message = outbox_send(message_id=_webhook_message(webhook.url).pk)
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert message.next_attempt_at is None
    assert "answered HTTP 404" in message.last_error


def test_webhook_redirect_is_not_followed(db, webhook):
    webhook.status = 302
    message = outbox_send(message_id=_webhook_message(webhook.url).pk)
    assert message.status == Status.PENDING
    assert "answered HTTP 302" in message.last_error
    assert len(webhook.requests) == 1


def test_webhook_unreachable_is_retried(db):
    from aftersales.notifications.tests.conftest import free_port

    message = outbox_send(message_id=_webhook_message(f"http://127.0.0.1:{free_port()}/x").pk)
    assert message.status == Status.PENDING
    assert "could not be reached" in message.last_error


def test_post_json_refuses_other_schemes():
    with pytest.raises(PermanentError):
        post_json("file:///etc/passwd", {})
    assert WEBHOOK_TIMEOUT == 10


# SMS ---------------------------------------------------------------------------------------


def _sms() -> OutboxMessage:
    return notification_enqueue(
        event="case.message",
        channel="sms",
        recipient="+34612345678",
        language="es",
        context=CASE_CONTEXT,
    )


def test_sms_without_configuration_fails_with_a_clear_error(db, settings):
    settings.SMS_WEBHOOK_URL = ""
    message = outbox_send(message_id=_sms().pk)
    assert message.status == Status.PENDING
    assert "AFTERSALES_SMS_WEBHOOK_URL" in message.last_error


def test_sms_default_backend_posts_to_the_gateway_webhook(db, settings, webhook):
    settings.SMS_WEBHOOK_URL = webhook.url
    message = outbox_send(message_id=_sms().pk)
    assert message.status == Status.SENT
    [request] = webhook.requests
    assert request["json"]["to"] == "+34612345678"
    assert request["json"]["text"].startswith("Hay un nuevo mensaje sobre su solicitud SC-000042")
    assert request["headers"]["Idempotency-Key"] == f"outbox-{message.pk}"


class RecordingSms:
    sent: list[tuple[str, str]] = []

    def send(self, message: OutboxMessage) -> None:
        RecordingSms.sent.append((message.recipient, message.body))


def test_sms_backend_is_pluggable(db, settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingSms"
    RecordingSms.sent.clear()
    message = outbox_send(message_id=_sms().pk)
    assert message.status == Status.SENT
    assert RecordingSms.sent == [("+34612345678", message.body)]


def test_sms_backend_that_cannot_be_imported_is_retried(db, frozen, settings):
    settings.SMS_BACKEND = "nowhere.Backend"
    message = outbox_send(message_id=_sms().pk)
    assert message.status == Status.PENDING
    assert message.next_attempt_at == T0 + timedelta(minutes=1)
    assert "nowhere.Backend" in message.last_error
