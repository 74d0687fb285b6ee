"""Keyset pages for the case list: ordered by (key, id), the cursor names the last row seen.
No OFFSET and no COUNT(*), so page 500 of a 100k-case table costs what page 1 does."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db import models
from django.db.models import Q, Value, When

from aftersales.web.labels import PRIORITY_ORDER

PAGE_SIZE = 50

# sort name -> (field to order by, how to read the cursor's value back)
KEYS = {
    "number": ("pk", int),
    "opened": ("opened_at", datetime.fromisoformat),
    "updated": ("updated_at", datetime.fromisoformat),
    "priority": ("priority_rank", int),
}


def _with_priority_rank(queryset):
    # urgent first when descending: the rank grows with urgency.
    rank = models.Case(
        *[
            When(priority=p.value, then=Value(len(PRIORITY_ORDER) - i))
            for i, p in enumerate(PRIORITY_ORDER)
        ],
        default=Value(0),
        output_field=models.IntegerField(),
    )
    return queryset.annotate(priority_rank=rank)


def encode(value, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, parse) -> tuple | None:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        value, pk = json.loads(raw)
        return parse(value), int(pk)
    except (ValueError, TypeError):
        return None


def page(queryset, *, sort: str, descending: bool, cursor: str | None, size: int | None = None):
    """The rows of one page and the cursor of the next (None on the last page)."""
    size = size or PAGE_SIZE
    field, parse = KEYS.get(sort, KEYS["number"])
    if field == "priority_rank":
        queryset = _with_priority_rank(queryset)
    after = decode(cursor, parse) if cursor else None
    if after is not None:
        value, pk = after
        op = "lt" if descending else "gt"
        if field == "pk":
            queryset = queryset.filter(**{f"pk__{op}": pk})
        else:
            queryset = queryset.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
            )
    prefix = "-" if descending else ""
    order = [f"{prefix}pk"] if field == "pk" else [f"{prefix}{field}", f"{prefix}pk"]
    rows = list(queryset.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        key = last.pk if field == "pk" else getattr(last, field)
        next_cursor = encode(key, last.pk)
    return rows[:size], next_cursor
