"""How a message leaves: one object per channel with `send(message)`, which returns when the
message was handed over and raises when it was not. `ChannelError` and anything unexpected are
retried with backoff; `PermanentError` marks the message failed at once."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from aftersales.notifications.rules import is_permanent_http_status

if TYPE_CHECKING:
    from aftersales.notifications.models import OutboxMessage

WEBHOOK_TIMEOUT = 10  # seconds: a slow receiver must not hold a worker for long
DEFAULT_SMS_BACKEND = "aftersales.notifications.channels.WebhookSmsBackend"


class ChannelError(Exception):
    """The message was not handed over; trying again later may work."""


class PermanentError(ChannelError):
    """The message was refused in a way that asking again will not change."""


class Channel(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


def _mail_domain() -> str:
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "") or ""
    return sender.rpartition("@")[2].strip("> ") or "aftersales.invalid"


class EmailChannel:
    """Through Django's mail backend (settings.EMAIL_BACKEND: SMTP in production)."""

    def send(self, message: OutboxMessage) -> None:
        # Django's SMTP backend waits forever by default; a worker must not.
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.recipient],
            connection=connection,
            headers={
                # The same Message-ID on every attempt: a message sent again after a worker died
                # between handing it over and recording it is recognised as a duplicate.
                "Message-ID": f"<outbox.{message.pk}.{int(message.created_at.timestamp())}"
                f"@{_mail_domain()}>",
                "Content-Language": message.language,
                "Auto-Submitted": "auto-generated",
                "X-Aftersales-Event": message.event,
            },
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentError(
                    _("The mail server refused the address: %(detail)s")
                    % {"detail": exc.recipients}
                ) from exc
            raise


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer other than 2xx: it fails the attempt instead of turning the POST
    # into a GET somewhere else.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    timeout: float = WEBHOOK_TIMEOUT,
) -> int:
    """POSTs JSON; returns the 2xx status or raises ChannelError / PermanentError."""
    if urlparse(url).scheme not in ("http", "https"):
        raise PermanentError(_("%(url)s is not an http(s) URL.") % {"url": url})
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, cls=DjangoJSONEncoder).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "aftersales-notifications",
            **(headers or {}),
        },
    )
    # Built per call so proxy variables are read when the message is sent, not at import.
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChannelError(
            _("%(url)s could not be reached: %(reason)s") % {"url": url, "reason": reason}
        ) from exc
    if 200 <= status < 300:
        return status
    error = PermanentError if is_permanent_http_status(status) else ChannelError
    raise error(_("%(url)s answered HTTP %(status)s.") % {"url": url, "status": status})


def _idempotency_headers(message: OutboxMessage) -> dict[str, str]:
    # The receiver can drop a second delivery of the same message (at-least-once sending).
    return {"Idempotency-Key": f"outbox-{message.pk}"}


class WebhookChannel:
    """POSTs the message as JSON to the recipient URL."""

    def send(self, message: OutboxMessage) -> None:
        post_json(
            message.recipient,
            {
                "id": message.pk,
                "event": message.event,
                "language": message.language,
                "subject": message.subject,
                "body": message.body,
                "context": message.context,
                "case_id": message.case_id,
                "created_at": message.created_at,
            },
            headers=_idempotency_headers(message),
        )


class WebhookSmsBackend:
    """The default SMS backend: hands the text to a gateway's webhook
    (settings.SMS_WEBHOOK_URL) as {"to", "text", "id", "event"}."""

    def send(self, message: OutboxMessage) -> None:
        url = getattr(settings, "SMS_WEBHOOK_URL", "") or ""
        if not url:
            raise ChannelError(
                _(
                    "SMS is not configured: set AFTERSALES_SMS_WEBHOOK_URL, or name a backend "
                    "in AFTERSALES_SMS_BACKEND."
                )
            )
        post_json(
            url,
            {
                "to": message.recipient,
                "text": message.body,
                "id": message.pk,
                "event": message.event,
            },
            headers=_idempotency_headers(message),
        )


class SmsChannel:
    """Sends through the class named by settings.SMS_BACKEND (a dotted path to a class with
    `send(message)`), so an installation plugs in its provider without touching this app."""

    def send(self, message: OutboxMessage) -> None:
        path = getattr(settings, "SMS_BACKEND", "") or DEFAULT_SMS_BACKEND
        try:
            backend = import_string(path)
        except ImportError as exc:
            # A configuration mistake an operator can fix: retried, not dropped.
            raise ChannelError(
                _("The SMS backend %(path)s cannot be imported: %(error)s")
                % {"path": path, "error": exc}
            ) from exc
        backend().send(message)


CHANNELS: dict[str, Channel] = {
    "email": EmailChannel(),
    "sms": SmsChannel(),
    "webhook": WebhookChannel(),
}


def channel_for(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise PermanentError(_("There is no %(name)s channel.") % {"name": name}) from None
