from __future__ import annotations

from django.core import mail
from django.urls import reverse

from aftersales.core import clock
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rules import MAX_ATTEMPTS, Status


def _failed() -> OutboxMessage:
    return OutboxMessage.objects.create(
        event="case.opened",
        channel="email",
        recipient="lucia@example.com",
        language="es",
        subject="Hemos recibido su solicitud SC-000001",
        body="Hola\n",
        status=Status.FAILED,
        attempts=MAX_ATTEMPTS,
        last_error="SMTPServerDisconnected: gone",
        created_at=clock.now(),
    )


def test_list_filtered_by_status_and_read_only(admin_client):
    message = _failed()
    url = reverse("admin:notifications_outboxmessage_changelist")
    response = admin_client.get(url, {"status__exact": "failed"})
    assert response.status_code == 200
    assert "lucia@example.com" in response.content.decode()
    assert (
        admin_client.get(url, {"status__exact": "sent"}).content.decode().count("lucia@example.com")
        == 0
    )
    detail = admin_client.get(
        reverse("admin:notifications_outboxmessage_change", args=[message.pk])
    )
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403


def test_retry_now_action(admin_client, django_capture_on_commit_callbacks):
    message = _failed()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_outboxmessage_changelist"),
            {"action": "retry_now", "_selected_action": [message.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 message will be sent again." in response.content.decode()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1
