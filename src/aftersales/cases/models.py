from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.cases.rules import CaseType, Channel, EntryKind, Priority, Status, case_number


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]


class Case(models.Model):
    """The customer service file: one per customer problem or request."""

    type = models.CharField(_("type"), max_length=30, choices=_choices(CaseType))
    channel = models.CharField(_("channel"), max_length=20, choices=_choices(Channel))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        db_index=False,
        related_name="cases",
    )
    unit = models.ForeignKey(
        "customers.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="cases",
    )
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=_choices(Priority), default=Priority.NORMAL
    )
    category = models.CharField(_("service category"), max_length=1)
    category_reason = models.TextField(_("why this category"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=_choices(Status))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="owned_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_cases",
    )
    partner = models.ForeignKey(
        "network.Partner",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("The partner organisation that brought the case in, if any."),
    )
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # Each foreign key above is served by the index that starts with it; a second index
        # on the key alone would only be more work on every case opened.
        indexes = [
            models.Index(fields=["unit", "type", "status"], name="cases_case_unit_type_status"),
            models.Index(fields=["status", "id"], name="cases_case_status_id"),
            models.Index(fields=["owner", "status"], name="cases_case_owner_status"),
            models.Index(fields=["customer", "id"], name="cases_case_customer_id"),
            models.Index(fields=["partner", "id"], name="cases_case_partner_id"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"

    @property
    def number(self) -> str:
        return case_number(self.pk)


class TimelineEntry(models.Model):
    """One thing that happened on a case. Written once, never edited, never deleted."""

    # Indexed by (case, at, id) below, which also serves lookups by case alone.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=_choices(EntryKind))
    body = models.TextField(_("text"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(_("at"))
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="cases_entry_case_at")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id} at {self.at:%Y-%m-%d %H:%M}"
