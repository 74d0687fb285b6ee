from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.notifications.models import OutboxMessage
from aftersales.notifications.services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read only: messages are written by services and sent by the worker; the one thing a
    person does here is ask for a failed message to be tried again."""

    list_display = [
        "id",
        "event",
        "channel",
        "recipient",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "event", "language"]
    search_fields = ["recipient", "subject"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    actions = ["retry_now"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        # Viewing stays possible (view permission); editing a queued message is not.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Retrying changes the row, so it takes the change permission (superusers have it),
        # even though nobody edits the fields by hand.
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
