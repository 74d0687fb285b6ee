"""Real parallel connections racing for the last units: exactly as many succeed as there
are units, the others get a 409 `insufficient_stock`, and the books stay right. On SQLite
the IMMEDIATE transactions serialise the writers; on PostgreSQL the row locks on the
balance rows do (run with AFTERSALES_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from aftersales.core.errors import Conflict
from aftersales.inventory import selectors
from aftersales.inventory import services as inv
from aftersales.inventory.models import Reservation, StockBalance


def race(n: int, action) -> tuple[int, list[Conflict], list[BaseException]]:
    barrier = threading.Barrier(n)
    won: list[int] = []
    refused: list[Conflict] = []
    failures: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            action(i)
            won.append(i)
        except Conflict as exc:
            refused.append(exc)
        except BaseException as exc:  # surfaced below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(won), refused, failures


@pytest.mark.django_db(transaction=True)
def test_fifty_reservations_of_the_last_ten_units(people, stock, order):
    clerk = people["warehouse"].user
    inv.stock_receive(actor=clerk, part_number="DP-100", location_code="VAN-1", quantity=10)

    def reserve(_i: int) -> None:
        inv.reservation_create(
            actor=None,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="VAN-1",
            quantity=1,
        )

    won, refused, failures = race(50, reserve)
    assert not failures, failures
    assert won == 10
    assert len(refused) == 40
    assert {c.code for c in refused} == {"insufficient_stock"}
    assert {c.status for c in refused} == {409}
    balance = StockBalance.objects.get(part__number="DP-100", location__code="VAN-1")
    assert (balance.on_hand, balance.reserved) == (10, 10)
    assert Reservation.objects.filter(status="active").count() == 10
    assert selectors.stock_verify() == []


@pytest.mark.django_db(transaction=True)
def test_two_clerks_taking_the_last_unit(people, stock, order):
    clerk = people["warehouse"].user
    inv.stock_receive(actor=clerk, part_number="DP-100", location_code="MAD-WH", quantity=1)

    def take(_i: int) -> None:
        inv.stock_issue(
            actor=clerk,
            work_order_number=order.number,
            part_number="DP-100",
            location_code="MAD-WH",
            quantity=1,
        )

    won, refused, failures = race(2, take)
    assert not failures, failures
    assert won == 1 and len(refused) == 1 and refused[0].status == 409
    assert StockBalance.objects.get(part__number="DP-100", location__code="MAD-WH").on_hand == 0
    assert selectors.stock_verify() == []
