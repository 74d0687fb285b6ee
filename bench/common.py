"""Shared by the benchmarks: the machine, servers under test, wrk, results files."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
PG_URL = os.environ.get("AFTERSALES_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("AFTERSALES_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def machine(database: str | None = None) -> dict:
    info = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # The machine is shared: how busy it was when the figures were written.
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
    }
    if database:
        info["database"] = database
    return info


def write_result(name: str, figures: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {
        "name": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **figures,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_URL + "/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def engines() -> list[str]:
    """SQLite, and PostgreSQL when reachable; BENCH_ENGINES=sqlite (or postgres) limits a run."""
    wanted = os.environ.get("BENCH_ENGINES")
    if wanted:
        return [e.strip() for e in wanted.split(",") if e.strip()]
    found = ["sqlite"]
    if postgres_reachable():
        found.append("postgres")
    else:
        print("PostgreSQL is not reachable: PostgreSQL figures are skipped", file=sys.stderr)
    return found


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(PG_URL + "/postgres") as conn:
        return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]


def sqlite_version() -> str:
    import sqlite3

    return "SQLite " + sqlite3.sqlite_version + " (WAL)"


@contextmanager
def installation(engine: str, label: str):
    """A fresh installation's environment: a temp data dir, and a new PostgreSQL database."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"aftersales-bench-{label}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    env["AFTERSALES_DATA_DIR"] = str(data_dir)
    # This tree's code, whatever is installed in the environment.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    dbname = f"aftersales_bench_{label}".lower()
    if engine == "postgres":
        import psycopg

        with psycopg.connect(PG_URL + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["AFTERSALES_DATABASE_URL"] = f"{PG_URL}/{dbname}"
    try:
        yield env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if engine == "postgres":
            import psycopg

            with psycopg.connect(PG_URL + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@contextmanager
def server(env: dict, *, workers: int = 2):
    """gunicorn, as `aftersales serve` runs it, with the bench URLs added."""
    port = free_port()
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "sync",
            "--preload",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrk(
    url: str,
    *,
    script: str | None = None,
    seconds: int = 10,
    connections: int = 8,
    threads: int = 2,
    env: dict | None = None,
) -> dict:
    """Requests/s and latency percentiles from wrk (Debian's package)."""
    if not shutil.which("wrk"):
        raise SystemExit("The benchmarks need wrk: apt-get install wrk")
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    result = subprocess.run(
        [*args, url], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    text = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        latency[f"p{pct}_ms"] = round(float(value) * factor, 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {
        "requests_per_s": rps,
        **latency,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else None,
    }


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
