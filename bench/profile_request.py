"""Per-request CPU time and query count of the intake and entitlement endpoints, in process,
through the same WSGI application gunicorn serves (every middleware included). Throughput
on a shared machine is noisy; CPU time per request and queries per request are not.

    .venv/bin/python -m bench.profile_request                 # both, CPU ms and queries
    .venv/bin/python -m bench.profile_request --show-queries  # and the SQL of one request
    .venv/bin/python -m bench.profile_request --profile intake  # and a cProfile of it

It seeds a temporary installation (SQLite; AFTERSALES_DATABASE_URL for PostgreSQL) unless
AFTERSALES_DATA_DIR names one already seeded.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time

from bench import common


def _environ(method: str, path: str, token: str, body: bytes = b"", query: str = "") -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


TYPES = ["repair", "installation", "technical_guidance", "complaint", "training", "sample_test",
         "marketing_support", "delivery", "other"]  # fmt: skip


def intake_environ(token: str, units: int, rng: random.Random) -> dict:
    body = json.dumps(
        {
            "type": rng.choice(TYPES),
            "channel": "api",
            "serial_number": f"SN{rng.randrange(units):08d}",
            "summary": "Bench contact",
            "description": "Drum does not spin",
            "priority": "normal",
        }
    ).encode()
    return _environ("POST", "/api/v1/cases", token, body)


def entitlement_environ(token: str, units: int, rng: random.Random) -> dict:
    serial = f"SN{rng.randrange(units):08d}"
    return _environ("GET", f"/api/v1/units/{serial}/entitlement", token, query="on=2026-06-01")


ENDPOINTS = {"intake": intake_environ, "entitlement": entitlement_environ}


def call(application, environ: dict) -> tuple[str, bytes]:
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    body = b"".join(application(environ, start_response))
    return status[0], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoints", nargs="*", default=list(ENDPOINTS))
    parser.add_argument("--units", type=int, default=50000)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("-n", type=int, default=400, help="requests measured per endpoint")
    parser.add_argument("--show-queries", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if not os.environ.get("AFTERSALES_DATA_DIR"):
        data_dir = tempfile.mkdtemp(prefix="aftersales-profile-")
        os.environ["AFTERSALES_DATA_DIR"] = data_dir
    token_file = os.path.join(os.environ["AFTERSALES_DATA_DIR"], "bench-token")
    sqlite_file = os.path.join(os.environ["AFTERSALES_DATA_DIR"], "aftersales.sqlite3")
    if not os.path.exists(token_file):
        seeded = subprocess.run(
            [common.PYTHON, "-m", "bench.seed", "--units", str(args.units), "--cases",
             str(args.cases)],
            env={**os.environ, "PYTHONPATH": f"{common.ROOT}{os.pathsep}{common.ROOT / 'src'}"},
            cwd=common.ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        with open(token_file, "w") as handle:
            handle.write(seeded.stdout.strip().splitlines()[-1])
        if not os.environ.get("AFTERSALES_DATABASE_URL"):
            shutil.copyfile(sqlite_file, sqlite_file + ".pristine")
    if os.path.exists(sqlite_file + ".pristine"):
        # Every run starts from the seeded data: the share of reused cases stays the same.
        for suffix in ("-wal", "-shm"):
            if os.path.exists(sqlite_file + suffix):
                os.remove(sqlite_file + suffix)
        shutil.copyfile(sqlite_file + ".pristine", sqlite_file)
    with open(token_file) as handle:
        token = handle.read().strip()

    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    application = get_wsgi_application()
    rng = random.Random(7)
    print(f"data dir {os.environ['AFTERSALES_DATA_DIR']} ({connection.vendor})")
    for name in args.endpoints:
        make = ENDPOINTS[name]
        for _ in range(50):  # warm up: imports, compiled regexes, caches
            status, body = call(application, make(token, args.units, rng))
        assert status.startswith(("200", "201")), (status, body[:500])
        statuses: dict[str, int] = {}
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            status, body = call(application, make(token, args.units, rng))
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        for _ in range(args.n):
            status, _body = call(application, make(token, args.units, rng))
            statuses[status[:3]] = statuses.get(status[:3], 0) + 1
        cpu = (time.process_time() - started_cpu) / args.n * 1000
        wall = (time.perf_counter() - started_wall) / args.n * 1000
        print(
            f"{name:12s} {cpu:6.2f} ms CPU/request  {wall:6.2f} ms wall  "
            f"{len(queries)} queries  (shown: {status[:3]}; all: {statuses})"
        )
        if args.show_queries:
            for sql in queries:
                print("   ", sql[:300])
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(200):
                call(application, make(token, args.units, rng))
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
