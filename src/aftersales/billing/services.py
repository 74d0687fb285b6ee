"""Invoices for paid work and for charges, credit notes for refunds, and the payments
against invoices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.billing.models import CreditNote, Invoice, InvoiceSequence, Payment
from aftersales.cases.services import case_record_event
from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid
from aftersales.workorders import rules as wo_rules
from aftersales.workorders import selectors as wo_selectors
from aftersales.workorders.rules import PaymentMethod, Status
from aftersales.workorders.services import locked_work_order

INVOICEABLE = frozenset({Status.COMPLETED, Status.VERIFIED})


def _next_number(year: int, series: str = "INV") -> str:
    """The next number of the series in the year. The sequence row is locked until the
    document's transaction ends, so numbers are handed out in order and a rollback returns
    its number."""
    sequence, _created = InvoiceSequence.objects.select_for_update().get_or_create(
        series=series, year=year
    )
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return wo_rules.invoice_number(year, sequence.last, series)


@transaction.atomic
def invoice_issue(*, actor: User, number: str) -> Invoice:
    """Invoices the customer for completed paid work (category A), from the lines on the
    repair card at the organisation's rates."""
    wo = locked_work_order(actor, number)
    if wo.category != "A":
        raise Conflict(
            "not_paid",
            _("Category %(cat)s work is costed to the brand, not invoiced to the customer.")
            % {"cat": wo.category},
        )
    if wo.status not in INVOICEABLE:
        raise Conflict("not_completed", _("Paid work is invoiced once it is completed."))
    existing = wo_selectors.invoice_of(wo)
    if existing is not None:
        raise Conflict(
            "already_invoiced",
            _("%(number)s is already invoiced on %(invoice)s.")
            % {"number": wo.number, "invoice": existing.number},
            {"invoice": existing.number},
        )
    costing = wo_selectors.costing(wo)
    if not costing.lines:
        raise Conflict("nothing_to_invoice", _("The repair card has no labour, parts or travel."))
    now = clock.now()
    invoice = Invoice.objects.create(
        number=_next_number(clock.today().year),
        work_order=wo,
        customer=wo.case.customer,
        currency=costing.currency,
        lines=wo_selectors.lines_json(costing),
        subtotal=costing.subtotal,
        tax_rate=costing.tax_rate,
        tax=costing.tax,
        total=costing.total,
        issued_at=now,
        issued_by=actor,
    )
    case_record_event(
        case=wo.case,
        body=_("Invoice %(invoice)s issued for %(number)s: %(total)s %(cur)s.")
        % {
            "invoice": invoice.number,
            "number": wo.number,
            "total": invoice.total,
            "cur": invoice.currency,
        },
        actor=actor,
        visible_to_customer=True,
        data={"work_order": wo.number, "invoice": invoice.number, "total": str(invoice.total)},
    )
    return invoice


@transaction.atomic
def charge_invoice_issue(
    *,
    actor: User | None,
    customer_id: int,
    currency: str,
    lines: list[dict],
    source: str,
) -> Invoice:
    """Invoices a charge that no work order stands behind (an advance replacement whose
    faulty unit never came back). The amounts are sale prices, which already carry their tax,
    so the invoice adds none."""
    total = sum((Decimal(str(line["amount"])) for line in lines), Decimal("0"))
    if total <= 0:
        raise Invalid("lines", _("A charge must be for more than nothing."))
    return Invoice.objects.create(
        number=_next_number(clock.today().year),
        work_order=None,
        source=source,
        customer_id=customer_id,
        currency=currency,
        lines=[{**line, "amount": str(line["amount"])} for line in lines],
        subtotal=total,
        tax_rate=Decimal("0"),
        tax=Decimal("0"),
        total=total,
        issued_at=clock.now(),
        issued_by=actor,
    )


@transaction.atomic
def credit_note_issue(
    *,
    actor: User | None,
    customer_id: int,
    currency: str,
    amount: Decimal,
    reason: str,
    source: str,
) -> CreditNote:
    """Records money owed back to a customer, numbered CRN-<year>-<n> without gaps."""
    if amount <= 0:
        raise Invalid("amount", _("A credit note must be for more than nothing."))
    return CreditNote.objects.create(
        number=_next_number(clock.today().year, "CRN"),
        customer_id=customer_id,
        currency=currency,
        amount=amount,
        reason=reason,
        source=source,
        issued_at=clock.now(),
        issued_by=actor,
    )


@transaction.atomic
def payment_record(
    *,
    actor: User,
    number: str,
    amount: Decimal | str,
    method: str,
    reference: str = "",
    received_at: datetime | None = None,
) -> Payment:
    wo = locked_work_order(actor, number)
    invoice = wo_selectors.invoice_of(wo)
    if invoice is None:
        raise Conflict(
            "not_invoiced", _("%(number)s has no invoice to pay.") % {"number": wo.number}
        )
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise Invalid("amount", _("amount must be a number.")) from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise Invalid("amount", _("amount must be positive, in cents at most."))
    due = wo_selectors.amount_due(invoice)
    if amount > due:
        raise Invalid(
            "amount",
            _("%(amount)s is more than the %(due)s still due.") % {"amount": amount, "due": due},
            code="overpayment",
        )
    if method not in {m.value for m in PaymentMethod}:
        raise Invalid(
            "method", _("method must be one of: %(m)s.") % {"m": ", ".join(PaymentMethod)}
        )
    payment = Payment.objects.create(
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference.strip()[:100],
        received_at=received_at or clock.now(),
        recorded_by=actor,
    )
    case_record_event(
        case=wo.case,
        body=_("Payment of %(amount)s %(cur)s received for %(invoice)s (%(method)s).")
        % {"amount": amount, "cur": invoice.currency, "invoice": invoice.number, "method": method},
        actor=actor,
        data={"work_order": wo.number, "invoice": invoice.number, "payment": str(amount)},
    )
    return payment


@transaction.atomic
def rate_card_create(
    *,
    name: str,
    hourly_rate: Decimal | str,
    centre_code: str | None = None,
    partner_code: str | None = None,
    currency: str = "EUR",
    travel_per_visit: Decimal | str = "0",
    travel_per_km: Decimal | str = "0",
    tax_rate: Decimal | str = "0",
    labour: dict | None = None,
):
    """A rate card for a centre, a partner, or (neither) the brand's default. `labour` maps a
    labour code to {"hourly": ...} or {"flat": ...}."""
    from aftersales.billing.models import LabourRate, RateCard
    from aftersales.network.models import Partner, ServiceCentre

    def amount(field: str, value) -> Decimal:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Invalid(field, _("%(field)s must be a number.") % {"field": field}) from None
        if number < 0:
            raise Invalid(field, _("%(field)s cannot be negative.") % {"field": field})
        return number

    centre = ServiceCentre.objects.filter(code=centre_code).first() if centre_code else None
    partner = Partner.objects.filter(code=partner_code.upper()).first() if partner_code else None
    if centre_code and centre is None:
        raise Invalid("centre_code", _("No centre has code %(code)s.") % {"code": centre_code})
    if partner_code and partner is None:
        raise Invalid("partner_code", _("No partner has code %(code)s.") % {"code": partner_code})
    card = RateCard.objects.create(
        name=name.strip() or "rates",
        centre=centre,
        partner=partner,
        currency=currency.strip().upper()[:3],
        hourly_rate=amount("hourly_rate", hourly_rate),
        travel_per_visit=amount("travel_per_visit", travel_per_visit),
        travel_per_km=amount("travel_per_km", travel_per_km),
        tax_rate=amount("tax_rate", tax_rate),
    )
    for code, price in (labour or {}).items():
        LabourRate.objects.create(
            card=card,
            labour_code=code.strip().upper(),
            hourly_rate=amount("hourly", price["hourly"])
            if price.get("hourly") is not None
            else None,
            flat_rate=amount("flat", price["flat"]) if price.get("flat") is not None else None,
        )
    return card
