from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Partner(models.Model):
    """An authorised service provider: a third-party organisation repairing under the brand's
    warranty. Its users see only its own work."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
