"""Fills an empty installation with a catalog, customers, units and cases, fast (bulk inserts),
for the benchmarks. Run with the target's AFTERSALES_* environment."""

from __future__ import annotations

import argparse
import os
import random
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from aftersales.accounts.models import User  # noqa: E402
from aftersales.accounts.services import token_create, user_create  # noqa: E402
from aftersales.cases.models import Case, TimelineEntry  # noqa: E402
from aftersales.catalog import services as catalog  # noqa: E402
from aftersales.customers.models import Customer, Unit  # noqa: E402

TYPES = [
    "repair",
    "installation",
    "technical_guidance",
    "complaint",
    "training",
    "sample_test",
    "marketing_support",
    "delivery",
    "other",
]
BACKLOG_STATUSES = ["open", "in_progress", "resolved"]
# An installation's history grows, its backlog does not: the newest cases are still being
# worked on, the rest are closed, so a new contact joins an open case as often at 10k cases as
# at 1M and the intake figure compares database sizes, not a different mix of work.
BACKLOG = 5_000


def seed(*, units: int, cases: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_row (id INTEGER PRIMARY KEY %s, note TEXT)"
            % ("AUTOINCREMENT" if connection.vendor == "sqlite" else "GENERATED ALWAYS AS IDENTITY")
        )
    if not User.objects.filter(username="bench").exists():
        user_create(
            username="bench",
            role="agent",
            password="bench-password-1",
            check_password_strength=False,
        )
        catalog.policy_create(
            code="STD-24",
            name="Standard",
            months=24,
            country_overrides=[{"country": "ES", "months": 36}],
        )
        catalog.product_create(
            sku="WM-1", name="Washer", category="washing_machine", warranty_policy="STD-24"
        )
    rng = random.Random(1)
    product_id = catalog.Product.objects.get(sku="WM-1").pk
    agent = User.objects.get(username="bench")
    have_units = Unit.objects.count()
    batch = 10000
    today = date.today()
    for start in range(have_units, units, batch):
        end = min(start + batch, units)
        with transaction.atomic():
            customers = Customer.objects.bulk_create(
                Customer(
                    name=f"Customer {i}",
                    email=f"c{i}@example.com",
                    phone=f"+3460000{i:05d}"[:16],
                    country="ES",
                )
                for i in range(start, end)
            )
            Unit.objects.bulk_create(
                Unit(
                    serial_number=f"SN{i:08d}",
                    product_id=product_id,
                    customer_id=c.pk,
                    sold_on=today - timedelta(days=rng.randint(0, 1500)),
                    country="ES",
                )
                for i, c in zip(range(start, end), customers, strict=True)
            )
    unit_rows = list(Unit.objects.values_list("id", "customer_id").order_by("id")[:units])
    have_cases = Case.objects.count()
    now = timezone.now()
    for start in range(have_cases, cases, batch):
        end = min(start + batch, cases)
        with transaction.atomic():
            made = Case.objects.bulk_create(
                Case(
                    type=rng.choice(TYPES),
                    channel="phone",
                    customer_id=unit_rows[i % len(unit_rows)][1],
                    unit_id=unit_rows[i % len(unit_rows)][0],
                    summary="Seeded case",
                    category="C",
                    status=(rng.choice(BACKLOG_STATUSES) if i >= cases - BACKLOG else "closed"),
                    owner=agent,
                    opened_by=agent,
                    opened_at=now,
                    updated_at=now,
                )
                for i in range(start, end)
            )
            TimelineEntry.objects.bulk_create(
                TimelineEntry(
                    case=c, kind="contact", body="Seeded", actor=agent, actor_label="bench", at=now
                )
                for c in made
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _record, token = token_create(username="bench")
    print(token)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--cases", type=int, required=True)
    args = parser.parse_args()
    seed(units=args.units, cases=args.cases)
