"""Deadlines as a person says them (issue 12; CAL-5's "24:00" read as the end of the day)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from livret.core.deadline_text import say_deadline
from tests.helpers.clock import MARTINIQUE, at, aware

# Tuesday 8 December 2026, 10:00 in Paris.
NOW = at("2026-12-08 10:00")


@pytest.mark.parametrize(
    ("due", "said"),
    [
        # CAL-5: 2 business days after Tuesday end at Thursday 24:00, i.e. Friday 00:00 local.
        (at("2026-12-11 00:00"), "fin de journée le jeudi 10/12"),
        (at("2026-12-10 14:30"), "jeudi 10/12 à 14:30"),
        (at("2026-12-08 17:30"), "aujourd'hui à 17:30"),
        (at("2026-12-09 00:00"), "fin de journée aujourd'hui"),
        (at("2026-12-09 09:00"), "demain à 09:00"),
        (at("2026-12-10 00:00"), "fin de journée demain"),
        (at("2026-12-07 16:00"), "hier à 16:00"),  # a missed deadline
        (at("2026-12-04 12:30"), "vendredi 04/12 à 12:30"),
        (at("2027-01-05 00:00"), "fin de journée le lundi 04/01/2027"),  # another year
        (at("2026-12-10 00:00:01"), "jeudi 10/12 à 00:00"),  # not exactly midnight: an hour
        # The same instant given in UTC reads in the zone of "now".
        (aware("2026-12-10T23:00:00+00:00"), "fin de journée le jeudi 10/12"),
    ],
)
def test_it_says_a_deadline_as_a_person_would(due: datetime, said: str) -> None:
    assert say_deadline(due, NOW) == said


@pytest.mark.parametrize(
    ("due", "now", "said"),
    [
        # Fall back (Sunday 25/10/2026, 03:00 CEST -> 02:00 CET): Tuesday 00:00 CET is 23:00 UTC;
        # read with a fixed +02:00 offset it would be "mardi à 01:00".
        (
            aware("2026-10-26T23:00:00+00:00"),
            at("2026-10-23 16:00"),
            "fin de journée le lundi 26/10",
        ),
        # Spring forward (Sunday 29/03/2026, 02:00 -> 03:00): a 23-hour day is still "today".
        (aware("2026-03-30T22:00:00+00:00"), at("2026-03-29 10:00"), "fin de journée demain"),
        (aware("2026-03-29T22:00:00+00:00"), at("2026-03-29 01:30"), "fin de journée aujourd'hui"),
        # Martinique (UTC-4, no DST): the calendar's own zone, not Paris.
        (
            aware("2026-12-11T04:00:00+00:00"),
            at("2026-12-08 10:00", MARTINIQUE),
            "fin de journée le jeudi 10/12",
        ),
    ],
)
def test_it_reads_the_deadline_in_the_calendars_zone_across_dst(
    due: datetime, now: datetime, said: str
) -> None:
    assert say_deadline(due, now) == said


def test_it_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="aware"):
        say_deadline(datetime(2026, 12, 10, 14, 30), NOW)
    with pytest.raises(ValueError, match="aware"):
        say_deadline(datetime(2026, 12, 10, 14, 30, tzinfo=UTC), datetime(2026, 12, 8))
