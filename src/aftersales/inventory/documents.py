"""Stock papers: the replenishment proposal (PDF for reading, CSV for the purchasing system)
and the reconciliation of a technician or partner (CSV).

The CSVs stream (a run over ten million reorder rules can propose a million lines); the PDF
lists the first `PDF_LINES` lines and says so. Rendered in the active Django language, with
the layout helpers of the work-order papers."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from aftersales.inventory import selectors

PDF_LINES = 2000

CSV_COLUMNS = (
    "kind",
    "part",
    "part_name",
    "from_location",
    "to_location",
    "quantity",
    "on_hand",
    "reserved",
    "incoming",
    "minimum",
    "maximum",
    "unmet",
)


class _Echo:
    """A file-like object that hands back what is written: one CSV row at a time."""

    def write(self, value: str) -> str:
        return value


def replenishment_rows(run) -> Iterator[list]:
    yield list(CSV_COLUMNS)
    lines = selectors.replenishment_lines(run.pk)
    for line in lines.iterator(chunk_size=5000):
        yield [
            line.kind,
            line.part.number,
            line.part.name,
            line.from_location.code if line.from_location_id else "",
            line.to_location.code,
            line.quantity,
            line.on_hand,
            line.reserved,
            line.incoming,
            "" if line.minimum is None else line.minimum,
            "" if line.maximum is None else line.maximum,
            line.unmet,
        ]


def csv_stream(rows) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


def replenishment_csv_response(run) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_stream(replenishment_rows(run)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="replenishment-{run.pk}.csv"'
    return response


def _kind_label(kind: str) -> str:
    return {"transfer": _("Transfer"), "purchase": _("Purchase")}.get(kind, kind)


def replenishment_pdf(run) -> bytes:
    from aftersales.workorders import documents as docs

    styles = docs.styles_for()
    number = f"RP-{run.pk:06d}"
    title = _("Replenishment proposal")
    story: list = [
        docs.header_block(
            title,
            number,
            docs.qr_code(number),
            styles,
            [
                _("Run at %(at)s from %(source)s")
                % {"at": docs.fmt_datetime(run.at), "source": run.source.code},
                _("%(rules)s reorder rules checked: %(t)s transfers, %(p)s purchases")
                % {
                    "rules": run.rules_checked,
                    "t": run.transfer_lines,
                    "p": run.purchase_lines,
                },
            ],
        ),
        Spacer(1, 5 * mm),
    ]
    lines = list(selectors.replenishment_lines(run.pk)[: PDF_LINES + 1])
    rows = [
        [
            _kind_label(line.kind),
            line.part.number,
            line.part.name,
            line.to_location.code,
            line.quantity,
            line.on_hand - line.reserved,
            line.incoming,
            "" if line.minimum is None else f"{line.minimum}/{line.maximum}",
            line.unmet or "",
        ]
        for line in lines[:PDF_LINES]
    ]
    available = A4[0] - 2 * docs.MARGIN
    widths = [20 * mm, 26 * mm, None, 24 * mm, 15 * mm, 17 * mm, 15 * mm, 17 * mm, 13 * mm]
    widths[2] = available - sum(w for w in widths if w)
    if rows:
        story.append(
            docs.grid_table(
                [
                    _("Kind"),
                    _("Part"),
                    _("Name"),
                    _("To"),
                    _("Quantity"),
                    _("Available"),
                    _("Incoming"),
                    _("Min/max"),
                    _("Unmet"),
                ],
                rows,
                styles,
                widths=widths,
                numeric=(4, 5, 6, 8),
            )
        )
    else:
        story.append(docs.para(_("Nothing to replenish."), styles["body"]))
    if len(lines) > PDF_LINES:
        story.append(
            docs.para(
                _("The first %(n)s lines are shown; the CSV file has all of them.")
                % {"n": PDF_LINES},
                styles["small"],
            )
        )
    return docs.build_pdf(story, title=f"{title} {number}", subject=title)


RECONCILIATION_COLUMNS = (
    "part",
    "opening",
    "received",
    "consumed",
    "returned_unused",
    "scrapped",
    "expected_closing",
    "closing",
    "difference",
)


def reconciliation_rows(report: dict) -> Iterator[list]:
    """Rows of the reconciliation CSV from the API's shape of the report: one per part, the
    total, then the defective returns."""
    yield ["holder", report["holder"], "from", report["date_from"], "to", report["date_to"]]
    yield list(RECONCILIATION_COLUMNS)
    for part in report["parts"]:
        yield [part[c] for c in RECONCILIATION_COLUMNS]
    total = report["total"]
    yield ["TOTAL", *[total[c] for c in RECONCILIATION_COLUMNS[1:]]]
    yield []
    yield ["defective_due", "defective_received", "defective_overdue", "defective_outstanding"]
    yield [
        report["defective_due"],
        report["defective_received"],
        report["defective_overdue"],
        report["defective_outstanding"],
    ]


def reconciliation_csv_response(report: dict) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_stream(reconciliation_rows(report)), content_type="text/csv; charset=utf-8"
    )
    name = f"reconciliation-{report['holder']}-{report['date_from']}-{report['date_to']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
