"""Models of the shared infrastructure (no business data): the idempotency records of creating POSTs."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """One row per (owner, key): the unique insert decides which request does the work (oms_project.idempotency).

    ``owner`` names whose keys these are (``partner:<id>``, ``customer:<id>``, ``session:<key>``); ``partner`` is
    kept for the partner API's rows (admin lists, tests). Moved from the orders app with its table
    (``orders_idempotencyrecord``), so records written before the move still replay.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        DONE = "done"

    owner = models.CharField(max_length=100, default="")
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=64)  # which operation used the key, e.g. "orders.create"
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_location = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField()

    class Meta:
        db_table = "orders_idempotencyrecord"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"
