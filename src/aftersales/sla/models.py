"""Service levels: calendars and policies (configuration, editable), clocks (one per case and
target, carrying a frozen snapshot of the policy), and compensation lines for billing."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.sla.engine import CASE_OPENED, DEFAULT_PAUSE_STATUSES, ClockState


def default_pause_statuses() -> list[str]:
    return list(DEFAULT_PAUSE_STATUSES)


class BusinessCalendar(models.Model):
    """Working hours in a time zone, with holidays: what business time counts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64)
    hours = models.JSONField(
        _("working hours"),
        default=dict,
        blank=True,
        help_text=_(
            'Local hours per weekday, e.g. {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}; '
            "a day left out is closed."
        ),
    )
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    always_open = models.BooleanField(_("open 24x7"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.code

    def spec(self) -> dict:
        return {
            "time_zone": self.time_zone,
            "hours": self.hours,
            "holidays": self.holidays,
            "always_open": self.always_open,
        }


class Policy(models.Model):
    """Which targets a case gets. The first active policy whose criteria all match, in order of
    precedence, wins; the default policy catches the rest. An empty criterion matches anything."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    precedence = models.IntegerField(_("precedence"), default=100)
    is_default = models.BooleanField(_("default policy"), default=False)
    active = models.BooleanField(_("active"), default=True)
    case_types = models.JSONField(_("case types"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    partners = models.JSONField(_("partner codes"), default=list, blank=True)
    pause_statuses = models.JSONField(
        _("statuses that pause the clocks"), default=default_pause_statuses, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["precedence", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="%(app_label)s_%(class)s_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TimeBasis(models.TextChoices):
    BUSINESS = "business", _("business time (the calendar's hours)")
    CALENDAR = "calendar", _("calendar time (every hour counts)")


class Target(models.Model):
    """One promise of a policy: `first_response`, `resolution` or a named custom target."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    name = models.SlugField(_("target"), max_length=40)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    time_basis = models.CharField(
        _("counts in"), max_length=10, choices=TimeBasis.choices, default=TimeBasis.CALENDAR
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
    )
    warn_fraction = models.DecimalField(
        _("warn at (fraction)"), max_digits=4, decimal_places=3, default=Decimal("0.800")
    )
    start_event = models.CharField(_("starts on"), max_length=40, default=CASE_OPENED)
    stop_event = models.CharField(_("stops on"), max_length=40)
    escalation_levels = models.JSONField(_("escalation levels"), default=list, blank=True)
    compensation = models.JSONField(_("compensation"), null=True, blank=True)

    class Meta:
        ordering = ["policy", "id"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "name"], name="%(app_label)s_%(class)s_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__gt=0),
                name="%(app_label)s_%(class)s_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(warn_fraction__gt=0, warn_fraction__lte=1),
                name="%(app_label)s_%(class)s_warn_fraction_range",
            ),
            models.CheckConstraint(
                condition=~Q(time_basis=TimeBasis.BUSINESS) | Q(calendar__isnull=False),
                name="%(app_label)s_%(class)s_business_needs_calendar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name}: {self.name}"


class Snapshot(models.Model):
    """A target as it was when a clock took it: immutable, content-addressed (many clocks share
    one row), so editing a policy never changes a clock already counting."""

    digest = models.CharField(max_length=64, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SLA policy snapshot")

    def __str__(self) -> str:
        return self.digest[:12]


class Clock(models.Model):
    """One target counting on one case."""

    # No index of their own: (case, target) is unique, which indexes case lookups, and nobody
    # looks clocks up by snapshot. Every index is one more write per escalation claimed.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_clocks", db_index=False
    )
    target = models.CharField(_("target"), max_length=40)
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(
        _("state"), max_length=10, choices=[(s.value, s.value) for s in ClockState]
    )
    started_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    pauses = models.JSONField(default=list, blank=True)
    paused_seconds = models.BigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    levels_fired = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "target"], name="%(app_label)s_%(class)s_one_per_target"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in ClockState]),
                name="%(app_label)s_%(class)s_state_valid",
            ),
        ]
        indexes = [
            # The sweep: WHERE next_escalation_at <= now ORDER BY next_escalation_at.
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="sla_clock_next_escalation",
            ),
            # At-risk: running clocks, soonest due first. A plain index, not a partial one:
            # SQLite cannot use a partial index when the state arrives as a bound parameter.
            models.Index(fields=["state", "due_at", "id"], name="sla_clock_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.target} {self.state}"


class CompensationLine(models.Model):
    """Money owed to the customer for a missed target, for billing to settle."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="compensation_lines"
    )
    clock = models.ForeignKey(Clock, on_delete=models.PROTECT, related_name="compensation_lines")
    target = models.CharField(_("target"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.TextField(_("reason"))
    overdue_seconds = models.BigIntegerField(_("late by (seconds)"))
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("compensation line")
        verbose_name_plural = _("compensation lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_positive"
            )
        ]
        indexes = [models.Index(fields=["case", "id"], name="sla_compensation_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount} {self.currency}"
