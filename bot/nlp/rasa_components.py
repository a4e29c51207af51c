"""A Rasa NLU component that gives term entities their canonical ids.

Rasa's `SpacyEntityExtractor` reports an entity's surface text ("Lioresal", "bac pump"). Our entity ruler
already knows the canonical id of every phrase (spaCy's `ent.ent_id_`), so this component, placed after the
extractor, replaces the value with that id. Actions and slots then see `baclofen` or `baclofen-pump` whatever
the person typed, and the original words stay in the message text.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.constants import TERM_ENTITY_LABELS

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
