"""A Rasa NLU component that puts the safety net after intent classification, on every message.

Placed last in `config.yml`'s pipeline, after the intent classifiers, it runs the red-flag and dosing
detectors on the message text and overrides whatever intent was predicted, so a misread intent (or a low
confidence fallback) can never hide an emergency or let a dosing request reach the answering path. The rules
are the safety step of the dialogue decision, `bot.decision.decide`; this component applies its intent to Rasa's
message and ranking:

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
from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.decision import SAFETY_INTENTS, Nlu, Trust, decide
from bot.safety import SAFETY_KEY, SafetyNet, Verdict
from bot.safety.matching import detector_text

if TYPE_CHECKING:
    from spacy.tokens import Doc

logger = logging.getLogger(__name__)

OVERRIDDEN_FROM = "overridden_from"


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
    """Sets the message's intent to what `bot.decision.decide` makes of it; returns the intent it replaced, if any.

    Args:
        message: the message after intent classification.
        verdict: what the safety net found.
        trust_classifier: when given, sets both `trust_emergency` and `trust_dosing`.
        trust_emergency: keep a classifier's `emergency` that the verdict does not confirm.
        trust_dosing: keep a classifier's `ask_dosing` that the verdict does not confirm.
    """
    if trust_classifier is not None:
        trust_emergency = trust_dosing = trust_classifier
    predicted = message.get(INTENT) or {}
    nlu = Nlu(
        predicted.get(INTENT_NAME_KEY),
        float(predicted.get(PREDICTED_CONFIDENCE_KEY) or 0.0),
        red_flag=verdict.is_emergency,
        dosing=verdict.dosing is not None,
    )
    decision = decide(nlu, message.get(TEXT) or "", trust=Trust(trust_emergency, trust_dosing))
    if decision.by_safety:
        override_intent(message.data, str(decision.intent))  # also when it was the prediction: certain now
    elif decision.replaced is not None:
        # An unconfirmed emergency or dosing request: a question, with the classifier's confidence, and neither
        # safety intent left in the ranking.
        message.data[INTENT] = {INTENT_NAME_KEY: decision.intent, PREDICTED_CONFIDENCE_KEY: decision.confidence}
        rest = [
            r
            for r in message.data.get(INTENT_RANKING_KEY) or []
            if r.get(INTENT_NAME_KEY) not in (*SAFETY_INTENTS, decision.intent)
        ]
        message.data[INTENT_RANKING_KEY] = [dict(message.data[INTENT]), *rest]
    return decision.replaced


def verdict_for(net: SafetyNet, text: str, doc: Doc | None = None) -> Verdict:
    """`net.check(text)`, reading `doc` (Rasa's `SpacyNLP` doc of the message) instead of a new parse when it can.

    The detectors read the normalised text (lower case, accents folded, quotes straightened, spaces collapsed,
    "mix up" as "muddle", repeats read twice: `detector_text`), and the bot's `SpacyNLP`
    (`bot.rasa_patches.spacy_text`) parses that very text, so in the Rasa server the doc is always reused and
    each message is parsed once. The check stays for a doc of another text (Rasa's own `SpacyNLP` lower-cases
    only; reading its doc regardless would change 173 of the 672 Spanish safety-set verdicts) or of another
    pipeline: then the normalised text is parsed as the net would. Measured by `python -m bench.nlu_passes`.
    """
    if not text or not text.strip():
        return Verdict()
    normalised = detector_text(text)
    if doc is None or doc.vocab is not net.nlp.vocab or doc.text != normalised:
        doc = net.nlp(normalised)
    return Verdict(net.red_flags.detect_doc(doc), net.dosing.detect_doc(doc))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP")
class SafetyNetClassifier(GraphComponent):
    """Overrides the predicted intent with `emergency` or `ask_dosing` when the safety net says so.

    It reads the spaCy doc `SpacyNLP` already made of the message (`verdict_for`), with its detectors compiled
    against that same loaded pipeline (`model_from="SpacyNLP"`): one spaCy pass and one copy of the pipeline
    per Rasa server, instead of two of each.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`nlp_dir`: the spaCy pipeline folder when no `SpacyNLP` model is given (empty: `NLP_MODEL_DIR`).

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
        """Creates the component; the detectors are compiled on the first message."""
        return cls(config)

    def net_for(self, model: SpacyModel | None = None) -> SafetyNet:
        """The safety net over `SpacyNLP`'s pipeline, or over the project's own when there is none (tests)."""
        if self._net is None:
            if model is not None:
                self._net = SafetyNet(model.model)
            else:
                from bot.config import get_settings
                from bot.nlp.pipeline import load_pipeline

                folder = self._config.get("nlp_dir") or get_settings().nlp_dir
                self._net = SafetyNet(load_pipeline(str(Path(folder))))
        return self._net

    @property
    def net(self) -> SafetyNet:
        """The safety net (loaded once per process)."""
        return self.net_for()

    def process(self, messages: list[Message], model: SpacyModel | None = None) -> list[Message]:
        """Checks each message and overrides its intent when it is an emergency or a dosing request.

        Args:
            messages: the messages after intent classification.
            model: `SpacyNLP`'s loaded pipeline (None for a model trained before the component asked for it,
                and in tests: the component then loads the pipeline itself).
        """
        net = self.net_for(model)
        for message in messages:
            verdict = verdict_for(net, message.get(TEXT) or "", message.get(SPACY_DOCS[TEXT]))
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
