"""A Rasa NLU component that puts the safety net after intent classification, on every message.

Placed last in `config.yml`'s pipeline, after the intent classifiers, it runs the red-flag and dosing
detectors on the message text and overrides whatever intent was predicted, so a misread intent (or a low
confidence fallback) can never hide an emergency or let a dosing request reach the answering path:

- a red flag sets the intent to `emergency` with confidence 1.0 (emergency wins over dosing);
- otherwise a personal dosing request sets it to `ask_dosing`;
- a classifier's `ask_dosing` that the detectors do not confirm is NOT kept either (`trust_classifier_dosing`,
  default false): measured on the multi-turn evaluation, the classifier of the time (DIET) refused one ordinary
  medicine question in four of a set written to probe it ("can i fly with my baclofen pump", "is botox safe for
  kids", "how long does one dose of baclofen take to work"), while the dosing detector alone refuses every
  request of every dosing set (tests/test_dosing.py). A patient told "I can't advise on your medicine" for an
  ordinary question stops asking (issue 12);
- a classifier's `emergency` that the detectors do not confirm is NOT kept (`trust_classifier_emergency`,
  default false) and becomes `ask_question`: measured end to end, the classifier of the time (DIET) sent 22% of
  near-misses and a quarter of ordinary first-person questions ("ankles all puffy since gabapentin", confidence
  0.99) to the emergency reply, while the detectors alone caught every emergency of the test sets and of the
  evaluation set. Its next-best intent is no better (often `goodbye` or `thanks` at 0.01), so the question is
  answered from the library instead, where retrieval decides. `trust_classifier: true|false` sets both at once.

The verdict is stored in the parse data under `safety` (`{"red_flag": "pump-alarm", "dosing": null, ...}`),
which reaches the actions as `tracker.latest_message["safety"]`, so the emergency reply can pick the right
safety passage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.constants import INTENT_ASK_DOSING, INTENT_ASK_QUESTION, INTENT_EMERGENCY
from bot.safety import SAFETY_KEY, SafetyNet, Verdict

logger = logging.getLogger(__name__)

OVERRIDDEN_FROM = "overridden_from"
SAFETY_INTENTS = (INTENT_EMERGENCY, INTENT_ASK_DOSING)


def override_intent(data: dict[str, Any], intent: str) -> None:
    """Makes `intent` the prediction with confidence 1.0 and moves it to the top of the ranking."""
    chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in data.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != intent]
    data[INTENT] = chosen
    data[INTENT_RANKING_KEY] = [dict(chosen), *ranking]


def apply_verdict(
    message: Message,
    verdict: Verdict,
    trust_classifier: bool | None = None,
    *,
    trust_emergency: bool = False,
    trust_dosing: bool = False,
) -> str | None:
    """Overrides the message's intent according to the verdict; returns the intent it replaced, if any.

    Args:
        message: the message after intent classification.
        verdict: what the safety net found.
        trust_classifier: when given, sets both `trust_emergency` and `trust_dosing`.
        trust_emergency: keep a classifier's `emergency` that the verdict does not confirm.
        trust_dosing: keep a classifier's `ask_dosing` that the verdict does not confirm.
    """
    if trust_classifier is not None:
        trust_emergency = trust_dosing = trust_classifier
    predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    trusted = {INTENT_EMERGENCY: trust_emergency, INTENT_ASK_DOSING: trust_dosing}
    if verdict.is_emergency:
        target = INTENT_EMERGENCY
    elif verdict.is_dosing and (predicted != INTENT_EMERGENCY or not trust_emergency):
        target = INTENT_ASK_DOSING
    elif predicted in SAFETY_INTENTS and not trusted[str(predicted)]:
        confidence = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        message.data[INTENT] = {INTENT_NAME_KEY: INTENT_ASK_QUESTION, PREDICTED_CONFIDENCE_KEY: confidence}
        rest = [
            r
            for r in message.data.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) not in (*SAFETY_INTENTS, INTENT_ASK_QUESTION)
        ]
        message.data[INTENT_RANKING_KEY] = [dict(message.data[INTENT]), *rest]
        return str(predicted)
    else:
        return None
    if predicted == target:
        override_intent(message.data, target)  # same intent, but certain now
        return None
    override_intent(message.data, target)
    return str(predicted)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNetClassifier(GraphComponent):
    """Overrides the predicted intent with `emergency` or `ask_dosing` when the safety net says so."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`nlp_dir`: the spaCy pipeline folder (empty: the project setting `NLP_MODEL_DIR`).

        `trust_classifier_emergency` / `trust_classifier_dosing`: keep the classifier's `emergency` /
        `ask_dosing` when the detectors do not confirm them (see the module docstring for why the defaults
        differ); `trust_classifier` sets both.
        """
        return {"nlp_dir": "", "trust_classifier_emergency": False, "trust_classifier_dosing": False}

    def __init__(self, config: dict[str, Any], net: SafetyNet | None = None) -> None:
        """Keeps the config; `net` lets tests pass a safety net built from the terminology file."""
        self._config = config
        self._net = net

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNetClassifier:
        """Creates the component; the pipeline is loaded on the first message."""
        return cls(config)

    @property
    def net(self) -> SafetyNet:
        """The safety net over the project's own spaCy pipeline (loaded once per process)."""
        if self._net is None:
            from bot.config import get_settings
            from bot.nlp.pipeline import load_pipeline

            folder = self._config.get("nlp_dir") or get_settings().nlp_dir
            self._net = SafetyNet(load_pipeline(str(Path(folder))))
        return self._net

    def process(self, messages: list[Message]) -> list[Message]:
        """Checks each message and overrides its intent when it is an emergency or a dosing request."""
        for message in messages:
            verdict = self.net.check(message.get(TEXT) or "")
            both = self._config.get("trust_classifier")
            replaced = apply_verdict(
                message,
                verdict,
                None if both is None else bool(both),
                trust_emergency=bool(self._config.get("trust_classifier_emergency", False)),
                trust_dosing=bool(self._config.get("trust_classifier_dosing", False)),
            )
            data = verdict.as_parse_data()
            if replaced is not None:
                data[OVERRIDDEN_FROM] = replaced
                logger.info("Safety net: %s -> %s (%s)", replaced, message.get(INTENT)[INTENT_NAME_KEY], data)
            message.set(SAFETY_KEY, data, add_to_output=True)
        return messages
