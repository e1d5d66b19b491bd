"""Every change to services, probes, incidents, maintenances and updates (AVL-2, AVL-4, MNT-1..4).

Each function is atomic and appends its :class:`~livret.status.models.StatusEvent` row(s) in the
same transaction: the event log is what the status page, its Atom feed and the subscriptions
read (``livret.statuspage``). Writes are for vendor staff only; the rules themselves (window,
notice, blocking work) are decided by :mod:`livret.core.maintenance` — these modules load the
contract's offer and territory, ask the core, and record the answer.

Who sees an event: ``public`` events go on the public page (only when the incident or
maintenance is published and concerns at least one public service); ``clients`` always lists
the clients whose services are concerned, so a logged-in client sees its own.

One module per concept: :mod:`.hosted` (services, probes and their results),
:mod:`.incidents`, :mod:`.maintenance` (and :mod:`.overlaps`), :mod:`.updates`;
:mod:`.common` holds what they share (argument checks, the status event, the service's state).
The public names are all here.
"""

from livret.status.services.common import local_text, offer_of, refresh_service_state, zone_of
from livret.status.services.hosted import (
    ACCEPTANCE_OPTION,
    MIN_PROBE_INTERVAL,
    add_probe,
    create_service,
    record_probe_result,
    set_probe_enabled,
    set_probe_target,
)
from livret.status.services.incidents import (
    declare_incident,
    post_incident_update,
    reclassify_incident,
    resolve_incident,
)
from livret.status.services.maintenance import (
    MaintenanceRefused,
    advance_maintenances,
    cancel_maintenance,
    complete_maintenance,
    plan_maintenance,
    start_maintenance,
)
from livret.status.services.overlaps import overlapping, overlaps_among
from livret.status.services.updates import agree_update_date, announce_update

__all__ = [
    "ACCEPTANCE_OPTION",
    "MIN_PROBE_INTERVAL",
    "MaintenanceRefused",
    "add_probe",
    "advance_maintenances",
    "agree_update_date",
    "announce_update",
    "cancel_maintenance",
    "complete_maintenance",
    "create_service",
    "declare_incident",
    "local_text",
    "offer_of",
    "overlapping",
    "overlaps_among",
    "plan_maintenance",
    "post_incident_update",
    "reclassify_incident",
    "record_probe_result",
    "refresh_service_state",
    "resolve_incident",
    "set_probe_enabled",
    "set_probe_target",
    "start_maintenance",
    "zone_of",
]
