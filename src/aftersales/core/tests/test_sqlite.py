"""The SQLite backend's writer queue (core/sqlite): writers take turns on a lock file,
a lock is always given back, and waiting is bounded by the database timeout."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only"),
]


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE queue_probe (id INTEGER PRIMARY KEY, who TEXT)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE queue_probe")


def in_thread(work):
    errors: list[BaseException] = []

    def run():
        try:
            work()
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def insert(who: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO queue_probe (who) VALUES (%s)", [who])


def count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM queue_probe")
        return cursor.fetchone()[0]


def test_writers_in_two_threads_take_turns_and_all_commit(table):
    def writer(name):
        return lambda: [insert(name) for _ in range(200)]

    started = [in_thread(writer(name)) for name in ("a", "b")]
    for thread, errors in started:
        thread.join(30)
        assert errors == []
    assert count() == 400


def test_a_rolled_back_transaction_gives_the_lock_back(table):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        insert("lost")
        1 / 0  # noqa: B018
    thread, errors = in_thread(lambda: insert("next"))
    thread.join(5)
    assert not thread.is_alive() and errors == []
    assert count() == 1


def test_waiting_is_bounded_by_the_timeout(table):
    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            insert("holder")
            holding.set()
            release.wait(10)

    holder, holder_errors = in_thread(hold)
    assert holding.wait(5)

    def impatient():
        connection.ensure_connection()
        connection._lock_timeout = 0.2
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            insert("impatient")
        assert 0.2 <= time.monotonic() - started < 2

    waiter, waiter_errors = in_thread(impatient)
    waiter.join(5)
    release.set()
    holder.join(5)
    assert waiter_errors == [] and holder_errors == []
    assert count() == 1


def test_statements_are_rewritten_for_sqlite_once_and_as_django_does():
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    from aftersales.core.sqlite import base

    with connection.cursor() as cursor:
        ours = cursor.cursor
        assert isinstance(ours, base._Cursor)
        theirs = SQLiteCursorWrapper(connection.connection)
        long_statement = "SELECT 1 WHERE 1 IN (" + ", ".join(["%s"] * 2000) + ")"
        for sql in ("SELECT %s, '100%%' WHERE x = %s", "SELECT '%%s'", long_statement):
            assert ours.convert_query(sql) == theirs.convert_query(sql)
        named = "SELECT %(a)s"
        assert ours.convert_query(named, param_names=["a"]) == "SELECT :a"
        base._qmark.cache_clear()
        ours.convert_query("SELECT %s")
        ours.convert_query("SELECT %s")
        ours.convert_query(long_statement)
        assert base._qmark.cache_info().hits == 1 and base._qmark.cache_info().currsize == 1
        cursor.execute("SELECT %s, '50%%'", [7])
        assert cursor.fetchone() == (7, "50%")
