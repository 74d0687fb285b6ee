"""The one clock. Tests move it with time-machine; nothing else calls datetime.now()."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()
