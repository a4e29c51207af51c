"""`MessageLengthGuard` registered as an entity extractor so that Rasa's recipe runs it first, untrained.

**What.** Rasa 3.6's `DefaultV1Recipe` has no component type for a step that only rewrites the message. At
prediction it adds a node for each pipeline entry in order, but only for tokenizers and featurizers (which
also need a training node) and for intent classifiers and entity extractors; a non-trainable one of the latter
gets a plain `process` node after the previous entry (`DefaultV1Recipe._add_nlu_predict_nodes`). At training
such a component gets no node at all. `register_pipeline_step` registers a class that way: as a non-trainable
entity extractor that extracts nothing. The bot's `MessageLengthGuard` (bot/nlp/length_guard.py) is the
only one.

**Why.** The guard must cut a pasted essay before `SpacyNLP` and every other component sees it, and must not
run over the training examples (they are short, and cutting them would change the model).

**Measured.** A 100,000-character message through the bot's trained model (`Agent.parse_message`, development
machine): 50 ms with the guard (the same as a 1,000-character one), 20.7 s without it, while the Rasa server
answers nobody else; with the DIET classifier we used before, it failed outright. Contract:
`tests/test_rasa_patches.py::test_pipeline_step_*` (Rasa's recipe puts the guard's `process` before `SpacyNLP`
at prediction, and leaves it out of training).
"""

from __future__ import annotations

from typing import TypeVar

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

C = TypeVar("C", bound=type)


def register_pipeline_step(component: C) -> C:
    """Registers `component` so that it runs in pipeline order at prediction and not at all in training."""
    registered: C = DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)(
        component
    )
    return registered
