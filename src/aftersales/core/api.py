"""What every API router shares: authentication, the error shape, cursor pagination and
idempotent creates."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django_ratelimit.exceptions import Ratelimited
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from aftersales.core.errors import DomainError, Invalid, error_body
from aftersales.core.models import IdempotencyRecord

logger = logging.getLogger("aftersales.api")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "validation_error",
    429: "rate_limited",
}


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from aftersales.accounts.services import token_authenticate

        user = token_authenticate(token=token)
        if user is not None:
            request.user = user
        return user


class StaffSession(SessionAuth):
    """The staff UI's own session, CSRF-checked on writes, for htmx calls into the API."""


API_AUTH = [BearerToken(), StaffSession()]


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, code: str, message: str, details: dict | None = None):
        return api.create_response(request, error_body(code, message, details), status=status)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        errors = [
            {
                "field": _field_name(e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors
        ]
        first = errors[0] if errors else {"field": "body", "message": _("invalid input")}
        message = _("%(field)s: %(problem)s") % {
            "field": first["field"],
            "problem": first["message"],
        }
        return respond(request, 422, "validation_error", message, {"errors": errors})

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(
            request,
            401,
            "unauthenticated",
            _("Send a valid API token as 'Authorization: Bearer <token>'."),
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        code = STATUS_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(ObjectDoesNotExist)
    def object_missing(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return respond(request, 413, "body_too_large", _("The request body is too large."))

    @api.exception_handler(Ratelimited)
    def rate_limited(request, exc):
        return respond(
            request, 429, "rate_limited", _("Too many attempts. Wait a minute and try again.")
        )

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return respond(request, 500, "internal_error", _("Something went wrong on our side."))


# Cursor pagination -------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("cursor", _("The cursor is not one this API gave out.")) from None


def page_by_id_desc(queryset, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Newest first, keyed on the primary key: a stable order whatever is inserted meanwhile,
    and an index seek instead of an OFFSET scan however deep the page."""
    if limit < 1 or limit > MAX_PAGE_SIZE:
        raise Invalid("limit", _("limit must be between 1 and %(max)s.") % {"max": MAX_PAGE_SIZE})
    after = decode_cursor(cursor)
    if after is not None:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


# Idempotent creates ------------------------------------------------------------------------


def json_response(status: int, body: dict) -> JsonResponse:
    """An answer already shaped by its output schema (no second validation pass)."""
    return JsonResponse(body, status=status)


def idempotent(
    request: HttpRequest, scope: str, create: Callable[[], tuple[int, dict]]
) -> JsonResponse:
    """Runs `create` once per (user, scope, Idempotency-Key); a retry gets the first answer.
    `create` returns the status and the body already dumped through the output schema."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return json_response(*create())
    if len(key) > 200:
        raise Invalid("Idempotency-Key", _("Idempotency-Key must be at most 200 characters."))
    user = request.auth
    replay = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
    if replay is not None:
        return json_response(replay.status_code, replay.body)
    try:
        with transaction.atomic():
            status, body = create()
            IdempotencyRecord.objects.create(
                user=user, scope=scope, key=key, status_code=status, body=body
            )
    except IntegrityError:
        # A concurrent request with the same key committed first; its object stands, ours
        # was rolled back with the record.
        replay = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if replay is None:
            raise
        return json_response(replay.status_code, replay.body)
    return json_response(status, body)
