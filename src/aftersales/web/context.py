"""What every page's layout needs: the brand, the navigation the user may use, the languages."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.accounts import rules as access

NAV = [
    # (url name, label, permission needed or None, url-name prefixes that mark it current)
    ("web:intake", _("Intake"), "cases.create", ("intake",)),
    ("web:case_list", _("Cases"), "cases.read", ("case_",)),
    ("web:at_risk", _("At risk"), "cases.read", ("at_risk",)),
    ("web:dashboard", _("Dashboard"), None, ("dashboard",)),
]


def navigation(request):
    context = {"brand_name": settings.BRAND_NAME}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.namespace == "web" else ""
    items = []
    for name, label, permission, prefixes in NAV:
        if permission and not access.allowed(user.role, permission):
            continue
        items.append(
            {
                "url": reverse(name),
                "label": label,
                "current": any(current.startswith(p) for p in prefixes),
            }
        )
    context["nav_items"] = items
    context["show_admin_link"] = user.role in access.CONFIGURERS and user.is_staff
    return context
