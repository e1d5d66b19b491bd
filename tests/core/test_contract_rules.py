"""OFF-3, CTR-4: contract terms the offer forbids are refused with the rule broken."""

from __future__ import annotations

import pytest

from livret.core.contract import ContractTerms, contract_problems
from livret.core.offer import load_preset

ACCEPTANCE = ("personalised-update", "acceptance-environment")

# (offer, formula, options, named users, territory, expected rule ids)
CASES = [
    ("quadra-entreprise", None, (), 10, "metropole", []),
    ("quadra-entreprise", None, (), 10, "6AE", []),  # Alsace is metropolitan France
    ("quadra-entreprise", None, (), 10, "972", ["territory-not-sold"]),  # Q art. 4
    ("expert-on-demand", "private", (), 10, "974", ["territory-not-sold"]),  # E art. 4
    ("carrus-saas", None, (), 10, "972", []),  # S §4: also DOM-TOM
    ("carrus-saas", None, (), 10, "atlantis", ["unknown-territory"]),
    ("expert-on-demand", "gold", (), 10, "metropole", ["unknown-formula"]),
    ("expert-on-demand", "private", ACCEPTANCE, 301, "metropole", []),
    ("expert-on-demand", "private", ACCEPTANCE, 300, "metropole", ["option-named-users"]),
    (
        "expert-on-demand",
        "open",
        ("acceptance-environment",),
        400,
        "metropole",
        ["option-requires"],
    ),
    ("quadra-entreprise", None, ("pra-pca",), 10, "metropole", ["unknown-option"]),
]


@pytest.mark.parametrize(("offer_id", "formula", "options", "users", "territory", "rules"), CASES)
def test_it_applies_the_offer_rules(offer_id, formula, options, users, territory, rules) -> None:
    offer = load_preset(offer_id).offer
    problems = contract_problems(offer, ContractTerms(formula, options, users, territory))
    assert sorted(p.rule for p in problems) == sorted(rules)
    for problem in problems:
        assert problem.message and problem.field in {
            "formula",
            "options",
            "named_users",
            "territory",
        }


def test_it_names_the_seed_section_in_the_acceptance_environment_refusal() -> None:
    offer = load_preset("expert-on-demand").offer
    [problem] = contract_problems(offer, ContractTerms("private", ACCEPTANCE, 120, "metropole"))
    assert "plus de 300 utilisateurs nommés" in problem.message
    assert "120" in problem.message
