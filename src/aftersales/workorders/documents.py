"""Printed work-order papers: the service voucher with its repair card, the pickup receipt
and the technician's monthly service record (PDF and CSV).

Rendered in the active Django language (callers wrap the call in ``translation.override``);
dates, numbers and money formatted for that locale; instants shown in the time zone of the
centre or partner doing the job. Text is set in Helvetica, whose WinAnsi encoding covers
Spanish accents and the euro sign. Every paper carries the brand's name and, where someone
scans it, a QR or Code128 code of its number.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from aftersales.workorders import rules

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
MARGIN = 16 * mm
GRID = colors.HexColor("#b8bec6")
SHADE = colors.HexColor("#eef1f4")


# --- formatting ---------------------------------------------------------------------------


def brand_name() -> str:
    return getattr(settings, "BRAND_NAME", "Aftersales") or "Aftersales"


def zone_of(wo) -> tzinfo:
    """The time zone of whoever does the job: its centre, else its partner, else the site's."""
    name = None
    if getattr(wo, "centre_id", None):
        name = wo.centre.time_zone
    elif getattr(wo, "partner_id", None):
        name = wo.partner.time_zone
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def fmt_datetime(value: datetime | None, tz: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value, tz or timezone.get_current_timezone())
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def fmt_date(value: date | datetime | None, tz: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, tz or timezone.get_current_timezone())
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def fmt_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value, tz or timezone.get_current_timezone())
    return formats.time_format(value, "TIME_FORMAT")


def fmt_number(value: Decimal | int | str, places: int = 2) -> str:
    return formats.number_format(Decimal(str(value)), places, use_l10n=True, force_grouping=True)


def fmt_money(value: Decimal | str | None, currency: str) -> str:
    """A localized amount and its currency: "1,234.50 €" in English, "1 234,50 €" in
    Spanish (Django's locale formats; the Spanish group separator is a no-break space)."""
    if value is None:
        return ""
    return f"{fmt_number(value)} {CURRENCY_SYMBOLS.get(currency, currency)}"


def fmt_minutes(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}:{rest:02d} h"


def label(mapping: dict, value: str | None) -> str:
    if not value:
        return ""
    for key, text in mapping.items():
        if key == value:
            return str(text)
    return value.replace("_", " ")


def window_text(start: datetime | None, end: datetime | None, tz: tzinfo) -> str:
    if start is None:
        return _("not scheduled")
    if end is None:
        return fmt_datetime(start, tz)
    local_start = timezone.localtime(start, tz)
    local_end = timezone.localtime(end, tz)
    if local_start.date() == local_end.date():
        return f"{fmt_date(start, tz)} {fmt_time(start, tz)}–{fmt_time(end, tz)}"
    return f"{fmt_datetime(start, tz)} – {fmt_datetime(end, tz)}"


# --- building blocks ----------------------------------------------------------------------


def styles_for() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9, leading=11.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9),
        "label": ParagraphStyle(
            "label", parent=body, fontName=FONT_BOLD, fontSize=8, textColor=colors.HexColor("#444")
        ),
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName=FONT_BOLD, fontSize=16, leading=19, alignment=0
        ),
        "number": ParagraphStyle(
            "number", parent=body, fontName=FONT_BOLD, fontSize=24, leading=28
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "cellhead": ParagraphStyle("cellhead", parent=body, fontName=FONT_BOLD, fontSize=8),
    }


def para(text: str | None, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def qr_code(value: str, size: float = 28 * mm) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    width, height = x1 - x0, y1 - y0
    drawing = Drawing(size, size, transform=[size / width, 0, 0, size / height, 0, 0])
    drawing.add(widget)
    return drawing


def barcode(value: str, height: float = 14 * mm) -> Flowable:
    return Code128(value, barHeight=height, barWidth=0.38 * mm, humanReadable=True, quiet=True)


def facts_table(rows: Sequence[tuple[str, object]], styles, widths=(38 * mm, None)) -> Table:
    """Label / value pairs, two columns."""
    data = []
    for name, value in rows:
        cell = value if isinstance(value, Flowable) else para(value, styles["body"])
        data.append([para(name, styles["label"]), cell])
    available = A4[0] - 2 * MARGIN
    first = widths[0]
    table = Table(data, colWidths=[first, widths[1] or available - first])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def grid_table(
    head: Sequence[str],
    rows: Iterable[Sequence[object]],
    styles,
    widths: Sequence[float] | None = None,
    numeric: Iterable[int] = (),
    footer: Sequence[Sequence[object]] = (),
) -> Table:
    """A ruled table with a shaded header; numeric columns right-aligned."""
    numeric = set(numeric)
    right = ParagraphStyle("cellright", parent=styles["cell"], alignment=TA_RIGHT)
    right_head = ParagraphStyle("cellheadright", parent=styles["cellhead"], alignment=TA_RIGHT)

    def cells(values, style, rstyle):
        return [
            v if isinstance(v, Flowable) else para(v, rstyle if i in numeric else style)
            for i, v in enumerate(values)
        ]

    data = [cells(head, styles["cellhead"], right_head)]
    data += [cells(r, styles["cell"], right) for r in rows]
    body_rows = len(data)
    data += [cells(r, styles["cellhead"], right_head) for r in footer]
    table = Table(data, colWidths=widths, repeatRows=1)
    commands = [
        ("GRID", (0, 0), (-1, body_rows - 1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if footer:
        commands.append(("LINEABOVE", (0, body_rows), (-1, body_rows), 0.8, colors.black))
    table.setStyle(TableStyle(commands))
    return table


def none_paragraph(styles) -> Paragraph:
    return para(_("None recorded."), styles["small"])


def header_block(title: str, number: str, code: Flowable, styles, lines: Sequence[str] = ()):
    """Brand and title on the left, the scannable code on the right."""
    left = [para(brand_name(), styles["h2"]), para(title, styles["title"])]
    left.append(para(number, styles["number"]))
    left += [para(line, styles["body"]) for line in lines if line]
    available = A4[0] - 2 * MARGIN
    table = Table([[left, code]], colWidths=[available - 62 * mm, 62 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def build_pdf(
    story: list,
    *,
    title: str,
    subject: str = "",
    watermark: str | None = None,
    pagesize=A4,
) -> bytes:
    """The story on A4 pages with the brand and page number in the footer, and an optional
    diagonal watermark (VOID) on every page."""
    buffer = io.BytesIO()
    brand = brand_name()
    page_label = _("Page %(page)s")

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        width, height = pagesize
        if watermark:
            canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.25))
            canvas.setFont(FONT_BOLD, 110)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, -35, watermark)
            canvas.rotate(-35)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(colors.HexColor("#555"))
        canvas.setFont(FONT, 7.5)
        canvas.drawString(MARGIN, 9 * mm, f"{brand} · {title}")
        canvas.drawRightString(width - MARGIN, 9 * mm, page_label % {"page": doc.page})
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=18 * mm,
        title=title,
        author=brand,
        subject=subject,
        creator=brand,
        lang=_current_language(),
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _current_language() -> str:
    from django.utils import translation

    return translation.get_language() or settings.LANGUAGE_CODE


def signature_image(png: bytes | memoryview | None, max_width=70 * mm, max_height=28 * mm):
    """The customer's signature as an image flowable, or None if it cannot be read."""
    if not png:
        return None
    data = bytes(png)
    try:
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
    except Exception:  # a damaged upload must not stop the voucher from printing
        return None
    if not width or not height:
        return None
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


# --- the service voucher and repair card ------------------------------------------------------


def owner_of(wo) -> tuple[str, str]:
    """Name and address of whoever does the job."""
    if wo.partner_id:
        return wo.partner.name, ""
    if wo.centre_id:
        return wo.centre.name, wo.centre.address
    return "", ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def work_order_pdf(wo) -> bytes:
    """The service voucher and repair card of one work order."""
    from aftersales.workorders import selectors

    styles = styles_for()
    tz = zone_of(wo)
    case = wo.case
    customer = case.customer
    unit = wo.unit
    owner_name, owner_address = owner_of(wo)
    title = _("Service voucher and repair card")
    story: list = [
        header_block(
            title,
            wo.number,
            qr_code(wo.number),
            styles,
            [
                _("Case %(case)s") % {"case": case.number},
                _("Status: %(status)s") % {"status": label(rules.STATUS_LABELS, wo.status)},
            ],
        ),
        Spacer(1, 4 * mm),
    ]
    category = wo.category or ""
    if wo.category_reason:
        category = f"{category} · {wo.category_reason}"
    if wo.category_overridden:
        category += " " + _("(set by a supervisor)")
    rows: list[tuple[str, object]] = [
        (_("Customer"), customer.name),
        (_("Address"), customer.address),
        (_("Phone"), customer.phone),
        (_("Product"), unit.product.name if unit else ""),
        (_("Serial number"), unit.serial_number if unit else ""),
        (_("Kind of job"), label(rules.KIND_LABELS, wo.kind)),
        (_("Service category"), category),
        (_("Centre or partner"), ", ".join(p for p in (owner_name, owner_address) if p)),
        (_("Technician"), _person(wo.technician) if wo.technician_id else ""),
        (_("Appointment"), window_text(wo.window_start, wo.window_end, tz)),
    ]
    if wo.repeat_of_id:
        rows.append((_("Repeat repair of"), wo.repeat_of.number))
    if wo.instructions:
        rows.append((_("Instructions"), wo.instructions))
    story.append(facts_table(rows, styles))

    # Visits.
    story.append(para(_("Visits"), styles["h2"]))
    visits = list(wo.visits.select_related("technician").order_by("recorded_at", "id"))
    if visits:
        story.append(
            grid_table(
                [
                    _("Technician"),
                    _("Travel started"),
                    _("Arrived"),
                    _("Departed"),
                    _("Distance (km)"),
                    _("Fault code"),
                    _("Result"),
                ],
                [
                    [
                        _person(v.technician),
                        fmt_datetime(v.travel_started_at, tz),
                        fmt_datetime(v.arrived_at, tz),
                        fmt_datetime(v.departed_at, tz),
                        fmt_number(v.distance_km, 1) if v.distance_km is not None else "",
                        v.fault_code,
                        label(rules.RESULT_LABELS, v.result),
                    ]
                    for v in visits
                ],
                styles,
                numeric=[4],
            )
        )
    else:
        story.append(none_paragraph(styles))

    # The repair card.
    story.append(para(_("Repair card"), styles["h2"]))
    fault = wo.fault_code
    if fault and unit is not None:
        from aftersales.workorders.models import FaultCode

        described = FaultCode.objects.filter(
            product_category=unit.product.category, code=fault
        ).first()
        if described is not None:
            fault = f"{fault} · {described.description}"
    story.append(
        facts_table(
            [
                (_("Fault"), fault),
                (_("Cause"), wo.cause),
                (_("Action taken"), wo.action_taken),
                (_("Result"), label(rules.RESULT_LABELS, wo.result)),
            ],
            styles,
        )
    )

    story.append(para(_("Labour"), styles["h2"]))
    labour = list(wo.labour.filter(planned=False).select_related("technician"))
    if labour:
        total_minutes = sum(line.minutes for line in labour)
        story.append(
            grid_table(
                [_("Date"), _("Technician"), _("Labour code"), _("Description"), _("Time")],
                [
                    [
                        fmt_date(line.performed_on),
                        _person(line.technician),
                        line.labour_code,
                        line.description,
                        fmt_minutes(line.minutes),
                    ]
                    for line in labour
                ],
                styles,
                numeric=[4],
                footer=[["", "", "", _("Total"), fmt_minutes(total_minutes)]],
            )
        )
    else:
        story.append(none_paragraph(styles))

    currency = _currency_of(wo)
    story.append(para(_("Parts"), styles["h2"]))
    parts = list(wo.parts.filter(planned=False).select_related("location"))
    if parts:
        story.append(
            grid_table(
                [
                    _("Part number"),
                    _("Description"),
                    _("Taken from"),
                    _("Quantity"),
                    _("Unit price"),
                    _("Amount"),
                ],
                [
                    [
                        line.part_number,
                        line.description,
                        line.location.code if line.location_id else "",
                        str(line.quantity),
                        fmt_money(line.unit_price, currency),
                        fmt_money(line.unit_price * line.quantity, currency),
                    ]
                    for line in parts
                ],
                styles,
                numeric=[3, 4, 5],
            )
        )
    else:
        story.append(none_paragraph(styles))

    if wo.category == "A":
        costing = selectors.costing(wo)
        if costing.lines:
            story.append(para(_("Charges"), styles["h2"]))
            story.append(totals_table(costing, styles))

    story.append(para(_("Tests performed"), styles["h2"]))
    story.append(
        para(wo.tests_performed, styles["body"]) if wo.tests_performed else none_paragraph(styles)
    )
    if wo.notes:
        story.append(para(_("Notes"), styles["h2"]))
        story.append(para(wo.notes, styles["body"]))

    story.append(para(_("Quality check"), styles["h2"]))
    checks = list(wo.checks.select_related("checked_by"))
    if checks:
        story.append(
            grid_table(
                [_("Date"), _("Checked by"), _("Verdict"), _("Notes")],
                [
                    [
                        fmt_datetime(c.checked_at, tz),
                        _person(c.checked_by),
                        _("passed") if c.passed else _("failed"),
                        c.notes,
                    ]
                    for c in checks
                ],
                styles,
            )
        )
    else:
        story.append(para(_("Not checked yet."), styles["small"]))

    story.append(KeepTogether(_acceptance_block(wo, styles, tz)))
    return build_pdf(story, title=f"{title} {wo.number}", subject=case.number)


def _currency_of(wo) -> str:
    if wo.partner_id:
        return wo.partner.currency
    if wo.centre_id:
        return wo.centre.currency
    return "EUR"


def _acceptance_block(wo, styles, tz) -> list:
    block: list = [para(_("Customer acceptance"), styles["h2"])]
    if not wo.accepted_by:
        if wo.kind in rules.VISIT_KINDS:
            block.append(para(_("Not accepted yet."), styles["small"]))
            block += _signature_lines(styles, [_("Customer's signature"), _("Technician")])
        else:
            block.append(para(_("Not needed for this kind of job."), styles["small"]))
        return block
    rows: list[tuple[str, object]] = [
        (_("Accepted by"), wo.accepted_by),
        (_("Accepted at"), fmt_datetime(wo.accepted_at, tz)),
    ]
    image = signature_image(wo.acceptance_signature)
    if image is not None:
        rows.append((_("Signature"), image))
    elif wo.acceptance_signature:
        rows.append((_("Signature"), _("signed on the device (image kept on file)")))
    else:
        rows.append((_("Signature"), _("accepted in writing")))
    block.append(facts_table(rows, styles))
    return block


def _signature_lines(styles, names: Sequence[str]) -> list:
    available = A4[0] - 2 * MARGIN
    cells = [[para(n, styles["small"]) for n in names]]
    table = Table(
        [[""] * len(names), *cells],
        colWidths=[available / len(names)] * len(names),
        rowHeights=[18 * mm, None],
    )
    commands = [("LINEBELOW", (i, 0), (i, 0), 0.6, colors.black) for i in range(len(names))]
    commands += [
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 14),
    ]
    table.setStyle(TableStyle(commands))
    return [Spacer(1, 2 * mm), table]


def totals_table(costing, styles, *, extra: Sequence[tuple[str, str]] = ()) -> Table:
    rows = [
        (_("Subtotal"), fmt_money(costing.subtotal, costing.currency)),
        (
            _("Tax (%(rate)s %%)") % {"rate": fmt_number(costing.tax_rate, 2)},
            fmt_money(costing.tax, costing.currency),
        ),
        (_("Total"), fmt_money(costing.total, costing.currency)),
        *extra,
    ]
    bold = ParagraphStyle("totalbold", parent=styles["right"], fontName=FONT_BOLD)
    total = _("Total")
    data = [
        [para(name, bold if name == total else styles["right"]), para(value, bold)]
        for name, value in rows
    ]
    available = A4[0] - 2 * MARGIN
    table = Table(data, colWidths=[available - 40 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


# --- the pickup receipt -------------------------------------------------------------------------


def pickup_receipt_pdf(receipt) -> bytes:
    """The paper the customer keeps while we hold their product, and hands back to collect
    it. A returned (voided) receipt prints with VOID across it."""
    styles = styles_for()
    wo = receipt.work_order
    tz = zone_of(wo)
    unit = receipt.unit
    customer = wo.case.customer
    title = _("Pickup receipt")
    void = _("VOID") if receipt.voided_at else None
    lines = [_("Issued %(when)s") % {"when": fmt_datetime(receipt.issued_at, tz)}]
    if receipt.voided_at:
        lines.append(
            _("Voided %(when)s: the product was returned.")
            % {"when": fmt_datetime(receipt.voided_at, tz)}
        )
    story: list = [header_block(title, receipt.number, barcode(receipt.number), styles, lines)]
    story.append(Spacer(1, 5 * mm))
    owner_name, owner_address = owner_of(wo)
    collect = ", ".join(p for p in (owner_name, owner_address) if p)
    story.append(
        facts_table(
            [
                (_("Customer"), customer.name),
                (_("Phone"), customer.phone),
                (_("Product"), unit.product.name),
                (_("Serial number"), unit.serial_number),
                (_("Accessories"), receipt.accessories or _("none")),
                (_("Visible condition"), receipt.condition or _("no visible damage noted")),
                (_("Work order"), wo.number),
                (_("Case"), wo.case.number),
                (_("Where to collect"), collect),
                (_("Received by"), _person(receipt.issued_by)),
            ],
            styles,
            widths=(42 * mm, None),
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            _(
                "Keep this receipt: bring it, or show its code, when you collect your product. "
                "We hand the product to whoever presents it and signs below."
            ),
            styles["small"],
        )
    )
    story += _signature_lines(
        styles, [_("Customer's signature on drop-off"), _("Signature on collection")]
    )
    return build_pdf(story, title=f"{title} {receipt.number}", subject=wo.number, watermark=void)


# --- the monthly service record --------------------------------------------------------------


def _record_title(record) -> tuple[str, str]:
    month = formats.date_format(date(record.year, record.month, 1), "YEAR_MONTH_FORMAT")
    return _("Monthly service record"), month


def _jobs(count: int) -> str:
    return ngettext("%(n)s job", "%(n)s jobs", count) % {"n": count}


def service_record_pdf(record) -> bytes:
    """A technician's jobs, visits and labour time in one month."""
    styles = styles_for()
    title, month = _record_title(record)
    who = _person(record.technician)
    story: list = [
        para(brand_name(), styles["h2"]),
        para(title, styles["title"]),
        facts_table(
            [
                (_("Technician"), who),
                (_("Month"), month),
                (_("Jobs"), str(record.jobs)),
                (_("Visits"), str(record.visits)),
                (
                    _("Labour time"),
                    f"{fmt_minutes(record.total_minutes)} ({record.total_minutes} min)",
                ),
            ],
            styles,
        ),
        Spacer(1, 4 * mm),
    ]
    if record.rows:
        available = A4[0] - 2 * MARGIN
        widths = [21, 21, 16, 8, 0, 22, 16, 11, 15, 19]
        fixed = sum(w * mm for w in widths if w)
        widths_mm = [w * mm if w else available - fixed for w in widths]
        story.append(
            grid_table(
                [
                    _("Work order"),
                    _("Case"),
                    _("Kind"),
                    _("Cat."),
                    _("Customer"),
                    _("Serial number"),
                    _("Result"),
                    _("Visits"),
                    _("Minutes"),
                    _("Completed"),
                ],
                [
                    [
                        r.work_order,
                        r.case,
                        label(rules.KIND_LABELS, r.kind),
                        r.category,
                        r.customer,
                        r.serial,
                        label(rules.RESULT_LABELS, r.result),
                        str(r.visits),
                        str(r.labour_minutes),
                        fmt_date(r.completed_at),
                    ]
                    for r in record.rows
                ],
                styles,
                widths=widths_mm,
                numeric=[7, 8],
                footer=[
                    [
                        _("Total"),
                        _jobs(record.jobs),
                        "",
                        "",
                        "",
                        "",
                        "",
                        str(record.visits),
                        str(record.total_minutes),
                        "",
                    ]
                ],
            )
        )
    else:
        story.append(para(_("No jobs in this month."), styles["body"]))
    story += _signature_lines(styles, [_("Technician"), _("Supervisor")])
    return build_pdf(story, title=f"{title} · {who} · {month}")


def service_record_csv(record) -> str:
    """The same record as CSV: a header, one row per job, and a totals row. Dates are ISO 8601
    and numbers plain so that spreadsheets read them in any locale."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            _("technician"),
            _("month"),
            _("work order"),
            _("case"),
            _("kind"),
            _("category"),
            _("customer"),
            _("serial number"),
            _("result"),
            _("visits"),
            _("labour minutes"),
            _("completed at"),
        ]
    )
    who = record.technician.username
    month = f"{record.year:04d}-{record.month:02d}"
    for r in record.rows:
        writer.writerow(
            [
                who,
                month,
                r.work_order,
                r.case,
                r.kind,
                r.category,
                r.customer,
                r.serial,
                r.result,
                r.visits,
                r.labour_minutes,
                r.completed_at.isoformat() if r.completed_at else "",
            ]
        )
    writer.writerow(
        [
            who,
            month,
            _("TOTAL"),
            _jobs(record.jobs),
            "",
            "",
            "",
            "",
            "",
            record.visits,
            record.total_minutes,
            "",
        ]
    )
    return out.getvalue()
