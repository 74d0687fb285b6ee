"""`make bench`: every benchmark, or those named (`make bench BENCH="intake import"`).
Figures are medians of several runs; each result file names the machine and the data size."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import timeit

from bench import common
from bench.claims import bench_claims
from bench.inventory import bench_inventory
from bench.sla import bench_sla
from bench.workorders import bench_workorders

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
UNITS = 50_000


def _seed(env: dict, *, units: int, cases: int) -> str:
    result = subprocess.run(
        [common.PYTHON, "-m", "bench.seed", "--units", str(units), "--cases", str(cases)],
        env=env,
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _runs(url: str, script: str, env: dict) -> dict:
    runs = [common.wrk(url, script=script, seconds=SECONDS, env=env) for _ in range(RUNS)]
    return {
        "requests_per_s": round(common.median([r["requests_per_s"] for r in runs]), 1),
        "p50_ms": common.median([r["p50_ms"] for r in runs]),
        "p99_ms": common.median([r["p99_ms"] for r in runs]),
        "runs": runs,
    }


def bench_intake() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_CASE_SIZES", "10000,100000").split(",")]
    for engine in common.engines():
        by_size = {}
        for size in sizes:
            with common.installation(engine, f"intake_{size}") as env:
                token = _seed(env, units=UNITS, cases=size)
                wrk_env = {"BENCH_TOKEN": token, "BENCH_UNITS": str(UNITS)}
                with common.server(env) as url:
                    intake = _runs(url + "/", f"{common.ROOT}/bench/intake.lua", wrk_env)
                    bare = _runs(
                        url + "/bench/bare-insert", f"{common.ROOT}/bench/bare.lua", wrk_env
                    )
                by_size[size] = {
                    "cases_per_s": intake["requests_per_s"],
                    "p50_ms": intake["p50_ms"],
                    "p99_ms": intake["p99_ms"],
                    "bare_insert_per_s": bare["requests_per_s"],
                    "ratio_to_bare_insert": round(
                        intake["requests_per_s"] / bare["requests_per_s"], 3
                    ),
                    "runs": intake["runs"],
                }
        database = common.sqlite_version() if engine == "sqlite" else common.postgres_version()
        common.write_result(
            f"case_intake_{engine}",
            {
                "figure": "cases opened per second through POST /api/v1/cases (median of runs;"
                " the value is the lowest over the sizes of existing cases)",
                "unit": "cases/s",
                "value": min(figures["cases_per_s"] for figures in by_size.values()),
                "server": "gunicorn, 2 sync workers, load from wrk -t2 -c8 on the same machine",
                "data_size": {"units": UNITS, "existing_cases": sizes},
                "by_existing_cases": by_size,
                "machine": common.machine(database),
            },
        )


def bench_entitlement() -> None:
    from datetime import date

    from aftersales.warranty import rules

    terms = rules.WarrantyTerms(
        policy_code="P", months=24, starts_from="sale", country_months={"ES": 36}
    )
    unit = rules.UnitDates(sold_on=date(2025, 3, 15), installed_on=None, country="ES")
    contracts = [
        rules.ContractTerms(number="A", starts_on=date(2028, 1, 1), ends_on=date(2029, 1, 1))
    ]
    day = date(2026, 6, 1)
    rule_rates = []
    for _ in range(5):
        n = 50_000
        seconds = timeit.timeit(
            lambda: rules.entitlement(terms=terms, unit=unit, contracts=contracts, on=day), number=n
        )
        rule_rates.append(n / seconds)
    for engine in common.engines():
        with common.installation(engine, "entitlement") as env:
            token = _seed(env, units=UNITS, cases=0)
            with common.server(env) as url:
                http = _runs(
                    url + "/",
                    f"{common.ROOT}/bench/entitlement.lua",
                    {"BENCH_TOKEN": token, "BENCH_UNITS": str(UNITS)},
                )
        database = common.sqlite_version() if engine == "sqlite" else common.postgres_version()
        common.write_result(
            f"entitlement_{engine}",
            {
                "figure": "GET /api/v1/units/{serial}/entitlement (median of runs)",
                "unit": "requests/s",
                "value": http["requests_per_s"],
                "p50_ms": http["p50_ms"],
                "p99_ms": http["p99_ms"],
                "pure_rule_calls_per_s": round(common.median(rule_rates)),
                "server": "gunicorn, 2 sync workers, load from wrk -t2 -c8 on the same machine",
                "data_size": {"units": UNITS},
                "runs": http["runs"],
                "machine": common.machine(database),
            },
        )


def _write_units_csv(path, rows: int) -> None:
    with open(path, "w") as handle:
        handle.write(
            "serial_number,sku,customer_email,customer_name,customer_country,sold_on,dealer\n"
        )
        for i in range(rows):
            customer = i // 4  # four units per customer, as in a household
            handle.write(
                f"IMP{i:09d},WM-1,cust{customer}@example.com,Customer {customer},ES,"
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d},Shop {i % 50}\n"
            )


def bench_import() -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    with common.installation("sqlite", "import") as env:
        _seed(env, units=0, cases=0)
        path = f"{env['AFTERSALES_DATA_DIR']}/units.csv"
        _write_units_csv(path, rows)
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-v", common.PYTHON, "-m", "aftersales.cli", "import", "units", path],
            env=env,
            cwd=common.ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        peak_kb = int(
            next(line for line in result.stderr.splitlines() if "Maximum resident" in line).split()[
                -1
            ]
        )
        common.write_result(
            "import_units_sqlite",
            {
                "figure": "aftersales import units of a CSV file",
                "unit": "seconds",
                "value": round(wall, 1),
                "rows_per_s": round(rows / wall),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "output": result.stdout.strip(),
                "data_size": {"rows": rows, "customers_created": rows // 4},
                "machine": common.machine(common.sqlite_version()),
            },
        )


BENCHMARKS = {
    "intake": bench_intake,
    "entitlement": bench_entitlement,
    "import": bench_import,
    "sla": bench_sla,
    "workorders": bench_workorders,
}
BENCHMARKS["inventory"] = bench_inventory
BENCHMARKS["claims"] = bench_claims

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    names = sys.argv[1:] or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name}; choose from {', '.join(BENCHMARKS)}")
        BENCHMARKS[name]()
