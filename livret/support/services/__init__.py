"""Every state change of a support request (SPEC REQ-1..11).

Each function is atomic: it locks the request, checks who may do it and from which state,
appends its event to the hash-chained audit trail, recomputes the stored deadlines from the
whole history (``livret.core.sla.replay``) and queues the mails in the same transaction (the
worker sends them). Views, the API, the mail gate and the CLI all call these functions, as
``services.<name>``; they live in one module per concept:

- ``filing``: filing a request (portal, API, e-mail, phone) and storing attachments;
- ``lifecycle``: the vendor's and the client's transitions;
- ``assignment``: the team (routed by offer at filing) and the technician of a request;
- ``comments``: messages and informative events;
- ``clocks``: SLA policies, stored deadlines and the alerts the worker sends;
- ``trail``: the steps they all share (who may act, lock, audit trail, mail queue).
"""

from livret.support.services.assignment import (
    assign,
    set_team,
    take,
    team_for,
    unassign,
)
from livret.support.services.clocks import (
    has_sla,
    policy,
    recompute,
    send_due_alerts,
    sla_state,
    support_calendar,
)
from livret.support.services.comments import comment, note
from livret.support.services.filing import (
    NewRequest,
    add_attachment,
    attachment_path,
    eligibility_issues,
    file_request,
    max_attachment_bytes,
    record_phone_request,
)
from livret.support.services.lifecycle import (
    ask_client,
    book_remote_assistance,
    cancel,
    client_answers,
    close,
    deliver_action_plan,
    deliver_fix,
    next_slot,
    propose_billable,
    qualify,
    reject,
    reopen,
    set_priority,
    take_in_charge,
    validate,
)
from livret.support.services.staff import person_name, staff_to_tell
from livret.support.services.trail import event_payload

__all__ = [
    "NewRequest",
    "add_attachment",
    "ask_client",
    "assign",
    "attachment_path",
    "book_remote_assistance",
    "cancel",
    "client_answers",
    "close",
    "comment",
    "deliver_action_plan",
    "deliver_fix",
    "eligibility_issues",
    "event_payload",
    "file_request",
    "has_sla",
    "max_attachment_bytes",
    "next_slot",
    "note",
    "person_name",
    "policy",
    "propose_billable",
    "qualify",
    "recompute",
    "record_phone_request",
    "reject",
    "reopen",
    "send_due_alerts",
    "set_priority",
    "set_team",
    "sla_state",
    "staff_to_tell",
    "support_calendar",
    "take",
    "take_in_charge",
    "team_for",
    "unassign",
    "validate",
]
