"""Counting failed attempts per client in the shared cache (every process sees the same count)."""

from __future__ import annotations

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from aftersales.core.errors import TooManyAttempts


def refuse_if_exhausted(request: HttpRequest, *, group: str, rate: str) -> None:
    """Raises TooManyAttempts once `rate` (e.g. "10/m") failures were counted in the window."""
    usage = get_usage(request, group=group, key="ip", rate=rate, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise TooManyAttempts()


def count_failure(request: HttpRequest, *, group: str, rate: str) -> None:
    get_usage(request, group=group, key="ip", rate=rate, increment=True)
