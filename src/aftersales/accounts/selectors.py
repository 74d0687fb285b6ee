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
