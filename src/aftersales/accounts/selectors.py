from __future__ import annotations

from aftersales.accounts.models import ApiToken, User
from aftersales.core import rows

Partner = User._meta.get_field("partner").related_model


@rows.statement
def _live_token_sql() -> str:
    return (
        f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(User, 'u')},"
        f" {rows.columns(Partner, 'p')}"
        f" FROM {rows.table(ApiToken)} t"
        f" INNER JOIN {rows.table(User)} u ON u.id = {rows.column(ApiToken, 'user', 't')}"
        f" LEFT OUTER JOIN {rows.table(Partner)} p ON p.id = {rows.column(User, 'partner', 'u')}"
        f" WHERE {rows.column(ApiToken, 'digest', 't')} = %s"
        f" AND {rows.column(ApiToken, 'revoked_at', 't')} IS NULL"
        f" AND {rows.column(User, 'is_active', 'u')} = %s"
    )


def live_token(digest: str) -> ApiToken | None:
    """The live token with that digest, its user and the user's partner: one query on every
    API call, so it is written by hand (core.rows) instead of compiled by the ORM each time.
    Nothing is cached: a revoked token or a deactivated user is refused on the next call."""
    with rows.cursor() as cursor:
        cursor.execute(_live_token_sql(), [digest, True])
        row = cursor.fetchone()
    if row is None:
        return None
    record = rows.instance(ApiToken, row)
    user = rows.instance(User, row, rows.width(ApiToken))
    partner_at = rows.width(ApiToken) + rows.width(User)
    partner = rows.instance(Partner, row, partner_at) if row[partner_at] is not None else None
    rows.cache_related(user, "partner", partner)
    rows.cache_related(record, "user", user)
    return record


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def tokens_of(username: str):
    return ApiToken.objects.filter(user__username=username).order_by("-created_at")


def case_owner_candidates():
    """Active brand users who may own a case (the people a case can be handed to)."""
    from aftersales.accounts.rules import Role, becomes_owner

    roles = [r.value for r in Role if becomes_owner(r.value)]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")
