"""`CanonicalEntityMapper`: the entities Rasa's `SpacyEntityExtractor` found, with the terminology's canonical ids.

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
