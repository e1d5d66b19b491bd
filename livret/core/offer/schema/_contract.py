"""Sections on what is bought and signed: packs, billing, termination, options."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from livret.core.offer.schema._base import Duration, Sourced


class Pack(Sourced):
    """PCK-1..3: an optional pack (Assistance+, Service+)."""

    label: str
    description: str = ""
    commitment: Duration
    tacit_renewal: Duration | None = None
    appointments_per_year: Literal["as-bought"] | None = None
    extra_billed_after: Duration | None = None
    credits_validity: Duration | None = None
    unit_credits_for_holders_only: bool = False
    payable_in: list[Literal["euros", "credits"]] = []


class Billing(Sourced):
    """CTR-1..3: subscription billing and term."""

    every: Literal["quarter", "month", "year"] = "quarter"
    in_advance: bool = True
    first_invoice: Literal["access-codes-sent", "contract-start"] = "access-codes-sent"
    repriced_on_overage: list[Literal["named-users", "dossiers", "storage", "agents"]] = []
    term: Duration | None = None
    renewal: Duration | None = None
    non_renewal_notice: Duration | None = None
    notice_form: Literal["registered-letter"] | None = None


class Termination(Sourced):
    """CTR-5 (P): liability cap and termination after formal notice."""

    liability_cap_over: Duration | None = None
    cure_period: Duration | None = None
    immediate_if_unsupported_version: bool = False


class OptionSpec(Sourced):
    """OFF-3: a contract option, with the conditions the offer puts on it."""

    label: str
    description: str = ""
    requires: list[str] = []
    named_users_more_than: int | None = Field(default=None, ge=0)
    formulas: list[str] | None = None
    limits: dict[str, int] = {}
