"""Contract terms and the offer rules they must satisfy (SPEC OFF-3, CTR-4).

A contract binds a client to one offer version, one formula and options, for a number of
named users, in a territory. :func:`contract_problems` returns every rule the terms break,
each naming the field and the rule, so forms, the API and imports refuse the same things.
"""

from __future__ import annotations

from dataclasses import dataclass

from livret.core.offer.schema import Offer
from livret.core.territory import UnknownTerritoryError, get_territory


@dataclass(frozen=True)
class ContractTerms:
    """What a contract chooses inside an offer."""

    formula: str | None
    options: tuple[str, ...]
    named_users: int
    territory: str


@dataclass(frozen=True)
class ContractProblem:
    """One broken rule: the field it concerns, the rule's id and a sentence for people."""

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def contract_problems(offer: Offer, terms: ContractTerms) -> list[ContractProblem]:
    """Every rule of the offer that these terms break; empty when the contract is valid."""
    problems: list[ContractProblem] = []
    formula = terms.formula or offer.default_formula or next(iter(offer.formulas))
    if formula not in offer.formulas:
        known = ", ".join(offer.formulas)
        problems.append(
            ContractProblem(
                "formula",
                "unknown-formula",
                f"la formule « {formula} » n'existe pas dans l'offre {offer.id} "
                f"(formules : {known})",
            )
        )
    if terms.named_users < 0:
        problems.append(
            ContractProblem(
                "named_users", "negative", "le nombre d'utilisateurs nommés est négatif"
            )
        )

    try:
        territory = get_territory(terms.territory)
    except UnknownTerritoryError as error:
        problems.append(ContractProblem("territory", "unknown-territory", str(error)))
    else:
        sold_in = offer.territories.codes()
        if territory.code not in sold_in:
            problems.append(
                ContractProblem(
                    "territory",
                    "territory-not-sold",
                    f"l'offre {offer.id} n'est pas commercialisée en {territory.label} "
                    f"({offer.territories.source})",
                )
            )

    chosen = set(terms.options)
    for option_id in terms.options:
        option = offer.options.get(option_id)
        if option is None:
            known = ", ".join(offer.options) or "aucune"
            problems.append(
                ContractProblem(
                    "options",
                    "unknown-option",
                    f"l'option « {option_id} » n'existe pas dans l'offre {offer.id} "
                    f"(options : {known})",
                )
            )
            continue
        where = f"({option.source})"
        for required in option.requires:
            if required not in chosen:
                label = offer.options[required].label if required in offer.options else required
                problems.append(
                    ContractProblem(
                        "options",
                        "option-requires",
                        f"l'option « {option.label} » exige l'option « {label} » {where}",
                    )
                )
        if option.named_users_more_than is not None and not (
            terms.named_users > option.named_users_more_than
        ):
            problems.append(
                ContractProblem(
                    "named_users",
                    "option-named-users",
                    f"l'option « {option.label} » exige plus de {option.named_users_more_than} "
                    f"utilisateurs nommés ({terms.named_users} au contrat) {where}",
                )
            )
        if option.formulas is not None and formula not in option.formulas:
            problems.append(
                ContractProblem(
                    "options",
                    "option-formula",
                    f"l'option « {option.label} » n'est proposée qu'avec les formules "
                    f"{', '.join(option.formulas)} {where}",
                )
            )
    return problems
