"""The support REST API through HTTP, with real tokens and the three personas (REQ-1..11).

user_a is the administrator of client A, user_b a user of client B, technician is vendor
staff. Every route is called by each of them on A's request: user_b must get 404 (never 403,
never a leak), the technician 403 where the action belongs to the client and vice versa.
API calls run under a frozen clock (time-machine) so that deadlines can be asserted.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from livret.accounts.models import ApiToken
from livret.accounts.services import create_token, revoke_token
from livret.core import sla
from livret.mail.models import OutgoingMail
from livret.support import services
from livret.support.models import Request, State
from tests.helpers.clock import at
from tests.helpers.support import anomaly

pytestmark = pytest.mark.django_db
PERSONAS = ("user_a", "user_b", "technician")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


class Api:
    """The test client with a Bearer token per persona."""

    def __init__(self, client: Client, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def call(
        self,
        method: str,
        path: str,
        who: str | None,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> Any:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        url = f"/api{path}"
        if method == "get":
            return self.client.get(url, body or {}, headers=headers)
        if files is not None:
            return self.client.post(url, files, headers=headers)
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.generic(
            method.upper(), url, data, content_type="application/json", headers=headers
        )

    def get(self, path: str, who: str | None, query: dict[str, Any] | None = None) -> Any:
        return self.call("get", path, who, query)

    def post(self, path: str, who: str | None, body: Any = None) -> Any:
        return self.call("post", path, who, body)


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOADS_DIR = tmp_path / "uploads"


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """Thursday 19 November 2026, 10:00 in Paris, frozen."""
    with time_machine.travel(at("2026-11-19 10:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def api(client, personas, clock) -> Api:  # type: ignore[no-untyped-def]
    return Api(client, {name: create_token(getattr(personas, name), "tests") for name in PERSONAS})


def file_a(personas: Any, priority: str = "critical") -> Request:
    """A's anomaly, filed by user_a now (the frozen clock)."""
    return services.file_request(
        filer=personas.user_a, contract=personas.client_a.contracts.get(), new=anomaly(priority)
    )


def bring(request: Request, personas: Any, state: str) -> Request:
    """Move A's request to a named state through the service functions."""
    tech = personas.technician
    if state == "registered":
        return request
    request = services.take_in_charge(request, tech)
    if state == "taken":
        return request
    if state == "closed":
        return services.close(request, tech, "Résolu")
    request = services.qualify(request, tech, 1)
    if state == "qualified":
        return request
    if state == "waiting":
        return services.ask_client(request, tech, "Quelle version ?")
    request = services.deliver_fix(request, tech, "Correctif")
    if state == "delivered":
        return request
    raise AssertionError(state)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("message"), str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- the route table

# name, method, path after /requests/{n}, body, state A's request must be in, expected status
# for user_a, user_b, technician.
ACTIONS: list[tuple[str, str, str, Any, str, tuple[int, int, int]]] = [
    ("detail", "get", "", None, "registered", (200, 404, 200)),
    ("events", "get", "/events", None, "registered", (200, 404, 200)),
    ("comments-list", "get", "/comments", None, "registered", (200, 404, 200)),
    ("comment", "post", "/comments", {"body": "Bonjour"}, "registered", (201, 404, 201)),
    ("take", "post", "/take", None, "registered", (403, 404, 200)),
    ("priority", "post", "/priority", {"priority": "high"}, "registered", (200, 404, 200)),
    ("qualify", "post", "/qualify", {"criticity": 2}, "taken", (403, 404, 200)),
    ("action-plan", "post", "/action-plan", {"text": "Plan"}, "qualified", (403, 404, 200)),
    (
        "fix",
        "post",
        "/fix",
        {"text": "Correctif", "workaround": True},
        "qualified",
        (403, 404, 200),
    ),
    ("ask", "post", "/ask", {"question": "Quelle version ?"}, "taken", (403, 404, 200)),
    ("answer", "post", "/answer", {"text": "V8"}, "waiting", (200, 404, 200)),
    ("validate", "post", "/validate", None, "delivered", (200, 404, 200)),
    ("reject", "post", "/reject", {"reason": "Toujours en erreur"}, "delivered", (200, 404, 200)),
    ("reopen", "post", "/reopen", {"reason": "L'erreur revient"}, "closed", (200, 404, 200)),
    ("close", "post", "/close", {"reason": "Résolu"}, "taken", (403, 404, 200)),
    ("cancel", "post", "/cancel", {"reason": "Plus utile"}, "registered", (200, 404, 200)),
    (
        "remote-session",
        "post",
        "/remote-sessions",
        {"starts_at": "2026-11-20T10:00:00+01:00", "minutes": 30},
        "taken",
        (403, 404, 201),
    ),
    (
        "proposal",
        "post",
        "/proposal",
        {"service": "formation", "description": "Une demi-journée", "amount_eur": "450.00"},
        "registered",
        (403, 404, 201),
    ),
]

# Every route of the support router (checked against the OpenAPI schema below).
ALL_ROUTES = [
    ("post", "/requests"),
    ("get", "/requests"),
    *[(method, f"/requests/{{number}}{suffix}") for _, method, suffix, *_ in ACTIONS],
    ("post", "/requests/{number}/attachments"),
    ("get", "/attachments/{attachment_id}"),
    ("get", "/contracts/{contract_id}/compliance"),
]


def test_it_covers_every_support_route_in_these_tests(client) -> None:
    schema = client.get("/api/openapi.json").json()
    documented = {
        (method, path.removeprefix("/api"))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "support" in operation.get("tags", [])
    }
    assert documented == set(ALL_ROUTES)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "suffix", "body", "state", "expected"), ACTIONS)
def test_it_answers_each_route_per_persona(
    api, personas, persona, name, method, suffix, body, state, expected
) -> None:
    request = bring(file_a(personas), personas, state)
    status = dict(zip(PERSONAS, expected, strict=True))[persona]
    response = api.call(method, f"/requests/{request.number}{suffix}", persona, body)
    if status >= 400:
        assert_error(response, status, "not-found" if status == 404 else None)
        # a refusal changes nothing
        assert Request.objects.get(pk=request.pk).event_count == request.event_count
    else:
        assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("name", "who", "suffix", "body", "state"),
    [
        ("take", "technician", "/take", None, "taken"),
        ("qualify", "technician", "/qualify", {"criticity": 1}, "registered"),
        ("action-plan", "technician", "/action-plan", {"text": "Plan"}, "taken"),
        ("fix", "technician", "/fix", {"text": "Correctif"}, "registered"),
        ("ask", "technician", "/ask", {"question": "Version ?"}, "registered"),
        ("answer", "user_a", "/answer", {"text": "V8"}, "registered"),
        ("validate", "user_a", "/validate", None, "qualified"),
        ("reject", "user_a", "/reject", {"reason": "Non"}, "taken"),
        ("reopen", "user_a", "/reopen", {"reason": "Revenu"}, "registered"),
        ("close", "technician", "/close", {}, "closed"),
        ("cancel", "user_a", "/cancel", {}, "closed"),
        ("priority", "user_a", "/priority", {"priority": "high"}, "closed"),
    ],
)
def test_it_answers_409_for_a_transition_from_the_wrong_state(
    api, personas, name, who, suffix, body, state
) -> None:
    request = bring(file_a(personas), personas, state)
    response = api.post(f"/requests/{request.number}{suffix}", who, body)
    body = assert_error(response, 409, "wrong-state")
    assert body["field"] is None


def test_it_answers_409_for_an_action_plan_on_a_criticity_2_anomaly(api, personas) -> None:
    request = bring(file_a(personas), personas, "taken")
    services.qualify(request, personas.technician, 2)
    response = api.post(f"/requests/{request.number}/action-plan", "technician", {"text": "Plan"})
    assert_error(response, 409, "wrong-state")


def test_it_answers_409_for_a_second_proposal(api, personas) -> None:
    request = file_a(personas)
    body = {"service": "formation", "description": "Une demi-journée", "credits": 2}
    assert api.post(f"/requests/{request.number}/proposal", "technician", body).status_code == 201
    response = api.post(f"/requests/{request.number}/proposal", "technician", body)
    assert_error(response, 409, "already-proposed")


@pytest.mark.parametrize(
    ("who", "suffix", "body", "state", "status", "field"),
    [
        ("technician", "/qualify", {"criticity": 4}, "taken", 422, "criticity"),
        ("technician", "/qualify", {}, "taken", 422, "criticity"),
        ("technician", "/qualify", {"criticity": "bloquante"}, "taken", 422, "criticity"),
        ("technician", "/action-plan", {"text": " "}, "qualified", 400, "text"),
        ("technician", "/fix", {"text": 5}, "qualified", 422, "text"),
        (
            "technician",
            "/fix",
            {"text": "ok", "workaround": "maybe"},
            "qualified",
            422,
            "workaround",
        ),
        ("technician", "/ask", {"question": ""}, "taken", 422, "question"),
        ("user_a", "/answer", {"text": ""}, "waiting", 422, "text"),
        ("user_a", "/answer", {}, "waiting", 422, "text"),
        ("user_a", "/reject", {"reason": ""}, "delivered", 422, "reason"),
        ("user_a", "/reopen", {}, "closed", 422, "reason"),
        ("user_a", "/priority", {"priority": "urgent"}, "registered", 422, "priority"),
        ("user_a", "/comments", {"body": ""}, "registered", 422, "body"),
        ("user_a", "/comments", {"body": "a\x00b"}, "registered", 422, "body"),
        ("user_a", "/comments", {"body": "x" * 100_001}, "registered", 422, "body"),
        (
            "technician",
            "/remote-sessions",
            {"starts_at": "2026-11-20T10:00:00", "minutes": 30},
            "taken",
            422,
            "starts_at",
        ),
        (
            "technician",
            "/remote-sessions",
            {"starts_at": "2026-11-20T10:00:00+01:00", "minutes": 0},
            "taken",
            400,
            "minutes",
        ),
        (
            "technician",
            "/remote-sessions",
            {"starts_at": "9999-12-31T23:59:00+00:00", "minutes": 30},
            "taken",
            400,
            "starts_at",
        ),
        (
            "technician",
            "/proposal",
            {"service": "formation", "description": "x", "amount_eur": "-1"},
            "registered",
            422,
            "amount_eur",
        ),
        (
            "technician",
            "/proposal",
            {"service": "formation", "description": "x", "amount_eur": "1.001"},
            "registered",
            422,
            "amount_eur",
        ),
        (
            "technician",
            "/proposal",
            {"service": "", "description": "x"},
            "registered",
            422,
            "service",
        ),
        (
            "technician",
            "/proposal",
            {"service": "f", "description": ""},
            "registered",
            422,
            "description",
        ),
    ],
)
def test_it_names_the_field_of_bad_input(
    api, personas, who, suffix, body, state, status, field
) -> None:
    request = bring(file_a(personas), personas, state)
    response = api.post(f"/requests/{request.number}{suffix}", who, body)
    error = assert_error(response, status, "invalid")
    assert field in error["message"] or error.get("field") == field


def test_it_refuses_a_remote_session_outside_support_hours_and_names_the_next_slot(
    api, personas
) -> None:
    request = bring(file_a(personas), personas, "taken")
    saturday = {"starts_at": "2026-11-21T10:00:00+01:00", "minutes": 30}
    response = api.post(f"/requests/{request.number}/remote-sessions", "technician", saturday)
    error = assert_error(response, 400, "outside-support-hours")
    assert error["field"] == "starts_at"
    assert "23/11/2026 09:00" in error["message"]  # the next slot after it (REQ-10)


def test_it_books_a_remote_session_inside_support_hours(api, personas) -> None:
    request = bring(file_a(personas), personas, "taken")
    body = {"starts_at": "2026-11-20T10:00:00+01:00", "minutes": 45}
    created = api.post(f"/requests/{request.number}/remote-sessions", "technician", body).json()
    assert created["starts_at"] == "2026-11-20T09:00:00Z"
    assert created["ends_at"] == "2026-11-20T09:45:00Z"
    assert created["technician"] == "tech"
    detail = api.get(f"/requests/{request.number}", "user_a").json()
    assert [s["id"] for s in detail["remote_sessions"]] == [created["id"]]


# --------------------------------------------------------------------------- filing


def test_it_files_a_request_with_channel_api_and_an_acknowledgement(api, personas) -> None:
    contract = personas.client_a.contracts.get()
    body = {
        "contract_id": contract.pk,
        "kind": "anomaly",
        "title": "Export FEC en erreur",
        "description": "L'export s'arrête à 50 %",
        "context": "Clôture",
        "error_messages": "E-17",
        "menu_path": "Outils > Export FEC",
        "priority": "high",
    }
    response = api.post("/requests", "user_a", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"].startswith("DEM-2026-")
    assert created["channel"] == "api"
    assert created["state"] == "registered"
    assert created["filer"] == "user-a"
    assert created["menu_path"] == "Outils > Export FEC"
    # Q art. 14: high priority, 6 business hours from Thursday 10:00 → 17:30 Paris
    assert created["deadlines"]["pickup"] == "2026-11-19T16:30:00Z"
    assert [e["kind"] for e in created["events"]] == ["registered"]
    stored = Request.objects.get(number=created["number"])
    assert OutgoingMail.objects.filter(thread=stored.number, reason="acknowledgement").exists()


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("user_a", 201, None),
        ("user_b", 404, "not-found"),
        ("technician", 403, "not-your-contract"),
    ],
)
def test_it_files_only_on_the_callers_own_contracts(api, personas, persona, status, code) -> None:
    contract = personas.client_a.contracts.get()
    body = {"contract_id": contract.pk, "kind": "usage-question", "title": "T", "description": "D"}
    response = api.post("/requests", persona, body)
    if code:
        assert_error(response, status, code)
        assert not Request.objects.exists()
    else:
        assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"kind": "bug"}, 422, "kind"),
        ({"title": "  "}, 400, "title"),
        ({"title": "x" * 201}, 422, "title"),
        ({"description": ""}, 422, "description"),
        ({"priority": "urgent"}, 422, "priority"),
        ({"menu_path": "x" * 501}, 422, "menu_path"),
        ({"contract_id": "A-1"}, 422, "contract_id"),
        ({"contract_id": 2**70}, 422, "contract_id"),
        ({"contract_id": None}, 422, "contract_id"),
    ],
)
def test_it_refuses_a_bad_new_request_naming_the_field(
    api, personas, change, status, field
) -> None:
    body = {
        "contract_id": personas.client_a.contracts.get().pk,
        "kind": "anomaly",
        "title": "T",
        "description": "D",
        **change,
    }
    error = assert_error(api.post("/requests", "user_a", body), status, "invalid")
    assert field in error["message"] or error.get("field") == field
    assert not Request.objects.exists()


@pytest.mark.parametrize("title", ["a\r\nBcc: x@y", "a\nb", "a\tb", "a\x07b", "a\u2028b"])
def test_it_refuses_a_title_with_a_line_break_or_a_control_character(api, personas, title) -> None:
    """issue 13, item 9: the title becomes a mail subject; CR/LF there made the
    acknowledgement fail at send time (header injection refused by Django)."""
    body = {
        "contract_id": personas.client_a.contracts.get().pk,
        "kind": "anomaly",
        "title": title,
        "description": "D",
    }
    error = assert_error(api.post("/requests", "user_a", body), 400, "invalid")
    assert error["field"] == "title"
    assert "une ligne" in error["message"]
    assert not Request.objects.exists()


def test_it_answers_404_for_an_unknown_contract(api, personas) -> None:
    body = {"contract_id": 999_999, "kind": "anomaly", "title": "T", "description": "D"}
    assert_error(api.post("/requests", "user_a", body), 404, "not-found")


# --------------------------------------------------------------------------- reading


def test_it_shows_deadlines_business_time_left_and_breaches_on_a_frozen_clock(
    api, personas, clock
) -> None:
    request = file_a(personas)  # critical: 4 business hours from Thursday 10:00 → 15:30
    detail = api.get(f"/requests/{request.number}", "user_a").json()
    assert detail["deadlines"]["pickup"] == "2026-11-19T14:30:00Z"
    (pickup,) = detail["clocks"]
    assert pickup["clock"] == "pickup" and pickup["allowed"] == "4 heures ouvrées"
    assert pickup["running"] and pickup["business_seconds_left"] == 4 * 3600
    assert detail["breached"] == []

    clock.move_to(at("2026-11-19 13:00"))  # 2.5 h used before lunch; 14:00-15:30 is left
    pickup = api.get(f"/requests/{request.number}", "user_a").json()["clocks"][0]
    assert pickup["business_seconds_left"] == 90 * 60

    clock.move_to(at("2026-11-19 16:30"))
    detail = api.get(f"/requests/{request.number}", "user_a").json()
    assert detail["breached"] == ["pickup"]
    assert detail["clocks"][0]["business_seconds_left"] == -3600
    assert detail["clocks"][0]["met"] is False
    listed = api.get("/requests", "technician", {"breached": "true"}).json()
    assert [r["number"] for r in listed["items"]] == [request.number]
    assert api.get("/requests", "technician", {"breached": "false"}).json()["count"] == 0

    taken = api.post(f"/requests/{request.number}/take", "technician").json()
    assert taken["clocks"][0]["running"] is False
    assert taken["clocks"][0]["business_seconds_left"] is None
    assert taken["breached"] == ["pickup"]  # taken late: stays breached


def test_it_shows_eligibility_issues(api, personas) -> None:
    contract = personas.client_a.contracts.get()
    contract.users_trained = False
    contract.save()
    request = file_a(personas)
    detail = api.get(f"/requests/{request.number}", "user_a").json()
    assert [i["rule"] for i in detail["eligibility_issues"]] == ["users-trained"]


def test_it_hides_internal_notes_and_events_from_the_client(api, personas) -> None:
    request = file_a(personas)
    note = {"body": "Client difficile", "internal": True}
    assert api.post(f"/requests/{request.number}/comments", "technician", note).status_code == 201
    reply = {"body": "Nous regardons"}
    assert api.post(f"/requests/{request.number}/comments", "technician", reply).status_code == 201

    def seen(who: str) -> tuple[list[str], list[str], list[str]]:
        comments = api.get(f"/requests/{request.number}/comments", who).json()
        events = api.get(f"/requests/{request.number}/events", who).json()
        detail = api.get(f"/requests/{request.number}", who).json()
        return (
            [c["body"] for c in comments],
            [e["kind"] for e in events],
            [e["kind"] for e in detail["events"]],
        )

    comments, events, detail_events = seen("user_a")
    assert comments == ["Nous regardons"]
    assert events == detail_events == ["registered", "comment"]
    comments, events, detail_events = seen("technician")
    assert comments == ["Client difficile", "Nous regardons"]
    assert events == detail_events == ["registered", "comment", "comment"]


def test_it_refuses_an_internal_note_from_a_client(api, personas) -> None:
    request = file_a(personas)
    note = {"body": "note", "internal": True}
    response = api.post(f"/requests/{request.number}/comments", "user_a", note)
    assert_error(response, 403, "vendor-only")


def test_it_shows_the_audit_chain_in_order(api, personas) -> None:
    request = bring(file_a(personas), personas, "delivered")
    events = api.get(f"/requests/{request.number}/events", "user_a").json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"]


def test_it_lists_only_visible_requests_per_persona(api, personas) -> None:
    mine = file_a(personas)
    theirs = services.file_request(
        filer=personas.user_b, contract=personas.client_b.contracts.get(), new=anomaly()
    )

    def numbers(who: str, **query: Any) -> list[str]:
        response = api.get("/requests", who, query)
        assert response.status_code == 200, response.content
        return sorted(r["number"] for r in response.json()["items"])

    assert numbers("user_a") == [mine.number]
    assert numbers("user_b") == [theirs.number]
    assert numbers("technician") == sorted([mine.number, theirs.number])
    assert numbers("technician", client="client-b") == [theirs.number]
    assert numbers("user_a", client="client-b") == []  # a filter never widens what one sees
    assert numbers("user_b", state="registered") == [theirs.number]
    assert numbers("user_b", kind="usage-question") == []


def test_it_hides_a_colleagues_request_from_a_plain_client_user(
    api, personas, django_user_model
) -> None:
    from livret.tenants.models import Membership, Role

    colleague = django_user_model.objects.create_user("colleague-a", password="pw-colleague")
    Membership.objects.create(user=colleague, client=personas.client_a, role=Role.CLIENT_USER)
    token = create_token(colleague)
    request = file_a(personas)
    response = api.call("get", f"/requests/{request.number}", None, token=token)
    assert_error(response, 404, "not-found")
    assert api.call("get", "/requests", None, token=token).json()["count"] == 0


def test_it_filters_mine_limits_and_offsets(api, personas) -> None:
    first = file_a(personas)
    second = file_a(personas)
    services.take_in_charge(second, personas.technician)
    assigned = api.get("/requests", "technician", {"mine": "true"}).json()
    assert [r["number"] for r in assigned["items"]] == [second.number]
    page = api.get("/requests", "user_a", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and page["limit"] == 1 and page["offset"] == 1
    assert [r["number"] for r in page["items"]] == [first.number]  # newest first for clients
    for query, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"state": "nope"}, "state"),
        ({"mine": "perhaps"}, "mine"),
    ):
        error = assert_error(api.get("/requests", "user_a", query), 422, "invalid")
        assert field in error["message"]


def test_it_orders_the_vendor_queue_by_priority_line_then_deadline(
    api, personas, versions, clock
) -> None:
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    private = Client.objects.create(name="Cabinet Privé", slug="prive")
    contract = create_contract(
        client=private,
        reference="E-1",
        offer_version=versions["expert-on-demand"],
        formula="private",
        start_date=at("2026-01-05 00:00").date(),
    )
    from django.contrib.auth import get_user_model

    filer = get_user_model().objects.create_user("prive", password="pw-prive-2026")
    Membership.objects.create(user=filer, client=private, role=Role.CLIENT_ADMIN)
    filed = []
    for hour, who, priority in [
        ("09:00", "a", "moderate"),
        ("09:10", "p", "moderate"),
        ("09:20", "a", "critical"),
        ("09:30", "p", "moderate"),
        ("09:40", "a", "high"),
    ]:
        clock.move_to(at(f"2026-11-19 {hour}"))
        if who == "p":
            filed.append(
                services.file_request(filer=filer, contract=contract, new=anomaly(priority))
            )
        else:
            filed.append(file_a(personas, priority))
    closed = file_a(personas, "critical")
    services.cancel(closed, personas.user_a, "doublon")
    queue = [r["number"] for r in api.get("/requests", "technician").json()["items"]]
    open_ones = [Request.objects.get(pk=r.pk) for r in filed]
    expected = sorted(
        open_ones, key=lambda r: sla.queue_key(r.priority_line, r.registered_at, r.next_deadline_at)
    )
    assert queue == [r.number for r in expected] + [closed.number]
    assert [r.priority_line for r in expected[:2]] == [True, True]


# --------------------------------------------------------------------------- attachments


def upload(api: Api, number: str, who: str, name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.call(
        "post",
        f"/requests/{number}/attachments",
        who,
        files={"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 201), ("user_b", 404), ("technician", 201)]
)
def test_it_takes_attachments_per_persona(api, personas, persona, status) -> None:
    request = file_a(personas)
    response = upload(api, request.number, persona, "capture.pdf", PDF)
    if status == 404:
        assert_error(response, 404, "not-found")
        assert not request.attachments.exists()
    else:
        assert response.status_code == 201, response.content
        assert response.json()["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 200), ("user_b", 404), ("technician", 200)]
)
def test_it_serves_a_pdf_as_a_download_per_persona(api, personas, persona, status) -> None:
    request = file_a(personas)
    created = upload(api, request.number, "user_a", "relevé.pdf", PDF).json()
    response = api.get(f"/attachments/{created['id']}", persona)
    if status == 404:
        assert_error(response, 404, "not-found")
        return
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "relev" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_it_serves_uploaded_html_as_an_octet_stream_download(api, personas) -> None:
    request = file_a(personas)
    created = upload(api, request.number, "user_a", "facture.pdf", HTML).json()
    assert created["content_type"] == "text/html"  # sniffed from the bytes, not the name
    response = api.get(f"/attachments/{created['id']}", "technician")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    detail = api.get(f"/requests/{request.number}", "user_a").json()
    assert [a["id"] for a in detail["attachments"]] == [created["id"]]


def test_it_refuses_empty_missing_and_too_large_files(api, personas, settings) -> None:
    request = file_a(personas)
    error = assert_error(upload(api, request.number, "user_a", "vide.pdf", b""), 400, "invalid")
    assert error["field"] == "file"
    missing = api.call("post", f"/requests/{request.number}/attachments", "user_a", files={})
    assert "file" in assert_error(missing, 422, "invalid")["message"]
    settings.MAX_ATTACHMENT_BYTES = 0
    error = assert_error(upload(api, request.number, "user_a", "a.pdf", PDF), 400, "too-large")
    assert error["field"] == "file"
    assert not request.attachments.exists()


def test_it_answers_404_for_unknown_or_absurd_attachment_ids(api, personas) -> None:
    for attachment_id in ("999999", "0", "-1", str(2**64)):
        assert_error(api.get(f"/attachments/{attachment_id}", "technician"), 404, "not-found")
    assert_error(api.get("/attachments/abc", "technician"), 422, "invalid")


def test_it_answers_404_when_the_stored_file_is_gone(api, personas) -> None:
    request = file_a(personas)
    created = upload(api, request.number, "user_a", "a.pdf", PDF).json()
    attachment = request.attachments.get()
    services.attachment_path(attachment).unlink()
    assert created["id"] == attachment.pk
    assert_error(api.get(f"/attachments/{attachment.pk}", "user_a"), 404, "file-missing")


# --------------------------------------------------------------------------- compliance


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 200), ("user_b", 404), ("technician", 200)]
)
def test_it_gives_the_compliance_report_per_persona(api, personas, persona, status) -> None:
    bring(file_a(personas), personas, "taken")
    contract = personas.client_a.contracts.get()
    response = api.get(f"/contracts/{contract.pk}/compliance", persona)
    if status == 404:
        assert_error(response, 404, "not-found")
        return
    report = response.json()
    assert report["contract"] == "A-1"
    assert report["computed_at"].startswith("2026-11-19T09:00")
    (period,) = report["periods"]
    assert period["registered"] == 1 and period["in_time"] == 1


def test_it_gives_a_client_its_own_report_and_404_for_unknown_ids(api, personas) -> None:
    own = personas.client_b.contracts.get()
    assert api.get(f"/contracts/{own.pk}/compliance", "user_b").status_code == 200
    for contract_id in ("999999", "0", str(2**64)):
        assert_error(api.get(f"/contracts/{contract_id}/compliance", "user_a"), 404, "not-found")


# --------------------------------------------------------------------------- authentication


def concrete(path: str, number: str, attachment_id: int, contract_id: int) -> str:
    return (
        path.replace("{number}", number)
        .replace("{attachment_id}", str(attachment_id))
        .replace("{contract_id}", str(contract_id))
    )


@pytest.fixture
def targets(api, personas) -> tuple[str, int, int]:
    request = file_a(personas)
    attachment = services.add_attachment(request, personas.user_a, "a.pdf", PDF)
    return request.number, attachment.pk, personas.client_a.contracts.get().pk


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES)
def test_it_answers_401_without_credentials_on_every_route(api, targets, method, path) -> None:
    url = concrete(path, *targets)
    assert_error(api.call(method, url, None, {}), 401, "unauthenticated")
    for header in (
        "Bearer",
        "Bearer nope",
        "Basic dXNlcjpwdw==",
        "Bearer " + "x" * 5000,
        "Token abc",
    ):
        response = api.client.generic(
            method.upper(),
            f"/api{url}",
            "{}",
            content_type="application/json",
            headers={"Authorization": header},
        )
        assert_error(response, 401, "unauthenticated")


def test_it_refuses_a_revoked_token_at_once(api, personas) -> None:
    token = create_token(personas.user_a, "script")
    assert api.call("get", "/requests", None, token=token).status_code == 200
    revoke_token(token[:8])
    assert_error(api.call("get", "/requests", None, token=token), 401, "unauthenticated")
    assert api.get("/requests", "user_a").status_code == 200  # other tokens still work


def test_it_refuses_a_deactivated_users_token_at_once(api, personas) -> None:
    request = file_a(personas)
    assert api.get(f"/requests/{request.number}", "user_a").status_code == 200
    personas.user_a.is_active = False
    personas.user_a.save(update_fields=["is_active"])
    assert_error(api.get(f"/requests/{request.number}", "user_a"), 401, "unauthenticated")
    assert_error(api.post(f"/requests/{request.number}/cancel", "user_a"), 401, "unauthenticated")
    assert Request.objects.get(pk=request.pk).state == State.REGISTERED


def test_it_stores_only_the_hash_and_the_prefix(personas) -> None:
    token = create_token(personas.user_a, "ci")
    row = ApiToken.objects.get(user=personas.user_a)
    assert row.prefix == token[:8] and row.name == "ci"
    assert token not in row.key_hash and len(row.key_hash) == 64
    assert len(token) >= 43


def test_it_touches_last_used_at_at_most_once_a_minute(api, personas, clock) -> None:
    row = ApiToken.objects.get(user=personas.user_a)
    assert row.last_used_at is None
    api.get("/requests", "user_a")
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first == at("2026-11-19 10:00")
    clock.shift(timedelta(seconds=59))
    api.get("/requests", "user_a")
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    clock.shift(timedelta(seconds=1))
    api.get("/requests", "user_a")
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first + timedelta(minutes=1)


def test_it_accepts_the_browser_session_with_csrf(personas, clock) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.user_a)
    contract = personas.client_a.contracts.get()
    body = json.dumps(
        {"contract_id": contract.pk, "kind": "anomaly", "title": "T", "description": "D"}
    )
    assert browser.get("/api/requests").status_code == 200
    refused = browser.post("/api/requests", body, content_type="application/json")
    assert_error(refused, 403, "csrf-failed")
    csrf = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"  # a 32-character CSRF secret, as a page would set
    browser.cookies["csrftoken"] = csrf
    accepted = browser.post(
        "/api/requests", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201, accepted.content
    # a bad token is never rescued by the session
    response = browser.get("/api/requests", headers={"Authorization": "Bearer nope"})
    assert_error(response, 401, "unauthenticated")


# --------------------------------------------------------------------------- garbage


GARBAGE_BODIES: list[str | bytes] = [
    "{",
    "not json",
    "[]",
    "null",
    '"text"',
    "42",
    "{}",
    b"\xff\xfe\x00",
    json.dumps(
        {
            k: {"nested": [1, 2]}
            for k in (
                "contract_id",
                "kind",
                "title",
                "description",
                "criticity",
                "text",
                "question",
                "reason",
                "priority",
                "starts_at",
                "minutes",
                "service",
                "amount_eur",
                "credits",
                "body",
                "internal",
                "workaround",
            )
        }
    ),
    json.dumps(
        {
            k: "\x00"
            for k in (
                "kind",
                "title",
                "description",
                "text",
                "question",
                "reason",
                "priority",
                "starts_at",
                "service",
                "body",
            )
        }
    ),
    json.dumps(
        {k: 10**40 for k in ("contract_id", "criticity", "minutes", "credits", "amount_eur")}
    ),
    json.dumps({"starts_at": "0001-01-01T00:00:00+14:00", "minutes": 480}),
    json.dumps({"starts_at": "9999-12-31T23:59:59-12:00", "minutes": 480}),
    json.dumps({"amount_eur": "NaN", "service": "s", "description": "d"}),
    json.dumps({"amount_eur": "Infinity", "service": "s", "description": "d"}),
    json.dumps({"criticity": True}),
]
GARBAGE_QUERIES: list[dict[str, str]] = [
    {"limit": "abc"},
    {"offset": str(10**30)},
    {"limit": "-5"},
    {"breached": "maybe"},
    {"client": "\x00"},
    {"client": "x" * 500},
    {"kind": "\x00"},
]
GARBAGE_PATH_VALUES = ["%00", "DEM-%00", "x" * 300, "%C3%A9t%C3%A9", "..", "0", "-1", str(10**30)]


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES)
def test_it_never_answers_500_to_garbage(api, targets, method, path) -> None:
    """Every route, malformed JSON and wrong types: a 4xx JSON error, never a 500."""
    urls = [concrete(path, *targets)]
    for value in GARBAGE_PATH_VALUES:
        urls.append(
            path.replace("{number}", value)
            .replace("{attachment_id}", value)
            .replace("{contract_id}", value)
        )
    for who in ("technician", "user_a"):
        for url in urls:
            if method == "get":
                for query in [{}, *GARBAGE_QUERIES]:
                    response = api.get(url, who, query)
                    assert response.status_code < 500, (url, query, response.content)
                continue
            for raw in GARBAGE_BODIES:
                response = api.call(method, url, who, raw=raw)
                assert response.status_code < 500, (url, raw, response.content)
                if response.status_code >= 400 and response["Content-Type"].startswith(
                    "application/json"
                ):
                    assert "code" in response.json()


# --------------------------------------------------------------------------- schema, CLI


def test_it_publishes_the_openapi_schema_with_bearer_auth(client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/requests/{number}/qualify" in schema["paths"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert client.get("/api/docs").status_code == 200


def run_cli(*argv: str) -> int:
    from livret.cli import main

    return main(list(argv))


def test_it_creates_and_revokes_tokens_from_the_cli(personas, client, capsys) -> None:
    assert run_cli("token", "create", "user-a", "--name", "compta") == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert len(token) >= 43 and "not shown again" in out.err
    assert ApiToken.objects.get(prefix=token[:8]).name == "compta"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/requests", headers=headers).status_code == 200

    assert run_cli("token", "revoke", token[:8]) == 0
    assert token[:8] in capsys.readouterr().out
    assert client.get("/api/requests", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("token", "create", "nobody"), "no user 'nobody'"),
        (("token", "revoke", "zzzzzzzz"), "no active token"),
        (("token", "revoke", "abc"), "8 characters"),
    ],
)
def test_it_reports_cli_token_errors_on_one_line(personas, capsys, argv, message) -> None:
    assert run_cli(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("livret: error: ") and message in err and err.count("\n") == 1


def test_it_refuses_a_token_for_a_deactivated_user(personas, capsys) -> None:
    personas.user_b.is_active = False
    personas.user_b.save()
    assert run_cli("token", "create", "user-b") == 2
    assert "deactivated" in capsys.readouterr().err
