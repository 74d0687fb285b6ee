"""Work-order benchmarks (`make bench BENCH=workorders`):

* ``dispatch_board_<engine>``: server time of one week's dispatch board with
  ``BENCH_BOARD_ORDERS`` (default 5,000) work orders in that week, among
  ``BENCH_HISTORY_ORDERS`` (default 20,000) older, closed ones: the selector
  ``workorders.selectors.dispatch_board`` alone, and the whole ``/dispatch/?week=`` page
  rendered through Django's test client (session, middleware, template). Medians of
  ``BENCH_BOARD_RUNS`` (default 7) runs after one warm-up. Target: under 300 ms.
* ``unit_location_<engine>``: ``GET /api/v1/units/{serial}/location`` ("where is my
  product") under gunicorn with wrk, as the entitlement figure, over 50,000 units of which
  those with a work order have a custody chain.

The data is bulk-inserted by a child process in a fresh installation
(``python -m bench.workorders seed``); the board is measured by another
(``python -m bench.workorders board``) so that each engine's settings are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench import common

UNITS = 50_000
BOARD_ORDERS = int(os.environ.get("BENCH_BOARD_ORDERS", "5000"))
HISTORY_ORDERS = int(os.environ.get("BENCH_HISTORY_ORDERS", "20000"))
BOARD_RUNS = int(os.environ.get("BENCH_BOARD_RUNS", "7"))
TECHNICIANS = 60
TARGET_MS = 300
TIME_ZONE = "Europe/Madrid"


def _load() -> str:
    """The machine's load averages while measuring: the machine may be shared."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _child(env: dict, *args: str) -> str:
    result = subprocess.run(
        [common.PYTHON, "-m", "bench.workorders", *args],
        env=env,
        cwd=common.ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return result.stdout.strip().splitlines()[-1]


def bench_workorders() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    for engine in common.engines():
        with common.installation(engine, "workorders") as env:
            token = (
                subprocess.run(
                    [common.PYTHON, "-m", "bench.seed", "--units", str(UNITS), "--cases", "0"],
                    env=env,
                    cwd=common.ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            seeded = json.loads(
                _child(
                    env,
                    "seed",
                    "--orders",
                    str(BOARD_ORDERS),
                    "--history",
                    str(HISTORY_ORDERS),
                )
            )
            board = json.loads(_child(env, "board", "--runs", str(BOARD_RUNS)))
            database = common.sqlite_version() if engine == "sqlite" else common.postgres_version()
            data_size = {
                "units": UNITS,
                "work_orders_in_week": BOARD_ORDERS,
                "work_orders_total": seeded["work_orders"],
                "technicians": TECHNICIANS,
                "custody_events": seeded["custody_events"],
            }
            common.write_result(
                f"dispatch_board_{engine}",
                {
                    "figure": "server time of one week's dispatch board (median of runs)",
                    "unit": "ms",
                    "value": board["page_ms"] if board["page_ms"] is not None else None,
                    "selector_ms": board["selector_ms"],
                    "page_ms": board["page_ms"],
                    "page_status": board["page_status"],
                    "page_queries": board["page_queries"],
                    "selector_queries": board["selector_queries"],
                    "page_bytes": board["page_bytes"],
                    "target_ms": TARGET_MS,
                    "runs": board["runs"],
                    "how": "selector call, then GET /dispatch/?week= through django.test.Client "
                    "(logged-in manager), in one process; one warm-up run first",
                    "data_size": data_size,
                    "load_average": board["load"],
                    "machine": common.machine(database),
                },
            )
            with common.server(env) as url:
                probe = _probe(url, token)
                if probe != 200:
                    print(
                        f"GET /api/v1/units/SN00000000/location answered {probe}: "
                        "the location figure is skipped",
                        file=sys.stderr,
                    )
                    continue
                load_before = _load()
                wrk_env = {"BENCH_TOKEN": token, "BENCH_UNITS": str(UNITS)}
                measured, baseline = [], []
                # Each run is paired with one of the entitlement lookup on the same server
                # and data: on a shared machine the ratio says more than either figure.
                for _ in range(runs):
                    measured.append(
                        common.wrk(
                            url + "/",
                            script=f"{common.ROOT}/bench/unit_location.lua",
                            seconds=seconds,
                            env=wrk_env,
                        )
                    )
                    baseline.append(
                        common.wrk(
                            url + "/",
                            script=f"{common.ROOT}/bench/entitlement.lua",
                            seconds=seconds,
                            env=wrk_env,
                        )
                    )
            common.write_result(
                f"unit_location_{engine}",
                {
                    "figure": "GET /api/v1/units/{serial}/location (median of runs)",
                    "unit": "requests/s",
                    "value": round(common.median([r["requests_per_s"] for r in measured]), 1),
                    "p50_ms": common.median([r["p50_ms"] for r in measured]),
                    "p99_ms": common.median([r["p99_ms"] for r in measured]),
                    "entitlement_same_server_requests_per_s": round(
                        common.median([r["requests_per_s"] for r in baseline]), 1
                    ),
                    "server": "gunicorn, 2 sync workers, load from wrk -t2 -c8 on the same machine",
                    "data_size": data_size,
                    "load_average_before": load_before,
                    "load_average_after": _load(),
                    "runs": measured,
                    "machine": common.machine(database),
                },
            )


def _probe(url: str, token: str) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url + "/api/v1/units/SN00000000/location", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- child processes: seeding and measuring, inside the installation ---------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def _week_monday():
    from datetime import timedelta

    from aftersales.core import clock

    today = clock.today()
    return today - timedelta(days=today.weekday())


def seed(*, orders: int, history: int) -> dict:
    """A centre with a branch, technicians, two partners, and work orders: `orders` in this
    week in every planning and working status, `history` closed ones in the past with their
    custody chains (picked up, received, returned), bulk-inserted."""
    _setup_django()
    import random
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from aftersales.accounts.models import User
    from aftersales.accounts.services import user_create
    from aftersales.cases.models import Case
    from aftersales.customers.models import Unit
    from aftersales.network.models import Partner, ServiceCentre
    from aftersales.network.services import partner_create, service_centre_create
    from aftersales.workorders.models import CustodyEvent, PickupReceipt, WorkOrder

    rng = random.Random(4)
    if not ServiceCentre.objects.filter(code="MAD").exists():
        service_centre_create(code="MAD", name="Madrid", region="madrid", time_zone=TIME_ZONE)
        service_centre_create(
            code="MAD-N",
            name="Madrid Norte",
            region="madrid-norte",
            parent_code="MAD",
            time_zone=TIME_ZONE,
        )
        for code in ("ASP-A", "ASP-B"):
            partner_create(code=code, name=f"Partner {code}", regions=["madrid"])
        user_create(
            username="bench_manager",
            role="manager",
            password="bench-password-1",
            check_password_strength=False,
        )
    centres = list(ServiceCentre.objects.order_by("id").values_list("id", flat=True))
    partners = list(Partner.objects.order_by("id").values_list("id", flat=True))
    if not User.objects.filter(role="technician").exists():
        password = make_password(None)
        User.objects.bulk_create(
            User(
                username=f"tech{i:03d}",
                first_name=f"Tech {i}",
                last_name="Bench",
                role="technician",
                service_centre_id=centres[i % len(centres)],
                password=password,
            )
            for i in range(TECHNICIANS)
        )
    techs = list(User.objects.filter(role="technician").order_by("id").values_list("id", flat=True))
    manager = User.objects.get(username="bench_manager")
    if WorkOrder.objects.exists():
        return _counts()
    units = list(Unit.objects.order_by("id").values_list("id", "customer_id")[: orders + history])
    zone = ZoneInfo(TIME_ZONE)
    monday = _week_monday()
    now = datetime.now(tz=zone)
    week_statuses = [
        "scheduled",
        "dispatched",
        "dispatched",
        "dispatched",
        "in_progress",
        "waiting_parts",
        "completed",
        "verified",
    ]
    kinds = ["on_site", "on_site", "on_site", "workshop", "installation", "preventive", "remote"]
    batch = 5000
    total = orders + history
    for start in range(0, total, batch):
        end = min(start + batch, total)
        with transaction.atomic():
            cases = Case.objects.bulk_create(
                Case(
                    type="repair",
                    channel="phone",
                    customer_id=units[i % len(units)][1],
                    unit_id=units[i % len(units)][0],
                    summary="Seeded repair",
                    category="C",
                    status="in_progress" if i < orders else "closed",
                    owner=manager,
                    opened_by=manager,
                    opened_at=now,
                    updated_at=now,
                )
                for i in range(start, end)
            )
            rows = []
            for i, case in zip(range(start, end), cases, strict=True):
                in_week = i < orders
                if in_week:
                    day = monday + timedelta(days=i % 7)
                    status = week_statuses[i % len(week_statuses)]
                else:
                    day = monday - timedelta(days=7 + (i % 365))
                    status = "closed"
                begins = datetime.combine(day, time(8 + rng.randint(0, 10), rng.choice([0, 30])))
                begins = begins.replace(tzinfo=zone)
                who = i % 20
                technician = None if who == 0 else techs[i % len(techs)] if who > 2 else None
                partner = partners[i % len(partners)] if who in (1, 2) else None
                rows.append(
                    WorkOrder(
                        case=case,
                        unit_id=case.unit_id,
                        kind=kinds[i % len(kinds)],
                        status=status if (technician or partner) else "scheduled",
                        category="C",
                        centre_id=None if partner else centres[i % len(centres)],
                        partner_id=partner,
                        technician_id=technician,
                        window_start=begins,
                        window_end=begins + timedelta(hours=rng.choice([1, 2, 2, 3])),
                        created_by=manager,
                        created_at=now,
                        updated_at=now,
                        completed_at=None if in_week else begins + timedelta(hours=2),
                        closed_at=None if in_week else begins + timedelta(days=3),
                    )
                )
            made = WorkOrder.objects.bulk_create(rows)
            receipts, events = [], []
            for order in made:
                if order.kind != "workshop":
                    continue
                receipts.append(
                    PickupReceipt(
                        work_order=order,
                        unit_id=order.unit_id,
                        accessories="cord",
                        issued_at=order.window_start,
                        issued_by=manager,
                        voided_at=None if order.status != "closed" else order.closed_at,
                    )
                )
            PickupReceipt.objects.bulk_create(receipts)
            for receipt in receipts:
                order = receipt.work_order
                chain = [("picked_up", 0), ("received", 2)]
                if order.status == "closed":
                    chain.append(("returned", 72))
                for kind, hours in chain:
                    events.append(
                        CustodyEvent(
                            unit_id=order.unit_id,
                            work_order=order,
                            receipt=receipt,
                            kind=kind,
                            place="Shelf B" if kind == "received" else "",
                            centre_id=order.centre_id if kind == "received" else None,
                            signed_by="Customer" if kind == "returned" else "",
                            at=order.window_start + timedelta(hours=hours),
                            actor=manager,
                        )
                    )
            CustodyEvent.objects.bulk_create(events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return _counts()


def _counts() -> dict:
    from aftersales.workorders.models import CustodyEvent, WorkOrder

    return {
        "work_orders": WorkOrder.objects.count(),
        "custody_events": CustodyEvent.objects.count(),
    }


def measure_board(*, runs: int) -> dict:
    """Median server time of the selector and of the whole page, after one warm-up."""
    _setup_django()
    import statistics
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from aftersales.accounts.models import User
    from aftersales.workorders.selectors import dispatch_board

    manager = User.objects.get(username="bench_manager")
    monday = _week_monday()
    zone = ZoneInfo(TIME_ZONE)

    def selector_once() -> float:
        started = time.perf_counter()
        board = dispatch_board(manager, week_of=monday, tz=zone)
        elapsed = (time.perf_counter() - started) * 1000
        assert board.total >= 1, "no work orders in the week"
        return elapsed

    selector_once()
    with CaptureQueriesContext(connection) as queries:
        selector_once()
    selector_queries = len(queries)
    selector = [selector_once() for _ in range(runs)]

    # Not setup_test_environment(): its instrumented rendering copies every template context
    # for the test client, which is test-time work a production server never does.
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    url = f"/dispatch/?week={monday.isoformat()}"
    first = client.get(url)
    page_ms: list[float] = []
    page_queries = None
    if first.status_code == 200:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        page_queries = len(queries)
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            page_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return {
        "selector_ms": round(statistics.median(selector), 1),
        "page_ms": round(statistics.median(page_ms), 1) if page_ms else None,
        "page_status": first.status_code,
        "page_bytes": len(first.content),
        "selector_queries": selector_queries,
        "page_queries": page_queries,
        "runs": {
            "selector_ms": [round(x, 1) for x in selector],
            "page_ms": [round(x, 1) for x in page_ms],
        },
        "load": _load(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--orders", type=int, default=BOARD_ORDERS)
    seeding.add_argument("--history", type=int, default=HISTORY_ORDERS)
    board_args = sub.add_parser("board")
    board_args.add_argument("--runs", type=int, default=BOARD_RUNS)
    args = parser.parse_args()
    if args.command == "seed":
        print(json.dumps(seed(orders=args.orders, history=args.history)))
    else:
        print(json.dumps(measure_board(runs=args.runs)))
