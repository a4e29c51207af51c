"""Rasa NLU components of our own: canonical term ids, a length guard, and term features for DIET.

`CanonicalEntityMapper`: Rasa's `SpacyEntityExtractor` reports an entity's surface text ("Lioresal", "bac
pump"). Our entity ruler already knows the canonical id of every phrase (spaCy's `ent.ent_id_`), so this
component, placed after the extractor, replaces the value with that id. Actions and slots then see `baclofen`
or `baclofen-pump` whatever the person typed, and the original words stay in the message text.

`MessageLengthGuard` cuts pasted essays before NLU; `TermFeaturizer` tells DIET which words are our terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.constants import TERM_ENTITY_LABELS
from bot.nlp.terminology import WORD_LABEL

EXTRACTOR = "SpacyEntityExtractor"


def canonicalise(entities: list[dict[str, Any]], doc: Any) -> list[dict[str, Any]]:
    """Returns the entities with term values replaced by the ids from the spaCy doc's entities.

    Args:
        entities: Rasa's entity dicts for one message.
        doc: the spaCy doc of the (lower-cased) message, as `SpacyNLP` stores it.
    """
    if doc is None:
        return entities
    by_span = {(ent.start_char, ent.end_char): ent.ent_id_ for ent in doc.ents if ent.ent_id_}
    by_text = {ent.text.lower(): ent.ent_id_ for ent in doc.ents if ent.ent_id_}
    result = []
    for entity in entities:
        if entity.get("extractor") == EXTRACTOR and entity.get("entity") in TERM_ENTITY_LABELS:
            canonical = by_span.get((entity.get("start"), entity.get("end"))) or by_text.get(
                str(entity.get("value", "")).lower()
            )
            if canonical:
                entity = {**entity, "value": canonical}
                entity.setdefault("processors", []).append(CanonicalEntityMapper.__name__)
        result.append(entity)
    return result


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class CanonicalEntityMapper(GraphComponent):
    """Maps `SpacyEntityExtractor` values to the terminology's canonical ids."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CanonicalEntityMapper:
        """Creates the component; it has no state."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrites the term entities of each message."""
        for message in messages:
            entities = message.get(ENTITIES) or []
            if entities:
                message.set(ENTITIES, canonicalise(entities, message.get(SPACY_DOCS[TEXT])), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are annotated by hand, so there is nothing to map."""
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class MessageLengthGuard(GraphComponent):
    """Cuts a very long message to the length the bot reads, before any other NLU component sees it.

    Placed first in the pipeline. Without it one pasted 100 KB message costs DIET seconds of CPU per kilobyte
    and can fail outright, on every channel; the answering action reads only the first `MAX_MESSAGE_CHARS`
    characters anyway and tells the person so. Registered as a (non-trainable) entity extractor only because
    that is the kind of component Rasa's recipe runs in pipeline order without training it; it extracts nothing.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        """`max_chars: null` means the `MAX_MESSAGE_CHARS` setting."""
        return {"max_chars": None}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthGuard:
        """Creates the guard with the configured limit, or the bot's setting."""
        from bot.config import get_settings

        # One character more than the bot reads, so the answering action still sees that the message was cut
        # and tells the person.
        limit = config.get("max_chars") or get_settings().max_message_chars
        return cls(int(limit) + 1)

    def process(self, messages: list[Message]) -> list[Message]:
        """Shortens each message's text to the limit (whitespace first collapsed, as the action does)."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.limit:
                message.set(TEXT, " ".join(text.split())[: self.limit])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are short; nothing to do."""
        return training_data


# The labels TermFeaturizer marks, in a fixed order: the feature dimension must not change between training
# and serving. WORD terms are everyday words with a spasticity sense (food, drive, doctor): a weaker signal.
FEATURE_LABELS = (*TERM_ENTITY_LABELS, WORD_LABEL)


def term_features(doc: Any, tokens: list[Token]) -> tuple[scipy.sparse.coo_matrix, scipy.sparse.coo_matrix]:
    """Token and sentence features saying which tokens belong to a term of the terminology, and of which kind.

    Columns: one per label of `FEATURE_LABELS`, then "some term of the first three labels", then (sentence
    only) "no term at all". The last two give DIET what separates "what is diabetes" (no term: out of scope)
    from "what is dantrolene", and "does it hurt?" (a follow-up) from "does the pump hurt?" (a new question).

    Args:
        doc: the spaCy doc of the message, whose entities come from the terminology's entity ruler.
        tokens: Rasa's tokens of the same text (character offsets match the doc's).
    """
    width = len(FEATURE_LABELS) + 2
    sequence = np.zeros((len(tokens), width), dtype=np.float32)
    sentence = np.zeros((1, width), dtype=np.float32)
    spans = [(ent.start_char, ent.end_char, FEATURE_LABELS.index(ent.label_)) for ent in getattr(doc, "ents", ())
             if ent.label_ in FEATURE_LABELS]  # fmt: skip
    for index, token in enumerate(tokens):
        for start, end, column in spans:
            if token.start < end and token.end > start:
                sequence[index, column] = 1.0
                if column < len(TERM_ENTITY_LABELS):
                    sequence[index, len(FEATURE_LABELS)] = 1.0
    for _, _, column in spans:
        sentence[0, column] = 1.0
        if column < len(TERM_ENTITY_LABELS):
            sentence[0, len(FEATURE_LABELS)] = 1.0
    if not spans:
        sentence[0, width - 1] = 1.0
    return scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TermFeaturizer(SparseFeaturizer, GraphComponent):
    """Sparse features from the terminology: which words are therapies, conditions, symptoms or domain words.

    Word and character counts alone cannot tell a question about another illness ("how do I treat a
    migraine") from one about ours, or a follow-up ("how long does it last?") from a fresh question naming a
    therapy: what separates them is whether a term of ours is named. The spaCy pipeline's entity ruler already
    finds every term, typos and brand names included, so this featurizer passes that knowledge to DIET. It has
    no state: the features come from `content/terminology.yml` through the built pipeline.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs the spaCy doc (SpacyNLP) and Rasa's tokens."""
        return [SpacyNLP, Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Only the featurizer alias of Rasa's base class."""
        return {**SparseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TermFeaturizer:
        """Creates the featurizer; it has no state."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str) -> None:
        SparseFeaturizer.__init__(self, name, config)

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens or not message.get(TEXT):
            return
        sequence, sentence = term_features(message.get(SPACY_DOCS[TEXT]), tokens)
        self.add_features_to_message(sequence, sentence, TEXT, message)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the term features to each message."""
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the term features to every training example."""
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data
