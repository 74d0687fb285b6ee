"""Spare-parts stock. Locations are where parts (and, for custody, customers' products) sit;
each physical one belongs to a service centre or a partner (a van to a technician too).

Stock changes only by `StockMove` rows, an append-only ledger; `StockBalance` keeps on hand
and reserved per part per tracked location, updated in the same transaction as each move
(see docs/decisions/0008-stock-ledger.md)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aftersales.inventory.rules import (
    DefectiveStatus,
    InspectionOutcome,
    Kind,
    MoveKind,
    document_number,
)


class LocationKind(models.TextChoices):
    CENTRAL = Kind.CENTRAL.value, _("central warehouse")
    WAREHOUSE = Kind.WAREHOUSE.value, _("warehouse")
    CENTRE_STORE = Kind.CENTRE_STORE.value, _("service centre store")
    PARTNER_STORE = Kind.PARTNER_STORE.value, _("partner store")
    VAN = Kind.VAN.value, _("technician's van")
    BENCH = Kind.BENCH.value, _("workshop bench")
    SHELF = Kind.SHELF.value, _("shelf")
    IN_TRANSIT = Kind.IN_TRANSIT.value, _("in transit")
    DEFECTIVE = Kind.DEFECTIVE.value, _("defective parts")
    SUPPLIER = Kind.SUPPLIER.value, _("supplier")
    CUSTOMER = Kind.CUSTOMER.value, _("customer")
    SCRAP = Kind.SCRAP.value, _("scrap")
    ADJUSTMENT = Kind.ADJUSTMENT.value, _("inventory adjustment")


class StockLocation(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=LocationKind.choices, default=LocationKind.WAREHOUSE
    )
    centre = models.ForeignKey(
        "network.ServiceCentre",
        verbose_name=_("service centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_locations",
    )
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_locations",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vans",
        help_text=_("Who drives this van."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        constraints = [
            models.CheckConstraint(
                condition=Q(centre__isnull=True) | Q(partner__isnull=True),
                name="inventory_location_one_holder",
            ),
            models.CheckConstraint(
                condition=Q(technician__isnull=True) | Q(kind=Kind.VAN.value),
                name="%(app_label)s_%(class)s_technician_only_on_vans",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "code"], name="inv_location_kind_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class StockBalance(models.Model):
    """On hand and reserved of one part at one tracked location: always equal to the sum of
    the ledger (`stock_verify` proves it). Available is on hand minus reserved."""

    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="balances", db_index=False
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            # Also the index behind "one part across all locations".
            models.UniqueConstraint(
                fields=["part", "location"], name="%(app_label)s_%(class)s_one_per_place"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="%(app_label)s_%(class)s_on_hand_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="%(app_label)s_%(class)s_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")),
                name="%(app_label)s_%(class)s_reserved_within_on_hand",
            ),
        ]
        indexes = [models.Index(fields=["location", "part"], name="inv_balance_location_part")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}: {self.on_hand} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)


class Transfer(models.Model):
    """Stock on its way from one location to another: shipped (out to in-transit), then
    received (in-transit to the destination)."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("in transit")
        RECEIVED = "received", _("received")

    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    from_location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    serials = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT)
    expected_arrival = models.DateField(_("expected arrival"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    shipped_at = models.DateTimeField()
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["shipped_at", "id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["part", "to_location"],
                condition=Q(status="in_transit"),
                name="inv_transfer_open_part_to",
            ),
            models.Index(fields=["to_location", "status"], name="inv_transfer_to_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return document_number("transfer", self.pk)


class Purchase(models.Model):
    """A purchase from the supplier, expected at a location: its open quantity counts as
    incoming stock until received."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    received_quantity = models.PositiveIntegerField(_("received"), default=0)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    expected_arrival = models.DateField(_("expected arrival"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")),
                name="%(app_label)s_%(class)s_received_within_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["part", "location"],
                condition=Q(status="open"),
                name="inv_purchase_open_part_loc",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return document_number("purchase", self.pk)

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received_quantity if self.status == "open" else 0


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    CONSUMED = "consumed", _("consumed")
    RELEASED = "released", _("released")


class Reservation(models.Model):
    """Stock promised to a work order at one location; consumed into an issue move, or
    released."""

    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="reservations"
    )
    part_line = models.ForeignKey(
        "workorders.PartLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservations",
    )
    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    consumed_quantity = models.PositiveIntegerField(_("consumed"), default=0)
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    fit_override_reason = models.TextField(_("why it is fitted anyway"), blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(consumed_quantity__lte=F("quantity")),
                name="%(app_label)s_%(class)s_consumed_within_reserved",
            ),
            models.UniqueConstraint(
                fields=["part_line"],
                condition=Q(status="active", part_line__isnull=False),
                name="%(app_label)s_%(class)s_one_open_per_part_line",
            ),
        ]
        indexes = [
            models.Index(
                fields=["part", "location"],
                condition=Q(status="active"),
                name="inv_reservation_active",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return document_number("reservation", self.pk)


class StockMove(models.Model):
    """One line of the ledger: `quantity` units of `part` from one location to another.
    Append-only: never updated, never deleted; a mistake is corrected by another move."""

    part = models.ForeignKey(
        "catalog.Part", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=[(k.value, k.value.replace("_", " ")) for k in MoveKind]
    )
    from_location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    work_order = models.ForeignKey(
        "workorders.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_moves",
    )
    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        db_index=False,
    )
    transfer = models.ForeignKey(
        Transfer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        db_index=False,
    )
    purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        db_index=False,
    )
    serial = models.CharField(_("serial number"), max_length=80, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")),
                name="%(app_label)s_%(class)s_goes_somewhere",
            ),
            models.CheckConstraint(
                condition=Q(serial="") | Q(quantity=1),
                name="%(app_label)s_%(class)s_one_unit_per_serial",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MoveKind.ADJUSTMENT.value)
                | (~Q(reason="") & Q(actor__isnull=False)),
                name="%(app_label)s_%(class)s_adjustment_has_reason_and_actor",
            ),
        ]
        indexes = [
            models.Index(fields=["part", "at", "id"], name="inv_move_part_at"),
            models.Index(fields=["from_location", "at"], name="inv_move_from_at"),
            models.Index(fields=["to_location", "at"], name="inv_move_to_at"),
            models.Index(
                fields=["part", "serial"], condition=~Q(serial=""), name="inv_move_serial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.part_id}"


class StockSerial(models.Model):
    """Where one serialised unit is now: in exactly one location at a time (virtual ones
    included: at a customer, back at the supplier, scrapped)."""

    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    serial = models.CharField(_("serial number"), max_length=80)
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="serials")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("serialised unit")
        verbose_name_plural = _("serialised units")
        constraints = [
            models.UniqueConstraint(
                fields=["part", "serial"], name="%(app_label)s_%(class)s_unique_serial"
            )
        ]

    def __str__(self) -> str:
        return f"{self.part_id}/{self.serial}"


class ReorderRule(models.Model):
    """Min/max for one part at one location: replenish when the projected stock (on hand −
    reserved + incoming) is at or below `minimum`, up to `maximum`."""

    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        StockLocation, on_delete=models.CASCADE, related_name="reorder_rules", db_index=False
    )
    minimum = models.PositiveIntegerField(_("reorder point"))
    maximum = models.PositiveIntegerField(_("maximum"))
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "part"], name="%(app_label)s_%(class)s_one_per_place"
            ),
            models.CheckConstraint(
                condition=Q(maximum__gte=1) & Q(minimum__lte=F("maximum")),
                name="%(app_label)s_%(class)s_min_within_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}: {self.minimum}/{self.maximum}"


class ReplenishmentRun(models.Model):
    source = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    rules_checked = models.PositiveIntegerField(default=0)
    transfer_lines = models.PositiveIntegerField(default=0)
    purchase_lines = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("replenishment run")
        verbose_name_plural = _("replenishment runs")

    def __str__(self) -> str:
        return f"replenishment {self.pk}"


class ReplenishmentLine(models.Model):
    class LineKind(models.TextChoices):
        TRANSFER = "transfer", _("transfer")
        PURCHASE = "purchase", _("purchase")

    # A run writes its lines in one INSERT … SELECT from validated rules (hundreds of
    # thousands at scale): part and locations are referenced without database foreign keys
    # or indexes, whose per-row checks and key-share locks cost more than the plan itself
    # (docs/decisions/0008-stock-ledger.md). PROTECT still guards them in the ORM.
    run = models.ForeignKey(ReplenishmentRun, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    part = models.ForeignKey(
        "catalog.Part",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    from_location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    to_location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    quantity = models.PositiveIntegerField()
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    incoming = models.IntegerField(default=0)
    minimum = models.IntegerField(null=True, blank=True)
    maximum = models.IntegerField(null=True, blank=True)
    unmet = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.part_id}"


class DefectiveReturn(models.Model):
    """A part replaced under warranty whose removed (defective) unit must come back to the
    central warehouse by `due_on`, be inspected, and go back to the supplier or to scrap."""

    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="defective_returns"
    )
    part = models.ForeignKey("catalog.Part", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    issue_move = models.ForeignKey(
        StockMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        "network.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        max_length=20,
        choices=[(s.value, s.value.replace("_", " ")) for s in DefectiveStatus],
        default=DefectiveStatus.DUE.value,
    )
    serial = models.CharField(_("serial of the removed part"), max_length=80, blank=True)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receive_move = models.ForeignKey(
        StockMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(
        _("inspection outcome"),
        max_length=20,
        choices=[(o.value, o.value.replace("_", " ")) for o in InspectionOutcome],
        blank=True,
    )
    inspection_notes = models.TextField(_("inspection notes"), blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposal_move = models.ForeignKey(
        StockMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recovery_amount = models.DecimalField(
        _("supplier recovery claim"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recovery_currency = models.CharField(max_length=3, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("defective return")
        verbose_name_plural = _("defective returns")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(recovery_amount__isnull=True) | Q(recovery_amount__gte=0),
                name="%(app_label)s_%(class)s_recovery_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="inv_defective_status_due"),
            models.Index(fields=["technician", "due_on"], name="inv_defective_tech_due"),
            models.Index(fields=["partner", "due_on"], name="inv_defective_partner_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return document_number("defective", self.pk)
