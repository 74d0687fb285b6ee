from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.rules import OPEN_STATUSES, Status


def messages_for_case(case_id: int) -> QuerySet[OutboxMessage]:
    """What was (or will be) sent about a case, newest first."""
    return OutboxMessage.objects.filter(case_id=case_id).order_by("-id")


def outbox_list(*, status: str | None = None) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.order_by("-id")
    return messages.filter(status=status) if status else messages


def outbox_backlog(now: datetime) -> dict[str, int]:
    """For health checks: messages due and not sent yet, and messages given up on."""
    return {
        "due": OutboxMessage.objects.filter(
            status__in=OPEN_STATUSES, next_attempt_at__lte=now
        ).count(),
        "failed": OutboxMessage.objects.filter(status=Status.FAILED).count(),
    }
