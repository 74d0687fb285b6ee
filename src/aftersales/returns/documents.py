"""Printed return papers: the return label (the RMA number as a Code128 barcode and a QR code
for the receiving desk's scanner) and the credit note for a refund.

Built with the work orders' PDF building blocks (brand, fonts, tables, footer), rendered in
the active Django language."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle

from aftersales.returns.lifecycle import STATUS_LABELS, RmaStatus
from aftersales.workorders.documents import (
    barcode,
    build_pdf,
    facts_table,
    fmt_date,
    fmt_datetime,
    fmt_money,
    grid_table,
    header_block,
    para,
    qr_code,
    styles_for,
)


def _return_address() -> str:
    return getattr(settings, "RETURNS_ADDRESS", "") or _("Returns desk")


def return_label_pdf(rma) -> bytes:
    styles = styles_for()
    title = _("Return label")
    lines = [
        _("Authorised %(when)s") % {"when": fmt_datetime(rma.authorised_at)}
        if rma.authorised_at
        else _("Not authorised yet: do not ship until it is."),
    ]
    story: list = [header_block(title, rma.number, qr_code(rma.number), styles, lines)]
    story.append(Spacer(1, 4 * mm))
    story.append(barcode(rma.number, height=18 * mm))
    story.append(Spacer(1, 5 * mm))
    payer = (
        _("the business (quality return)") if rma.freight_payer == "business" else _("the customer")
    )
    story.append(
        facts_table(
            [
                (_("Ship to"), _return_address()),
                (_("From"), f"{rma.customer.name}\n{rma.customer.address}".strip()),
                (_("Case"), rma.case.number),
                (_("Status"), str(STATUS_LABELS[RmaStatus(rma.status)])),
                (_("Freight paid by"), payer),
                (
                    _("Return due by"),
                    fmt_date(rma.return_due_on) if rma.return_due_on else "",
                ),
            ],
            styles,
            widths=(42 * mm, None),
        )
    )
    story.append(Spacer(1, 4 * mm))
    rows = []
    for line in rma.lines.select_related("unit", "unit__product", "part"):
        if line.unit_id:
            rows.append([line.unit.product.name, line.unit.serial_number, "1"])
        else:
            rows.append([line.part.name, line.part.number, str(line.quantity)])
    story.append(
        grid_table(
            [_("Item"), _("Serial / part"), _("Qty")],
            rows,
            styles,
            widths=[90 * mm, 60 * mm, 20 * mm],
            numeric=[2],
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            _(
                "Stick this label on the outside of the parcel. Pack the product with its "
                "accessories. The warehouse scans the code to book your return."
            ),
            styles["small"],
        )
    )
    cut = Table([[""]], colWidths=[170 * mm], rowHeights=[2 * mm])
    cut.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, "#888888")]))
    story.append(cut)
    return build_pdf(story, title=f"{title} {rma.number}", subject=rma.number)


def credit_note_pdf(line) -> bytes:
    from aftersales.returns.services import credit_note_number

    rma = line.rma
    styles = styles_for()
    title = _("Credit note")
    number = credit_note_number(line)
    story: list = [
        header_block(
            title,
            number,
            barcode(number),
            styles,
            [_("Issued %(when)s") % {"when": fmt_datetime(line.resolved_at)}],
        )
    ]
    story.append(Spacer(1, 5 * mm))
    item = line.unit.serial_number if line.unit_id else line.part.number
    story.append(
        facts_table(
            [
                (_("Customer"), rma.customer.name),
                (_("Return"), rma.number),
                (_("Case"), rma.case.number),
                (_("Item"), item),
                (_("Amount credited"), fmt_money(line.refund_amount, line.refund_currency)),
            ],
            styles,
            widths=(42 * mm, None),
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            _(
                "The amount is the sale price less the depreciation for use where the rule "
                "that grants the refund allows it."
            ),
            styles["small"],
        )
    )
    return build_pdf(story, title=f"{title} {number}", subject=rma.number)
