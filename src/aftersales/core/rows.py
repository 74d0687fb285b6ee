"""Model rows read with hand-written SQL, for the few reads made on every API request (the
token behind the call, the unit behind an entitlement or a new case). Compiling those ORM
queries (select_related, annotations) costs several times more CPU than running them; the
SQL here is built once per process from the models' own metadata, and every value goes
through the converters the ORM itself would apply, so the instances are the ORM's own.

    @rows.statement
    def unit_by_id() -> str:                      # built once per process and database
        return f"SELECT {rows.columns(Unit, 'u')} FROM {rows.table(Unit)} u WHERE u.id = %s"

    cursor.execute(unit_by_id(), [pk])
    unit = rows.instance(Unit, cursor.fetchone())  # the Unit built from row[0:n]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, wraps
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

M = TypeVar("M", bound=Model)


def statement(build: Callable[..., str]) -> Callable[..., str]:
    """Caches the SQL a function builds, per database vendor and arguments."""
    built: dict[tuple, str] = {}

    @wraps(build)
    def get(*args: Any) -> str:
        key = (connection.vendor, *args)
        sql = built.get(key)
        if sql is None:
            sql = built[key] = build(*args)
        return sql

    return get


def cursor():
    """The cursor for these statements: one whose statements the database keeps compiled
    (core.postgresql binds parameters on the server so they are prepared; sqlite3 caches
    them itself)."""
    return connections[DEFAULT_DB_ALIAS].prepared_cursor()


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return qn(model._meta.db_table)


def column(model: type[Model], field: str, alias: str) -> str:
    return f"{alias}.{qn(model._meta.get_field(field).column)}"


def _fields(model: type[Model], skip: tuple[str, ...]) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in skip]


@cache
def _columns(model: type[Model], alias: str, skip: tuple[str, ...], vendor: str) -> str:
    return ", ".join(f"{alias}.{qn(f.column)}" for f in _fields(model, skip))


def columns(model: type[Model], alias: str, skip: tuple[str, ...] = ()) -> str:
    """The model's concrete columns, in field order, prefixed by the table alias; `skip`
    leaves fields out (they are deferred on the instances, loaded if ever read)."""
    return _columns(model, alias, skip, connection.vendor)


def width(model: type[Model], skip: tuple[str, ...] = ()) -> int:
    return len(_fields(model, skip))


@cache
def _plan(
    model: type[Model], skip: tuple[str, ...], vendor: str
) -> tuple[list[str], list[tuple[int, Any, tuple]]]:
    """The attribute names, and the converters of the fields that have any."""
    plan = []
    fields = _fields(model, skip)
    for i, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            plan.append((i, col, tuple(found)))
    return [f.attname for f in fields], plan


def instance(model: type[M], row: Sequence[Any], start: int = 0, skip: tuple[str, ...] = ()) -> M:
    """The model instance held in row[start:start + width(model, skip)], as the ORM builds
    it from the same columns."""
    conn = connections[DEFAULT_DB_ALIAS]
    attnames, plan = _plan(model, skip, conn.vendor)
    values = list(row[start : start + len(attnames)])
    for i, col, converters in plan:
        value = values[i]
        for converter in converters:
            value = converter(value, col, conn)
        values[i] = value
    return model.from_db(conn.alias, attnames, values)


def cache_related(obj: Model, field: str, related: Model | None) -> None:
    """Attaches an already-read related object, as select_related does."""
    obj._meta.get_field(field).set_cached_value(obj, related)


def _insert_fields(model: type[Model]) -> list:
    meta = model._meta
    return [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]


@cache
def _insert_sql(model: type[Model], count: int, vendor: str) -> str:
    fields = _insert_fields(model)
    row = f"({', '.join(['%s'] * len(fields))})"
    return (
        f"INSERT INTO {table(model)} ({', '.join(qn(f.column) for f in fields)})"
        f" VALUES {', '.join([row] * count)} RETURNING {qn(model._meta.pk.column)}"
    )


def insert(objs: Sequence[Model]) -> None:
    """Inserts new instances of one model in one statement, as bulk_create does: each
    field's own pre_save (auto_now...) and get_db_prep_save, the primary keys read back with
    RETURNING, no signals sent. The statement is built once per model, database and row
    count; for the rows written on every request (a case, its timeline, its clocks)."""
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    fields = _insert_fields(model)
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")
        params.extend(f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields)
    with cursor() as statement:
        statement.execute(_insert_sql(model, len(objs), conn.vendor), params)
        keys = statement.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias
