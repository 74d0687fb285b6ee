"""Django's PostgreSQL backend, with a cursor whose statements the server prepares.

Django binds parameters on the client: the SQL sent is a new text every time, so the server
parses and plans the token check and the unit lookup behind every API call, which on a
small machine cost more CPU than running them. `prepared_cursor()` binds them on the server
instead: psycopg prepares a statement once it has run `prepare_threshold` times on the
connection (settings.py sets 5; None turns it off) and then only executes it.

Only the statements written by hand for the hot paths (`core.rows.cursor`) use it. The ORM
keeps client-side binding: server-side parameters are limited to 65,535 per statement, which
a large bulk_create or `__in` list would pass.
"""

from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def prepared_cursor(self):
        """A cursor like cursor() (health check, error wrapping, query logging, execute
        wrappers), with parameters bound on the server."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = psycopg.Cursor(self.connection)
            # As create_cursor(): timestamps read in the connection's time zone.
            loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
            if self.timezone != loader.timezone:
                base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)
