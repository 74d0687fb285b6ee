from __future__ import annotations

from datetime import timedelta

from aftersales.core import clock
from aftersales.notifications.selectors import messages_for_case, outbox_backlog, outbox_list
from aftersales.notifications.services import notification_enqueue


def test_reads(db):
    first = notification_enqueue(
        event="case.opened",
        channel="email",
        recipient="a@example.com",
        language="en",
        context={},
        case_id=7,
    )
    second = notification_enqueue(
        event="case.message",
        channel="email",
        recipient="a@example.com",
        language="en",
        context={},
        case_id=7,
    )
    notification_enqueue(
        event="case.opened",
        channel="email",
        recipient="b@example.com",
        language="en",
        context={},
        case_id=8,
    )
    assert list(messages_for_case(7)) == [second, first]
    assert outbox_list(status="pending").count() == 3
    assert outbox_list(status="sent").count() == 0
    assert outbox_backlog(clock.now() + timedelta(seconds=1)) == {"due": 3, "failed": 0}
