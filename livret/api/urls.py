"""The JSON API, with its OpenAPI schema at /api/openapi.json and docs at /api/docs.

Each app owns its routes (``livret.<app>.api``); this module mounts them on one NinjaAPI, whose
errors are JSON (``livret.api.errors``).
"""

from django.http import HttpRequest
from ninja import NinjaAPI

from livret import __version__
from livret.api import errors
from livret.monitoring.alertmanager import router as alertmanager_router
from livret.monitoring.api import router as monitoring_router
from livret.offers.api import router as offers_router
from livret.status.api import router as status_router
from livret.support.api import router as support_router

api = NinjaAPI(title="livret API", version=__version__, urls_namespace="api")
errors.install(api)
api.add_router("/", offers_router)
api.add_router("/", support_router)
api.add_router("/monitoring/", monitoring_router)
api.add_router("/status/", status_router)
api.add_router("/monitoring/", alertmanager_router)


@api.get("/health", tags=["ops"])
def health(request: HttpRequest) -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the web process answers."""
    return {"status": "ok"}
