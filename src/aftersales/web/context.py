from __future__ import annotations

from django.conf import settings


def navigation(request):
    return {"brand_name": settings.BRAND_NAME}
