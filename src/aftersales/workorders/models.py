"""Service vouchers and everything recorded on them: visits, the repair card (labour, parts,
tests), quality checks, the customer's acceptance, quotes for paid work, and the custody
chain of the customer's product with its pickup receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.workorders.rules import (
    CustodyKind,
    Kind,
    QuoteStatus,
    Result,
    Status,
    receipt_number,
    work_order_number,
)


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]


class FaultCode(models.Model):
    """A configurable fault code for one product category (e.g. washers: E21 drain pump)."""

    product_category = models.CharField(_("product category"), max_length=80, db_index=True)
    code = models.CharField(_("code"), max_length=20)
    description = models.CharField(_("description"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["product_category", "code"]
        verbose_name = _("fault code")
        verbose_name_plural = _("fault codes")
        constraints = [
            models.UniqueConstraint(
                fields=["product_category", "code"], name="workorders_faultcode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.description}"


class WorkOrder(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="work_orders"
    )
    unit = models.ForeignKey(
        "customers.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=_choices(Kind))
    status = models.CharField(
        _("status"), max_length=20, choices=_choices(Status), default=Status.DRAFT
    )
    category = models.CharField(_("service category"), max_length=1)
    category_reason = models.TextField(_("why this category"), blank=True)
    category_overridden = models.BooleanField(default=False)
    centre = models.ForeignKey(
        "network.ServiceCentre",
        verbose_name=_("service centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    window_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    window_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
    )
    # The repair card.
    fault_code = models.CharField(_("fault code"), max_length=20, blank=True)
    same_fault_repairs = models.PositiveIntegerField(
        default=0, help_text=_("Earlier completed repairs of the same fault on this unit.")
    )
    cause = models.TextField(_("cause"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    result = models.CharField(_("result"), max_length=20, choices=_choices(Result), blank=True)
    tests_performed = models.TextField(_("tests performed"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The customer's acceptance of an on-site job.
    accepted_by = models.CharField(_("accepted by"), max_length=200, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    acceptance_signature = models.BinaryField(null=True, blank=True, editable=False)
    acceptance_typed = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["status", "id"], name="wo_status_id"),
            models.Index(fields=["window_start"], name="wo_window_start"),
            models.Index(fields=["technician", "window_start"], name="wo_technician_window"),
            models.Index(fields=["partner", "id"], name="wo_partner_id"),
            models.Index(fields=["centre", "window_start"], name="wo_centre_window"),
            models.Index(fields=["unit", "completed_at"], name="wo_unit_completed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | Q(technician__isnull=True),
                name="wo_technician_or_partner",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=models.F("window_start")),
                name="wo_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return work_order_number(self.pk)


class Visit(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="visits")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    travel_started_at = models.DateTimeField(_("travel started"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    fault_code = models.CharField(_("fault code"), max_length=20, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    result = models.CharField(_("result"), max_length=20, choices=_choices(Result), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"visit on work order {self.work_order_id}"


class Attachment(models.Model):
    """A photo or file taken during the job. Kept in the database so that every web process
    and the PDF renderer see it without a shared disk."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename


class LabourLine(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="labour")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    labour_code = models.CharField(_("labour code"), max_length=30)
    minutes = models.PositiveIntegerField(_("minutes"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    planned = models.BooleanField(
        default=False, help_text=_("Planned for a quote rather than done.")
    )
    performed_on = models.DateField(_("performed on"))
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["technician", "performed_on"], name="wo_labour_tech_day")]

    def __str__(self) -> str:
        return f"{self.labour_code} {self.minutes} min"


class PartLine(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    part_number = models.CharField(_("part number"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    location = models.ForeignKey(
        "inventory.StockLocation",
        verbose_name=_("taken from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    planned = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.part_number}"


class QualityCheck(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="checks")
    passed = models.BooleanField()
    notes = models.TextField(blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["checked_at", "id"]

    def __str__(self) -> str:
        return f"{'pass' if self.passed else 'fail'} on work order {self.work_order_id}"


class Quote(models.Model):
    """What paid work will cost, as offered to the customer. Lines are frozen when issued."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="quotes")
    status = models.CharField(max_length=10, choices=_choices(QuoteStatus))
    currency = models.CharField(max_length=3)
    lines = models.JSONField(default=list)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # The customer accepts from a link: only the digest of its secret is stored.
    link_digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=10, blank=True)  # portal, agent
    answered_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"quote {self.pk} ({self.status})"


class PickupReceipt(models.Model):
    """Given to the customer when we take the product; taken back and voided on return."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="receipts")
    unit = models.ForeignKey("customers.Unit", on_delete=models.PROTECT, related_name="receipts")
    accessories = models.TextField(_("accessories"), blank=True)
    condition = models.TextField(_("visible condition"), blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            # One product, one open receipt: it cannot be in our hands twice.
            models.UniqueConstraint(
                fields=["unit"], condition=Q(voided_at__isnull=True), name="wo_one_open_receipt"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return receipt_number(self.pk)


class CustodyEvent(models.Model):
    """One move of a customer's product. The newest says where it is and since when."""

    unit = models.ForeignKey("customers.Unit", on_delete=models.PROTECT, related_name="custody")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="custody")
    receipt = models.ForeignKey(
        PickupReceipt, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=_choices(CustodyKind))
    place = models.CharField(_("where"), max_length=200, blank=True)
    centre = models.ForeignKey(
        "network.ServiceCentre", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["unit", "-id"], name="wo_custody_unit_latest")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"
