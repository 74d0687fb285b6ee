from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.rules import Role


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=20, choices=[(r.value, r.value) for r in Role], default=Role.AGENT
    )
    partner = models.ForeignKey(
        "network.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    service_centre = models.ForeignKey(
        "network.ServiceCentre",
        verbose_name=_("service centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("Where a technician is based or which centre a supervisor dispatches for."),
    )
    language = models.CharField(_("language"), max_length=8, default="en")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.PARTNER, partner__isnull=False)
                | (~Q(role=Role.PARTNER) & Q(partner__isnull=True)),
                name="%(app_label)s_%(class)s_partner_iff_partner_role",
            )
        ]

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER


class ApiToken(models.Model):
    """An API credential. Only a SHA-256 digest is kept: the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"
