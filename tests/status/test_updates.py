"""Update announcements and agreed dates (MNT-4): new versions dated in advance, patches without
notice, the E option « mise à jour personnalisée » and its regulatory-patch exception."""

from __future__ import annotations

import pytest
import time_machine

from livret.errors import NotAllowed, ServiceError
from livret.status import services
from livret.status.models import AgreedUpdateDate, StatusEvent
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        yield


@pytest.fixture
def expert(contract_of):  # type: ignore[no-untyped-def]
    """Two E contracts of client A's family: one with personalised updates, one without."""
    with_option = contract_of(
        "expert-on-demand", formula="private", options=["personalised-update"]
    )
    without = contract_of("expert-on-demand", formula="open")
    return with_option, without


def announce(world, offer_id: str = "expert-on-demand", **changes):  # type: ignore[no-untyped-def]
    arguments = {
        "offer_id": offer_id,
        "kind": "new-version",
        "version_label": "2027.1",
        "planned_for": at("2026-12-14 22:00"),
        "needs_implementation_services": True,
        "needs_training": False,
    }
    arguments.update(changes)
    return services.announce_update(world.tech, **arguments)


def test_it_announces_a_new_version_with_its_date_and_what_it_needs(world, expert) -> None:
    announcement = announce(world)
    assert announcement.needs_implementation_services and not announcement.needs_training
    event = StatusEvent.objects.get()
    assert (event.kind, event.announcement, event.public) == (
        "update.announced",
        announcement,
        True,
    )
    assert event.data["planned_for"] == at("2026-12-14 22:00").isoformat()
    assert event.clients == [world.personas.client_a.pk]  # the offer's clients


def test_it_refuses_a_new_version_dated_in_the_past(world) -> None:
    """MNT-4: clients are told the date of each new version in advance."""
    with pytest.raises(ServiceError) as refused:
        announce(world, planned_for=at("2026-11-15 22:00"))
    assert refused.value.field == "planned_for"
    assert "à l'avance" in refused.value.message


def test_it_takes_a_patch_without_notice(world) -> None:
    patch = announce(
        world, kind="patch", version_label="2026.4.2", planned_for=at("2026-11-16 08:00")
    )
    assert patch.kind == "patch"


def test_it_refuses_a_kind_the_offer_does_not_name(world) -> None:
    """C names major/minor updates; Q names new versions and patches."""
    with pytest.raises(ServiceError) as refused:
        announce(world, offer_id="quadra-entreprise", kind="major")
    assert refused.value.field == "kind"
    assert "nouvelle version, patch" in refused.value.message
    minor = announce(
        world, offer_id="eksae-contact", kind="minor", planned_for=at("2026-11-01 08:00")
    )
    assert minor.kind == "minor"  # C promises no dates (dates_announced = false)


def test_it_agrees_a_date_only_with_a_client_holding_the_option(world, expert) -> None:
    with_option, without = expert
    announcement = announce(world)
    agreed = services.agree_update_date(
        world.tech, announcement, with_option, at("2027-01-08 20:00")
    )
    assert agreed.agreed_for == at("2027-01-08 20:00")
    event = StatusEvent.objects.get(kind="update.agreed")
    assert (event.public, event.clients) == (False, [with_option.client_id])
    with pytest.raises(ServiceError) as refused:
        services.agree_update_date(world.tech, announcement, without, at("2027-01-08 20:00"))
    assert refused.value.field == "contract"
    assert "Mise à jour personnalisée" in refused.value.message
    again = services.agree_update_date(
        world.tech, announcement, with_option, at("2027-01-15 20:00")
    )
    assert again.pk == agreed.pk and AgreedUpdateDate.objects.count() == 1


def test_it_never_agrees_a_date_for_a_regulatory_patch(world, expert) -> None:
    """MNT-4 (E art. 3): « à l'exception des patchs réglementaires »."""
    with_option, _ = expert
    patch = announce(world, kind="patch", version_label="2026.4.3", regulatory=True)
    with pytest.raises(ServiceError) as refused:
        services.agree_update_date(world.tech, patch, with_option, at("2027-01-08 20:00"))
    assert refused.value.field == "announcement"
    assert "réglementaire" in refused.value.message
    assert not AgreedUpdateDate.objects.exists()


def test_it_refuses_a_contract_on_another_offer_or_a_past_date(world, expert) -> None:
    with_option, _ = expert
    announcement = announce(world)
    quadra = world.personas.client_a.contracts.get(reference="A-1")
    with pytest.raises(ServiceError) as other:
        services.agree_update_date(world.tech, announcement, quadra, at("2027-01-08 20:00"))
    assert other.value.field == "contract"
    with pytest.raises(ServiceError) as past:
        services.agree_update_date(world.tech, announcement, with_option, at("2026-11-01 20:00"))
    assert past.value.field == "agreed_for"


def test_it_lets_only_vendor_staff_announce_or_agree(world, expert) -> None:
    with pytest.raises(NotAllowed):
        services.announce_update(
            world.personas.user_a, "expert-on-demand", "patch", "1", at("2026-12-01 10:00")
        )
    announcement = announce(world)
    with pytest.raises(NotAllowed):
        services.agree_update_date(
            world.personas.user_a, announcement, expert[0], at("2027-01-08 20:00")
        )
