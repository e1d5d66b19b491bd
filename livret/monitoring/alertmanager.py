"""Alertmanager webhook receiver (payload version 4), mounted at /api/monitoring/alertmanager."""

from ninja import Router

router = Router(tags=["monitoring"])
