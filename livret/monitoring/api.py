"""Ingestion API for monitoring agents (issue 7), mounted at /api/monitoring/."""

from ninja import Router

router = Router(tags=["monitoring"])
