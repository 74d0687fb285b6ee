"""The outbox: every mail, SMS and webhook the system sends is a row written in the transaction
of the event that caused it, and sent after commit by the worker.

- `notification_enqueue` writes the row (subject and body rendered then) and, on commit, asks
  the worker to send it. A rolled-back transaction leaves neither a row nor a message.
- `outbox_send` claims the row with one conditional UPDATE (so two workers never both send it),
  sends it, and records `sent`, or a retry after the backoff of `rules.BACKOFF`, or `failed`.
- `outbox_sweep` (every minute) sends what is due, including rows whose worker died while
  sending: their lease runs out and they become due again. Delivery is at least once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.errors import Invalid
from aftersales.notifications import rules
from aftersales.notifications.channels import PermanentError, channel_for
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rules import Channel, Status

log = logging.getLogger(__name__)

SUBJECT_LIMIT = 255  # OutboxMessage.subject
DEFAULT_LEASE_SECONDS = 300  # longer than any send may take (SMTP 30 s, webhook 10 s)
DEFAULT_SWEEP_BATCH = 200


# Rendering ---------------------------------------------------------------------------------


@cache
def _engine_for(dirs: tuple[str, ...]) -> Engine:
    # An engine of its own: these are plain-text messages, and the site's engine would
    # HTML-escape "Smith & Sons" into "Smith &amp; Sons". Folders in NOTIFICATIONS_TEMPLATE_DIRS
    # come first, so an installation can reword a message without changing the package.
    return Engine(dirs=list(dirs), app_dirs=True, autoescape=False)


def _engine() -> Engine:
    dirs = getattr(settings, "NOTIFICATIONS_TEMPLATE_DIRS", ())
    return _engine_for(tuple(str(d) for d in dirs))


def _languages() -> list[str]:
    return [code for code, _name in getattr(settings, "LANGUAGES", [("en", "English")])]


def _default_language() -> str:
    return rules.pick_language(getattr(settings, "LANGUAGE_CODE", "en"), _languages(), "en")


def _display_instant(value: Any) -> Any:
    """An ISO instant (`due_at`) as the reader expects it: in the service centre's time zone and
    the language's date format. Anything that is not an instant is left as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return value
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname() or ''}".strip()


def _render_part(event: str, language: str, part: str, context: dict[str, Any]) -> str:
    engine = _engine()
    for name in rules.template_names(event, language, part, _default_language()):
        try:
            return engine.get_template(name).render(Context(context, autoescape=False))
        except TemplateDoesNotExist:
            continue
        except TemplateSyntaxError:
            # A broken override must not stop the event that caused the message.
            log.exception("notification template %s is broken; using the next one", name)
            continue
    return ""


def notification_render(
    *, event: str, language: str, context: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """Subject, body and the context as stored (JSON), in the given language. Missing templates
    fall back to English, then to the generic message; missing keys render empty."""
    with translation.override(language):
        # Lazy labels (gettext_lazy) become text in the recipient's language, here and in the
        # stored context alike.
        try:
            stored = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
        except (TypeError, ValueError):
            stored = None
    if not isinstance(stored, dict):
        # Outside the override: the error is for the caller, in the caller's language.
        raise Invalid("context", _("The context must be a mapping of JSON values."))
    with translation.override(language):
        values = {
            "brand_name": getattr(settings, "BRAND_NAME", "Aftersales"),
            # A missing value (null) reads as nothing, not as the word "None".
            **{key: "" if value is None else value for key, value in stored.items()},
            "event": event,
        }
        for key, value in stored.items():
            if key.endswith("_at") and value is not None:
                values[key] = _display_instant(value)
        subject = rules.one_line(_render_part(event, language, "subject", values), SUBJECT_LIMIT)
        body = _render_part(event, language, "body", values).strip() + "\n"
    return subject or event, body, stored


# Writing -----------------------------------------------------------------------------------


def _ask_worker(message_id: int) -> None:
    # Imported here: tasks import services, not the other way round at import time.
    from aftersales.notifications.tasks import send_outbox_message

    send_outbox_message(message_id)


def _after_commit_send(message_id: int) -> None:
    # robust: if the queue is unreachable the row is committed anyway and the sweep sends it;
    # the caller's request must not fail over a notification.
    transaction.on_commit(partial(_ask_worker, message_id), robust=True)


def _check_recipient(channel: str, recipient: str) -> None:
    if not recipient:
        raise Invalid("recipient", _("A message needs a recipient."))
    if channel == Channel.EMAIL and "@" not in recipient:
        raise Invalid("recipient", _("%(value)s is not an e-mail address.") % {"value": recipient})
    if channel == Channel.WEBHOOK and not recipient.startswith(("http://", "https://")):
        raise Invalid("recipient", _("A webhook needs an http(s) URL."))


def notification_enqueue(
    *,
    event: str,
    channel: str,
    recipient: str,
    language: str | None,
    context: dict[str, Any],
    case_id: int | None = None,
) -> OutboxMessage:
    """Writes one message to the outbox and has it sent after commit. Call it inside the
    transaction of the change it announces: if that rolls back, nothing is sent. (Called
    outside one, the insert commits at once and the send is asked for at once.)

    Bad input raises Invalid before anything is written, so a caller may catch it without
    breaking its own transaction."""
    if not rules.is_valid_event(event):
        raise Invalid("event", _("%(event)s is not an event name.") % {"event": event})
    if channel not in {c.value for c in Channel}:
        raise Invalid(
            "channel",
            _("channel must be one of: %(c)s.") % {"c": ", ".join(c.value for c in Channel)},
        )
    recipient = recipient.strip()
    _check_recipient(channel, recipient)
    language = rules.pick_language(language, _languages(), _default_language())
    subject, body, stored = notification_render(event=event, language=language, context=context)
    now = clock.now()
    message = OutboxMessage.objects.create(
        event=event,
        channel=channel,
        recipient=recipient,
        language=language,
        subject=subject,
        body=body,
        context=stored,
        case_id=case_id,
        status=Status.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    _after_commit_send(message.pk)
    return message


def notify_user(
    *,
    event: str,
    email: str,
    language: str | None,
    context: dict[str, Any],
    case_id: int | None = None,
) -> OutboxMessage | None:
    """E-mails a staff user (pass user.email, user.language). No address, no message."""
    if not (email or "").strip():
        return None
    return notification_enqueue(
        event=event,
        channel=Channel.EMAIL,
        recipient=email,
        language=language,
        context=context,
        case_id=case_id,
    )


def notify_customer(
    *,
    event: str,
    email: str,
    language: str | None,
    context: dict[str, Any],
    case_id: int | None = None,
) -> OutboxMessage | None:
    """E-mails a customer (pass customer.email, customer.language). No address, no message:
    a customer reached only by phone is told by the agent."""
    if not (email or "").strip():
        return None
    return notification_enqueue(
        event=event,
        channel=Channel.EMAIL,
        recipient=email,
        language=language,
        context=context,
        case_id=case_id,
    )


# Sending -----------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def _due(now: datetime) -> Q:
    # A sending row's next_attempt_at is the end of its lease, so "due" covers both a pending
    # row whose time has come and a sending row whose worker died: one condition, one index.
    return Q(status__in=rules.OPEN_STATUSES, next_attempt_at__lte=now)


def worker_name() -> str:
    # Unique per claim, so a worker finishing late cannot overwrite a row another worker has
    # re-claimed since its lease ran out.
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def outbox_claim(*, message_id: int, worker: str) -> bool:
    """Takes the message for `worker` if it is due: one conditional UPDATE, committed before
    anything is sent. False when it is not due or another worker got there first."""
    now = clock.now()
    lease_end = now + _lease()
    claimed = OutboxMessage.objects.filter(_due(now), pk=message_id).update(
        status=Status.SENDING,
        claimed_by=worker,
        claimed_until=lease_end,
        next_attempt_at=lease_end,
        # Counted when taken, not when it fails: a message that kills its worker every
        # time still runs out of attempts instead of looping forever.
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def _finish(message_id: int, worker: str, **fields: Any) -> bool:
    # Only the claim's owner records the outcome: a worker whose lease expired mid-send may not
    # overwrite what the worker that took over has recorded.
    mine = OutboxMessage.objects.filter(pk=message_id, status=Status.SENDING, claimed_by=worker)
    return mine.update(claimed_by="", claimed_until=None, **fields) == 1


def outbox_send(*, message_id: int) -> OutboxMessage | None:
    """Sends one message if it is due and nobody else is sending it; returns it as recorded
    afterwards, or None when it was not ours to send. Runs outside any transaction (in the
    worker): the claim must be visible to other workers before the slow part starts."""
    worker = worker_name()
    if not outbox_claim(message_id=message_id, worker=worker):
        return None
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        channel_for(message.channel).send(message)
    except Exception as exc:  # any failure of a channel is recorded, never lost in a log
        now = clock.now()
        wait = (
            None if isinstance(exc, PermanentError) else rules.next_attempt_after(message.attempts)
        )
        error = rules.error_text(exc)
        if wait is None:
            log.warning("outbox message %s failed for good: %s", message_id, error)
            _finish(
                message_id, worker, status=Status.FAILED, next_attempt_at=None, last_error=error
            )
        else:
            log.info("outbox message %s failed, retry in %s: %s", message_id, wait, error)
            _finish(
                message_id,
                worker,
                status=Status.PENDING,
                next_attempt_at=now + wait,
                last_error=error,
            )
    else:
        # last_error is kept: "sent on the 3rd attempt, after this error" is worth knowing.
        _finish(message_id, worker, status=Status.SENT, sent_at=clock.now(), next_attempt_at=None)
    message.refresh_from_db()
    return message


def outbox_sweep(*, limit: int | None = None) -> int:
    """Sends every message that is due (oldest first, at most `limit` per run) and returns how
    many it tried. With nothing due it costs one indexed query."""
    batch = limit or getattr(settings, "OUTBOX_SWEEP_BATCH", DEFAULT_SWEEP_BATCH)
    due = list(
        OutboxMessage.objects.filter(_due(clock.now()))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    for message_id in due:
        # Another sweep or a send task may take a row first; the claim makes that harmless.
        outbox_send(message_id=message_id)
    return len(due)


@transaction.atomic
def outbox_retry(*, message_ids: Iterable[int]) -> int:
    """Makes failed (or waiting) messages due now, with a fresh set of attempts: someone has
    fixed what made them fail. Messages being sent or already sent are left alone."""
    ids = list(
        OutboxMessage.objects.filter(
            pk__in=list(message_ids), status__in=[Status.FAILED, Status.PENDING]
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    updated = OutboxMessage.objects.filter(
        pk__in=ids, status__in=[Status.FAILED, Status.PENDING]
    ).update(status=Status.PENDING, attempts=0, next_attempt_at=clock.now())
    for message_id in ids:
        _after_commit_send(message_id)
    return updated
