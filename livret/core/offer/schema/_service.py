"""Sections on the hosted service: availability, maintenance, updates, data, accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from livret.core.offer.schema._base import Duration, Model, Sourced
from livret.core.offer.schema._calendars import Clock

Cause = Literal[
    "maintenance", "urgent-maintenance", "force-majeure", "client-equipment", "out-of-perimeter"
]


class Availability(Sourced):
    """AVL-1..3: TD over the reference period (PRT), per calendar month, against a target."""

    target_percent: float = Field(gt=0, le=100)
    calendar: str = "availability"
    period: Literal["month"] = "month"
    excluded_causes: list[Cause] = []
    production_only: bool = True


class Maintenance(Sourced):
    """MNT-1, MNT-2: the planned-maintenance window, notice, and blocking work."""

    calendar: str = "maintenance"
    notice: Duration
    blocking_not_before: Clock | None = Field(
        default=None, description="on weekdays, no blocking work before this time (Q, E)"
    )
    urgent_any_time: bool = True
    status_page: bool = True


class Updates(Sourced):
    """MNT-4, MNT-5: kinds of update and what clients are told in advance."""

    kinds: list[Literal["new-version", "patch", "major", "minor"]] = Field(min_length=1)
    dates_announced: bool = True
    patches_without_notice: bool = True
    implementation_services_announced: bool = True
    agreed_date_option: str | None = Field(
        default=None, description="option id letting the client agree the date (E)"
    )
    regulatory_patches_excepted: bool = False


class BackupTier(Model):
    """A backup cycle and how long each of its copies is kept (BKP-2)."""

    name: str
    every: Literal["day", "week", "month"]
    day_of_month: int | None = Field(default=None, ge=1, le=28)
    keep: Duration


class DocumentBackup(Model):
    """Q/E: the shared document space, backed up daily, restorable to its last backup."""

    every: Literal["day"] = "day"
    restore: Literal["last-backup"] = "last-backup"


class Backups(Sourced):
    """BKP-1..3: daily cycles, copies in distinct places, retention tiers."""

    copies: int = Field(default=2, ge=1)
    distinct_sites: bool = True
    tiers: list[BackupTier] = Field(min_length=1)
    documents: DocumentBackup | None = None
    restore_on_request: bool = True


class History(Sourced):
    """RET-1: movements kept for N years (the current one and N-1 previous)."""

    years: int = Field(gt=0)
    purged_by: Literal["client", "vendor"] = "client"
    tax_data_kept: bool = True


class Dossiers(Sourced):
    """RET-2 (E §4): active, inactive and unused dossiers, the keep flag and its billing."""

    active_within: Duration
    unused_after: Duration
    keep_flag_default_for_unused: bool = True
    auto_flag_year: int = Field(gt=0, description="year without activity when the flag is set")
    auto_flag_quarter: int = Field(ge=1, le=4)
    clear_until: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD of that year")
    billing: Literal["monthly-per-dossier"] = "monthly-per-dossier"
    billing_stops_after: Duration
    billing_stop_cutoff_day: int = Field(ge=1, le=31)
    shifted_closing_extra_free_months: int = Field(ge=0)
    deleted_on_removal: list[str] = []
    kept_on_removal: list[str] = []
    recovery_window: Duration


class Documents(Sourced):
    """RET-3: the shared document space, its quota and its accepted formats."""

    quota_gb: float = Field(gt=0)
    quota_per: Literal["client", "user"]
    formats: list[Literal["word", "excel", "powerpoint", "pdf", "image"]] = Field(min_length=1)
    checked_by_content: bool = True
    folders: list[Literal["private", "shared"]] = ["private", "shared"]


class AccountKind(Model):
    """ACC-1: a kind of account and who creates it."""

    id: str
    label: str
    purpose: str
    created_by: Literal["vendor", "client"]
    on_client_instructions: bool = False
    initial_password_by_vendor: bool = False
    change_password_at_first_login: bool = False


class Accounts(Sourced):
    """ACC-1..3: account kinds, rights assigned by the client, deactivation at once."""

    kinds: list[AccountKind] = Field(min_length=1)
    rights_assigned_by: Literal["client", "vendor"] = "client"
    client_deactivates_stolen_accounts: bool = True
