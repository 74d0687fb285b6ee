"""The partner's claim statement, printed (PDF) and for spreadsheets (CSV): its number, the
partner, the period, every claim paid and every chargeback taken back, and the totals.

Built with the work orders' PDF building blocks (brand, fonts, tables, footer) and rendered
in the active Django language; the CSV keeps ISO dates and plain numbers so that any
spreadsheet reads it in any locale. Both read their rows from `selectors.statement_rows`, so
the paper, the file and the API say the same."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from aftersales.claims import selectors
from aftersales.workorders.documents import (
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


def _is_chargeback(row: dict) -> bool:
    return row["kind"] == "chargeback"


def _iso(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value or "")


def statement_pdf(statement) -> bytes:
    styles = styles_for()
    title = _("Warranty claims statement")
    number = statement.number
    currency = statement.currency
    rows = selectors.statement_rows(statement)
    partner = statement.partner
    story: list = [
        header_block(
            title,
            number,
            qr_code(number),
            styles,
            [_("Issued %(when)s") % {"when": fmt_datetime(statement.issued_at)}],
        )
    ]
    story.append(Spacer(1, 4 * mm))
    story.append(
        facts_table(
            [
                (_("Partner"), f"{partner.name} ({partner.code})"),
                (
                    _("Period"),
                    f"{fmt_date(statement.period_start)} – {fmt_date(statement.period_end)}",
                ),
                (_("Currency"), currency),
            ],
            styles,
            widths=(42 * mm, None),
        )
    )
    story.append(Spacer(1, 4 * mm))
    claims = [r for r in rows if not _is_chargeback(r)]
    chargebacks = [r for r in rows if _is_chargeback(r)]
    story.append(para(_("Claims paid"), styles["h2"]))
    if claims:
        story.append(
            grid_table(
                [_("Claim"), _("Work order"), _("Serial number"), _("Repair date"), _("Amount")],
                [
                    [
                        r["claim"],
                        r["work_order"],
                        r["serial_number"],
                        fmt_date(r["repair_date"]),
                        fmt_money(r["amount"], currency),
                    ]
                    for r in claims
                ],
                styles,
                widths=[30 * mm, 30 * mm, 45 * mm, 28 * mm, 45 * mm],
                numeric=[4],
            )
        )
    else:
        story.append(para(_("No claims in this period."), styles["body"]))
    if chargebacks:
        story.append(para(_("Chargebacks"), styles["h2"]))
        story.append(
            grid_table(
                [_("Claim"), _("Reason"), _("Amount")],
                [
                    [
                        r["claim"],
                        r["description"],
                        fmt_money(r["amount"], currency),
                    ]
                    for r in chargebacks
                ],
                styles,
                widths=[30 * mm, 103 * mm, 45 * mm],
                numeric=[2],
            )
        )
    story.append(Spacer(1, 5 * mm))
    story.append(
        grid_table(
            [_("Total"), _("Amount")],
            [
                [_("Approved claims"), fmt_money(statement.approved_total, currency)],
                [_("Charged back"), fmt_money(-statement.chargeback_total, currency)],
            ],
            styles,
            widths=[133 * mm, 45 * mm],
            numeric=[1],
            footer=[[_("To pay"), fmt_money(statement.net_total, currency)]],
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            _(
                "Chargebacks take back amounts paid on earlier statements for claims later "
                "found invalid. Questions about a line: quote the statement and claim numbers."
            ),
            styles["small"],
        )
    )
    return build_pdf(story, title=f"{title} {number}", subject=number)


CSV_HEADER = (
    "statement",
    "partner",
    "period_start",
    "period_end",
    "currency",
    "kind",
    "claim",
    "work_order",
    "serial_number",
    "repair_date",
    "description",
    "amount",
)


def statement_csv(statement) -> str:
    """One row per statement line after a header; amounts plain (a chargeback negative),
    dates ISO 8601. The column names are fixed English words, for the programs that read it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    head = [
        statement.number,
        statement.partner.code,
        statement.period_start.isoformat(),
        statement.period_end.isoformat(),
        statement.currency,
    ]
    for row in selectors.statement_rows(statement):
        writer.writerow(
            head
            + [
                "chargeback" if _is_chargeback(row) else "claim",
                row["claim"],
                row["work_order"],
                row["serial_number"],
                _iso(row["repair_date"]),
                row["description"],
                f"{Decimal(row['amount']):.2f}",
            ]
        )
    return out.getvalue()
