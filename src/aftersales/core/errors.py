"""One error type for every refused action, and one JSON shape for every error answer:
{"code": "snake_case", "message": "a sentence", "details": {...}}."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule said no. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str, details: dict[str, Any] | None = None):
        super().__init__("not_found", _("%(what)s was not found.") % {"what": what}, details)


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(code, message, {"field": field})
        self.field = field


class Forbidden(DomainError):
    status = 403


class TooManyAttempts(DomainError):
    status = 429

    def __init__(self):
        super().__init__("rate_limited", _("Too many attempts. Wait a minute and try again."))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    return JsonResponse(error_body(code, message, details), status=status)


def rate_limited_view(request, exception=None):
    return error_response(429, "rate_limited", _("Too many attempts. Wait a minute and try again."))
