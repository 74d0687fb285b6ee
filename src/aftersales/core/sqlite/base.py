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

from django.db.backends.sqlite3 import base

FIRST_PAUSE = 0.00005
LONGEST_PAUSE = 0.0005


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_held = False

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
