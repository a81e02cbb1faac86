"""The outbox: one row per committed change, the live feed's source of truth.

Rows are written in the same transaction as the change, under a transaction-level advisory
lock, so that sequence order is commit order and a client resuming "after N" misses nothing.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    # The id is the sequence number clients resume from.
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=50)  # e.g. "incident.upserted", "patrol.moved"
    entity_type = models.CharField(max_length=30)
    entity_id = models.BigIntegerField()
    area_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Users who see the item whatever its area (assignees); the visibility rule needs them.
    user_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"#{self.id} {self.kind}"
