from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from aftersales.accounts import rules as access
from aftersales.core.errors import Forbidden


def require(request: HttpRequest, action: str):
    """The authenticated user, if their role may perform `action`; else 403."""
    user = request.auth
    if not access.allowed(user.role, action):
        raise Forbidden(
            "forbidden",
            _("Your role (%(role)s) may not do this.") % {"role": user.role},
            {"action": action},
        )
    return user
