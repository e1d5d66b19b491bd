"""Business-time engine (SPEC CAL-1..7): seed cases, DST edges, a brute-force oracle, bulk."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livret.core.calendar import BusinessCalendar, CalendarError, calendar_for
from livret.core.offer import load_preset
from livret.core.offer.schema import CalendarSpec
from tests.helpers.clock import aware as at

H = timedelta(hours=1)


def cal(offer: str, name: str, formula: str | None = None, territory: str = "metropole"):
    return calendar_for(load_preset(offer).offer, name, formula, territory)


# --------------------------------------------------------------------------- seed cases

# (offer, calendar, formula, territory, from, business hours, expected due, what it shows)
HOURS_CASES = [
    # Q support (CAL-1: Mon-Thu 09:00-12:30 14:00-17:30, Fri until 17:00), CAL-4.
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T10:00:00+01:00", 2, "2026-03-10T12:00:00+01:00", "a weekday"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T10:00:00+01:00", 2.5, "2026-03-10T12:30:00+01:00", "CAL-4 due at closing"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T12:00:00+01:00", 1, "2026-03-10T14:30:00+01:00", "across the lunch gap"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T13:00:00+01:00", 1, "2026-03-10T15:00:00+01:00", "started in the lunch gap"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T10:00:00+01:00", 8, "2026-03-11T11:00:00+01:00", "8 h over two days"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-12T17:00:00+01:00", 1, "2026-03-13T09:30:00+01:00", "Thursday 17:30 close"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-13T16:00:00+01:00", 1, "2026-03-13T17:00:00+01:00", "Friday closes at 17:00"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-13T16:30:00+01:00", 1, "2026-03-16T09:30:00+01:00", "Friday 17:00 to Monday"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-14T11:00:00+01:00", 4, "2026-03-16T14:30:00+01:00", "started on a Saturday"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-05-13T17:00:00+02:00", 1, "2026-05-15T09:30:00+02:00", "eve of Ascension"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-04-30T17:00:00+02:00", 1, "2026-05-04T09:30:00+02:00", "eve of 1 May (a Friday)"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-04-02T17:00:00+02:00", 1, "2026-04-03T09:30:00+02:00", "Good Friday worked"),
    ("quadra-entreprise", "support", None, "57",
     "2026-04-02T17:00:00+02:00", 1, "2026-04-07T09:30:00+02:00", "Moselle: Good Friday"),
    ("quadra-entreprise", "support", None, "67",
     "2026-04-02T17:00:00+02:00", 1, "2026-04-07T09:30:00+02:00", "Bas-Rhin alias"),
    ("quadra-entreprise", "support", None, "metropole",
     "2025-12-24T17:00:00+01:00", 1, "2025-12-26T09:30:00+01:00", "26 December worked"),
    ("quadra-entreprise", "support", None, "6AE",
     "2025-12-24T17:00:00+01:00", 1, "2025-12-29T09:30:00+01:00", "Alsace: 26 December"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-27T16:00:00+01:00", 2, "2026-03-30T10:00:00+02:00", "spring forward weekend"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-10-23T16:30:00+02:00", 1, "2026-10-26T09:30:00+01:00", "fall back weekend"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T09:00:00+00:00", 2, "2026-03-10T12:00:00+01:00", "input in UTC, winter"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-07-07T07:00:00Z", 3.5, "2026-07-07T12:30:00+02:00", "input in UTC, summer"),
    ("quadra-entreprise", "support", None, "metropole",
     "2026-03-10T23:30:00-05:00", 1, "2026-03-11T10:00:00+01:00", "input in New York time"),
    ("quadra-entreprise", "customer-service", None, "metropole",
     "2026-03-10T17:00:00+01:00", 2, "2026-03-11T10:00:00+01:00", "customer service 18:00"),
    ("quadra-entreprise", "customer-service", None, "metropole",
     "2026-03-13T16:00:00+01:00", 2, "2026-03-16T10:00:00+01:00", "customer service Fri 17:00"),
    ("quadra-entreprise", "maintenance", None, "metropole",
     "2026-03-10T19:00:00+01:00", 1, "2026-03-10T21:00:00+01:00", "maintenance opens 20:00"),
    ("quadra-entreprise", "maintenance", None, "metropole",
     "2026-03-10T23:00:00+01:00", 2, "2026-03-11T01:00:00+01:00", "maintenance over midnight"),
    ("quadra-entreprise", "maintenance", None, "metropole",
     "2026-05-13T06:00:00+02:00", 2, "2026-05-13T21:00:00+02:00", "maintenance 07:00 close"),
    ("quadra-entreprise", "maintenance", None, "metropole",
     "2026-05-14T12:00:00+02:00", 2, "2026-05-14T14:00:00+02:00", "maintenance on a holiday"),
    ("quadra-entreprise", "availability", None, "metropole",
     "2026-03-13T19:00:00+01:00", 2, "2026-03-16T08:00:00+01:00", "PRT 07:00-20:00"),
    # E: support afternoons from 14:30 (§12.2), phone from 14:00 (§12.6), Private extended.
    ("expert-on-demand", "support", "open", "metropole",
     "2026-03-10T12:00:00+01:00", 1, "2026-03-10T15:00:00+01:00", "E support 14:30"),
    ("expert-on-demand", "phone", "open", "metropole",
     "2026-03-10T12:00:00+01:00", 1, "2026-03-10T14:30:00+01:00", "E phone 14:00"),
    ("expert-on-demand", "support", "private", "metropole",
     "2026-03-10T17:00:00+01:00", 2, "2026-03-11T10:00:00+01:00", "E Private until 18:00"),
    ("expert-on-demand", "support", "private", "metropole",
     "2026-03-13T16:00:00+01:00", 2, "2026-03-16T10:00:00+01:00", "E Private Fri 17:00"),
    ("expert-on-demand", "support", "private", "metropole",
     "2026-03-10T12:00:00+01:00", 4, "2026-03-10T16:00:00+01:00", "E Private, no lunch gap"),
    ("expert-on-demand", "maintenance", "connect", "metropole",
     "2026-03-13T06:30:00+01:00", 1, "2026-03-13T20:30:00+01:00", "E maintenance window"),
    ("expert-on-demand", "availability", "open", "metropole",
     "2026-03-10T19:00:00+01:00", 2, "2026-03-11T08:00:00+01:00", "E PRT"),
    ("quadra-entreprise", "phone", None, "metropole",
     "2026-03-13T16:30:00+01:00", 1, "2026-03-16T09:30:00+01:00", "Q phone = support hours"),
    # P, C, S: placeholder hours; S follows the overseas client's zone (S §5, §6).
    ("preventcare", "support", None, "metropole",
     "2026-03-13T16:30:00+01:00", 1, "2026-03-16T09:30:00+01:00", "P Friday 17:00"),
    ("eksae-contact", "support", None, "metropole",
     "2026-03-13T16:30:00+01:00", 1, "2026-03-13T17:30:00+01:00", "C Friday 17:30"),
    ("carrus-saas", "support", None, "974",
     "2026-03-10T09:00:00+04:00", 8, "2026-03-11T10:00:00+04:00", "S in La Réunion's zone"),
    ("carrus-saas", "support", None, "972",
     "2026-05-21T17:00:00-04:00", 1, "2026-05-26T09:30:00-04:00", "Martinique: 22 May"),
    ("carrus-saas", "support", None, "metropole",
     "2026-05-21T17:00:00+02:00", 1, "2026-05-22T09:30:00+02:00", "22 May worked in Paris"),
    ("carrus-saas", "availability", None, "971",
     "2026-03-10T19:00:00-04:00", 2, "2026-03-11T08:00:00-04:00", "S PRT in Guadeloupe"),
    ("carrus-saas", "maintenance", None, "973",
     "2026-03-10T06:00:00-03:00", 2, "2026-03-11T01:00:00-03:00", "S night window, Guyane"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("offer", "name", "formula", "territory", "start", "hours", "due", "what"),
    HOURS_CASES,
    ids=[case[-1] for case in HOURS_CASES],
)
def test_it_adds_business_hours_on_each_seed_calendar(
    offer: str,
    name: str,
    formula: str | None,
    territory: str,
    start: str,
    hours: float,
    due: str,
    what: str,
) -> None:
    # CAL-1..4: the deadline is exact, and printed with the calendar's local offset.
    calendar = cal(offer, name, formula, territory)
    result = calendar.add_business_time(at(start), timedelta(hours=hours))
    assert result == at(due), what
    assert result.isoformat() == at(due).isoformat(), what


# (offer, calendar, territory, from, business days, expected due)
DAYS_CASES = [
    ("quadra-entreprise", "support", "metropole",
     "2026-03-13T10:00:00+01:00", 1, "2026-03-17T00:00:00+01:00"),  # Fri: day of t not counted
    ("quadra-entreprise", "support", "metropole",
     "2026-03-14T10:00:00+01:00", 1, "2026-03-17T00:00:00+01:00"),  # from a Saturday
    ("quadra-entreprise", "support", "metropole",
     "2026-03-16T23:59:00+01:00", 1, "2026-03-18T00:00:00+01:00"),
    ("quadra-entreprise", "support", "metropole",
     "2026-03-16T23:30:00Z", 1, "2026-03-19T00:00:00+01:00"),  # already Tuesday in Paris
    ("quadra-entreprise", "support", "metropole",
     "2026-05-06T10:00:00+02:00", 6, "2026-05-19T00:00:00+02:00"),  # REQ-6, 8 and 14 May
    ("quadra-entreprise", "support", "57",
     "2026-04-02T10:00:00+02:00", 1, "2026-04-08T00:00:00+02:00"),  # Good Friday, Easter Mon
    ("quadra-entreprise", "support", "metropole",
     "2026-03-27T10:00:00+01:00", 1, "2026-03-31T00:00:00+02:00"),  # across spring forward
    ("quadra-entreprise", "support", "metropole",
     "2026-10-23T10:00:00+02:00", 1, "2026-10-27T00:00:00+01:00"),  # across fall back
    ("quadra-entreprise", "maintenance", "metropole",
     "2026-03-13T10:00:00+01:00", 1, "2026-03-17T00:00:00+01:00"),  # Mon-Fri, whatever hours
    ("carrus-saas", "support", "972",
     "2026-05-21T10:00:00-04:00", 1, "2026-05-27T00:00:00-04:00"),  # 22 and 25 May
    ("eksae-contact", "support", "metropole",
     "2026-12-31T10:00:00+01:00", 3, "2027-01-07T00:00:00+01:00"),  # 1 Jan, across years
]  # fmt: skip


@pytest.mark.parametrize(("offer", "name", "territory", "start", "n", "due"), DAYS_CASES)
def test_it_ends_business_days_at_midnight_after_the_nth_day(
    offer: str, name: str, territory: str, start: str, n: int, due: str
) -> None:
    # CAL-5: the day of t does not count; due at 24:00 local of the n-th business day.
    result = cal(offer, name, None, territory).add_business_days(at(start), n)
    assert result.isoformat() == at(due).isoformat()


def test_it_counts_every_day_for_calendar_days() -> None:
    # CAL-6: same reading as CAL-5, every day counts (weekends and holidays too).
    support = cal("quadra-entreprise", "support")
    assert support.add_calendar_days(at("2026-03-13T10:00:00+01:00"), 3) == at(
        "2026-03-17T00:00:00+01:00"
    )
    assert support.add_calendar_days(at("2026-03-28T10:00:00+01:00"), 1).isoformat() == (
        "2026-03-30T00:00:00+02:00"
    )
    assert support.add_calendar_days(at("2026-05-13T10:00:00+02:00"), 0).isoformat() == (
        "2026-05-14T00:00:00+02:00"
    )


def test_it_gives_the_end_of_the_day_of_t_for_zero_business_days() -> None:
    support = cal("quadra-entreprise", "support")
    assert support.add_business_days(at("2026-03-14T10:00:00+01:00"), 0) == at(
        "2026-03-15T00:00:00+01:00"
    )


def test_it_starts_the_clock_at_the_next_opening_and_adds_zero_there() -> None:
    # CAL-4: a clock started outside opening hours starts at the next opening.
    support = cal("quadra-entreprise", "support")
    assert support.add_business_time(at("2026-03-10T12:30:00+01:00"), timedelta(0)) == at(
        "2026-03-10T14:00:00+01:00"
    )
    assert support.add_business_time(at("2026-03-10T10:00:00+01:00"), timedelta(0)) == at(
        "2026-03-10T10:00:00+01:00"
    )
    assert support.add_business_time(at("2026-03-10T12:30:00+01:00"), H) == at(
        "2026-03-10T15:00:00+01:00"
    )


def test_it_measures_business_time_between_two_instants() -> None:
    support = cal("quadra-entreprise", "support")
    a, b = at("2026-03-13T16:00:00+01:00"), at("2026-03-16T10:00:00+01:00")
    assert support.business_time_between(a, b) == 2 * H
    assert support.business_time_between(b, a) == -2 * H
    assert support.business_time_between(a, a) == timedelta(0)
    week = support.business_time_between(
        at("2026-03-09T00:00:00+01:00"), at("2026-03-16T00:00:00+01:00")
    )
    assert week == timedelta(hours=4 * 7 + 6.5)


def test_it_answers_is_open_with_half_open_intervals() -> None:
    support = cal("quadra-entreprise", "support")
    assert support.is_open(at("2026-03-10T09:00:00+01:00"))
    assert not support.is_open(at("2026-03-10T12:30:00+01:00"))
    assert support.is_open(at("2026-03-10T12:29:59.999999+01:00"))
    assert not support.is_open(at("2026-03-13T17:00:00+01:00"))
    assert not support.is_open(at("2026-05-14T10:00:00+02:00"))  # Ascension
    assert cal("quadra-entreprise", "maintenance").is_open(at("2026-05-14T10:00:00+02:00"))


def test_it_finds_the_next_opening() -> None:
    support = cal("quadra-entreprise", "support")
    assert support.next_opening(at("2026-03-13T17:00:00+01:00")) == at("2026-03-16T09:00:00+01:00")
    assert support.next_opening(at("2026-03-10T10:00:00+01:00")) == at("2026-03-10T10:00:00+01:00")
    assert support.next_opening(at("2026-12-31T18:00:00+01:00")) == at("2027-01-04T09:00:00+01:00")


# --------------------------------------------------------------------------- DST (CAL-3)


def test_it_handles_spring_forward_paris_2026() -> None:
    # 29 March 2026, 02:00 CET → 03:00 CEST: a day of 23 hours.
    maintenance = cal("quadra-entreprise", "maintenance")
    sunday = maintenance.business_time_between(
        at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")
    )
    assert sunday == timedelta(hours=23)
    assert maintenance.add_business_time(at("2026-03-29T01:30:00+01:00"), H) == at(
        "2026-03-29T03:30:00+02:00"
    )
    # A wall-clock interval inside the missing hour holds no time; one across it is shorter.
    gap = BusinessCalendar({6: [(120, 180)]}, timezone="Europe/Paris")
    assert gap.business_time_between(
        at("2026-03-28T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")
    ) == timedelta(0)
    across = BusinessCalendar({6: [(150, 300)]}, timezone="Europe/Paris")
    assert across.business_time_between(
        at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")
    ) == timedelta(hours=2)
    assert across.next_opening(at("2026-03-29T00:00:00+01:00")) == at("2026-03-29T03:00:00+02:00")
    assert across.add_business_time(at("2026-03-29T00:00:00+01:00"), 2 * H).isoformat() == (
        "2026-03-29T05:00:00+02:00"
    )


def test_it_handles_fall_back_paris_2026() -> None:
    # 25 October 2026, 03:00 CEST → 02:00 CET: a day of 25 hours, 02:00-03:00 twice.
    maintenance = cal("quadra-entreprise", "maintenance")
    weekend = maintenance.business_time_between(
        at("2026-10-24T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")
    )
    assert weekend == timedelta(hours=49)
    due = maintenance.add_business_time(at("2026-10-25T02:30:00+02:00"), H)
    assert due.isoformat() == "2026-10-25T02:30:00+01:00"
    twice = BusinessCalendar({6: [(120, 180)]}, timezone="Europe/Paris")
    assert (
        twice.business_time_between(
            at("2026-10-24T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")
        )
        == 2 * H
    )
    # 02:30-05:00 shows on the clock from 02:30 to 03:00 CEST, then from 02:30 CET to 05:00.
    across = BusinessCalendar({6: [(150, 300)]}, timezone="Europe/Paris")
    assert (
        across.business_time_between(
            at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")
        )
        == 3 * H
    )
    assert not across.is_open(at("2026-10-25T02:15:00+01:00"))
    assert across.is_open(at("2026-10-25T02:45:00+02:00"))


def test_it_handles_dst_in_saint_pierre_and_miquelon() -> None:
    # America/Miquelon changes at 02:00 local time on 8 March and 1 November 2026.
    availability = cal("carrus-saas", "maintenance", None, "PM")
    sunday = availability.business_time_between(
        at("2026-03-08T00:00:00-03:00"), at("2026-03-09T00:00:00-02:00")
    )
    assert sunday == timedelta(hours=23)
    assert availability.timezone == "America/Miquelon"


# --------------------------------------------------------------------------- offers' own days


def _spec(**changes: object) -> CalendarSpec:
    base = load_preset("quadra-entreprise").offer.calendars["support"].model_dump()
    return CalendarSpec.model_validate({**base, **changes})


@pytest.mark.parametrize("worked", ["Lundi de Pentecôte", "lundi de pentecote", "Whit Monday",
                                    "2026-05-25"])  # fmt: skip
def test_it_works_a_holiday_the_offer_works(worked: str) -> None:
    # CAL-2: an offer may remove days from the holiday set (work on Whit Monday).
    calendar = BusinessCalendar.from_spec(_spec(worked_holidays=[worked]))
    friday = at("2026-05-22T16:30:00+02:00")
    assert calendar.add_business_time(friday, H) == at("2026-05-25T09:30:00+02:00")
    assert calendar.add_business_days(friday, 1) == at("2026-05-26T00:00:00+02:00")
    statuses = {h.day: h.status for h in calendar.holidays_in(2026)}
    assert statuses[date(2026, 5, 25)] == "worked"


def test_it_closes_the_extra_days_the_offer_adds() -> None:
    calendar = BusinessCalendar.from_spec(_spec(extra_closed_days=["2026-03-16"]))
    assert calendar.add_business_time(at("2026-03-13T16:30:00+01:00"), H) == at(
        "2026-03-17T09:30:00+01:00"
    )
    assert calendar.add_business_days(at("2026-03-13T10:00:00+01:00"), 1) == at(
        "2026-03-18T00:00:00+01:00"
    )
    assert not calendar.is_business_day(date(2026, 3, 16))
    assert calendar.is_business_day(date(2026, 3, 17))


def test_it_refuses_a_worked_holiday_name_it_does_not_know() -> None:
    with pytest.raises(CalendarError, match="Saint-Glinglin"):
        BusinessCalendar.from_spec(_spec(worked_holidays=["Saint-Glinglin"]))


def test_it_reads_the_zone_from_the_territory_only_for_overseas_calendars() -> None:
    offer = load_preset("carrus-saas").offer
    assert calendar_for(offer, "support", territory="974").timezone == "Indian/Reunion"
    assert calendar_for(offer, "support", territory="976").timezone == "Indian/Mayotte"
    assert calendar_for(offer, "support", territory="973").timezone == "America/Cayenne"
    assert calendar_for(offer, "support", territory="57").timezone == "Europe/Paris"
    assert calendar_for(offer, "support", territory="NC").timezone == "Pacific/Noumea"
    fixed = _spec(follows_territory_zone=False)
    assert BusinessCalendar.from_spec(fixed, "972").timezone == "Europe/Paris"


def test_it_resolves_formula_calendars() -> None:
    offer = load_preset("expert-on-demand").offer
    assert calendar_for(offer, "support", "private").name == "support-extended"
    assert calendar_for(offer, "support", "open").name == "support"
    assert calendar_for(offer, "support", "open") is calendar_for(offer, "support", "open")


def test_it_lists_the_holidays_of_a_year() -> None:
    found = cal("quadra-entreprise", "support", None, "57").holidays_in(2026)
    days = {h.day: h for h in found}
    assert days[date(2026, 4, 3)].name == "Vendredi saint"
    assert days[date(2026, 12, 26)].status == "closed"
    assert len(found) == 13
    maintenance = cal("quadra-entreprise", "maintenance")
    assert {h.status for h in maintenance.holidays_in(2026)} == {"open-all-day"}


# --------------------------------------------------------------------------- refusals


def test_it_refuses_a_naive_datetime() -> None:
    support = cal("quadra-entreprise", "support")
    with pytest.raises(CalendarError, match="naive"):
        support.add_business_time(datetime(2026, 3, 10, 10), H)
    with pytest.raises(CalendarError, match="naive"):
        support.is_open(datetime(2026, 3, 10, 10))
    with pytest.raises(CalendarError, match="naive"):
        support.business_time_between(at("2026-03-10T10:00:00Z"), datetime(2026, 3, 11))


def test_it_refuses_negative_durations_and_counts() -> None:
    support = cal("quadra-entreprise", "support")
    start = at("2026-03-10T10:00:00Z")
    with pytest.raises(CalendarError, match="negative"):
        support.add_business_time(start, -H)
    with pytest.raises(CalendarError, match="negative"):
        support.add_business_days(start, -1)
    with pytest.raises(CalendarError, match="negative"):
        support.add_business_time_many(np.array([0], dtype=np.int64), np.array([-1]))


def test_it_names_unknown_calendars_formulas_and_territories() -> None:
    offer = load_preset("quadra-entreprise").offer
    with pytest.raises(CalendarError, match="no calendar 'nope'"):
        calendar_for(offer, "nope")
    with pytest.raises(CalendarError, match="no formula 'gold'"):
        calendar_for(offer, "support", "gold")
    with pytest.raises(CalendarError, match="unknown territory"):
        calendar_for(offer, "support", territory="Atlantis")
    with pytest.raises(CalendarError, match="time zone"):
        BusinessCalendar({0: [(540, 600)]}, timezone="Mars/Olympus")


def test_it_refuses_a_calendar_that_never_opens() -> None:
    never = BusinessCalendar({})
    assert not never.is_open(at("2026-03-10T10:00:00Z"))
    assert never.business_time_between(at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")) == (
        timedelta(0)
    )
    with pytest.raises(CalendarError, match="never opens"):
        never.add_business_time(at("2026-03-10T10:00:00Z"), H)


def test_it_refuses_nat_in_bulk() -> None:
    support = cal("quadra-entreprise", "support")
    with pytest.raises(CalendarError, match="NaT"):
        support.add_business_time_many(np.array(["NaT"], dtype="datetime64[us]"), H)


# --------------------------------------------------------------------------- lazy years


def test_it_builds_years_lazily_in_both_directions_with_the_same_answers() -> None:
    spec = load_preset("quadra-entreprise").offer.calendars["support"]
    grown = BusinessCalendar.from_spec(spec)
    grown.add_business_time(at("2026-06-01T10:00:00+02:00"), H)  # builds 2026 only
    instants = [
        at("1995-02-03T11:00:00+01:00"),
        at("2030-12-31T17:00:00+01:00"),
        at("2026-12-31T17:00:00+01:00"),
        at("2099-12-31T12:00:00+01:00"),
    ]
    for instant in instants:
        fresh = BusinessCalendar.from_spec(spec)
        for amount in (H, 40 * H):
            assert grown.add_business_time(instant, amount) == fresh.add_business_time(
                instant, amount
            )
        assert grown.add_business_days(instant, 3) == fresh.add_business_days(instant, 3)


def test_it_adds_durations_far_beyond_the_built_years() -> None:
    support = cal("quadra-entreprise", "support")
    start = at("2026-01-05T09:00:00+01:00")
    due = support.add_business_time(start, timedelta(hours=20_000))
    assert due.year > 2036
    assert support.business_time_between(start, due) == timedelta(hours=20_000)
    far = support.add_business_days(start, 2_500)  # about ten years of business days
    assert far.year == 2035
    assert support.add_business_days_many(np.array([_us(start)]), 2_500).tolist() == [_us(far)]


def test_it_works_without_holidays_beyond_the_holiday_library_range() -> None:
    support = cal("quadra-entreprise", "support")
    # 25 December 2150 is a Friday: no holiday data that far, so it is an ordinary day.
    assert support.is_open(at("2150-12-25T10:00:00+01:00"))


@pytest.mark.parametrize(
    "instant",
    ["5000-01-01T10:00:00+01:00", "9999-12-31T10:00:00+01:00", "0001-01-02T10:00:00+01:00"],
)
def test_it_refuses_an_instant_out_of_its_years_before_building_them(instant) -> None:
    """issue 13, item 5: a far year built every year up to it (a minute for year 5000)."""
    support = cal("quadra-entreprise", "support")
    support.is_open(at("2026-06-01T10:00:00+02:00"))  # builds 2026
    far = at(instant)
    started = time.monotonic()
    calls = [
        lambda: support.is_open(far),
        lambda: support.add_business_time(far, H),
        lambda: support.add_business_days(far, 1),
        lambda: support.business_time_between(at("2026-06-01T10:00:00+02:00"), far),
        lambda: support.is_open_many(np.array([_us(far)])),
    ]
    for call in calls:
        with pytest.raises(CalendarError, match="years 1900-2200"):
            call()
    assert time.monotonic() - started < 1
    with pytest.raises(CalendarError, match="beyond the supported range"):
        support.add_business_days(at("2199-12-01T10:00:00+01:00"), 400)


# --------------------------------------------------------------------------- brute-force oracle


class Oracle:
    """Is-open minute by minute, straight from the spec, zoneinfo and the holidays package."""

    def __init__(self, offer: str, name: str, territory: str = "metropole") -> None:
        loaded = load_preset(offer).offer
        self.spec = loaded.calendar(name)
        self.calendar = calendar_for(loaded, name, territory=territory)
        self.zone = ZoneInfo(self.calendar.timezone)
        subdivision = self.calendar.territory.holiday_subdivision
        self.holidays = set(
            holidays.country_holidays("FR", subdiv=subdivision, years=range(2024, 2029))
        )
        keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        self.week = [self.spec.minutes(key) for key in keys]  # type: ignore[arg-type]

    def is_open(self, minute: int) -> bool:
        local = datetime.fromtimestamp(minute * 60, self.zone)
        clock = local.hour * 60 + local.minute
        if local.date() in self.holidays:
            spans = [(0, 1440)] if self.spec.holidays == "open-all-day" else []
        else:
            spans = self.week[local.weekday()]
        return any(a <= clock < b for a, b in spans)

    def add(self, minute: int, amount: int) -> int:
        elapsed = 0
        while True:
            if self.is_open(minute):
                if amount == 0:
                    return minute
                elapsed += 1
                if elapsed == amount:
                    return minute + 1
            minute += 1

    def between(self, a: int, b: int) -> int:
        return sum(self.is_open(m) for m in range(a, b))


EDGES = ["2026-03-29T00:00:00Z", "2026-10-25T00:00:00Z", "2026-04-03T00:00:00Z",
         "2025-12-25T00:00:00Z", "2026-05-22T00:00:00Z", "2026-05-14T00:00:00Z",
         "2026-12-31T00:00:00Z", "2026-03-10T00:00:00Z"]  # fmt: skip
ORACLE_CALENDARS = [
    ("quadra-entreprise", "support", "metropole"),
    ("quadra-entreprise", "support", "57"),
    ("quadra-entreprise", "maintenance", "metropole"),
    ("expert-on-demand", "support", "metropole"),
    ("carrus-saas", "support", "972"),
    ("carrus-saas", "maintenance", "974"),
]


@pytest.mark.parametrize(("offer", "name", "territory"), ORACLE_CALENDARS)
def test_it_agrees_with_a_minute_by_minute_oracle(offer: str, name: str, territory: str) -> None:
    oracle = Oracle(offer, name, territory)
    calendar = oracle.calendar
    rng = random.Random(f"{offer}/{name}/{territory}")  # deterministic
    for _ in range(60):
        edge = int(at(rng.choice(EDGES)).timestamp()) // 60
        start = edge + rng.randint(-3 * 1440, 3 * 1440)
        amount = rng.choice([0, 1, rng.randint(1, 90), rng.randint(1, 600)])
        instant = datetime.fromtimestamp(start * 60, UTC)
        due = calendar.add_business_time(instant, timedelta(minutes=amount))
        assert int(due.timestamp()) // 60 == oracle.add(start, amount), (instant, amount)
        end = start + rng.randint(0, 3 * 1440)
        elapsed = calendar.business_time_between(instant, datetime.fromtimestamp(end * 60, UTC))
        assert elapsed == timedelta(minutes=oracle.between(start, end)), (instant, end)
        assert calendar.is_open(instant) == oracle.is_open(start)
        opening = calendar.next_opening(instant)
        assert int(opening.timestamp()) // 60 == oracle.add(start, 0)


# --------------------------------------------------------------------------- scalar == bulk

BULK_CALENDARS = [
    cal("quadra-entreprise", "support"),
    cal("quadra-entreprise", "maintenance", None, "6AE"),
    cal("carrus-saas", "support", None, "972"),
    cal("expert-on-demand", "support", "private"),
    BusinessCalendar({6: [(150, 300)], 2: [(0, 1440)]}, timezone="Europe/Paris"),
]
LO = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
HI = int(datetime(2029, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
instants_us = st.lists(st.integers(LO, HI), min_size=1, max_size=20)


def _dt(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def _us(value: datetime) -> int:
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(BULK_CALENDARS) - 1),
    xs=instants_us,
    duration=st.one_of(st.just(0), st.integers(0, 200 * 3_600_000_000)),
    days=st.integers(0, 30),
)
def test_it_gives_the_same_answers_in_bulk_and_one_by_one(
    which: int, xs: list[int], duration: int, days: int
) -> None:
    # CAL-7: the bulk twins return exactly what the scalar calls return.
    calendar = BULK_CALENDARS[which]
    array = np.array(xs, dtype=np.int64)
    added = calendar.add_business_time_many(array, timedelta(microseconds=duration))
    assert added.dtype == np.int64
    assert added.tolist() == [
        _us(calendar.add_business_time(_dt(x), timedelta(microseconds=duration))) for x in xs
    ]
    as_datetime = calendar.add_business_time_many(
        array.astype("datetime64[us]"), np.int64(duration)
    )
    assert as_datetime.dtype == np.dtype("datetime64[us]")
    assert as_datetime.astype(np.int64).tolist() == added.tolist()
    assert calendar.add_business_days_many(array, days).tolist() == [
        _us(calendar.add_business_days(_dt(x), days)) for x in xs
    ]
    assert calendar.add_calendar_days_many(array, days).tolist() == [
        _us(calendar.add_calendar_days(_dt(x), days)) for x in xs
    ]
    assert calendar.next_opening_many(array).tolist() == [
        _us(calendar.next_opening(_dt(x))) for x in xs
    ]
    assert calendar.is_open_many(array).tolist() == [calendar.is_open(_dt(x)) for x in xs]
    ends = array[::-1]
    assert calendar.business_time_between_many(array, ends).tolist() == [
        _us(_dt(0) + calendar.business_time_between(_dt(a), _dt(b)))
        for a, b in zip(xs, xs[::-1], strict=True)
    ]


def test_it_adds_in_bulk_over_a_million_instants_like_one_by_one() -> None:
    # The grid index of the bulk path against the scalar bisect, on many random instants.
    calendar = cal("quadra-entreprise", "support")
    rng = np.random.default_rng(7)
    xs = rng.integers(LO, HI, 200_000)
    durations = rng.integers(0, 40 * 3_600_000_000, len(xs))
    durations[::10] = 0
    bulk = calendar.add_business_time_many(xs, durations)
    sample = rng.choice(len(xs), 3_000, replace=False)
    for i in sample:
        expected = calendar.add_business_time(
            _dt(int(xs[i])), timedelta(microseconds=int(durations[i]))
        )
        assert int(bulk[i]) == _us(expected)


def test_it_refuses_a_deadline_when_the_calendar_stops_opening() -> None:
    # Open only on public holidays: the holiday library has none after 2100.
    holidays_only = BusinessCalendar({}, holidays="open-all-day")
    assert holidays_only.add_business_time(at("2026-12-24T12:00:00+01:00"), H) == at(
        "2026-12-25T01:00:00+01:00"
    )
    with pytest.raises(CalendarError, match="no opening after"):
        holidays_only.add_business_time(at("2150-01-01T00:00:00Z"), H)
