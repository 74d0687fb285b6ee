"""The `aftersales` command as an operator uses it: real processes on a fresh data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

AFTERSALES = [sys.executable, "-m", "aftersales.cli"]


def run(args, data_dir: Path, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AFTERSALES_") and k != "DJANGO_SETTINGS_MODULE"
    }
    environment.update({"AFTERSALES_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [*AFTERSALES, *args], capture_output=True, text=True, env=environment, timeout=180
    )


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("installation")
    result = run(["setup", "--units", "40"], data_dir)
    assert result.returncode == 0, result.stderr
    assert "as admin with password" in result.stdout
    return data_dir


def test_every_command_has_help(installation):
    for args in (
        [],
        ["serve"],
        ["worker"],
        ["user", "create"],
        ["token", "create"],
        ["token", "revoke"],
        ["demo"],
        ["import", "units"],
        ["setup"],
        ["partner", "create"],
    ):
        result = run([*args, "--help"], installation)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_setup_is_idempotent_and_prints_the_same_login(installation):
    first = (installation / "initial_login.txt").read_text().strip()
    again = run(["setup"], installation)
    assert again.returncode == 0
    assert first in again.stdout
    demo = run(["demo", "--units", "40"], installation)
    assert "0 new units, 0 new cases" in demo.stdout


def test_user_and_token_lifecycle(installation):
    created = run(
        ["user", "create", "clerk", "--role", "warehouse", "--password", "a-long-pass-phrase-9"],
        installation,
    )
    assert created.returncode == 0, created.stderr
    token = run(["token", "create", "clerk"], installation)
    assert token.returncode == 0
    assert token.stdout.strip().startswith("as_") and len(token.stdout.strip().splitlines()) == 1
    revoked = run(["token", "revoke", token.stdout.strip()], installation)
    assert revoked.returncode == 0 and "revoked 1" in revoked.stdout
    again = run(["token", "revoke", token.stdout.strip()], installation)
    assert again.returncode != 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["user", "create", "x", "--role", "wizard"], "Role must be one of"),
        (["user", "create", "p1", "--role", "partner"], "needs --partner"),
        (
            ["user", "create", "p2", "--role", "partner", "--partner", "NOPE"],
            "No partner has code NOPE",
        ),
        (["token", "create", "nobody"], "User nobody was not found"),
        (["import", "units", "/nonexistent.csv"], "does not exist"),
    ],
)
def test_errors_are_one_line_and_non_zero(installation, args, message):
    result = run(args, installation)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]


def test_partner_user(installation):
    assert run(["partner", "create", "asp-x", "Partner X"], installation).returncode == 0
    result = run(["user", "create", "px", "--role", "partner", "--partner", "ASP-X"], installation)
    assert result.returncode == 0 and "password:" in result.stdout


def test_bad_configuration_names_the_variable(tmp_path):
    result = run(["setup"], tmp_path, AFTERSALES_DEBUG="maybe")
    assert result.returncode == 2
    assert "AFTERSALES_DEBUG must be one of" in result.stderr
    result = run(["setup"], tmp_path, AFTERSALES_DATABASE_URL="mysql://x")
    assert "AFTERSALES_DATABASE_URL must be a URL starting with" in result.stderr
    result = run(["setup"], tmp_path, AFTERSALES_SECRET_KEY="short")
    assert "AFTERSALES_SECRET_KEY must be at least 32" in result.stderr


def test_import_units_csv_reports_bad_rows_and_continues(installation, tmp_path):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "serial_number,sku,customer_email,customer_name,customer_country,sold_on,installed_on,country,dealer\n"
        "IMP-1,WM-800,new.person@example.com,New Person,ES,2026-01-10,,,Shop\n"
        "IMP-2,NOPE,new.person@example.com,New Person,ES,2026-01-10,,,Shop\n"
        "IMP-3,WM-800,new.person@example.com,New Person,ES,2026-13-10,,,Shop\n"
        "IMP-1,WM-800,new.person@example.com,New Person,ES,2026-01-10,,,Shop\n"
        "IMP-4,FR-300,customer00001@example.com,,,2025-05-01,2025-05-03,PT,\n"
        "IMP-5,FR-300,nobody@example.com,,,2025-05-01,,,\n"
    )
    errors = tmp_path / "errors.csv"
    result = run(["import", "units", str(csv_file), "--errors", str(errors)], installation)
    assert result.returncode == 0, result.stderr
    assert "imported 2 units, created 1 customers, 4 bad rows" in result.stdout
    assert "line 3: sku no product has SKU 'NOPE'" in result.stderr
    assert "line 4: sold_on" in result.stderr
    assert "line 5: serial_number IMP-1 appears twice in the file" in result.stderr
    assert "line 7: customer_email" in result.stderr
    assert errors.read_text().count("\n") == 5


def test_import_units_xlsx(installation, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["serial_number", "sku", "customer_email", "customer_name", "country", "sold_on"])
    sheet.append(["XL-1", "TV-55Q", "xl@example.com", "Excel Person", "DE", date(2026, 2, 1)])
    sheet.append(["XL-2", "TV-55Q", "", "", "DE", "2026-02-01"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    result = run(["import", "units", str(path)], installation)
    assert result.returncode == 0, result.stderr
    assert "imported 1 units, created 1 customers, 1 bad rows" in result.stdout, result.stderr
    assert "line 3: customer_email is empty" in result.stderr


def test_serve_runs_the_production_server_and_the_worker(installation):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # As `run` does: the production settings, not the test suite's (whose queue runs tasks
    # inline, so the embedded worker would refuse to start).
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AFTERSALES_") and k != "DJANGO_SETTINGS_MODULE"
    }
    environment["AFTERSALES_DATA_DIR"] = str(installation)
    server = subprocess.Popen(
        [*AFTERSALES, "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        body = None
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2
                ) as r:
                    body = r.read()
                    server_header = r.headers.get("Server", "")
            except OSError:
                time.sleep(0.3)
        assert body is not None and b"/api/v1/cases" in body
        assert "gunicorn" in server_header.lower()
        worker = ""
        while time.time() < deadline and not worker:
            worker = subprocess.run(
                ["pgrep", "-P", str(server.pid), "-f", "aftersales.cli worker"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            time.sleep(0.2)
        assert worker, "the embedded background worker is not running"
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_postgresql_statements_are_prepared_unless_turned_off(tmp_path):
    show = ["-c", "from aftersales.settings import DATABASES as D; print(D['default']['OPTIONS'])"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    environment.update(
        AFTERSALES_DATA_DIR=str(tmp_path),
        AFTERSALES_DATABASE_URL="postgresql://app@db.example:5432/aftersales",
    )
    options = subprocess.run(
        [sys.executable, *show], capture_output=True, text=True, env=environment, check=True
    ).stdout
    assert "'prepare_threshold': 5" in options
    environment["AFTERSALES_DATABASE_PREPARED"] = "off"
    options = subprocess.run(
        [sys.executable, *show], capture_output=True, text=True, env=environment, check=True
    ).stdout
    assert "'prepare_threshold': None" in options and "'connect_timeout': 5" in options
