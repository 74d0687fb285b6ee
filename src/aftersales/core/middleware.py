from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from aftersales.core.errors import error_response


class BodySizeLimitMiddleware:
    """Refuses a request whose declared body exceeds the configured size with 413, before
    anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return error_response(400, "bad_content_length", _("Content-Length is not a number."))
        limit = settings.MAX_REQUEST_BODY_BYTES
        if length > limit:
            return error_response(
                413,
                "body_too_large",
                _("The request body is larger than %(limit)s bytes.") % {"limit": limit},
                {"limit_bytes": limit, "received_bytes": length},
            )
        return self.get_response(request)
