"""Reading unit files (CSV or XLSX) as a stream of (line number, row) pairs."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

UNIT_COLUMNS = (
    "serial_number",
    "sku",
    "customer_email",
    "customer_name",
    "customer_phone",
    "customer_country",
    "sold_on",
    "installed_on",
    "country",
    "dealer",
)
REQUIRED_COLUMNS = ("serial_number", "sku", "sold_on")


class ImportFileError(ValueError):
    pass


def _check_header(header: list[str], path: Path) -> list[str]:
    names = [(h or "").strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ImportFileError(f"{path.name} lacks the column(s): {', '.join(missing)}.")
    if "customer_email" not in names and "customer_id" not in names:
        raise ImportFileError(f"{path.name} needs a customer_email or customer_id column.")
    return names


def read_rows(
    path: Path, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict]]:
    """Yields (line number, row) without holding the file in memory; `progress` is told how
    far through the file it is (bytes for CSV, rows for XLSX)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, progress)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path, progress)
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported.")


def file_size(path: Path) -> int:
    if path.suffix.lower() == ".csv":
        return path.stat().st_size
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).active
    return max((sheet.max_row or 1) - 1, 0)


def _read_csv(path: Path, progress) -> Iterator[tuple[int, dict]]:
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = _check_header(next(reader), path)
        except StopIteration:
            raise ImportFileError(f"{path.name} is empty.") from None
        width = len(header)
        for line, values in enumerate(reader, start=2):
            if not values:
                continue
            if len(values) < width:
                values = values + [""] * (width - len(values))
            yield line, dict(zip(header, values, strict=False))
            if progress is not None and line % 2000 == 0:
                progress(raw.tell())
        if progress is not None:
            progress(raw.tell())


def _read_xlsx(path: Path, progress) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).active
    rows = sheet.iter_rows(values_only=True)
    try:
        header = _check_header([str(h or "") for h in next(rows)], path)
    except StopIteration:
        raise ImportFileError(f"{path.name} is empty.") from None
    for line, values in enumerate(rows, start=2):
        if values is None or all(v is None for v in values):
            continue
        row = {}
        for name, value in zip(header, values, strict=False):
            if value is None:
                row[name] = ""
            elif hasattr(value, "date") and callable(value.date):
                row[name] = value.date().isoformat()
            elif hasattr(value, "isoformat"):
                row[name] = value.isoformat()
            else:
                row[name] = str(value)
        yield line, row
        if progress is not None and line % 2000 == 0:
            progress(line - 1)
