"""SLA benchmarks (`make bench BENCH=sla`):

* ``sla_due_at``: pure ``rules.due_at`` calls per second on a business calendar with split
  hours and holidays (median of 5 timeit runs).
* ``sla_sweep_<engine>``: one escalation sweep over N running clocks (``BENCH_SLA_CLOCKS``,
  default 1,000,000) of which 1 % have an escalation level due (median of 3 runs, the due
  clocks re-armed between runs), and one sweep when none is due (median of 5).

The sweep figures come from a child process running in a fresh installation (its own data
directory and, for PostgreSQL, its own database): ``python -m bench.sla measure --clocks N``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import timeit
from datetime import UTC, datetime, timedelta

from bench import common

CLOCKS = int(os.environ.get("BENCH_SLA_CLOCKS", "1000000"))
DUE_SHARE = 0.01
OWNERS = int(os.environ.get("BENCH_SLA_OWNERS", "50"))


# Pure business-time arithmetic ---------------------------------------------------------------


def _due_at_rate() -> dict:
    from aftersales.sla import rules

    hours = {
        d: [["09:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    holidays = [
        "2026-01-01",
        "2026-01-06",
        "2026-04-02",
        "2026-04-03",
        "2026-05-01",
        "2026-08-15",
        "2026-10-12",
        "2026-11-01",
        "2026-12-06",
        "2026-12-08",
        "2026-12-25",
        "2027-01-01",
        "2027-01-06",
        "2027-03-25",
        "2027-03-26",
        "2027-05-01",
        "2027-08-15",
        "2027-10-12",
        "2027-11-01",
        "2027-12-06",
        "2027-12-08",
        "2027-12-25",
    ]
    calendar = rules.Calendar.from_spec("Europe/Madrid", hours, holidays)
    base = datetime(2026, 1, 5, 7, 13, tzinfo=UTC)
    # Starts spread over two years (inside and outside working hours) and durations from
    # minutes to weeks, so the per-week cache is exercised as it is in a running system.
    starts = [base + timedelta(minutes=997 * i) for i in range(1000)]
    durations = [timedelta(minutes=m) for m in (30, 240, 480, 1440, 4800)]
    calls = [(s, durations[i % len(durations)]) for i, s in enumerate(starts)]
    for start, duration in calls:  # warm the week cache once, as a long-running worker has it
        rules.due_at(start, duration, calendar)

    def run() -> None:
        for start, duration in calls:
            rules.due_at(start, duration, calendar)

    rates = []
    for _ in range(5):
        repeats = 20
        seconds = timeit.timeit(run, number=repeats)
        rates.append(repeats * len(calls) / seconds)
    return {
        "figure": "rules.due_at calls per second, business calendar with split hours and holidays",
        "unit": "calls/s",
        "value": round(common.median(rates)),
        "runs": [round(r) for r in rates],
        "calendar": "Europe/Madrid, Mon-Fri 09-13 + 14-18, 22 holidays over 2026-2027",
        "durations": ["PT30M", "PT4H", "PT8H", "P1D", "PT80H"],
        "machine": common.machine(),
    }


# The sweep, in a child process of a fresh installation ---------------------------------------


def _child_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def _seed(clocks: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from aftersales.accounts.services import user_create
    from aftersales.cases.models import Case
    from aftersales.customers.models import Customer
    from aftersales.sla import engine, services
    from aftersales.sla.models import Clock, Policy

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    # The cases are spread over OWNERS agents, as in a service centre; each has an address.
    owners = [
        user_create(
            username=f"agent{i}",
            role="agent",
            email=f"agent{i}@brand.example",
            password="bench-password-1",
            check_password_strength=False,
        )[0].pk
        for i in range(OWNERS)
    ]
    for role in ("supervisor", "manager"):
        user_create(
            username=role,
            role=role,
            email=f"{role}@brand.example",
            password="bench-password-1",
            check_password_strength=False,
        )
    customer = Customer.objects.create(name="Bench customer", country="ES", email="c@example.com")
    policy = Policy.objects.get(name="Complaints")
    specs = {t.name: services.target_spec(t, policy) for t in policy.targets.all()}
    snapshots = services._snapshots(list(specs.values()))
    snap = {name: snapshots[spec.digest()] for name, spec in specs.items()}

    now = datetime.now(UTC)
    quiet_start = now - timedelta(hours=1)
    due_start = now - timedelta(hours=20)  # 80 % of 24 h has passed: the warning is due
    plans = {
        (name, start): engine.schedule(spec, start, [], 0)
        for name, spec in specs.items()
        for start in (quiet_start, due_start)
    }
    cases_needed = (clocks + 1) // 2
    due_every = round(1 / DUE_SHARE / 2)  # one case in 50 has its first-response clock due
    batch = 10_000
    due_ids: list[int] = []
    made = 0
    for first in range(0, cases_needed, batch):
        size = min(batch, cases_needed - first)
        with transaction.atomic():
            rows = Case.objects.bulk_create(
                Case(
                    type="complaint",
                    channel="phone",
                    customer_id=customer.pk,
                    summary=f"Bench case {first + i}",
                    category="A",
                    status="open",
                    owner_id=owners[(first + i) // due_every % OWNERS],
                    opened_by_id=owners[(first + i) // due_every % OWNERS],
                    opened_at=quiet_start,
                    updated_at=quiet_start,
                )
                for i in range(size)
            )
            new_clocks = []
            for i, case in enumerate(rows):
                for name in ("first_response", "resolution"):
                    if made >= clocks:
                        break
                    due = name == "first_response" and (first + i) % due_every == 0
                    start = due_start if due else quiet_start
                    plan = plans[(name, start)]
                    new_clocks.append(
                        Clock(
                            case_id=case.pk,
                            target=name,
                            snapshot=snap[name],
                            state="running",
                            started_at=start,
                            due_at=plan.due_at,
                            warn_at=plan.warn_at,
                            next_escalation_at=plan.next_escalation_at,
                        )
                    )
                    made += 1
            created = Clock.objects.bulk_create(new_clocks)
            due_ids += [c.pk for c in created if c.started_at == due_start]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "clocks": made,
        "cases": cases_needed,
        "due_ids": due_ids,
        "due_next": plans[("first_response", due_start)].next_escalation_at,
    }


def _measure(clocks: int) -> dict:
    _child_setup()
    from django.db import connection

    from aftersales.notifications.models import OutboxMessage
    from aftersales.sla import services
    from aftersales.sla.models import Clock

    started = time.perf_counter()
    seeded = _seed(clocks)
    seed_seconds = time.perf_counter() - started
    due_ids, due_next = seeded["due_ids"], seeded["due_next"]

    def rearm() -> None:
        for i in range(0, len(due_ids), 5000):
            Clock.objects.filter(pk__in=due_ids[i : i + 5000]).update(
                levels_fired=0, next_escalation_at=due_next
            )

    due_runs, fired = [], []
    for _ in range(3):
        rearm()
        t0 = time.perf_counter()
        fired.append(services.escalation_sweep())
        due_runs.append(time.perf_counter() - t0)
    quiet_runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        nothing = services.escalation_sweep()
        quiet_runs.append(time.perf_counter() - t0)
        assert nothing == 0, nothing
    return {
        "vendor": connection.vendor,
        "digest_from": services.DIGEST_FROM,
        "outbox_messages": OutboxMessage.objects.count(),
        "clocks": seeded["clocks"],
        "cases": seeded["cases"],
        "due": len(due_ids),
        "levels_fired": fired,
        "seed_seconds": round(seed_seconds, 1),
        "due_sweep_s": [round(s, 3) for s in due_runs],
        "quiet_sweep_ms": [round(s * 1000, 2) for s in quiet_runs],
    }


def _sweep(engine_name: str, clocks: int) -> None:
    with common.installation(engine_name, "sla") as env:
        result = subprocess.run(
            [common.PYTHON, "-m", "bench.sla", "measure", "--clocks", str(clocks)],
            env=env,
            cwd=common.ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr[-5000:])
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    database = common.sqlite_version() if engine_name == "sqlite" else common.postgres_version()
    limit_s = 2.0 if engine_name == "postgres" else 5.0
    due_s = common.median(figures["due_sweep_s"])
    quiet_ms = common.median(figures["quiet_sweep_ms"])
    common.write_result(
        f"sla_sweep_{engine_name}",
        {
            "figure": "one escalation sweep with 1 % of the running clocks due (median of 3)",
            "unit": "seconds",
            "value": round(due_s, 3),
            "target_s": limit_s,
            "within_target": due_s < limit_s,
            "none_due_ms": round(quiet_ms, 2),
            "none_due_target_ms": 50,
            "what_a_due_clock_costs": "the claim (one conditional UPDATE per 1000 clocks, and the "
            "row lock on PostgreSQL), one timeline entry, and a share of the outbox messages: a "
            "warning to its owner, folded into one sla.digest per owner and sweep batch when an "
            f"owner has {figures['digest_from']} or more (cases spread over {OWNERS} owners)",
            "data_size": {
                "running_clocks": figures["clocks"],
                "cases": figures["cases"],
                "due_clocks": figures["due"],
            },
            "runs": figures,
            "machine": common.machine(database),
        },
    )


def bench_sla() -> None:
    common.write_result("sla_due_at", _due_at_rate())
    for engine_name in common.engines():
        _sweep(engine_name, CLOCKS)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["measure"])
    parser.add_argument("--clocks", type=int, default=CLOCKS)
    args = parser.parse_args()
    print(json.dumps(_measure(args.clocks), default=str))
