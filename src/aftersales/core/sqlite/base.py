"""Django's SQLite backend, with writers queued on a lock file next to the database.

Every transaction starts with BEGIN IMMEDIATE (settings.py), so two processes that write at
once queue for SQLite's write lock. SQLite makes the second one wait by sleeping and
retrying, 1, 2, 5, 10, 15, 20, 25 ms..., so under a steady stream of writes (case intake
from two web workers) a waiter sleeps far longer than the transaction it waits for lasts.
Here a writer first takes an exclusive lock on `<database>.lock`: one at a time, each
taking over within a fraction of a millisecond of the previous commit. The waiting is
bounded by the same `timeout` as SQLite's own (then "database is locked", as before).
Readers outside transactions are not queued: WAL lets them read while one writer commits.
"""

from __future__ import annotations

import fcntl
import os
import time
from functools import lru_cache

from django.db.backends.sqlite3 import base

FIRST_PAUSE = 0.00005
LONGEST_PAUSE = 0.0005
# Statements longer than this (bulk inserts with thousands of placeholders) are rewritten
# each time rather than kept.
LONGEST_KEPT_STATEMENT = 4096


@lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class _Cursor(base.SQLiteCursorWrapper):
    """Django rewrites each statement's `%s` to SQLite's `?` with a regular expression on
    every execute; a process runs the same few hundred statements over and over, so each
    is rewritten once."""

    def convert_query(self, query, *, param_names=None):
        if param_names is None and len(query) <= LONGEST_KEPT_STATEMENT:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=_Cursor)

    def prepared_cursor(self):
        """As the PostgreSQL backend's (core.rows.cursor): sqlite3 already keeps each
        connection's compiled statements, so this is the ordinary cursor."""
        return self.cursor()

    def get_connection_params(self):
        params = super().get_connection_params()
        self._lock_timeout = float(params.get("timeout", 5.0))
        return params

    def _queue_writers(self) -> bool:
        return self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE") and not self.is_in_memory_db()

    def _take_write_lock(self) -> None:
        if self._lock_fd is None:
            path = f"{self.settings_dict['NAME']}.lock"
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = None
        pause = FIRST_PAUSE
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_held = True
                return
            except BlockingIOError:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self._lock_timeout
                elif now >= deadline:
                    raise self.Database.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    def _release_write_lock(self) -> None:
        if self._lock_held:
            self._lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        if self._queue_writers():
            with self.wrap_database_errors:
                self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
