"""The domain, the constants module and the training data agree with each other."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain

from bot import constants as c
from bot.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def test_constants_name_what_the_domain_defines(domain: Domain) -> None:
    assert set(c.INTENTS) <= set(domain.intents)
    assert set(c.CUSTOM_ACTIONS) <= set(domain.user_actions)
    assert set(c.RESPONSES) <= set(domain.responses)
    assert set(c.SLOTS) <= {slot.name for slot in domain.slots}
    assert {*c.TERM_ENTITY_LABELS, c.ENTITY_TOPIC} <= set(domain.entities)


def test_no_response_remembers_the_disclaimer_by_hand(domain: Domain) -> None:
    # Medical answers come from actions, where code appends the disclaimer; responses stay non-medical.
    for name, variants in domain.responses.items():
        for variant in variants:
            assert "Sources:" not in (variant.get("text") or ""), name


def test_config_uses_the_projects_spacy_pipeline() -> None:
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    names = [component["name"] for component in config["pipeline"]]
    assert names[:5] == [
        "bot.nlp.rasa_components.MessageLengthGuard",
        "bot.rasa_patches.spacy_text.SpacyNLP",
        "SpacyTokenizer",
        "SpacyEntityExtractor",
        "bot.nlp.rasa_components.CanonicalEntityMapper",
    ]
    assert config["pipeline"][1]["model"] == "var/nlp/spasticity_en"
    assert "FallbackClassifier" in names
    # The safety net comes after every classifier, so nothing can override it.
    assert names[-1] == "bot.safety.rasa_component.SafetyNetClassifier"
    assert any(p["name"] == "RulePolicy" for p in config["policies"])
