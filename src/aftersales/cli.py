"""The `aftersales` command: serve, work, and administer an installation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

app = typer.Typer(
    help="Aftersales: after-sales service management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Staff and partner users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
partner_app = typer.Typer(
    help="Partner organisations (authorised service providers).", no_args_is_help=True
)
import_app = typer.Typer(help="Bulk imports from CSV or XLSX files.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(partner_app, name="partner")
app.add_typer(import_app, name="import")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class Failure(Exception):
    """A command could not do what was asked; the message is the one line the user sees."""


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise Failure(f"configuration: {exc}") from None


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=0)


def _embedded() -> bool:
    return not os.environ.get("AFTERSALES_REDIS_URL", "").strip()


@app.command()
def setup(
    demo_if_empty: Annotated[
        bool, typer.Option(help="Load the demo data set into an empty database.")
    ] = True,
    units: Annotated[int, typer.Option(help="Demo units to create.")] = 300,
) -> None:
    """Apply migrations, create the first admin login, and load demo data into an empty database."""
    _django()
    from aftersales.core import demo

    _migrate()
    login = demo.ensure_admin_login()
    if demo_if_empty and demo.database_is_empty():
        with _progress() as progress:
            task = progress.add_task("demo data", total=units)
            demo.load(units=units, progress=lambda n: progress.update(task, completed=n))
    out.print(login.describe())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.", min=1)] = 2,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not start the background worker.")
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Apply migrations, then serve the web UI, the API and static files (gunicorn)."""
    _django()
    _migrate()
    worker = None
    if _embedded() and not no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "aftersales.cli", "worker"])
    out.print(f"Aftersales on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    try:
        _gunicorn(host=host, port=port, workers=workers, access_log=access_log)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def _gunicorn(*, host: str, port: int, workers: int, access_log: bool) -> None:
    from gunicorn.app.base import BaseApplication

    from aftersales.wsgi import application

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", "-" if access_log else None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("proc_name", "aftersales")

        def load(self):
            return application

    Server().run()


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Worker threads.", min=1)] = 2,
) -> None:
    """Run the background worker (queued and periodic tasks) alone."""
    _django()
    from django.core.management import call_command

    call_command("run_huey", workers=threads, worker_type="thread")


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[
        str,
        typer.Option(help="admin, manager, supervisor, agent, technician, warehouse or partner."),
    ],
    password: Annotated[
        str | None, typer.Option(help="Password; one is generated and printed when left out.")
    ] = None,
    partner: Annotated[str | None, typer.Option(help="Partner code, for partner users.")] = None,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
) -> None:
    """Create a user with a role."""
    _django()
    from aftersales.accounts.services import user_create as create

    user, secret = create(
        username=username, role=role, password=password, partner_code=partner, email=email
    )
    out.print(f"created {user.username} ({user.role})")
    if password is None:
        out.print(f"password: {secret}")


@partner_app.command("create")
def partner_create(code: str, name: str) -> None:
    """Create a partner organisation."""
    _django()
    from aftersales.network.services import partner_create as create

    partner = create(code=code, name=name)
    out.print(f"created partner {partner.code}")


@token_app.command("create")
def token_create(username: str) -> None:
    """Print a new API token for USERNAME, and only the token (it is shown once)."""
    _django()
    from aftersales.accounts.services import token_create as create

    _record, token = create(username=username)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token, or its first 11 characters.")],
) -> None:
    """Revoke a token."""
    _django()
    from aftersales.accounts.services import token_revoke as revoke

    count = revoke(token_or_prefix=token)
    out.print(f"revoked {count} token(s)")


@token_app.command("list")
def token_list(username: str) -> None:
    """List a user's tokens (prefixes only)."""
    _django()
    from aftersales.accounts.selectors import tokens_of

    for token in tokens_of(username):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        out.print(f"{token.prefix}…  created {token.created_at:%Y-%m-%d %H:%M}  {state}")


@app.command()
def demo(
    units: Annotated[
        int, typer.Option(help="How many demo units (and about a third as many cases).", min=1)
    ] = 300,
    claims: Annotated[
        int | None,
        typer.Option(
            "--claims",
            help="Instead of the demo data set, load a synthetic warranty-claims world with "
            "this many claims, some of them abusive (partners, customers, units, claims).",
            min=1,
        ),
    ] = None,
    fraud_rate: Annotated[
        float,
        typer.Option(
            "--fraud-rate", help="Share of the synthetic claims that are abusive.", min=0, max=0.9
        ),
    ] = 0.05,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the synthetic world: same seed, same world.")
    ] = 1,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels", help="Write 'claim,pattern' for every synthetic claim to this CSV file."
        ),
    ] = None,
) -> None:
    """Load a realistic demo data set (idempotent: run it again and nothing doubles)."""
    _django()
    from aftersales.core import demo as demo_data

    _migrate()
    if claims is not None:
        _demo_claims(claims=claims, fraud_rate=fraud_rate, seed=seed, labels=labels)
        return
    with _progress() as progress:
        task = progress.add_task("demo data", total=units)
        summary = demo_data.load(units=units, progress=lambda n: progress.update(task, completed=n))
    out.print(summary)


def _demo_claims(*, claims: int, fraud_rate: float, seed: int, labels: Path | None) -> None:
    """Generates and loads the synthetic claims world, then says what went in."""
    import csv
    import time

    from aftersales.claims import synthetic
    from aftersales.claims.choices import claim_number

    started = time.perf_counter()
    with err.status(f"generating {claims:,} synthetic claims (seed {seed})"):
        world = synthetic.generate(claims=claims, fraud_rate=fraud_rate, seed=seed)
    generated = time.perf_counter() - started
    try:
        with _progress() as progress:
            task = progress.add_task("loading synthetic claims", total=None)
            loaded = synthetic.load(
                world,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except synthetic.AlreadyLoaded as exc:
        raise Failure(f"{exc}; choose another --seed") from None
    elapsed = time.perf_counter() - started
    sizes = world.summary()
    out.print(
        f"synthetic claims world (seed {seed}, fraud rate {fraud_rate:g}): "
        + ", ".join(f"{sizes[k]:,} {k.replace('_', ' ')}" for k in sizes)
    )
    out.print(f"generated in {generated:.1f} s, loaded in {elapsed - generated:.1f} s")
    counts = world.pattern_counts()
    out.print(f"honest claims: {len(loaded) - sum(counts.values()):,}")
    for pattern, count in counts.items():
        out.print(f"  {pattern}: {count:,}")
    if labels is not None:
        with open(labels, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["claim", "pattern"])
            writer.writerows((claim_number(pk), label or "") for pk, label in loaded.items())
        out.print(f"labels written to {labels}")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal and not os.environ.get("AFTERSALES_PROGRESS"),
    )


@import_app.command("units")
def import_units(
    file: Annotated[
        Path, typer.Argument(help="A .csv or .xlsx file; columns are listed in the README.")
    ],
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="Write every bad row to this CSV file.")
    ] = None,
) -> None:
    """Register units from a file, reporting bad rows with line numbers without stopping."""
    _django()
    from aftersales.catalog.selectors import sku_index
    from aftersales.customers import imports, services

    if not file.exists():
        raise Failure(f"{file} does not exist.")
    try:
        total = imports.file_size(file)
        with _progress() as progress:
            task = progress.add_task(f"importing {file.name}", total=total or None)
            rows = imports.read_rows(
                file, progress=lambda done: progress.update(task, completed=done)
            )
            report = services.units_import(rows, sku_ids=sku_index())
    except imports.ImportFileError as exc:
        raise Failure(str(exc)) from None
    out.print(
        f"imported {report.imported} units, created {report.customers_created} customers, "
        f"{report.error_count} bad rows"
    )
    for error in report.errors[:20]:
        err.print(f"line {error.line}: {error.field} {error.reason}")
    if report.error_count > 20:
        err.print(f"… and {report.error_count - 20} more")
    if errors_to is not None:
        import csv

        with open(errors_to, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "reason"])
            writer.writerows((e.line, e.field, e.reason) for e in report.errors)


def _import_stock_file(file: Path, errors_to: Path | None, what: str) -> None:
    """Parts or opening stock from a file, with a progress bar; bad rows are reported with
    their line numbers and the rest goes in."""
    _django()
    from aftersales.inventory import imports

    if not file.exists():
        raise Failure(f"{file} does not exist.")
    required = imports.PART_REQUIRED if what == "parts" else imports.STOCK_REQUIRED
    run = imports.parts_import if what == "parts" else imports.stock_import
    try:
        total = imports.file_size(file)
        with _progress() as progress:
            task = progress.add_task(f"importing {file.name}", total=total or None)
            rows = imports.read_rows(
                file, required, progress=lambda done: progress.update(task, completed=done)
            )
            report = run(rows)
    except imports.ImportFileError as exc:
        raise Failure(str(exc)) from None
    if what == "parts":
        out.print(
            f"created {report.created} parts, updated {report.updated}, "
            f"{report.error_count} bad rows"
        )
    else:
        out.print(f"received {report.created} stock rows, {report.error_count} bad rows")
    for error in report.errors[:20]:
        err.print(f"line {error.line}: {error.field} {error.reason}")
    if report.error_count > 20:
        err.print(f"… and {report.error_count - 20} more")
    if errors_to is not None:
        import csv

        with open(errors_to, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "reason"])
            writer.writerows((e.line, e.field, e.reason) for e in report.errors)


@import_app.command("parts")
def import_parts(
    file: Annotated[
        Path, typer.Argument(help="A .csv or .xlsx file; columns are listed in the README.")
    ],
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="Write every bad row to this CSV file.")
    ] = None,
) -> None:
    """Create or update spare parts (fits, supersession) from a file."""
    _import_stock_file(file, errors_to, "parts")


@import_app.command("stock")
def import_stock(
    file: Annotated[
        Path, typer.Argument(help="A .csv or .xlsx file; columns are listed in the README.")
    ],
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="Write every bad row to this CSV file.")
    ] = None,
) -> None:
    """Receive opening stock per part and location from a file."""
    _import_stock_file(file, errors_to, "stock")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. `aftersales manage createsuperuser`)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["aftersales manage", *ctx.args])


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def main() -> None:
    from aftersales.core.errors import DomainError

    try:
        app()
    except Failure as exc:
        err.print(f"error: {exc}", highlight=False)
        sys.exit(2)
    except DomainError as exc:
        err.print(f"error: {exc.message}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the database is down, a file cannot be read...
        from django.db import Error as DatabaseError

        if isinstance(exc, DatabaseError | OSError):
            err.print(
                f"error: {exc.__class__.__name__}: {first_line(exc)}",
                highlight=False,
            )
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
