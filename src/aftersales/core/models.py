from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a create request carrying an Idempotency-Key, replayed for retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=100)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="%(app_label)s_%(class)s_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
