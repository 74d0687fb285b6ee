from __future__ import annotations

from aftersales.accounts.models import ApiToken, User


def live_token(digest: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user", "user__partner")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def tokens_of(username: str):
    return ApiToken.objects.filter(user__username=username).order_by("-created_at")


def case_owner_candidates():
    """Active brand users who may own a case (the people a case can be handed to)."""
    from aftersales.accounts.rules import Role, becomes_owner

    roles = [r.value for r in Role if becomes_owner(r.value)]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")
