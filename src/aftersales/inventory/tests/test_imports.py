"""Importing parts and opening stock: good rows go in, bad rows are reported with their line
numbers and reasons, and the rest of the file goes on; CSV and XLSX alike, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from aftersales.catalog.models import Part
from aftersales.inventory import imports
from aftersales.inventory.models import StockBalance, StockMove

pytestmark = pytest.mark.django_db

HEADER = (
    "number,name,unit_of_measure,list_price,cost_price,currency,serialised,"
    "defective_return_required,supply_obligation_years,fits,replaced_by\n"
)
PARTS_CSV = (
    HEADER
    + """FL-1,Filter,pc,9.90,4.00,EUR,no,no,,WM-1,FL-2
FL-2,Filter v2,set,11.00,5.00,EUR,no,yes,10,WM-1|WM-9,
BAD 1,Spaces,pc,1,1,EUR,no,no,,,
FL-3,Negative,pc,-4,1,EUR,no,no,,,
FL-4,Unit,box,1,1,EUR,no,no,,,
FL-5,Flag,pc,1,1,EUR,maybe,no,,,
FL-6,Loop,pc,1,1,EUR,no,no,,,FL-6
DP-100,Drain pump (renamed),pc,45.00,21.00,EUR,no,no,,,
"""
)

STOCK_CSV = """part_number,location_code,quantity,serials,reference
DP-100,CENTRAL,5,,
MB-200,CENTRAL,2,B-1|B-2,first delivery
NOPE,CENTRAL,1,,
DP-100,NOWHERE,1,,
DP-100,CENTRAL,lots,,
MB-200,CENTRAL,2,B-3,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_parts_import_reports_bad_rows_and_goes_on(tmp_path, stock):
    path = write(tmp_path, "parts.csv", PARTS_CSV)
    report = imports.parts_import(imports.read_rows(path, imports.PART_REQUIRED))
    assert report.created == 2 and report.updated == 1
    reasons = {(e.line, e.field) for e in report.errors}
    assert reasons == {
        (3, "fits"),  # WM-9 is not a product: FL-2 is refused, so FL-1's successor is missing
        (4, "number"),
        (5, "list_price"),
        (6, "unit_of_measure"),
        (7, "serialised"),
        (2, "replaced_by"),
        (8, "replaced_by"),
    }
    fl1 = Part.objects.get(number="FL-1")
    assert str(fl1.list_price) == "9.90" and [p.sku for p in fl1.fits.all()] == ["WM-1"]
    assert Part.objects.get(number="DP-100").name == "Drain pump (renamed)"
    assert not Part.objects.filter(number="FL-3").exists()


def test_stock_import_receives_opening_stock(tmp_path, stock):
    path = write(tmp_path, "stock.csv", STOCK_CSV)
    report = imports.stock_import(imports.read_rows(path, imports.STOCK_REQUIRED))
    assert report.created == 2
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "part_number"),
        (5, "location_code"),
        (6, "quantity"),
        (7, "serials"),
    ]
    central = StockBalance.objects.get(part__number="MB-200", location__code="CENTRAL")
    assert central.on_hand == 2
    assert StockMove.objects.filter(reference="opening stock").count() == 1
    assert StockMove.objects.filter(reference="first delivery").count() == 2


def test_xlsx_and_a_missing_column(tmp_path, stock):
    book = Workbook()
    sheet = book.active
    sheet.append(["part_number", "location_code", "quantity"])
    sheet.append(["DP-100", "CENTRAL", 3])
    sheet.append([None, None, None])
    sheet.append(["DP-100", "CENTRAL", 0])
    path = tmp_path / "stock.xlsx"
    book.save(path)
    report = imports.stock_import(imports.read_rows(path, imports.STOCK_REQUIRED))
    assert report.created == 1 and [(e.line, e.field) for e in report.errors] == [(4, "quantity")]
    bad = write(tmp_path, "nocolumn.csv", "part_number,quantity\nDP-100,1\n")
    with pytest.raises(imports.ImportFileError, match="location_code"):
        list(imports.read_rows(bad, imports.STOCK_REQUIRED))
    with pytest.raises(imports.ImportFileError):
        list(imports.read_rows(tmp_path / "x.txt", imports.STOCK_REQUIRED))


def test_the_cli_commands(tmp_path, stock):
    from aftersales.cli import app

    runner = CliRunner()
    parts = write(tmp_path, "parts.csv", PARTS_CSV)
    errors = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", "parts", str(parts), "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    assert "created 2 parts, updated 1, 7 bad rows" in result.output
    assert errors.read_text().startswith("line,field,reason")
    stock_file = write(tmp_path, "stock.csv", STOCK_CSV)
    result = runner.invoke(app, ["import", "stock", str(stock_file)])
    assert result.exit_code == 0, result.output
    assert "received 2 stock rows, 4 bad rows" in result.output
    assert "line 4: part_number" in result.output
