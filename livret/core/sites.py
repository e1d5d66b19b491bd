"""A monitored site's set-up length and preventive visits, from the offer (SPEC MON-4, MON-5).

Both read the offer's ``monitoring`` section as data: ``setup`` tiers and ``visits``.
"""

from __future__ import annotations

from collections.abc import Sequence

from livret.core.offer.schema import SetupTier, Visits


class SiteError(ValueError):
    """A site the offer's tiers cannot size (the message names the field)."""


def _check_site(users: int | None, servers: int) -> None:
    if users is not None and users < 1:
        raise SiteError(f"users: a site has at least 1 user, not {users}")
    if servers < 1:
        raise SiteError(f"servers: a site has at least 1 monitored server, not {servers}")


def setup_days(tiers: Sequence[SetupTier], *, users: int, servers: int) -> int | None:
    """Set-up length in days for a site (MON-4); ``None`` when it is quoted per contract.

    The first tier that fits applies (the offer's reading of P art. 3.2): with the PreventCare
    tiers, 1–9 users and at most 2 servers take 1 day; up to 49 users (so also 3 servers or
    more) take 2 days; from 50 users the set-up is quoted.
    """
    _check_site(users, servers)
    for tier in tiers:
        if users < tier.min_users:
            continue
        if tier.max_users is not None and users > tier.max_users:
            continue
        if tier.max_servers is not None and servers > tier.max_servers:
            continue
        return tier.days
    raise SiteError(f"users: no set-up tier of the offer covers {users} users, {servers} servers")


def visits_per_year(visits: Visits, *, servers: int) -> int:
    """Preventive visits a year (MON-5): the base count plus one per server beyond the first."""
    _check_site(None, servers)
    return visits.per_year + visits.per_extra_server * (servers - 1)
