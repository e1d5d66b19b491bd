"""A monitored site's set-up length (SPEC MON-4) and preventive visits (SPEC MON-5), from the
PreventCare offer's data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from livret.core.offer import load_preset
from livret.core.sites import SiteError, setup_days, visits_per_year

MONITORING = load_preset("preventcare").offer.monitoring
assert MONITORING is not None and MONITORING.visits is not None
TIERS = MONITORING.setup
VISITS = MONITORING.visits


@pytest.mark.parametrize(
    ("users", "servers", "days"),
    [
        pytest.param(1, 1, 1, id="1-user-1-server"),
        pytest.param(9, 2, 1, id="9-users-2-servers"),
        pytest.param(9, 3, 2, id="9-users-3-servers"),  # 3+ servers: the 2-day tier
        pytest.param(10, 1, 2, id="10-users"),
        pytest.param(49, 2, 2, id="49-users"),
        pytest.param(30, 8, 2, id="30-users-8-servers"),
        pytest.param(50, 1, None, id="50-users-quoted"),
        pytest.param(200, 6, None, id="200-users-quoted"),
    ],
)
def test_it_sizes_the_setup_with_the_first_tier_that_fits(
    users: int, servers: int, days: int | None
) -> None:
    # MON-4: 1 day for 1-9 users and at most 2 servers, 2 days for 10-49 users or 3+ servers,
    # quoted from 50 users (None).
    assert setup_days(TIERS, users=users, servers=servers) == days


@pytest.mark.parametrize(
    ("servers", "visits"),
    [pytest.param(1, 2, id="1-server"), pytest.param(2, 3, id="2-servers"),
     pytest.param(4, 5, id="4-servers"), pytest.param(10, 11, id="10-servers")],
)  # fmt: skip
def test_it_counts_two_visits_a_year_plus_one_per_server_beyond_the_first(
    servers: int, visits: int
) -> None:
    # MON-5
    assert visits_per_year(VISITS, servers=servers) == visits


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: setup_days(TIERS, users=0, servers=1), "users: a site has at least 1 user"),
        (lambda: setup_days(TIERS, users=5, servers=0), "servers: a site has at least 1"),
        (lambda: visits_per_year(VISITS, servers=0), "servers: a site has at least 1"),
        (lambda: setup_days(TIERS[:1], users=20, servers=1), "no set-up tier of the offer"),
    ],
)
def test_it_refuses_a_site_without_users_or_servers(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(SiteError, match=message):
        call()
