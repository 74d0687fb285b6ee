from __future__ import annotations

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
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


_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_POLICIES: dict[bool, str] = {}


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _POLICIES.clear()


def _policy(report_only: bool) -> str:
    policy = _POLICIES.get(report_only)
    if policy is None:
        policy = _POLICIES[report_only] = build_policy(report_only=report_only)
    return policy


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the header of the settings' policy built once per process
    instead of once per response. A response that asks for its own policy (the csp
    decorators) or a request that used a nonce still goes through django-csp unchanged."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in (
            (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = _policy(report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(excluded)):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
