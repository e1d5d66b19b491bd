"""Who among the vendor's staff is told of what happens on a request (issue 12): the assignee,
or the team's members while nobody is assigned, plus the team's lead (the vendor's support
leads when there is no team or no lead); never the person who acted, never an inactive person,
never a client; each person as they chose per kind (in the app, by mail)."""

from __future__ import annotations

import pytest
from django.db import transaction

from livret.mail.models import OutgoingMail
from livret.notifications.models import Notification
from livret.notifications.services import set_preferences
from livret.support import jobs, services
from livret.support.services.staff import notify_assigned, notify_new_request, staff_to_tell
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


def told(kind: str) -> list[str]:
    """Who got the in-app notification of ``kind``, by login (tests only)."""
    rows = Notification.objects.filter(kind=kind).select_related("recipient")
    return sorted(n.recipient.username for n in rows)


def mailed(kind: str) -> list[str]:
    return sorted(address for m in OutgoingMail.objects.filter(reason=kind) for address in m.to)


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("team", "assignee", "actor", "expected"),
    [
        # a team, nobody assigned: its active members and its lead
        ("team", None, None, ["tech", "tech-b", "lead"]),
        # a team, someone assigned: that person and the lead, not the other members
        ("team", "tech-b", None, ["tech-b", "lead"]),
        # no team, nobody assigned: the vendor's support leads
        (None, None, None, ["lead", "lead-2"]),
        # no team, someone assigned: that person and the vendor's support leads
        (None, "tech", None, ["tech", "lead", "lead-2"]),
        # a team without a lead: its members and the vendor's support leads
        ("leaderless", None, None, ["tech-b", "lead", "lead-2"]),
        # the person who acted is not told of their own action
        ("team", "tech", "lead", ["tech"]),
        ("team", "tech", "tech", ["lead"]),
        ("team", None, "tech-b", ["tech", "lead"]),
    ],
)
def test_it_picks_the_staff_to_tell(desk, team, assignee, actor, expected) -> None:
    people = {u.username: u for u in (desk.tech, desk.tech_b, desk.lead, desk.lead_2)}
    request = desk.file(team={"team": desk.team, "leaderless": desk.leaderless}.get(team))
    request.assignee = people.get(assignee)
    chosen = staff_to_tell(request, exclude=people.get(actor))
    assert [u.username for u in chosen] == expected


def test_it_never_tells_a_client_put_in_a_team_by_mistake(desk) -> None:
    desk.team.members.add(desk.personas.user_a)
    request = desk.file(team=desk.team)
    assert [u.username for u in staff_to_tell(request)] == ["tech", "tech-b", "lead"]


def test_it_never_tells_an_inactive_person_and_an_inactive_lead_is_no_lead(desk) -> None:
    desk.lead.is_active = False
    desk.lead.save()
    request = desk.file(team=desk.team)
    request.assignee = desk.gone
    # the team's lead is gone: the vendor's other support lead stands in
    assert [u.username for u in staff_to_tell(request)] == ["lead-2"]


# --------------------------------------------------------------------------- each event


def test_a_new_request_without_team_reaches_the_leads_in_the_app_and_by_mail(desk) -> None:
    request = desk.file()
    desk.tell()
    assert told("new-request") == ["lead", "lead-2"]
    assert mailed("new-request") == ["lead-2@vendor.test", "lead@vendor.test"]
    note = Notification.objects.filter(kind="new-request").first()
    assert note.title == "Nouvelle demande : La saisie des écritures plante"
    assert note.link == f"/demandes/{request.number}/"
    assert note.thread == request.number
    assert note.body == (
        f"Client A a déposé la demande {request.number} (Anomalie / incident, priorité élevée) :"
        " « La saisie des écritures plante »."
    )
    assert note.read_at is None and note.created_at == at("2026-11-19 10:00")


def test_a_new_request_on_a_team_reaches_its_members_and_its_lead(desk) -> None:
    request = desk.file(team=desk.team)
    Notification.objects.all().delete()
    OutgoingMail.objects.filter(reason="new-request").delete()
    with transaction.atomic():
        notify_new_request(request)
    assert told("new-request") == ["lead", "tech", "tech-b"]
    assert mailed("new-request") == ["lead@vendor.test", "tech-b@vendor.test", "tech@vendor.test"]


def test_the_worker_tells_the_staff_of_a_new_request_once(desk) -> None:
    request = desk.file()
    assert told("new-request") == [] and mailed("new-request") == []  # the filing alone
    assert request.staff_told_at is None
    assert desk.tell() == 1
    assert desk.tell("2026-11-19 10:02") == 0  # a second scan, or a second worker: nothing
    assert told("new-request") == ["lead", "lead-2"]
    request.refresh_from_db()
    assert request.staff_told_at == at("2026-11-19 10:01")


def test_a_filing_is_kept_and_acknowledged_when_its_notification_fails(
    desk, monkeypatch, caplog
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("notification bug")

    monkeypatch.setattr(jobs, "notify_new_request", broken)
    request = desk.file()
    assert desk.tell() == 0
    assert request.pk and OutgoingMail.objects.filter(reason="acknowledgement").count() == 1
    assert told("new-request") == []
    assert "notification bug" in caplog.text
    request.refresh_from_db()
    assert request.staff_told_at is None  # rolled back with the failure: tried again
    monkeypatch.undo()
    assert desk.tell("2026-11-19 10:02") == 1
    assert told("new-request") == ["lead", "lead-2"]


def test_a_call_recorded_by_a_technician_does_not_notify_that_technician(desk) -> None:
    desk.tech.membership.role = "lead"  # a technician who is also a lead records the call
    desk.tech.membership.save()
    services.file_request(
        filer=desk.personas.user_a,
        contract=desk.personas.client_a.contracts.get(),
        new=services.NewRequest(kind="usage-question", title="Question", description="?"),
        channel="phone",
        recorded_by=desk.tech,
        at=at("2026-11-19 10:00"),
    )
    desk.tell()
    assert told("new-request") == ["lead", "lead-2"]


def test_a_client_message_reaches_the_assignee_and_the_lead_not_the_client(desk) -> None:
    request = desk.file(team=desk.team)
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 10:30"))
    services.comment(request, desk.personas.user_a, "Toujours bloqué", at=at("2026-11-19 11:00"))
    assert told("client-reply") == ["lead", "tech"]
    assert mailed("client-reply") == ["lead@vendor.test", "tech@vendor.test"]
    note = Notification.objects.get(kind="client-reply", recipient=desk.tech)
    assert note.body == (
        f"Agnès Bernard (Client A) a écrit sur la demande {request.number} :\n« Toujours bloqué »"
    )
    # the technician's reply goes to the client only, and an internal note to nobody
    services.comment(request, desk.tech, "Pouvez-vous réessayer ?", at=at("2026-11-19 11:10"))
    services.comment(request, desk.tech, "Note", internal=True, at=at("2026-11-19 11:20"))
    assert Notification.objects.filter(kind="client-reply").count() == 2
    assert not OutgoingMail.objects.filter(reason="client-wrote").exists()  # the old mail


def test_the_answer_the_support_waited_for_reaches_the_assignee_and_the_lead(desk) -> None:
    request = desk.file(team=desk.team)
    services.take_in_charge(request, desk.tech_b, at=at("2026-11-19 10:30"))
    services.qualify(request, desk.tech_b, 2, at=at("2026-11-19 10:40"))
    services.ask_client(request, desk.tech_b, "Quelle version ?", at=at("2026-11-19 11:00"))
    services.client_answers(request, desk.personas.user_a, "V8", at=at("2026-11-19 12:00"))
    assert told("client-reply") == ["lead", "tech-b"]
    # one mail each, once: no second mail to the assignee from the old path
    assert mailed("client-reply") == ["lead@vendor.test", "tech-b@vendor.test"]


def test_taking_a_request_tells_the_lead_not_the_one_who_took_it(desk) -> None:
    request = desk.file(team=desk.team)
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 10:30"))
    assert told("assigned") == ["lead"]
    note = Notification.objects.get(kind="assigned")
    assert note.title == "Attribuée à Camille Martin : La saisie des écritures plante"
    assert note.body == (
        f"La demande {request.number} « La saisie des écritures plante » (Client A) est "
        "attribuée à Camille Martin."
    )


def test_an_assignment_by_the_lead_tells_the_assignee(desk) -> None:
    request = desk.file(team=desk.team)
    request.assignee = desk.tech_b
    request.save()
    with transaction.atomic():
        notify_assigned(request, desk.tech_b, desk.lead, at=at("2026-11-19 10:30"))
    assert told("assigned") == ["tech-b"]
    assert mailed("assigned") == ["tech-b@vendor.test"]
    assert Notification.objects.get(kind="assigned").body.endswith(
        "est attribuée à Paul Durand par Hélène Roux."
    )


def test_the_75_percent_warning_and_the_breach_reach_the_assignee_and_the_lead(desk) -> None:
    request = desk.file(team=desk.team, when="2026-11-19 09:00")
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 09:30"))
    services.qualify(request, desk.tech, 1, at=at("2026-11-19 10:00"))
    jobs.scan_breaches(at("2026-11-30 12:00"))  # long after: warning and breach together
    assert told("sla-warning") == ["lead", "tech"]
    assert told("sla-breach") == ["lead", "tech"]
    assert mailed("sla-breach") == ["lead@vendor.test", "tech@vendor.test"]
    breach = Notification.objects.get(kind="sla-breach", recipient=desk.tech)
    assert breach.title == "Délai de plan d'action dépassé"
    assert breach.body == (
        f"Le délai de plan d'action de la demande {request.number} « La saisie des écritures "
        "plante » est dépassé depuis 20/11 16:30."
    )
    assert breach.created_at == at("2026-11-30 12:00")


# --------------------------------------------------------------------------- preferences


@pytest.mark.parametrize(
    ("by_mail", "in_app", "app_expected", "mail_expected"),
    [
        (True, True, ["lead", "tech"], ["lead@vendor.test", "tech@vendor.test"]),
        (False, True, ["lead", "tech"], ["lead@vendor.test"]),
        (True, False, ["lead"], ["lead@vendor.test", "tech@vendor.test"]),
        (False, False, ["lead"], ["lead@vendor.test"]),
    ],
)
def test_each_person_chooses_per_kind(desk, by_mail, in_app, app_expected, mail_expected) -> None:
    set_preferences(desk.tech, {"client-reply": (by_mail, in_app)})
    set_preferences(desk.tech, {"sla-breach": (False, False)})  # another kind: no effect here
    request = desk.file(team=desk.team)
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 10:30"))
    services.comment(request, desk.personas.user_a, "Alors ?", at=at("2026-11-19 11:00"))
    assert told("client-reply") == app_expected
    assert mailed("client-reply") == mail_expected


@pytest.mark.parametrize("email", ["", "pas-une-adresse"])
def test_a_person_without_a_valid_address_is_told_in_the_app_only(desk, email) -> None:
    desk.lead.email = email
    desk.lead.save()
    desk.file()
    desk.tell()
    assert told("new-request") == ["lead", "lead-2"]
    assert mailed("new-request") == ["lead-2@vendor.test"]


def test_a_change_rolled_back_tells_nobody(desk) -> None:
    request = desk.file(team=desk.team)
    before = (Notification.objects.count(), OutgoingMail.objects.count())

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        services.comment(request, desk.personas.user_a, "Annulé", at=at("2026-11-19 11:00"))
        assert told("client-reply") == ["lead", "tech", "tech-b"]
        raise Undone
    assert (Notification.objects.count(), OutgoingMail.objects.count()) == before


def test_a_person_without_a_name_is_shown_by_address_never_by_login(desk) -> None:
    client = desk.personas.user_a
    client.first_name = client.last_name = ""
    client.save()
    request = desk.file(team=desk.team)
    services.comment(request, client, "Bonjour ?", at=at("2026-11-19 11:00"))
    note = Notification.objects.filter(kind="client-reply").first()
    assert note.body.startswith("user-a@client-a.test (Client A) a écrit sur la demande")
