"""Partner warranty claims: the claim and its lines, evidence, timeline, the standard times
labour is measured against, statements and chargebacks, audit samples, and the peer
statistics that risk scoring compares a claim with.

A claim keeps, next to its lines, the facts it was judged on as they stood at submission
(sale date, coverage end, region, product line, the customer's phone and address, totals):
the decision can be explained later even if the unit or the customer changes, and the batch
scorer reads one table instead of six."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.claims.choices import (
    AuditOutcome,
    AuditReason,
    ClaimStatus,
    EventKind,
    LineKind,
    ReasonCode,
    claim_number,
    statement_number,
)


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]


MONEY = {"max_digits": 12, "decimal_places": 2}


class LabourStandard(models.Model):
    """How long a repair should take: the standard minutes for a labour code on a product
    line. Labour claimed above it needs an explanation."""

    product_line = models.CharField(_("product line"), max_length=80)
    labour_code = models.CharField(_("labour code"), max_length=30)
    minutes = models.PositiveIntegerField(_("standard minutes"))
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["product_line", "labour_code"]
        verbose_name = _("labour standard")
        verbose_name_plural = _("labour standards")
        constraints = [
            models.UniqueConstraint(
                fields=["product_line", "labour_code"], name="claims_labourstandard_unique"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1), name="claims_labourstandard_minutes_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_line} {self.labour_code} {self.minutes} min"


class Claim(models.Model):
    # Indexed with the id (claims_partner_id), which serves every lookup by partner.
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    work_order = models.ForeignKey(
        "workorders.WorkOrder",
        verbose_name=_("work order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The serial as claimed; `unit` is set only when it names a unit we sold.
    serial_number = models.CharField(_("serial number"), max_length=80)
    unit = models.ForeignKey(
        "customers.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=_choices(ClaimStatus))
    # What submission decided, kept when a reviewer later moves the status.
    outcome = models.CharField(_("outcome"), max_length=20, choices=_choices(ClaimStatus))
    fault_code = models.CharField(_("fault code"), max_length=20, blank=True)
    repair_date = models.DateField(_("repair date"))
    invoice_number = models.CharField(_("partner's invoice number"), max_length=60, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    claimed_amount = models.DecimalField(_("claimed"), **MONEY)
    approved_amount = models.DecimalField(_("approved"), null=True, blank=True, **MONEY)
    # Facts at submission (see the module's docstring).
    region = models.CharField(_("region"), max_length=60, blank=True)
    product_line = models.CharField(_("product line"), max_length=80, blank=True)
    sold_on = models.DateField(_("sold on"), null=True, blank=True)
    sold_region = models.CharField(max_length=60, blank=True)
    coverage_ends_on = models.DateField(_("coverage ends on"), null=True, blank=True)
    customer_phone = models.CharField(max_length=40, blank=True)
    customer_address_key = models.CharField(max_length=200, blank=True)
    labour_minutes = models.PositiveIntegerField(default=0)
    standard_minutes = models.PositiveIntegerField(default=0)
    parts_count = models.PositiveIntegerField(default=0)
    parts_amount = models.DecimalField(default=0, **MONEY)
    defectives_missing = models.PositiveIntegerField(default=0)
    doa = models.BooleanField(_("dead on arrival"), default=False)
    # Set when the brand inspects the returned DOA unit or part and finds nothing wrong.
    no_fault_found = models.BooleanField(null=True, blank=True)
    # Validation and risk, as computed at submission (and by the batch rescoring).
    findings = models.JSONField(default=list)
    statement = models.ForeignKey(
        "claims.Statement", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("warranty claim")
        verbose_name_plural = _("warranty claims")
        indexes = [
            models.Index(fields=["partner", "id"], name="claims_partner_id"),
            models.Index(fields=["status"], name="claims_status"),
            models.Index(fields=["serial_number", "repair_date"], name="claims_serial_date"),
            models.Index(fields=["invoice_number"], name="claims_invoice"),
            models.Index(fields=["customer_phone"], name="claims_phone"),
            models.Index(fields=["customer_address_key"], name="claims_address"),
            models.Index(fields=["region", "product_line"], name="claims_peer_group"),
            models.Index(fields=["submitted_at"], name="claims_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_amount__gte=0), name="claims_claim_claimed_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gte=0) & Q(approved_amount__lte=models.F("claimed_amount"))),
                name="claims_claim_approved_within_claimed",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return claim_number(self.pk)


class ClaimRisk(models.Model):
    """A claim's risk score and the reasons for it, one row per claim, written with the claim
    on submission and rewritten by the nightly rescoring where they change. It has a table of
    its own because rescoring every claim then rewrites a narrow row with two indexes instead
    of the claim's wide row and its dozen indexes (decision 0011)."""

    claim = models.OneToOneField(
        Claim,
        verbose_name=_("claim"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="risk",
    )
    score = models.PositiveSmallIntegerField(_("risk"), default=0)
    reasons = models.JSONField(default=list)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("claim risk")
        verbose_name_plural = _("claim risks")
        indexes = [models.Index(fields=["score", "claim"], name="claims_risk_score")]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="claims_risk_at_most_100")
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.score}"


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=10, choices=_choices(LineKind))
    description = models.CharField(_("description"), max_length=200, blank=True)
    labour_code = models.CharField(_("labour code"), max_length=30, blank=True)
    minutes = models.PositiveIntegerField(_("minutes claimed"), null=True, blank=True)
    standard_minutes = models.PositiveIntegerField(_("standard minutes"), null=True, blank=True)
    part = models.ForeignKey(
        "catalog.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    part_number = models.CharField(_("part number"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    defective_required = models.BooleanField(default=False)
    defective_returned = models.BooleanField(_("defective part returned"), default=False)
    approved_amount = models.DecimalField(_("approved"), null=True, blank=True, **MONEY)
    reason_code = models.CharField(max_length=30, choices=_choices(ReasonCode), blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="claims_claimline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="claims_claimline_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gte=0) & Q(approved_amount__lte=models.F("amount"))),
                name="claims_claimline_approved_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind=LineKind.PART) | ~Q(part_number=""),
                name="claims_claimline_part_line_names_part",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class ClaimAttachment(models.Model):
    """An invoice or photo backing a claim. The SHA-256 finds the same file on two claims."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()
    uploaded_by_label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ClaimEvent(models.Model):
    """The claim's timeline: submission, validation, score, every decision, replies,
    statements, chargebacks and audits."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=_choices(EventKind))
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["claim", "id"], name="claims_event_claim")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class Statement(models.Model):
    """What the brand owes a partner for a period: approved claims, minus chargebacks for
    claims later found invalid. Issued once; its lines never change."""

    partner = models.ForeignKey(
        "network.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    currency = models.CharField(_("currency"), max_length=3)
    approved_total = models.DecimalField(_("approved"), **MONEY)
    chargeback_total = models.DecimalField(_("charged back"), **MONEY)
    net_total = models.DecimalField(_("to pay"), **MONEY)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("claim statement")
        verbose_name_plural = _("claim statements")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period_start", "period_end", "currency"],
                name="claims_statement_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="claims_statement_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return statement_number(self.pk)


class StatementLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12)  # "claim" or "chargeback"
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(**MONEY)  # negative for a chargeback

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class Chargeback(models.Model):
    """Money taken back for a claim paid on an earlier statement and later found invalid
    (by an audit, say). It lands on the partner's next statement."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="chargebacks")
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="chargebacks"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="claims_chargeback_amount_positive"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="claims_chargeback_has_reason"),
        ]

    def __str__(self) -> str:
        return f"chargeback {self.amount} on claim {self.claim_id}"


class AuditSample(models.Model):
    """An approved claim drawn for audit in a period, and why: its risk, or the random share
    that keeps the threshold unlearnable."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="audits")
    period_start = models.DateField()
    period_end = models.DateField()
    reason = models.CharField(max_length=10, choices=_choices(AuditReason))
    outcome = models.CharField(
        max_length=10, choices=_choices(AuditOutcome), default=AuditOutcome.PENDING
    )
    notes = models.TextField(blank=True)
    drawn_at = models.DateTimeField()
    audited_at = models.DateTimeField(null=True, blank=True)
    audited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-drawn_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "period_start", "period_end"], name="claims_auditsample_once"
            )
        ]

    def __str__(self) -> str:
        return f"audit of claim {self.claim_id} ({self.reason})"


class PeerStatistics(models.Model):
    """A snapshot of the statistics scoring compares with, recomputed by the batch scorer:
    one row per peer group (region + product line) and one per partner, over a rolling
    window. `metrics` holds, per signal, the medians and spreads (peer rows) or the
    partner's own rates (partner rows)."""

    partner = models.ForeignKey(
        "network.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    region = models.CharField(max_length=60, blank=True)
    product_line = models.CharField(max_length=80, blank=True)
    window_start = models.DateField()
    window_end = models.DateField()
    metrics = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(partner__isnull=False),
                name="claims_peerstatistics_one_per_partner",
            ),
            models.UniqueConstraint(
                fields=["region", "product_line"],
                condition=Q(partner__isnull=True),
                name="claims_peerstatistics_one_per_group",
            ),
        ]

    def __str__(self) -> str:
        who = (
            f"partner {self.partner_id}"
            if self.partner_id
            else f"{self.region}/{self.product_line}"
        )
        return f"statistics for {who}"
