"""The printed invoice: seller, customer, the frozen lines, tax, payments and what is still
due, with a QR code carrying the invoice number and total. Rendered in the active language."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from aftersales.workorders import documents as docs


def _line_kind(kind: str) -> str:
    return {"labour": _("Labour"), "part": _("Part"), "travel": _("Travel")}.get(kind, kind)


def _reference(line: dict) -> str:
    if line.get("kind") == "travel" and line.get("reference") == "visit":
        return _("visit")
    return str(line.get("reference", ""))


def invoice_qr_payload(invoice) -> str:
    """What the QR code says: the invoice number, total and currency, machine-readable."""
    return f"{invoice.number}|{invoice.total:.2f}|{invoice.currency}"


def invoice_pdf(invoice) -> bytes:
    styles = docs.styles_for()
    wo = invoice.work_order
    customer = invoice.customer
    tz = docs.zone_of(wo)
    currency = invoice.currency
    title = _("Invoice")
    story: list = [
        docs.header_block(
            title,
            invoice.number,
            docs.qr_code(invoice_qr_payload(invoice)),
            styles,
            [
                _("Date: %(date)s") % {"date": docs.fmt_date(invoice.issued_at, tz)},
                _("Work order %(wo)s · case %(case)s") % {"wo": wo.number, "case": wo.case.number}
                if wo is not None
                else _("For %(source)s") % {"source": invoice.source},
            ],
        ),
        Spacer(1, 5 * mm),
    ]
    seller_name, seller_address = docs.owner_of(wo) if wo is not None else ("", "")
    parties = [
        (_("Seller"), "\n".join(p for p in (docs.brand_name(), seller_name) if p)),
        (_("Seller's address"), seller_address),
        (_("Customer"), customer.name),
        (_("Customer's address"), customer.address),
        (_("E-mail"), customer.email),
        (
            _("Product"),
            f"{wo.unit.product.name} · {wo.unit.serial_number}" if wo and wo.unit_id else "",
        ),
        (_("Currency"), currency),
    ]
    # Leave out what is not known (a partner's address, a customer without one).
    story.append(docs.facts_table([(k, v) for k, v in parties if v], styles))
    story.append(docs.para(_("Lines"), styles["h2"]))
    available = A4[0] - 2 * docs.MARGIN
    widths = [22 * mm, None, 20 * mm, 28 * mm, 30 * mm]
    widths[1] = available - sum(w for w in widths if w)
    story.append(
        docs.grid_table(
            [_("Kind"), _("Reference"), _("Quantity"), _("Unit price"), _("Amount")],
            [
                [
                    _line_kind(line.get("kind", "")),
                    _reference(line),
                    docs.fmt_number(line.get("quantity", "0"), 2),
                    docs.fmt_money(line.get("unit_price", "0"), currency),
                    docs.fmt_money(line.get("amount", "0"), currency),
                ]
                for line in invoice.lines
            ],
            styles,
            widths=widths,
            numeric=[2, 3, 4],
        )
    )
    payments = list(invoice.payments.order_by("received_at", "id"))
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    due = invoice.total - paid
    totals = _Totals(currency, invoice.subtotal, invoice.tax_rate, invoice.tax, invoice.total)
    story.append(Spacer(1, 3 * mm))
    story.append(
        docs.totals_table(
            totals,
            styles,
            extra=[
                (_("Paid"), docs.fmt_money(paid, currency)),
                (_("Amount due"), docs.fmt_money(due, currency)),
            ],
        )
    )
    story.append(docs.para(_("Payments"), styles["h2"]))
    if payments:
        story.append(
            docs.grid_table(
                [_("Date"), _("Method"), _("Reference"), _("Amount")],
                [
                    [
                        docs.fmt_date(p.received_at, tz),
                        _method(p.method),
                        p.reference,
                        docs.fmt_money(p.amount, currency),
                    ]
                    for p in payments
                ],
                styles,
                numeric=[3],
            )
        )
    else:
        story.append(docs.para(_("No payments received yet."), styles["small"]))
    if due <= 0:
        story.append(Spacer(1, 3 * mm))
        story.append(docs.para(_("Paid in full. Thank you."), styles["h2"]))
    return docs.build_pdf(
        story, title=f"{title} {invoice.number}", subject=wo.number if wo else invoice.source
    )


def _method(method: str) -> str:
    return {
        "cash": _("cash"),
        "card": _("card"),
        "transfer": _("bank transfer"),
        "other": _("other"),
    }.get(method, method)


class _Totals:
    """The invoice's frozen totals in the shape the totals table reads."""

    def __init__(self, currency, subtotal, tax_rate, tax, total) -> None:
        self.currency = currency
        self.subtotal = subtotal
        self.tax_rate = tax_rate
        self.tax = tax
        self.total = total
