"""The set-based replenishment plan (SQL) proposes exactly what `rules.plan_part` does, part
by part in Python, on random networks: balances with reservations, goods in transit, open
purchases, inactive locations, a central warehouse with and without its own reorder rule."""

from __future__ import annotations

import random

import pytest

from aftersales.catalog.models import Part
from aftersales.core import clock
from aftersales.inventory import services
from aftersales.inventory.models import (
    Purchase,
    ReorderRule,
    ReplenishmentLine,
    StockBalance,
    StockLocation,
    Transfer,
)

pytestmark = pytest.mark.django_db


def _network(seed: int) -> None:
    rng = random.Random(seed)
    now = clock.now()
    central = StockLocation.objects.create(code="C", name="Central", kind="central")
    places = [
        StockLocation.objects.create(
            code=f"L{i}", name=f"L{i}", kind="van", active=rng.random() > 0.1
        )
        for i in range(12)
    ]
    parts = [Part.objects.create(number=f"P{i}", name=f"P{i}") for i in range(15)]
    for part in parts:
        on_hand = rng.randrange(0, 25)
        StockBalance.objects.create(
            part=part, location=central, on_hand=on_hand, reserved=rng.randrange(0, on_hand + 1)
        )
        if rng.random() < 0.6:
            low = rng.randrange(0, 10)
            ReorderRule.objects.create(
                part=part,
                location=central,
                minimum=low,
                maximum=low + rng.randrange(1, 20),
                updated_at=now,
            )
        for place in places:
            if rng.random() < 0.5:
                continue
            low = rng.randrange(0, 5)
            ReorderRule.objects.create(
                part=part,
                location=place,
                minimum=low,
                maximum=low + rng.randrange(1, 8),
                updated_at=now,
            )
            if rng.random() < 0.7:
                on_hand = rng.randrange(0, 8)
                StockBalance.objects.create(
                    part=part,
                    location=place,
                    on_hand=on_hand,
                    reserved=rng.randrange(0, on_hand + 1),
                )
            if rng.random() < 0.2:
                Transfer.objects.create(
                    part=part,
                    quantity=rng.randrange(1, 4),
                    from_location=central,
                    to_location=place,
                    shipped_at=now,
                    status=rng.choice(["in_transit", "received"]),
                )
        if rng.random() < 0.3:
            quantity = rng.randrange(1, 10)
            Purchase.objects.create(
                part=part,
                location=central,
                quantity=quantity,
                received_quantity=rng.randrange(0, quantity),
                created_at=now,
                status=rng.choice(["open", "open", "cancelled"]),
            )


def _lines(run) -> set[tuple]:
    return set(
        ReplenishmentLine.objects.filter(run=run).values_list(
            "kind",
            "part_id",
            "from_location_id",
            "to_location_id",
            "quantity",
            "on_hand",
            "reserved",
            "incoming",
            "minimum",
            "maximum",
            "unmet",
        )
    )


@pytest.mark.parametrize("seed", range(6))
def test_sql_plan_equals_the_python_plan(seed):
    _network(seed)
    reference = services.replenishment_run(source_code="C", set_based=False)
    fast = services.replenishment_run(source_code="C")
    assert _lines(fast) == _lines(reference)
    assert (fast.rules_checked, fast.transfer_lines, fast.purchase_lines) == (
        reference.rules_checked,
        reference.transfer_lines,
        reference.purchase_lines,
    )
    assert reference.transfer_lines + reference.purchase_lines > 0
