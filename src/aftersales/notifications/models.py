from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.notifications.rules import Channel, Status

STATUS_CHOICES = [
    (Status.PENDING.value, _("pending")),
    (Status.SENDING.value, _("sending")),
    (Status.SENT.value, _("sent")),
    (Status.FAILED.value, _("failed")),
]
CHANNEL_CHOICES = [
    (Channel.EMAIL.value, _("e-mail")),
    (Channel.SMS.value, _("SMS")),
    (Channel.WEBHOOK.value, _("webhook")),
]
OPEN = [Status.PENDING.value, Status.SENDING.value]


class OutboxMessage(models.Model):
    """One message to send: written in the transaction of the event that caused it, sent after
    commit by the worker, retried with backoff until `sent` or `failed`.

    Subject and body are rendered when the row is written: what is queued is what goes out,
    whatever happens to the templates in between."""

    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNEL_CHOICES)
    recipient = models.CharField(
        _("recipient"), max_length=500, help_text=_("E-mail address, phone number or URL.")
    )
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # A plain id, not a foreign key: any app may notify (cases today, work orders and claims
    # tomorrow) and an outbox row must never block deleting or anonymising a case.
    case_id = models.PositiveBigIntegerField(_("case id"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=STATUS_CHOICES, default=Status.PENDING.value
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the sweep should look at the row next: the retry time of a pending row, the end of
    # the lease of a sending one; empty once sent or failed.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The sweep: status IN (pending, sending) AND next_attempt_at <= now. A plain
            # composite index, not a partial one: SQLite cannot use a partial index when the
            # statuses arrive as bound parameters.
            models.Index(fields=["status", "next_attempt_at"], name="notifications_outbox_due"),
            models.Index(fields=["case_id", "id"], name="notifications_outbox_case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _label in STATUS_CHOICES]),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[value for value, _label in CHANNEL_CHOICES]),
                name="%(app_label)s_%(class)s_channel_valid",
            ),
            models.CheckConstraint(
                condition=~Q(recipient=""), name="%(app_label)s_%(class)s_recipient_present"
            ),
            # A row the sweep must find always says when.
            models.CheckConstraint(
                condition=~Q(status__in=OPEN) | Q(next_attempt_at__isnull=False),
                name="%(app_label)s_%(class)s_open_has_next_attempt",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.SENDING.value)
                | (Q(claimed_until__isnull=False) & ~Q(claimed_by="")),
                name="%(app_label)s_%(class)s_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.SENT.value, sent_at__isnull=False)
                | (~Q(status=Status.SENT.value) & Q(sent_at__isnull=True)),
                name="%(app_label)s_%(class)s_sent_iff_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.status})"
