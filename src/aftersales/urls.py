from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from aftersales.api import api
from aftersales.web import errors as web_errors

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("claims/", include("aftersales.claims.urls")),
    path("", include("aftersales.portal.urls")),
    path("", include("aftersales.workorders.urls")),
    path("", include("aftersales.returns.urls")),
    path("", include("aftersales.inventory.urls")),
    path("", include("aftersales.web.urls")),
]

handler404 = web_errors.not_found
handler500 = web_errors.server_error
