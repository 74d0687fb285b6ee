"""The outbox: written with the event, sent after commit, retried, swept, claimed once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection, transaction

from aftersales.core import clock
from aftersales.core.errors import Invalid
from aftersales.notifications import services
from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rules import BACKOFF, MAX_ATTEMPTS, Status
from aftersales.notifications.services import (
    notification_enqueue,
    notify_customer,
    notify_user,
    outbox_claim,
    outbox_retry,
    outbox_send,
    outbox_sweep,
)
from aftersales.notifications.tasks import send_outbox_message, sweep_outbox
from aftersales.notifications.tests.conftest import CASE_CONTEXT, SLA_CONTEXT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Boom(Exception):
    pass


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def _pending_row(**fields) -> OutboxMessage:
    """A committed-looking pending row, written without asking the worker (the worker's side is
    what these tests drive by hand)."""
    now = clock.now()
    values = {
        "event": "case.opened",
        "channel": "email",
        "recipient": "lucia@example.com",
        "language": "en",
        "subject": "Hello",
        "body": "Body\n",
        "status": Status.PENDING,
        "next_attempt_at": now,
        "created_at": now,
    }
    return OutboxMessage.objects.create(**{**values, **fields})


# Enqueue and commit ------------------------------------------------------------------------


def test_rolled_back_transaction_leaves_no_row_and_sends_nothing(
    db, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        notify_customer(
            event="case.opened",
            email="lucia@example.com",
            language="es",
            context=CASE_CONTEXT,
            case_id=42,
        )
        raise Boom
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_enqueue_then_commit_sends(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = notify_customer(
            event="case.opened",
            email="lucia@example.com",
            language="es",
            context=CASE_CONTEXT,
            case_id=42,
        )
        # Written, not sent: the send waits for the commit.
        assert message.status == Status.PENDING
        assert mail.outbox == []
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None and message.next_attempt_at is None
    assert message.claimed_by == "" and message.claimed_until is None
    [sent] = mail.outbox
    assert sent.to == ["lucia@example.com"]
    assert sent.subject == "Hemos recibido su solicitud SC-000042"
    assert "Puede seguirla aquí: https://service.example/track/SC-000042" in sent.body
    assert sent.extra_headers["Content-Language"] == "es"
    assert sent.extra_headers["Message-ID"].startswith(f"<outbox.{message.pk}.")


@pytest.mark.django_db(transaction=True)
def test_real_transactions_rollback_and_commit():
    """The same two paths with real COMMIT and ROLLBACK, and Huey (immediate mode) on commit."""
    with pytest.raises(Boom), transaction.atomic():
        notify_user(
            event="sla.warning", email="agent@example.com", language="en", context=SLA_CONTEXT
        )
        raise Boom
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []

    with transaction.atomic():
        message = notify_user(
            event="sla.warning",
            email="agent@example.com",
            language="en",
            context=SLA_CONTEXT,
            case_id=42,
        )
        assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == Status.SENT
    [sent] = mail.outbox
    assert sent.subject.startswith("[SC-000042] SLA warning: first response due ")


def test_rendered_when_written_and_stored(db):
    message = notification_enqueue(
        event="sla.breached",
        channel="email",
        recipient=" boss@example.com ",
        language="es-ES",
        context={**SLA_CONTEXT, "when": T0},
        case_id=42,
    )
    assert message.recipient == "boss@example.com"
    assert message.language == "es"
    assert message.subject.startswith("[SC-000042] SLA incumplido: first response vencía el 2 de")
    assert "Drum makes noise & leaks" in message.body  # plain text: not HTML-escaped
    assert message.context["when"] == "2026-03-02T09:00:00Z"  # stored as JSON
    assert message.case_id == 42


def test_unknown_language_is_english_and_unknown_event_generic(db):
    message = notification_enqueue(
        event="claims.approved",
        channel="email",
        recipient="p@example.com",
        language="fr",
        context={"case_number": "SC-000007", "summary": "Claim 7"},
    )
    assert message.language == "en"
    assert message.subject == "Aftersales: notification about case SC-000007"
    assert "Summary: Claim 7" in message.body and "(claims.approved)" in message.body


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("event", {"event": "../../secret"}),
        ("channel", {"channel": "pigeon"}),
        ("recipient", {"recipient": "   "}),
        ("recipient", {"recipient": "not-an-address"}),
        ("recipient", {"channel": "webhook", "recipient": "file:///etc/passwd"}),
        ("context", {"context": {"x": object()}}),
    ],
)
def test_bad_input_is_refused_without_writing(db, field, kwargs):
    args = {
        "event": "case.opened",
        "channel": "email",
        "recipient": "a@example.com",
        "language": "en",
        "context": {},
        **kwargs,
    }
    with transaction.atomic():
        with pytest.raises(Invalid) as refused:
            notification_enqueue(**args)
        # The caller's transaction is still usable after catching it.
        assert not OutboxMessage.objects.exists()
    assert refused.value.field == field


def test_no_address_no_message(db):
    assert notify_user(event="sla.warning", email="", language="en", context={}) is None
    assert notify_customer(event="case.opened", email="  ", language="es", context={}) is None
    assert not OutboxMessage.objects.exists()


# Sending, retries, failure -----------------------------------------------------------------


def test_send_is_a_no_op_when_not_due_or_missing(db, frozen):
    later = _pending_row(next_attempt_at=T0 + timedelta(minutes=1))
    assert outbox_send(message_id=later.pk) is None
    assert outbox_send(message_id=999_999) is None
    later.refresh_from_db()
    assert later.status == Status.PENDING and later.attempts == 0


def test_unreachable_smtp_retries_with_backoff_then_fails(
    db, frozen, smtp_unreachable, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = notify_customer(
            event="case.opened", email="lucia@example.com", language="es", context=CASE_CONTEXT
        )
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == T0 + BACKOFF[0]
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    assert message.claimed_by == "" and message.claimed_until is None

    for attempt, wait in enumerate(BACKOFF, start=1):
        # One second early: not due, the sweep leaves it alone.
        frozen.shift(wait - timedelta(seconds=1))
        assert outbox_sweep() == 0
        frozen.shift(timedelta(seconds=1))
        assert outbox_sweep() == 1
        message.refresh_from_db()
        assert message.attempts == attempt + 1
        if attempt + 1 < MAX_ATTEMPTS:
            assert message.status == Status.PENDING
            assert message.next_attempt_at == clock.now() + BACKOFF[attempt]
    assert message.status == Status.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.next_attempt_at is None and message.sent_at is None
    assert message.last_error
    frozen.shift(timedelta(days=7))
    assert outbox_sweep() == 0  # given up for good


def test_retry_sends_once_the_cause_is_fixed(db, frozen, settings, smtp_unreachable):
    message = _pending_row()
    outbox_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.PENDING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    frozen.shift(BACKOFF[0])
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert message.last_error  # the earlier failure stays on record
    assert len(mail.outbox) == 1


def test_a_channel_bug_is_recorded_not_raised(db, frozen, monkeypatch):
    def broken(message):
        raise RuntimeError("template of the gateway changed")

    monkeypatch.setattr(services.channel_for("email"), "send", broken)
    message = _pending_row()
    recorded = outbox_send(message_id=message.pk)
    assert recorded.status == Status.PENDING
    assert recorded.last_error == "RuntimeError: template of the gateway changed"


# Leases and claims -------------------------------------------------------------------------


def test_a_dead_workers_message_is_picked_up_when_its_lease_runs_out(db, frozen, settings):
    message = _pending_row()
    # A worker takes the message and dies before sending it.
    assert outbox_claim(message_id=message.pk, worker="dead-worker")
    message.refresh_from_db()
    assert message.status == Status.SENDING
    assert message.claimed_until == T0 + timedelta(seconds=services.DEFAULT_LEASE_SECONDS)

    frozen.shift(timedelta(minutes=4))
    assert outbox_sweep() == 0  # still leased: maybe the worker is only slow
    assert mail.outbox == []

    frozen.shift(timedelta(minutes=1))
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2  # the lost attempt counts
    assert len(mail.outbox) == 1


def test_a_late_worker_cannot_overwrite_the_one_that_took_over(db, frozen):
    message = _pending_row()
    assert outbox_claim(message_id=message.pk, worker="slow")
    frozen.shift(timedelta(minutes=6))
    assert outbox_send(message_id=message.pk).status == Status.SENT
    # The slow worker comes back and tries to record a failure.
    assert not services._finish(message.pk, "slow", status=Status.PENDING)
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_two_claims_of_one_row_exactly_one_wins(db, frozen):
    message = _pending_row()
    assert outbox_claim(message_id=message.pk, worker="a") is True
    assert outbox_claim(message_id=message.pk, worker="b") is False
    message.refresh_from_db()
    assert message.claimed_by == "a" and message.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_in_threads_exactly_one_wins():
    """Real concurrency: two threads, two database connections, released together."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers in-process; the sequential test covers it")
    for _round in range(10):
        message = _pending_row()
        barrier = threading.Barrier(2)
        results: list[bool] = []

        def worker(name: str, message_id: int = message.pk, barrier=barrier, results=results):
            try:
                barrier.wait(timeout=10)
                results.append(outbox_claim(message_id=message_id, worker=name))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results) == [False, True]
        message.refresh_from_db()
        assert message.attempts == 1


# The sweep ---------------------------------------------------------------------------------


def test_sweep_with_nothing_due_is_one_query(db, frozen, django_assert_num_queries):
    _pending_row(next_attempt_at=T0 + timedelta(minutes=5))
    _pending_row(status=Status.SENT, next_attempt_at=None, sent_at=T0)
    _pending_row(status=Status.FAILED, next_attempt_at=None, attempts=MAX_ATTEMPTS)
    leased = _pending_row()
    assert outbox_claim(message_id=leased.pk, worker="alive")
    with django_assert_num_queries(1):
        assert outbox_sweep() == 0


def test_sweep_query_uses_the_due_index(db, frozen):
    due = (
        services.OutboxMessage.objects.filter(services._due(clock.now()))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:200]
    )
    if connection.vendor == "postgresql":
        # An empty table is cheaper to scan; ask the planner what it would do at scale.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = due.explain()
    else:
        plan = due.explain()
    assert "notifications_outbox_due" in plan


def test_sweep_sends_what_is_due_oldest_first_within_the_batch(db, frozen):
    rows = [
        _pending_row(recipient=f"c{i}@example.com", next_attempt_at=T0 - timedelta(minutes=i))
        for i in range(3)
    ]
    _pending_row(recipient="later@example.com", next_attempt_at=T0 + timedelta(hours=1))
    assert outbox_sweep(limit=2) == 2
    assert [m.to for m in mail.outbox] == [["c2@example.com"], ["c1@example.com"]]
    assert outbox_sweep() == 1
    assert {r.pk for r in rows} == set(
        OutboxMessage.objects.filter(status=Status.SENT).values_list("pk", flat=True)
    )


def test_tasks_call_the_services(db, frozen):
    message = _pending_row()
    send_outbox_message.call_local(message.pk)
    message.refresh_from_db()
    assert message.status == Status.SENT
    other = _pending_row()
    sweep_outbox.call_local()
    other.refresh_from_db()
    assert other.status == Status.SENT


# Manual retry ------------------------------------------------------------------------------


def test_retry_makes_failed_messages_due_with_fresh_attempts(
    db, frozen, django_capture_on_commit_callbacks
):
    failed = _pending_row(
        status=Status.FAILED,
        next_attempt_at=None,
        attempts=MAX_ATTEMPTS,
        last_error="SMTPServerDisconnected",
    )
    sent = _pending_row(status=Status.SENT, next_attempt_at=None, sent_at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[failed.pk, sent.pk]) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 1
    assert sent.attempts == 0 and len(mail.outbox) == 1
