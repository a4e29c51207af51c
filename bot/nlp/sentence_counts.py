"""Rasa's `CountVectorsFeaturizer` giving only the sentence features, the only ones the intent classifier reads.

Rasa's featurizer counts every message twice: once per token (sequence features, for classifiers that read
token by token, such as DIET and TED) and once for the whole text (sentence features). The intent classifier
here (`bot.nlp.blank_safe_classifier`) reads sentence features alone, and nothing else in the pipeline or
the policies reads the per-token counts, so they were computed for every message, and during training, only
to be dropped: half of this featurizer's work, about 4% of the Rasa server's CPU per message under load
(py-spy, 2026-12-07). The vocabulary, training and the sentence counts are Rasa's own code; only the per-token
transform is left out, so a model trained with this featurizer predicts exactly what one trained with Rasa's
does (`tests/test_nlp.py::test_sentence_counts_*`).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """`CountVectorsFeaturizer` (same options) that adds sentence features and no sequence features."""

    def _create_features(self, attribute: str, all_tokens: list[list[str]]) -> tuple[list[Any], list[Any]]:
        """Rasa's sentence features of each message's tokens; None for its sequence features."""
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [None], [None]
        sentences: list[Any] = []
        for tokens in all_tokens:
            if not tokens or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentences.append(None)
                continue
            vector = vectorizer.transform([" ".join(tokens)])
            vector.sort_indices()
            sentences.append(vector.tocoo())
        return [None] * len(all_tokens), sentences
