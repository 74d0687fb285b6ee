from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import Conflict, Invalid
from aftersales.network.models import Partner


@transaction.atomic
def partner_create(*, code: str, name: str) -> Partner:
    code = code.strip().upper()
    if not code:
        raise Invalid("code", _("A partner needs a code."))
    if Partner.objects.filter(code=code).exists():
        raise Conflict("duplicate_partner", _("Partner %(code)s already exists.") % {"code": code})
    return Partner.objects.create(code=code, name=name.strip() or code)
