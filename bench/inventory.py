"""Spare-parts stock benchmarks (`make bench BENCH=inventory`):

* ``stock_availability_<engine>``: `selectors.part_availability` of one part across every
  location, with ``BENCH_STOCK_MOVES`` (default 10,000,000) moves in the ledger over
  ``BENCH_STOCK_PARTS`` parts × ``BENCH_STOCK_LOCATIONS`` locations, and balances equal to
  the ledger. Measured in-process: many calls on random parts, p50 and p99 in milliseconds.
* ``replenishment_<engine>``: one `services.replenishment_run` over
  ``BENCH_REPLENISH_PARTS`` parts × ``BENCH_REPLENISH_LOCATIONS`` locations (default
  50,000 × 200: ten million reorder rules and balances), seconds.

The ledger is seeded with bulk SQL: ``INSERT … SELECT FROM generate_series`` on PostgreSQL
(server side, foreign-key triggers off for the seeding session), ``executemany`` on SQLite;
the balances are then computed from the ledger by one grouped INSERT, so they match it.
Each figure comes from a child process in a fresh installation (its own data directory and,
for PostgreSQL, its own database): ``python -m bench.inventory measure availability|replenishment``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import time

from bench import common

MOVES = int(os.environ.get("BENCH_STOCK_MOVES", "10000000"))
PARTS = int(os.environ.get("BENCH_STOCK_PARTS", "10000"))
LOCATIONS = int(os.environ.get("BENCH_STOCK_LOCATIONS", "200"))
CALLS = int(os.environ.get("BENCH_STOCK_CALLS", "2000"))
REPLENISH_PARTS = int(os.environ.get("BENCH_REPLENISH_PARTS", "50000"))
REPLENISH_LOCATIONS = int(os.environ.get("BENCH_REPLENISH_LOCATIONS", "200"))
# SQLite is the embedded engine: its replenishment figure is taken on a smaller network
# unless told otherwise.
REPLENISH_PARTS_SQLITE = int(os.environ.get("BENCH_REPLENISH_PARTS_SQLITE", "5000"))
ENGINES = os.environ.get("BENCH_STOCK_ENGINES", "")


# --- seeding, in the child process ---------------------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _parts_and_locations(parts: int, locations: int) -> tuple[list[int], list[int], int]:
    """`parts` parts, one central warehouse and `locations` stores and vans (ids returned)."""
    from aftersales.catalog.models import Part
    from aftersales.inventory.models import StockLocation

    batch = 10_000
    for first in range(0, parts, batch):
        Part.objects.bulk_create(
            Part(number=f"BP-{i:07d}", name=f"Bench part {i}", cost_price="10.00")
            for i in range(first, min(parts, first + batch))
        )
    StockLocation.objects.create(code="BENCH-CENTRAL", name="Central", kind="central")
    StockLocation.objects.bulk_create(
        StockLocation(
            code=f"BL-{i:04d}",
            name=f"Location {i}",
            kind="van" if i % 3 == 0 else "centre_store",
        )
        for i in range(locations)
    )
    for code, kind in (("SUPPLIER", "supplier"), ("CUSTOMER", "customer")):
        StockLocation.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})
    part_ids = list(Part.objects.order_by("id").values_list("id", flat=True))
    location_ids = list(
        StockLocation.objects.filter(code__startswith="BL-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    central = StockLocation.objects.get(code="BENCH-CENTRAL").pk
    return part_ids, location_ids, central


def _seed_ledger(moves: int, part_ids: list[int], location_ids: list[int]) -> None:
    """Move i: pair i mod (parts × locations); each pair's rounds go receipt ×3 units four
    times, then an issue of 1 unit, so every prefix of a pair's history is non-negative."""
    from django.db import connection

    from aftersales.inventory.models import StockLocation

    supplier = StockLocation.objects.get(code="SUPPLIER").pk
    customer = StockLocation.objects.get(code="CUSTOMER").pk
    n_parts, n_locs = len(part_ids), len(location_ids)
    pairs = n_parts * n_locs
    p0, l0 = part_ids[0], location_ids[0]  # ids are consecutive from bulk_create
    assert part_ids[-1] - p0 == n_parts - 1 and location_ids[-1] - l0 == n_locs - 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            step = 2_000_000
            for first in range(0, moves, step):
                last = min(moves, first + step) - 1
                cursor.execute(
                    """
                    INSERT INTO inventory_stockmove
                      (part_id, quantity, kind, from_location_id, to_location_id, serial,
                       reason, reference, unit_cost, currency, at)
                    SELECT %(p0)s + (i %% %(pairs)s) / %(nl)s,
                           CASE WHEN (i / %(pairs)s) %% 5 = 4 THEN 1 ELSE 3 END,
                           CASE WHEN (i / %(pairs)s) %% 5 = 4 THEN 'issue' ELSE 'receipt' END,
                           CASE WHEN (i / %(pairs)s) %% 5 = 4
                                THEN %(l0)s + (i %% %(pairs)s) %% %(nl)s ELSE %(sup)s END,
                           CASE WHEN (i / %(pairs)s) %% 5 = 4
                                THEN %(cust)s ELSE %(l0)s + (i %% %(pairs)s) %% %(nl)s END,
                           '', '', '', 10.00, 'EUR',
                           TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 second'
                    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
                    """,
                    {
                        "p0": p0,
                        "l0": l0,
                        "nl": n_locs,
                        "pairs": pairs,
                        "sup": supplier,
                        "cust": customer,
                        "first": first,
                        "last": last,
                    },
                )
            cursor.execute("SET session_replication_role = origin")
    else:
        base = 1_704_067_200  # 2024-01-01 UTC

        def rows(first: int, last: int):
            for i in range(first, last):
                pair, rnd = i % pairs, i // pairs
                part, loc = p0 + pair // n_locs, l0 + pair % n_locs
                at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(base + i))
                if rnd % 5 == 4:
                    yield (part, 1, "issue", loc, customer, at)
                else:
                    yield (part, 3, "receipt", supplier, loc, at)

        with connection.cursor() as cursor:
            # A bulk load: no fsync, a large page cache, and the ledger's secondary indexes
            # built once at the end instead of maintained row by row.
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")
            cursor.execute("PRAGMA temp_store = MEMORY")
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'inventory_stockmove' AND sql IS NOT NULL"
            )
            indexes = cursor.fetchall()
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            step = 200_000
            for first in range(0, moves, step):
                cursor.executemany(
                    "INSERT INTO inventory_stockmove (part_id, quantity, kind, from_location_id,"
                    " to_location_id, serial, reason, reference, unit_cost, currency, at)"
                    " VALUES (%s, %s, %s, %s, %s, '', '', '', 10.00, 'EUR', %s)",
                    list(rows(first, min(moves, first + step))),
                )
            for _name, sql in indexes:
                cursor.execute(sql)
    with connection.cursor() as cursor:
        # Balances from the ledger, so they equal it.
        cursor.execute(
            """
            INSERT INTO inventory_stockbalance (part_id, location_id, on_hand, reserved)
            SELECT part_id, loc, SUM(q), 0 FROM (
              SELECT part_id, to_location_id AS loc, quantity AS q FROM inventory_stockmove
                WHERE to_location_id NOT IN (%(sup)s, %(cust)s)
              UNION ALL
              SELECT part_id, from_location_id, -quantity FROM inventory_stockmove
                WHERE from_location_id NOT IN (%(sup)s, %(cust)s)
            ) AS x GROUP BY part_id, loc
            """,
            {"sup": supplier, "cust": customer},
        )


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_availability(moves: int, parts: int, locations: int, calls: int) -> dict:
    _setup()
    from django.db import connection

    from aftersales.inventory import selectors
    from aftersales.inventory.models import StockBalance, StockMove, Transfer

    started = time.perf_counter()
    part_ids, location_ids, central = _parts_and_locations(parts, locations)
    _seed_ledger(moves, part_ids, location_ids)
    # Some goods on the road, so the incoming side of the answer has work to do.
    from aftersales.core import clock

    Transfer.objects.bulk_create(
        Transfer(
            part_id=part_ids[i % len(part_ids)],
            quantity=2,
            from_location_id=central,
            to_location_id=location_ids[i % len(location_ids)],
            shipped_at=clock.now(),
        )
        for i in range(0, len(part_ids) * 2, 3)
    )
    _analyze()
    seed_seconds = time.perf_counter() - started
    counted_moves = StockMove.objects.count()
    counted_balances = StockBalance.objects.count()
    rng = random.Random(5)
    numbers = [f"BP-{rng.randrange(parts):07d}" for _ in range(calls)]
    for number in numbers[:50]:  # warm the connection and the caches
        selectors.part_availability(number)
    timings = []
    rows = 0
    for number in numbers:
        t0 = time.perf_counter()
        found = selectors.part_availability(number)
        timings.append((time.perf_counter() - t0) * 1000)
        rows += len(found)
    return {
        "vendor": connection.vendor,
        "moves": counted_moves,
        "balances": counted_balances,
        "parts": parts,
        "locations": locations,
        "calls": calls,
        "locations_per_answer": round(rows / calls, 1),
        "seed_seconds": round(seed_seconds, 1),
        "p50_ms": round(_percentile(timings, 50), 3),
        "p90_ms": round(_percentile(timings, 90), 3),
        "p99_ms": round(_percentile(timings, 99), 3),
        "max_ms": round(max(timings), 3),
    }


def _seed_replenishment(parts: int, locations: int) -> dict:
    """A reorder rule (min 2, max 8) for every part at every location and at the central
    warehouse (min 20, max 60), and a balance for each: about one location in ten is at or
    below its reorder point; the central warehouse holds 0 to 99 of each part."""
    from django.db import connection

    part_ids, location_ids, central = _parts_and_locations(parts, locations)
    p0, n_parts = part_ids[0], len(part_ids)
    l0, n_locs = location_ids[0], len(location_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                """
                INSERT INTO inventory_reorderrule
                    (part_id, location_id, minimum, maximum, updated_at)
                SELECT %(p0)s + p, %(l0)s + l, 2, 8, now()
                FROM generate_series(0, %(np)s - 1) p, generate_series(0, %(nl)s - 1) l
                """,
                {"p0": p0, "l0": l0, "np": n_parts, "nl": n_locs},
            )
            cursor.execute(
                """
                INSERT INTO inventory_stockbalance (part_id, location_id, on_hand, reserved)
                SELECT %(p0)s + p, %(l0)s + l, (p * 7 + l * 13) %% 30,
                       CASE WHEN (p + l) %% 17 = 0 THEN LEAST(1, (p * 7 + l * 13) %% 30) ELSE 0 END
                FROM generate_series(0, %(np)s - 1) p, generate_series(0, %(nl)s - 1) l
                """,
                {"p0": p0, "l0": l0, "np": n_parts, "nl": n_locs},
            )
            cursor.execute("SET session_replication_role = origin")
    else:
        with connection.cursor() as cursor:
            for p in range(n_parts):
                cursor.executemany(
                    "INSERT INTO inventory_reorderrule (part_id, location_id, minimum, maximum,"
                    " updated_at) VALUES (%s, %s, 2, 8, '2026-01-01 00:00:00')",
                    [(p0 + p, l0 + loc) for loc in range(n_locs)],
                )
                cursor.executemany(
                    "INSERT INTO inventory_stockbalance (part_id, location_id, on_hand, reserved)"
                    " VALUES (%s, %s, %s, %s)",
                    [
                        (
                            p0 + p,
                            l0 + loc,
                            (p * 7 + loc * 13) % 30,
                            min(1, (p * 7 + loc * 13) % 30) if (p + loc) % 17 == 0 else 0,
                        )
                        for loc in range(n_locs)
                    ],
                )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO inventory_reorderrule (part_id, location_id, minimum, maximum,"
            " updated_at) VALUES (%s, %s, 20, 60, '2026-01-01 00:00:00')",
            [(p0 + p, central) for p in range(n_parts)],
        )
        cursor.executemany(
            "INSERT INTO inventory_stockbalance (part_id, location_id, on_hand, reserved)"
            " VALUES (%s, %s, %s, 0)",
            [(p0 + p, central, (p * 31) % 100) for p in range(n_parts)],
        )
    return {"central": central}


def measure_replenishment(parts: int, locations: int) -> dict:
    _setup()
    from django.db import connection

    from aftersales.inventory import services
    from aftersales.inventory.models import ReorderRule

    started = time.perf_counter()
    _seed_replenishment(parts, locations)
    _analyze()
    seed_seconds = time.perf_counter() - started
    rules_count = ReorderRule.objects.count()
    runs = []
    for _ in range(int(os.environ.get("BENCH_REPLENISH_RUNS", "1"))):
        t0 = time.perf_counter()
        run = services.replenishment_run(source_code="BENCH-CENTRAL")
        runs.append(time.perf_counter() - t0)
    return {
        "vendor": connection.vendor,
        "parts": parts,
        "locations": locations,
        "reorder_rules": rules_count,
        "seed_seconds": round(seed_seconds, 1),
        "run_seconds": [round(s, 2) for s in runs],
        "rules_checked": run.rules_checked,
        "transfer_lines": run.transfer_lines,
        "purchase_lines": run.purchase_lines,
    }


# --- the parent: fresh installations, result files -------------------------------------------


def _child(engine: str, label: str, args: list[str]) -> dict:
    with common.installation(engine, label) as env:
        result = subprocess.run(
            [common.PYTHON, "-m", "bench.inventory", "measure", *args],
            env=env,
            cwd=common.ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr[-5000:])
        return json.loads(result.stdout.strip().splitlines()[-1])


def _database(engine: str) -> str:
    return common.sqlite_version() if engine == "sqlite" else common.postgres_version()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def bench_availability(engine: str) -> None:
    load_before = _load()
    figures = _child(
        engine,
        "stock_availability",
        [
            "availability",
            f"--moves={MOVES}",
            f"--parts={PARTS}",
            f"--locations={LOCATIONS}",
            f"--calls={CALLS}",
        ],
    )
    common.write_result(
        f"stock_availability_{engine}",
        {
            "figure": "selectors.part_availability: one part across all locations, in-process",
            "unit": "ms (p50)",
            "value": figures["p50_ms"],
            "target_ms": 5,
            "within_target": figures["p50_ms"] < 5,
            "p99_ms": figures["p99_ms"],
            "data_size": {
                "moves": figures["moves"],
                "balances": figures["balances"],
                "parts": figures["parts"],
                "locations": figures["locations"],
                "calls": figures["calls"],
            },
            "load_average_before": load_before,
            "load_average_after": _load(),
            "runs": figures,
            "machine": common.machine(_database(engine)),
        },
    )


def bench_replenishment(engine: str) -> None:
    parts = REPLENISH_PARTS if engine == "postgres" else REPLENISH_PARTS_SQLITE
    load_before = _load()
    figures = _child(
        engine,
        "replenishment",
        ["replenishment", f"--parts={parts}", f"--locations={REPLENISH_LOCATIONS}"],
    )
    seconds = min(figures["run_seconds"])
    common.write_result(
        f"replenishment_{engine}",
        {
            "figure": "services.replenishment_run over every reorder rule (best of runs)",
            "unit": "seconds",
            "value": seconds,
            "target_s": 60 if engine == "postgres" else None,
            "within_target": seconds < 60,
            "data_size": {
                "parts": figures["parts"],
                "locations": figures["locations"] + 1,
                "reorder_rules": figures["reorder_rules"],
                "transfer_lines": figures["transfer_lines"],
                "purchase_lines": figures["purchase_lines"],
            },
            "load_average_before": load_before,
            "load_average_after": _load(),
            "runs": figures,
            "machine": common.machine(_database(engine)),
        },
    )


def bench_inventory() -> None:
    chosen = [e for e in ENGINES.split(",") if e] or common.engines()
    for engine in chosen:
        bench_availability(engine)
        bench_replenishment(engine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["measure"])
    parser.add_argument("what", choices=["availability", "replenishment"])
    parser.add_argument("--moves", type=int, default=MOVES)
    parser.add_argument("--parts", type=int, default=PARTS)
    parser.add_argument("--locations", type=int, default=LOCATIONS)
    parser.add_argument("--calls", type=int, default=CALLS)
    args = parser.parse_args()
    if args.what == "availability":
        out = measure_availability(args.moves, args.parts, args.locations, args.calls)
    else:
        out = measure_replenishment(args.parts, args.locations)
    print(json.dumps(out, default=str))
