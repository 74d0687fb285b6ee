from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import ApiToken, User
from aftersales.accounts.rules import Role
from aftersales.core import clock
from aftersales.core.errors import Conflict, Invalid, NotFound
from aftersales.network.selectors import partner_by_code

TOKEN_PREFIX = "as_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    partner_code: str | None = None,
    email: str = "",
    check_password_strength: bool = True,
) -> tuple[User, str]:
    """Creates a user; returns it with the password (generated when none was given)."""
    username = username.strip()
    if not username:
        raise Invalid("username", _("A user needs a username."))
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(
            "role",
            _("Role must be one of: %(roles)s.") % {"roles": ", ".join(r.value for r in Role)},
        ) from None
    if User.objects.filter(username=username).exists():
        raise Conflict("duplicate_user", _("User %(name)s already exists.") % {"name": username})
    partner = None
    if role == Role.PARTNER:
        if not partner_code:
            raise Invalid("partner", _("A partner user needs --partner CODE."))
        partner = partner_by_code(partner_code)
        if partner is None:
            raise Invalid("partner", _("No partner has code %(code)s.") % {"code": partner_code})
    elif partner_code:
        raise Invalid("partner", _("Only partner users belong to a partner."))
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12)
    elif check_password_strength:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise Invalid("password", " ".join(exc.messages)) from None
    user = User(
        username=username,
        role=role,
        partner=partner,
        email=email,
        is_staff=role in (Role.ADMIN, Role.MANAGER),
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.save()
    return user, password


@transaction.atomic
def token_create(*, username: str) -> tuple[ApiToken, str]:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(_("User %(name)s") % {"name": username})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, prefix=token[: len(TOKEN_PREFIX) + 8], digest=token_digest(token)
    )
    return record, token


@transaction.atomic
def token_revoke(*, token_or_prefix: str) -> int:
    """Revokes the token given in full, or every live token starting with the given prefix."""
    value = token_or_prefix.strip()
    live = ApiToken.objects.filter(revoked_at__isnull=True)
    matching = live.filter(digest=token_digest(value))
    if not matching.exists() and len(value) >= len(TOKEN_PREFIX) + 8:
        matching = live.filter(prefix=value[: len(TOKEN_PREFIX) + 8])
    count = matching.update(revoked_at=clock.now())
    if count == 0:
        raise NotFound(_("A live token matching %(value)s") % {"value": value[:11]})
    return count


LAST_USED_RESOLUTION_SECONDS = 300


def token_authenticate(*, token: str) -> User | None:
    """The user behind a live token; notes when it was last used."""
    from aftersales.accounts.selectors import live_token

    record = live_token(token_digest(token))
    if record is None:
        return None
    now = clock.now()
    # Recording every use would add a write to every read; minutes are enough to audit.
    if (
        record.last_used_at is None
        or (now - record.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user
