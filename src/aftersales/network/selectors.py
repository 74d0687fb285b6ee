from __future__ import annotations

from aftersales.network.models import Partner


def partner_by_code(code: str) -> Partner | None:
    return Partner.objects.filter(code=code.strip().upper()).first()
