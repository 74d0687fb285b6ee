"""Random sequences of receipts, transfers (on the spot and through in-transit),
reservations, consumptions, releases, issues, adjustments and scrap on two parts (one
serialised) at three locations. After every step: the balances equal the ledger
(`stock_verify`), nothing is negative, reserved never exceeds on hand, and the balances
equal a plain Python model of what should be there."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aftersales.core.errors import Conflict
from aftersales.inventory import selectors
from aftersales.inventory import services as inv
from aftersales.inventory.models import StockBalance, StockSerial

PARTS = ["DP-100", "MB-200"]
SERIALISED = {"MB-200"}
PLACES = ["CENTRAL", "MAD-WH", "VAN-1"]


class StockMachine(RuleBasedStateMachine):
    """`context` (actor, work order number) is set by the test before the run."""

    context: dict = {}
    reservations = Bundle("reservations")
    transfers = Bundle("transfers")

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.actor = self.context["actor"]
        self.work_order = self.context["work_order"]
        self.on_hand = {(p, loc): 0 for p in PARTS for loc in PLACES}
        self.reserved = {(p, loc): 0 for p in PARTS for loc in PLACES}
        self.transit = {p: 0 for p in PARTS}
        self.serial_seq = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def available(self, part, loc):
        return self.on_hand[(part, loc)] - self.reserved[(part, loc)]

    def serials_at(self, part, loc, n):
        if part not in SERIALISED:
            return []
        return list(
            StockSerial.objects.filter(part__number=part, location__code=loc)
            .order_by("serial")
            .values_list("serial", flat=True)[:n]
        )

    @rule(part=st.sampled_from(PARTS), loc=st.sampled_from(PLACES), qty=st.integers(1, 4))
    def receive(self, part, loc, qty):
        serials = []
        if part in SERIALISED:
            serials = [f"S{self.serial_seq + i}" for i in range(qty)]
            self.serial_seq += qty
        inv.stock_receive(
            actor=self.actor, part_number=part, location_code=loc, quantity=qty, serials=serials
        )
        self.on_hand[(part, loc)] += qty

    @rule(
        part=st.sampled_from(PARTS),
        src=st.sampled_from(PLACES),
        dst=st.sampled_from(PLACES),
        qty=st.integers(1, 4),
    )
    def transfer_now(self, part, src, dst, qty):
        if src == dst:
            return
        ok = self.available(part, src) >= qty
        try:
            inv.stock_transfer(
                actor=self.actor,
                part_number=part,
                from_code=src,
                to_code=dst,
                quantity=qty,
                serials=self.serials_at(part, src, qty) if ok else [],
            )
        except Conflict as e:
            assert not ok and e.code == "insufficient_stock"
            return
        except Exception:
            assert not ok  # serialised: too few serials to name
            return
        assert ok
        self.on_hand[(part, src)] -= qty
        self.on_hand[(part, dst)] += qty

    @rule(
        target=transfers,
        part=st.sampled_from(["DP-100"]),
        src=st.sampled_from(PLACES),
        dst=st.sampled_from(PLACES),
        qty=st.integers(1, 3),
    )
    def ship(self, part, src, dst, qty):
        if src == dst or self.available(part, src) < qty:
            return None
        transfer = inv.transfer_ship(
            actor=self.actor, part_number=part, from_code=src, to_code=dst, quantity=qty
        )
        self.on_hand[(part, src)] -= qty
        self.transit[part] += qty
        return (transfer.number, part, dst, qty)

    @rule(shipped=consumes(transfers))
    def arrive(self, shipped):
        if shipped is None:
            return
        number, part, dst, qty = shipped
        inv.transfer_receive(actor=self.actor, number=number)
        self.transit[part] -= qty
        self.on_hand[(part, dst)] += qty

    @rule(
        target=reservations,
        part=st.sampled_from(PARTS),
        loc=st.sampled_from(PLACES),
        qty=st.integers(1, 3),
    )
    def reserve(self, part, loc, qty):
        ok = self.available(part, loc) >= qty
        try:
            r = inv.reservation_create(
                actor=self.actor,
                work_order_number=self.work_order,
                part_number=part,
                location_code=loc,
                quantity=qty,
            )
        except Conflict as e:
            assert not ok and e.code == "insufficient_stock"
            assert e.details["available"] == self.available(part, loc)
            return None
        assert ok
        self.reserved[(part, loc)] += qty
        return (r.number, part, loc, qty)

    @rule(held=consumes(reservations), take=st.integers(1, 3))
    def consume(self, held, take):
        if held is None:
            return
        number, part, loc, qty = held
        take = min(take, qty)
        inv.reservation_consume(
            actor=self.actor,
            number=number,
            quantity=take,
            serials=self.serials_at(part, loc, take),
        )
        self.reserved[(part, loc)] -= qty
        self.on_hand[(part, loc)] -= take

    @rule(held=consumes(reservations))
    def release(self, held):
        if held is None:
            return
        number, part, loc, qty = held
        inv.reservation_release(actor=self.actor, number=number)
        self.reserved[(part, loc)] -= qty

    @rule(loc=st.sampled_from(PLACES), delta=st.integers(-3, 3).filter(bool))
    def adjust(self, loc, delta):
        part = "DP-100"
        ok = delta > 0 or self.available(part, loc) >= -delta
        try:
            inv.stock_adjust(
                actor=self.actor, part_number=part, location_code=loc, delta=delta, reason="count"
            )
        except Conflict:
            assert not ok
            return
        assert ok
        self.on_hand[(part, loc)] += delta

    @rule(part=st.sampled_from(PARTS), loc=st.sampled_from(PLACES), qty=st.integers(1, 2))
    def scrap(self, part, loc, qty):
        if self.available(part, loc) < qty:
            return
        inv.stock_scrap(
            actor=self.actor,
            part_number=part,
            location_code=loc,
            quantity=qty,
            reason="damaged",
            serials=self.serials_at(part, loc, qty),
        )
        self.on_hand[(part, loc)] -= qty

    @rule(loc=st.sampled_from(PLACES), qty=st.integers(1, 3))
    def issue(self, loc, qty):
        part = "DP-100"
        ok = self.available(part, loc) >= qty
        try:
            inv.stock_issue(
                actor=self.actor,
                work_order_number=self.work_order,
                part_number=part,
                location_code=loc,
                quantity=qty,
            )
        except Conflict:
            assert not ok
            return
        assert ok
        self.on_hand[(part, loc)] -= qty

    @invariant()
    def books_are_right(self):
        assert selectors.stock_verify() == []
        for b in StockBalance.objects.select_related("part", "location"):
            assert 0 <= b.reserved <= b.on_hand
            key = (b.part.number, b.location.code)
            if b.location.code == "IN-TRANSIT":
                assert b.on_hand == self.transit[b.part.number]
            elif key in self.on_hand:
                assert (b.on_hand, b.reserved) == (self.on_hand[key], self.reserved[key])
            else:
                assert b.location.code == "DEFECTIVE" or b.on_hand == 0


@pytest.mark.django_db
def test_random_stock_histories_keep_the_books_right(people, stock, order):
    StockMachine.context = {"actor": people["warehouse"].user, "work_order": order.number}
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
