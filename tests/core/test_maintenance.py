"""Planned maintenance: window, 48 h notice, blocking work (SPEC MNT-1, MNT-2), seed numbers.

Q and E (art. 5): weekdays 20:00-07:00, no blocking work before 22:00 on weekdays; Saturday,
Sunday and public holidays at any time. S (art. 5): every night 00:00-07:00 in the client's
zone, Sundays and public holidays at any time. Notice: 48 hours (MNT-2).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livret.core.maintenance import (
    MaintenanceError,
    check_maintenance,
    maintenance_windows,
    next_allowed_start,
)
from livret.core.offer import load_preset
from tests.helpers.clock import aware as at

AHEAD = "2026-11-01T09:00:00+01:00"  # announced long before every November plan


def real_length(start: datetime, end: datetime) -> timedelta:
    """Elapsed real time (the same zone on both sides would subtract wall clocks)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def check(offer, start, end, announced=AHEAD, blocking=False, territory="metropole", **kw):
    return check_maintenance(load_preset(offer).offer, start=at(start), end=at(end),
                             announced_at=at(announced), blocking=blocking,
                             territory=territory, **kw)  # fmt: skip


# (what, offer, territory, start, end, announced, blocking, violation codes, next allowed start)
CASES = [
    ("Q Tuesday 20:30-21:30, non-blocking: inside the window",
     "quadra-entreprise", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     AHEAD, False, [], None),
    ("Q Tuesday 20:30 blocking: before 22:00, next start 22:00",
     "quadra-entreprise", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     AHEAD, True, ["blocking-too-early"], "2026-11-17T22:00:00+01:00"),
    ("Q Tuesday 21:30-22:30 blocking: overlaps 22:00, moved to 22:00",
     "quadra-entreprise", "metropole", "2026-11-17T21:30+01:00", "2026-11-17T22:30+01:00",
     AHEAD, True, ["blocking-too-early"], "2026-11-17T22:00:00+01:00"),
    ("Q Tuesday 22:00-23:30 blocking: allowed",
     "quadra-entreprise", "metropole", "2026-11-17T22:00+01:00", "2026-11-17T23:30+01:00",
     AHEAD, True, [], None),
    ("Q Tuesday 23:00 to Wednesday 06:00 blocking: one night, allowed",
     "quadra-entreprise", "metropole", "2026-11-17T23:00+01:00", "2026-11-18T06:00+01:00",
     AHEAD, True, [], None),
    ("Q Friday 20:30 blocking: Friday is a business day",
     "quadra-entreprise", "metropole", "2026-11-20T20:30+01:00", "2026-11-20T21:00+01:00",
     AHEAD, True, ["blocking-too-early"], "2026-11-20T22:00:00+01:00"),
    ("Q Saturday 14:00-16:00 blocking: weekends at any time",
     "quadra-entreprise", "metropole", "2026-11-21T14:00+01:00", "2026-11-21T16:00+01:00",
     AHEAD, True, [], None),
    ("Q Friday 20:00 to Monday 07:00: touching intervals are one window",
     "quadra-entreprise", "metropole", "2026-11-20T20:00+01:00", "2026-11-23T07:00+01:00",
     AHEAD, False, [], None),
    ("Q Wednesday 11 November (holiday) 10:00-12:00 blocking: holidays at any time",
     "quadra-entreprise", "metropole", "2026-11-11T10:00+01:00", "2026-11-11T12:00+01:00",
     AHEAD, True, [], None),
    ("Q Friday 1 May 2026 (holiday) 14:00-16:00 blocking: allowed",
     "quadra-entreprise", "metropole", "2026-05-01T14:00+02:00", "2026-05-01T16:00+02:00",
     "2026-04-20T09:00+02:00", True, [], None),
    ("Q Friday 1 May 2026 (holiday) 20:30 blocking: not a business day, allowed",
     "quadra-entreprise", "metropole", "2026-05-01T20:30+02:00", "2026-05-01T21:30+02:00",
     "2026-04-20T09:00+02:00", True, [], None),
    ("Q Thursday 30 April 2026 20:30 blocking: the eve of the holiday is a business day",
     "quadra-entreprise", "metropole", "2026-04-30T20:30+02:00", "2026-04-30T21:30+02:00",
     "2026-04-20T09:00+02:00", True, ["blocking-too-early"], "2026-04-30T22:00:00+02:00"),
    ("Q notice 47 h: refused, next start when 48 h have passed",
     "quadra-entreprise", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     "2026-11-15T21:30+01:00", False, ["notice"], "2026-11-17T21:30:00+01:00"),
    ("Q notice exactly 48 h: allowed",
     "quadra-entreprise", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     "2026-11-15T20:30+01:00", False, [], None),
    ("Q announced after it starts: notice",
     "quadra-entreprise", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     "2026-11-17T21:00+01:00", False, ["notice"], "2026-11-19T21:00:00+01:00"),
    ("Q Tuesday 08:00-09:00: outside the window, next opening 20:00",
     "quadra-entreprise", "metropole", "2026-11-17T08:00+01:00", "2026-11-17T09:00+01:00",
     AHEAD, False, ["outside-window"], "2026-11-17T20:00:00+01:00"),
    ("Q Tuesday 06:30-07:30: partly outside the window",
     "quadra-entreprise", "metropole", "2026-11-17T06:30+01:00", "2026-11-17T07:30+01:00",
     AHEAD, False, ["outside-window"], "2026-11-17T20:00:00+01:00"),
    ("Q Tuesday 19:30-21:00 blocking: outside the window and too early",
     "quadra-entreprise", "metropole", "2026-11-17T19:30+01:00", "2026-11-17T21:00+01:00",
     AHEAD, True, ["outside-window", "blocking-too-early"], "2026-11-17T22:00:00+01:00"),
    ("Q every rule broken at once: 47 h notice, daytime, blocking",
     "quadra-entreprise", "metropole", "2026-11-17T19:00+01:00", "2026-11-17T21:00+01:00",
     "2026-11-15T20:00+01:00", True, ["notice", "outside-window", "blocking-too-early"],
     "2026-11-17T22:00:00+01:00"),
    ("E Tuesday 20:30 blocking: same rule as Q",
     "expert-on-demand", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     AHEAD, True, ["blocking-too-early"], "2026-11-17T22:00:00+01:00"),
    ("S Tuesday 05:00-06:00 blocking: S has no blocking rule",
     "carrus-saas", "metropole", "2026-11-17T05:00+01:00", "2026-11-17T06:00+01:00",
     AHEAD, True, [], None),
    ("S Tuesday 20:30: S nights start at 00:00",
     "carrus-saas", "metropole", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
     AHEAD, False, ["outside-window"], "2026-11-18T00:00:00+01:00"),
    ("S Saturday 10:00: Saturday is only open at night for S",
     "carrus-saas", "metropole", "2026-11-21T10:00+01:00", "2026-11-21T11:00+01:00",
     AHEAD, False, ["outside-window"], "2026-11-22T00:00:00+01:00"),
    ("S Sunday 10:00-18:00: Sundays at any time",
     "carrus-saas", "metropole", "2026-11-22T10:00+01:00", "2026-11-22T18:00+01:00",
     AHEAD, True, [], None),
    ("S in Martinique: 09:00-10:00Z is 05:00-06:00 local, inside the night",
     "carrus-saas", "972", "2026-11-17T09:00Z", "2026-11-17T10:00Z",
     AHEAD, False, [], None),
    ("S in metropolitan France: the same 09:00-10:00Z is 10:00-11:00 in Paris",
     "carrus-saas", "metropole", "2026-11-17T09:00Z", "2026-11-17T10:00Z",
     AHEAD, False, ["outside-window"], "2026-11-18T00:00:00+01:00"),
    ("S in Martinique: 00:30Z Tuesday is Monday 20:30 there; next start at local midnight",
     "carrus-saas", "972", "2026-11-17T00:30Z", "2026-11-17T01:30Z",
     AHEAD, False, ["outside-window"], "2026-11-17T00:00:00-04:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "offer", "territory", "start", "end", "announced", "blocking", "codes", "following"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_it_checks_a_plan_against_the_seed_rules(
    what, offer, territory, start, end, announced, blocking, codes, following
) -> None:
    result = check(offer, start, end, announced, blocking, territory)
    assert [v.code for v in result.violations] == codes
    assert result.allowed is (codes == [])
    assert result.urgent is False
    found = result.next_allowed_start
    assert (found.isoformat() if found else None) == following
    if found is not None:  # the proposal itself keeps every rule
        length = at(end) - at(start)
        again = check(offer, found.isoformat(), (found + length).isoformat(), announced,
                      blocking, territory)  # fmt: skip
        assert again.allowed, again.violations


def test_it_names_the_rule_its_numbers_and_the_booklet_article_in_french() -> None:
    result = check("quadra-entreprise", "2026-11-17T19:00+01:00", "2026-11-17T21:00+01:00",
                   "2026-11-15T20:00+01:00", blocking=True)  # fmt: skip
    notice, window, blocking = (v.message for v in result.violations)
    assert "préavis insuffisant" in notice and "47 h" in notice and "48 heures" in notice
    assert "Q art. 5" in notice and "MNT-" not in notice  # a reader's text: no SPEC ID
    assert "hors fenêtre" in window and "20:00-24:00" in window and "Q art. 5" in window
    assert "bloquante" in blocking and "22:00" in blocking and "20:00" in blocking
    assert "Q art. 5" in blocking and "MNT-" not in blocking
    e = check("expert-on-demand", "2026-11-17T20:30+01:00", "2026-11-17T21:00+01:00",
              blocking=True)  # fmt: skip
    assert "E art. 5, art. 6" in e.violations[0].message
    late = check("quadra-entreprise", "2026-11-17T20:30+01:00", "2026-11-17T21:30+01:00",
                 "2026-11-17T21:00+01:00")  # fmt: skip
    assert "annoncée le mardi 17/11/2026 21:00" in late.violations[0].message
    assert "après le début" in late.violations[0].message


def test_it_allows_urgent_maintenance_at_any_time_and_says_so() -> None:
    """MNT-2: urgent maintenance is recorded as such, whatever the hour and the notice."""
    result = check("quadra-entreprise", "2026-11-17T10:00+01:00", "2026-11-17T11:00+01:00",
                   "2026-11-17T09:55+01:00", blocking=True, urgent=True)  # fmt: skip
    assert result.as_json() == {
        "allowed": True,
        "violations": [],
        "next_allowed_start": None,
    }
    assert result.urgent


def test_it_prints_the_cli_json_shape() -> None:
    result = check("quadra-entreprise", "2026-11-17T08:00+01:00", "2026-11-17T09:00+01:00")
    document = result.as_json()
    assert list(document) == ["allowed", "violations", "next_allowed_start"]
    assert document["allowed"] is False
    assert document["next_allowed_start"] == "2026-11-17T20:00:00+01:00"
    assert [v["code"] for v in document["violations"]] == ["outside-window"]


# --------------------------------------------------------------------------- DST nights


def test_it_spans_the_spring_forward_weekend_in_real_time() -> None:
    """DST edge (29 March 2026): Friday 20:00 to Monday 07:00 lasts 58 real hours."""
    offer = load_preset("quadra-entreprise").offer
    windows = maintenance_windows(offer, at("2026-03-28T12:00+01:00"), at("2026-03-28T13:00Z"))
    assert [(a.isoformat(), b.isoformat()) for a, b in windows] == [
        ("2026-03-27T20:00:00+01:00", "2026-03-30T07:00:00+02:00")
    ]
    assert real_length(*windows[0]) == timedelta(hours=58)
    whole = check("quadra-entreprise", "2026-03-27T20:00+01:00", "2026-03-30T07:00+02:00",
                  "2026-03-20T09:00+01:00")  # fmt: skip
    assert whole.allowed
    # Blocking, the same 58 h must wait for 22:00 on a Friday: Good Friday 3 April 2026 is
    # a business day in metropolitan France, and Easter Monday lengthens that weekend.
    blocking = check("quadra-entreprise", "2026-03-27T20:00+01:00", "2026-03-30T07:00+02:00",
                     "2026-03-20T09:00+01:00", blocking=True)  # fmt: skip
    assert [v.code for v in blocking.violations] == ["blocking-too-early"]
    assert blocking.next_allowed_start == at("2026-04-03T22:00+02:00")
    longer = check("quadra-entreprise", "2026-03-27T20:00+01:00", "2026-03-30T07:30+02:00",
                   "2026-03-20T09:00+01:00")  # fmt: skip
    assert [v.code for v in longer.violations] == ["outside-window"]


def test_it_counts_the_notice_in_real_hours_across_the_spring_forward() -> None:
    """DST edge: Friday 20:00+01:00 to Sunday 21:00+02:00 is 49 wall hours but 48 real."""
    ok = check("carrus-saas", "2026-03-29T21:00+02:00", "2026-03-29T22:00+02:00",
               "2026-03-27T20:00+01:00")  # fmt: skip
    assert ok.allowed
    short = check("carrus-saas", "2026-03-29T20:30+02:00", "2026-03-29T21:30+02:00",
                  "2026-03-27T20:00+01:00")  # fmt: skip
    assert [v.code for v in short.violations] == ["notice"]
    assert short.next_allowed_start == at("2026-03-29T21:00+02:00")


def test_it_spans_the_fall_back_weekend_in_real_time() -> None:
    """DST edge (25 October 2026): Friday 20:00 to Monday 07:00 lasts 60 real hours."""
    offer = load_preset("quadra-entreprise").offer
    windows = maintenance_windows(offer, at("2026-10-25T02:30+01:00"), at("2026-10-25T03:00Z"))
    assert [(a.isoformat(), b.isoformat()) for a, b in windows] == [
        ("2026-10-23T20:00:00+02:00", "2026-10-26T07:00:00+01:00")
    ]
    assert real_length(*windows[0]) == timedelta(hours=60)
    # The repeated hour 02:00-03:00 is inside the window both times.
    plan = check("quadra-entreprise", "2026-10-25T02:30+02:00", "2026-10-25T02:30+01:00",
                 "2026-10-20T09:00+02:00", blocking=True)  # fmt: skip
    assert plan.allowed
    # S: the first weeknight after the change (Tuesday 00:30-07:00+01:00) is ordinary.
    s_night = check("carrus-saas", "2026-10-26T23:30Z", "2026-10-27T06:00Z",
                    "2026-10-20T09:00+02:00")  # fmt: skip
    assert s_night.allowed


# --------------------------------------------------------------------------- next_allowed_start

Q = load_preset("quadra-entreprise").offer
S = load_preset("carrus-saas").offer

NEXT = [
    ("non-blocking, from Tuesday noon: the evening window", Q, "metropole",
     "2026-11-17T12:00+01:00", timedelta(hours=1), AHEAD, False, "2026-11-17T20:00:00+01:00"),
    ("blocking, from Tuesday noon: 22:00", Q, "metropole",
     "2026-11-17T12:00+01:00", timedelta(hours=1), AHEAD, True, "2026-11-17T22:00:00+01:00"),
    ("announced Tuesday noon: 48 h later, Thursday 12:00, then 20:00", Q, "metropole",
     "2026-11-17T12:00+01:00", timedelta(hours=1), "2026-11-17T12:00+01:00", False,
     "2026-11-19T20:00:00+01:00"),
    ("10 h from Tuesday 21:30: 9 h 30 left that night, Wednesday's night (11 h) fits",
     Q, "metropole", "2026-11-17T21:30+01:00", timedelta(hours=10), AHEAD, False,
     "2026-11-18T20:00:00+01:00"),
    ("9 h blocking fits 22:00-07:00 exactly", Q, "metropole",
     "2026-11-17T12:00+01:00", timedelta(hours=9), AHEAD, True, "2026-11-17T22:00:00+01:00"),
    ("59 h 01: longer than a weekend; Christmas Friday gives Thursday 20:00", Q, "metropole",
     "2026-11-20T12:00+01:00", timedelta(hours=59, minutes=1), AHEAD, False,
     "2026-12-24T20:00:00+01:00"),
    ("10 days: no window that long within a year", Q, "metropole",
     "2026-11-17T12:00+01:00", timedelta(days=10), AHEAD, False, None),
    ("S Martinique: next local midnight", S, "972",
     "2026-11-17T12:00-04:00", timedelta(hours=2), AHEAD, True, "2026-11-18T00:00:00-04:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "offer", "territory", "after", "length", "announced", "blocking", "expected"),
    NEXT,
    ids=[case[0] for case in NEXT],
)
def test_it_proposes_the_next_allowed_start(
    what, offer, territory, after, length, announced, blocking, expected
) -> None:
    found = next_allowed_start(offer, after=at(after), length=length, announced_at=at(announced),
                               blocking=blocking, territory=territory)  # fmt: skip
    assert (found.isoformat() if found else None) == expected


def test_it_refuses_an_inverted_span_of_windows() -> None:
    with pytest.raises(MaintenanceError, match="must be after"):
        maintenance_windows(Q, at("2026-11-17T12:00+01:00"), at("2026-11-17T11:00+01:00"))


def test_it_lists_whole_window_intervals_overlapping_a_span() -> None:
    windows = maintenance_windows(Q, at("2026-11-14T12:00+01:00"), at("2026-11-17T12:00+01:00"))
    assert [(a.isoformat(), b.isoformat()) for a, b in windows] == [
        ("2026-11-13T20:00:00+01:00", "2026-11-16T07:00:00+01:00"),
        ("2026-11-16T20:00:00+01:00", "2026-11-17T07:00:00+01:00"),
    ]
    overseas = maintenance_windows(S, at("2026-11-20T12:00-04:00"), at("2026-11-23T12:00-04:00"),
                                   "972")  # fmt: skip
    assert [(a.isoformat(), b.isoformat()) for a, b in overseas] == [
        ("2026-11-21T00:00:00-04:00", "2026-11-21T07:00:00-04:00"),
        ("2026-11-22T00:00:00-04:00", "2026-11-23T07:00:00-04:00"),
    ]


@pytest.mark.parametrize(
    ("offer", "start", "end", "announced", "message"),
    [
        ("quadra-entreprise", "2026-11-17T21:00+01:00", "2026-11-17T20:00+01:00", AHEAD,
         "must be after"),
        ("quadra-entreprise", "2026-11-17T21:00", "2026-11-17T22:00+01:00", AHEAD,
         "timezone-aware"),
        ("quadra-entreprise", "2026-11-17T21:00+01:00", "2026-11-17T22:00+01:00",
         "2026-11-01T09:00", "timezone-aware"),
        ("eksae-contact", "2026-11-17T21:00+01:00", "2026-11-17T22:00+01:00", AHEAD,
         "no maintenance rules"),
    ],
)  # fmt: skip
def test_it_refuses_bad_input(offer, start, end, announced, message) -> None:
    with pytest.raises(MaintenanceError, match=message):
        check_maintenance(load_preset(offer).offer, start=datetime.fromisoformat(start),
                          end=datetime.fromisoformat(end),
                          announced_at=datetime.fromisoformat(announced))  # fmt: skip


# --------------------------------------------------------------------------- oracle

# Q's rules written out by hand, minute by minute, over 9-22 November 2026 (Paris, no DST;
# Wednesday 11 November is a holiday): the window is open on weekends and holidays, else
# before 07:00 and from 20:00; blocking work is refused 20:00-22:00 on business days.
ORIGIN = datetime.fromisoformat("2026-11-09T00:00:00+01:00")
SPAN = 14 * 1440
HOLIDAY = 2  # day index of 11 November


def _minute_rules(minute: int) -> tuple[bool, bool]:
    day, clock = divmod(minute, 1440)
    free_day = day % 7 >= 5 or day == HOLIDAY
    in_window = free_day or clock < 7 * 60 or clock >= 20 * 60
    blocking_refused = not free_day and 20 * 60 <= clock < 22 * 60
    return in_window, blocking_refused


RULES = [_minute_rules(m) for m in range(SPAN)]
# BAD[blocking][m]: minutes before m where such work is refused (prefix sums).
BAD = {
    blocking: list(
        itertools.accumulate(
            (not window or (blocking and refused) for window, refused in RULES), initial=0
        )
    )
    for blocking in (False, True)
}


def _fits(first: int, length: int, blocking: bool) -> bool:
    return BAD[blocking][first + length] == BAD[blocking][first]


@settings(max_examples=80, deadline=None)
@given(
    first=st.integers(0, 7 * 1440),
    length=st.integers(1, 3 * 1440),
    notice_minutes=st.integers(46 * 60, 50 * 60),
    blocking=st.booleans(),
)
def test_it_matches_the_rules_minute_by_minute(first, length, notice_minutes, blocking) -> None:
    """MNT-1, MNT-2 against the seed's words: the verdict and the proposed start."""
    start = ORIGIN + timedelta(minutes=first)
    announced = start - timedelta(minutes=notice_minutes)
    result = check_maintenance(Q, start=start, end=start + timedelta(minutes=length),
                               announced_at=announced, blocking=blocking)  # fmt: skip
    codes = {v.code for v in result.violations}
    assert ("notice" in codes) is (notice_minutes < 48 * 60)
    assert ("outside-window" in codes) is not all(RULES[m][0] for m in range(first, first + length))
    assert ("blocking-too-early" in codes) is (
        blocking and any(RULES[m][1] for m in range(first, first + length))
    )
    assert result.allowed is (codes == set())
    if result.allowed:
        return
    earliest = max(first, first - notice_minutes + 48 * 60)
    expected = next((m for m in range(earliest, SPAN - length) if _fits(m, length, blocking)), None)
    if expected is not None:  # found inside the hand-written fortnight
        assert result.next_allowed_start == ORIGIN + timedelta(minutes=expected)
