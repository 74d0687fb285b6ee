"""Importing the parts catalog and opening stock from CSV or XLSX files.

Every row goes through the same services as the API (catalog `part_create` / `part_update` /
`part_set_fits` / `part_supersede`, inventory `stock_receive`), one transaction per row, so a
bad row is reported with its line number and reason and the rest of the file goes on.
Columns are documented in the README ("Spare parts")."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aftersales.core.errors import DomainError

PART_COLUMNS = (
    "number",
    "name",
    "unit_of_measure",
    "list_price",
    "cost_price",
    "currency",
    "serialised",
    "defective_return_required",
    "supply_obligation_years",
    "fits",
    "replaced_by",
)
PART_REQUIRED = ("number", "name")
STOCK_COLUMNS = ("part_number", "location_code", "quantity", "serials", "reference")
STOCK_REQUIRED = ("part_number", "location_code", "quantity")
LIST_SEPARATORS = ("|", ";")
TRUE = {"1", "true", "yes", "y", "x", "si", "sí"}
FALSE = {"", "0", "false", "no", "n"}


class ImportFileError(ValueError):
    pass


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    MAX_KEPT_ERRORS = 1000

    def reject(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < self.MAX_KEPT_ERRORS:
            self.errors.append(error)


# --- reading --------------------------------------------------------------------------------


def _check_header(header: list[str], path: Path, required: tuple[str, ...]) -> list[str]:
    names = [(h or "").strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise ImportFileError(f"{path.name} lacks the column(s): {', '.join(missing)}.")
    return names


def read_rows(
    path: Path, required: tuple[str, ...], progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict]]:
    """Yields (line number, row) without holding the file in memory; `progress` is told how
    far through the file it is (bytes for CSV, rows for XLSX)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, required, progress)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path, required, progress)
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported.")


def file_size(path: Path) -> int:
    if path.suffix.lower() == ".csv":
        return path.stat().st_size
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).active
    return max((sheet.max_row or 1) - 1, 0)


def _read_csv(path: Path, required, progress) -> Iterator[tuple[int, dict]]:
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = _check_header(next(reader), path, required)
        except StopIteration:
            raise ImportFileError(f"{path.name} is empty.") from None
        width = len(header)
        for line, values in enumerate(reader, start=2):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) < width:
                values = values + [""] * (width - len(values))
            yield line, dict(zip(header, values, strict=False))
            if progress is not None and line % 500 == 0:
                progress(raw.tell())
        if progress is not None:
            progress(raw.tell())


def _read_xlsx(path: Path, required, progress) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).active
    rows = sheet.iter_rows(values_only=True)
    try:
        header = _check_header([str(h or "") for h in next(rows)], path, required)
    except StopIteration:
        raise ImportFileError(f"{path.name} is empty.") from None
    for line, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {}
        for name, value in zip(header, values, strict=False):
            if value is None:
                row[name] = ""
            elif isinstance(value, float) and value.is_integer():
                row[name] = str(int(value))
            else:
                row[name] = str(value)
        yield line, row
        if progress is not None and line % 500 == 0:
            progress(line - 1)


# --- checking cells -------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _flag(row: dict, name: str) -> bool:
    value = (row.get(name) or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise _Bad(name, f"{value!r} is not yes or no")


def _whole(row: dict, name: str, *, optional: bool = False) -> int | None:
    value = (row.get(name) or "").strip()
    if not value and optional:
        return None
    try:
        return int(value)
    except ValueError:
        raise _Bad(name, f"{value!r} is not a whole number") from None


def split_list(value: str) -> list[str]:
    text = value or ""
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [item.strip() for item in text.split(LIST_SEPARATORS[0]) if item.strip()]


def _domain(exc: DomainError) -> RowError:
    return RowError(0, str(exc.details.get("field", "")), exc.message)


# --- parts ----------------------------------------------------------------------------------


def parts_import(rows: Iterable[tuple[int, dict]]) -> ImportReport:
    """Creates the parts a file names and updates those that exist (name, unit, prices,
    flags, and the fit list when the `fits` cell is filled). Supersessions are set after
    every row is in, so a successor may come later in the file."""
    from aftersales.catalog import services as catalog
    from aftersales.catalog.models import Part

    report = ImportReport()
    successors: list[tuple[int, str, str]] = []
    for line, row in rows:
        number = catalog.normalise_part_number(row.get("number", ""))
        try:
            values = {
                "name": (row.get("name") or "").strip(),
                "unit_of_measure": (row.get("unit_of_measure") or "pc").strip().lower() or "pc",
                "list_price": (row.get("list_price") or "0").strip() or "0",
                "cost_price": (row.get("cost_price") or "0").strip() or "0",
                "currency": (row.get("currency") or "EUR").strip() or "EUR",
                "serialised": _flag(row, "serialised"),
                "defective_return_required": _flag(row, "defective_return_required"),
                "supply_obligation_years": _whole(row, "supply_obligation_years", optional=True),
            }
        except _Bad as bad:
            report.reject(RowError(line, bad.field, bad.reason))
            continue
        fits = split_list(row.get("fits", ""))
        try:
            if Part.objects.filter(number=number).exists():
                catalog.part_update(number=number, **values)
                if fits:
                    catalog.part_set_fits(number=number, skus=fits)
                report.updated += 1
            else:
                catalog.part_create(number=number, fits=fits, **values)
                report.created += 1
        except DomainError as exc:
            error = _domain(exc)
            report.reject(RowError(line, error.field or "number", error.reason))
            continue
        successor = (row.get("replaced_by") or "").strip()
        if successor:
            successors.append((line, number, successor))
    for line, number, successor in successors:
        try:
            catalog.part_supersede(number=number, replaced_by=successor)
        except DomainError as exc:
            report.reject(RowError(line, "replaced_by", exc.message))
    return report


# --- opening stock --------------------------------------------------------------------------


def stock_import(rows: Iterable[tuple[int, dict]], *, actor=None) -> ImportReport:
    """Opening stock: each row is received at its location (a receipt from the supplier with
    the reference 'opening stock' unless one is given); serials separated by | or ;."""
    from aftersales.inventory import services

    report = ImportReport()
    for line, row in rows:
        try:
            quantity = _whole(row, "quantity")
        except _Bad as bad:
            report.reject(RowError(line, bad.field, bad.reason))
            continue
        try:
            services.stock_receive(
                actor=actor,
                part_number=(row.get("part_number") or "").strip(),
                location_code=(row.get("location_code") or "").strip(),
                quantity=quantity,
                serials=split_list(row.get("serials", "")),
                reference=(row.get("reference") or "").strip() or "opening stock",
            )
        except DomainError as exc:
            error = _domain(exc)
            report.reject(RowError(line, error.field or "part_number", error.reason))
            continue
        report.created += 1
    return report
