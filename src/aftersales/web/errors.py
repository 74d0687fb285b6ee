"""Error pages: JSON in the error shape under /api/, HTML elsewhere."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from aftersales.core.errors import error_response


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", _("Not found."))
    return render(request, "web/error.html", {"title": _("Page not found")}, status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return error_response(500, "internal_error", _("Something went wrong on our side."))
    return render(request, "web/error.html", {"title": _("Something went wrong")}, status=500)
