"""The bot's own Rasa NLU components, by the names `config.yml` gives them (`bot.nlp.rasa_components.<Class>`).

Each lives in a module of its own; this module only gathers them, so that the names in `config.yml` (and in
models trained before the split) keep resolving. In pipeline order:

- `MessageLengthGuard` (`bot.nlp.length_guard`): cuts a pasted essay to `MAX_MESSAGE_CHARS` before any NLU;
- `CanonicalEntityMapper` (`bot.nlp.canonical_entities`): "Lioresal" -> `baclofen`, the terminology's ids;
- `TermFeaturizer` (`bot.nlp.term_featurizer`): which words are our terms and which the library uses;
- `SentenceCountVectorsFeaturizer` (`bot.nlp.sentence_counts`): Rasa's word and character counts, for the
  whole message only (the classifier reads nothing else);
- `BlankSafeLogisticRegressionClassifier` (`bot.nlp.blank_safe_classifier`): no intent for a blank message;
- `ConversationMoveClassifier` (`bot.nlp.move_classifier`): "ok", "go on", "the first one".

The safety net that runs last is `bot.safety.rasa_component.SafetyNetClassifier`. `bot/training.py`
fingerprints this module and each of the six (`COMPONENT_MODULES`): a change to any of them retrains.
"""

from __future__ import annotations

from bot.nlp.blank_safe_classifier import BlankSafeLogisticRegressionClassifier
from bot.nlp.canonical_entities import CanonicalEntityMapper
from bot.nlp.length_guard import MessageLengthGuard
from bot.nlp.move_classifier import ConversationMoveClassifier
from bot.nlp.sentence_counts import SentenceCountVectorsFeaturizer
from bot.nlp.term_featurizer import TermFeaturizer

__all__ = [
    "BlankSafeLogisticRegressionClassifier",
    "CanonicalEntityMapper",
    "ConversationMoveClassifier",
    "MessageLengthGuard",
    "SentenceCountVectorsFeaturizer",
    "TermFeaturizer",
]
