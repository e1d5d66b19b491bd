"""The start the maintenance form proposes is itself accepted (issue 12, MNT-1, MNT-2).

The form reads and writes Paris wall-clock minutes, and the plan is announced when it is sent
again: the proposal leaves a few minutes to send it, sits on a whole minute, and never falls in
the hour that the October change repeats (the form cannot tell its two 02:30 apart). The notice
itself stays exact: 48 real hours to the second.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client

from livret.status import services
from livret.status.models import Maintenance
from livret.status.services import MaintenanceRefused
from livret.status.services.maintenance import PROPOSAL_MARGIN
from tests.helpers.clock import PARIS, at

pytestmark = pytest.mark.django_db
FORM = "/exploitation/maintenances/nouvelle/"


def plan(world, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return services.plan_maintenance(world.tech, [world.a], "Montée de version", start, end, False)


def post(browser: Client, world, start: str, end: str):  # type: ignore[no-untyped-def]
    data = {"services": [str(world.a.pk)], "title": "Montée de version", "public": "on"}
    return browser.post(FORM, {**data, "starts_at": start, "ends_at": end})


def prefilled(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def send_the_proposal_back(world, now: datetime, start: str, end: str, later: timedelta) -> str:
    """Ask for a refused plan at ``now``, then send the form's proposal back ``later``."""
    browser = Client()
    browser.force_login(world.tech)
    with time_machine.travel(now, tick=False):
        refused = post(browser, world, start, end)
    assert refused.status_code == 200 and not Maintenance.objects.exists()
    html = refused.content.decode()
    proposed = (prefilled(html, "starts_at"), prefilled(html, "ends_at"))
    with time_machine.travel(now + later, tick=False):
        sent = post(browser, world, *proposed)
    assert sent.status_code == 302, sent.context["form"].errors
    return proposed[0]


def test_the_proposal_is_accepted_when_the_clock_is_between_two_minutes(world) -> None:
    """Today's bug: announced at 23:00:30, 23:00:30 two days on is proposed, the form keeps
    23:00, and the plan comes back refused as 47 h 59."""
    start = send_the_proposal_back(
        world, at("2026-11-19 23:00:30"), "2026-11-21T22:00", "2026-11-21T23:00", timedelta(0)
    )
    assert start == "2026-11-21T23:06"  # 48 h after 23:00:30 + 5 min to send, whole minute
    assert Maintenance.objects.get().starts_at == at("2026-11-21 23:06")


@pytest.mark.parametrize("seconds", [1, 59, 60, 299])
def test_the_proposal_is_accepted_a_few_minutes_later(world, seconds: int) -> None:
    send_the_proposal_back(
        world,
        at("2026-11-19 23:00:00"),
        "2026-11-21T22:00",
        "2026-11-21T23:00",
        timedelta(seconds=seconds),
    )
    maintenance = Maintenance.objects.get()
    assert maintenance.starts_at - maintenance.announced_at >= timedelta(hours=48)


def test_the_notice_is_exact_to_the_second(world) -> None:
    now = at("2026-11-19 23:00:00")
    with time_machine.travel(now, tick=False):
        with pytest.raises(MaintenanceRefused) as refused:
            plan(world, now + timedelta(hours=48, seconds=-1), now + timedelta(hours=49))
        assert "47 h 59 avant le début" in refused.value.message
        assert plan(world, now + timedelta(hours=48), now + timedelta(hours=49)).pk


def test_the_proposal_leaves_the_margin_to_send_the_form(world) -> None:
    now = at("2026-11-19 23:00:00")
    with time_machine.travel(now, tick=False), pytest.raises(MaintenanceRefused) as refused:
        plan(world, at("2026-11-21 22:00"), at("2026-11-21 23:00"))
    assert refused.value.next_allowed_start == now + timedelta(hours=48) + PROPOSAL_MARGIN
    assert "Prochain début possible : 21/11/2026 23:05 (Europe/Paris)" in refused.value.message


def test_a_window_start_is_proposed_as_is(world) -> None:
    """Far enough ahead, the proposal is the window's own opening (22:00), not shifted."""
    with (
        time_machine.travel(at("2026-11-16 09:00:17"), tick=False),
        pytest.raises(MaintenanceRefused) as refused,
    ):
        services.plan_maintenance(
            world.tech, [world.a], "x", at("2026-11-18 20:30"), at("2026-11-18 21:30"), True
        )
    assert refused.value.next_allowed_start == at("2026-11-18 22:00")


def test_the_proposal_avoids_the_hour_october_repeats(world) -> None:
    """Announced Friday 23 October 2026 at 03:30 (CEST): 48 real hours later is Sunday 02:30
    CET, the second 02:30 of the night. The form could not say which; the proposal is 03:00."""
    start = send_the_proposal_back(
        world, at("2026-10-23 03:30"), "2026-10-25T01:00", "2026-10-25T01:30", timedelta(0)
    )
    assert start == "2026-10-25T03:00"
    maintenance = Maintenance.objects.get()
    assert maintenance.starts_at == datetime(2026, 10, 25, 3, 0, tzinfo=PARIS)
    assert maintenance.ends_at - maintenance.starts_at == timedelta(minutes=30)


def test_the_proposal_keeps_its_end_out_of_the_repeated_hour(world) -> None:
    """Announced Friday at 00:30 (CEST): 48 h + 5 min is Sunday 00:35, but a 2-hour plan would
    end at 02:35, which the form cannot read either: the proposal moves to 03:00."""
    start = send_the_proposal_back(
        world, at("2026-10-23 00:30"), "2026-10-24T23:00", "2026-10-25T01:00", timedelta(0)
    )
    assert start == "2026-10-25T03:00"


def test_the_proposal_across_the_march_change_is_accepted(world) -> None:
    """Sunday 29 March 2026 loses its 02:00-03:00: 48 real hours after Friday 02:30 (CET) is
    Sunday 03:30 (CEST), and the form reads it back as that instant."""
    start = send_the_proposal_back(
        world, at("2026-03-27 02:30"), "2026-03-28T23:00", "2026-03-29T00:00", timedelta(0)
    )
    assert start == "2026-03-29T03:35"


# --------------------------------------------------------------------------- overlaps


def test_an_overlapping_plan_is_accepted_with_a_warning_on_the_list(world) -> None:
    browser = Client()
    browser.force_login(world.tech)
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        first = plan(world, at("2026-11-21 10:00"), at("2026-11-21 12:00"))
        response = post(browser, world, "2026-11-21T11:00", "2026-11-21T13:00")
        assert response.status_code == 302  # a warning, not a refusal
        page = browser.get(response["Location"]).content.decode()
    assert Maintenance.objects.count() == 2
    assert (
        "Attention : chevauche la maintenance « Montée de version » (du 21/11/2026 10:00 au "
        "21/11/2026 12:00) sur un même service." in page
    )
    assert page.count('<span class="badge warn">chevauchement</span>') == 2  # both rows
    assert "avec « Montée de version » (21/11 11:00 → 21/11 13:00), même service" in page
    first.refresh_from_db()
    assert first.status == "scheduled"


def test_maintenances_on_other_services_or_times_do_not_warn(world) -> None:
    browser = Client()
    browser.force_login(world.tech)
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        services.plan_maintenance(
            world.tech,
            [world.b],
            "Autre client",
            at("2026-11-21 10:00"),
            at("2026-11-21 12:00"),
            False,
        )
        plan(world, at("2026-11-21 08:00"), at("2026-11-21 10:00"))  # ends as the other starts
        response = post(browser, world, "2026-11-21T10:00", "2026-11-21T11:00")
        page = browser.get(response["Location"]).content.decode()
    assert "chevauche" not in page and "chevauchement" not in page


def test_the_form_warns_when_its_proposal_meets_another_maintenance(world) -> None:
    browser = Client()
    browser.force_login(world.tech)
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        plan(world, at("2026-11-18 22:30"), at("2026-11-18 23:30"))
        data = {"services": [str(world.a.pk)], "title": "Migration", "blocking": "on"}
        response = browser.post(
            FORM, {**data, "starts_at": "2026-11-18T20:30", "ends_at": "2026-11-18T21:30"}
        )
    page = response.content.decode()
    assert 'value="2026-11-18T22:00"' in page  # the proposal, refused plan re-shown
    assert "Attention : chevauche la maintenance « Montée de version »" in page


def test_only_vendor_staff_see_the_maintenance_list(world) -> None:
    for user, status in ((world.personas.user_a, 404), (world.personas.user_b, 404)):
        browser = Client()
        browser.force_login(user)
        assert browser.get("/exploitation/maintenances/").status_code == status
    browser = Client()
    browser.force_login(world.tech)
    assert browser.get("/exploitation/maintenances/").status_code == 200
