"""`BlankSafeLogisticRegressionClassifier`: Rasa's logistic regression, but no intent for a message without words."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack

from bot.text import has_words

logger = logging.getLogger(__name__)

# What the trained classifier is: its weights, intercepts and intent names, as plain arrays (no pickle).
FITTED = ("coef_", "intercept_", "classes_", "n_iter_")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class BlankSafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's `LogisticRegressionClassifier`, except that a message without words gets no intent.

    A message of only spaces or tabs has no tokens, so no featurizer gives it features, and Rasa 3.6's
    classifier then stacks an empty row and fails the whole pipeline: the person hears nothing (seen over
    Socket.IO, where a blank message reaches NLU). A message of only symbols, emoji or punctuation ("!!!",
    "🙂🙂🙂", "?") has features from its characters, and the classifier read it as a goodbye. Either gets an
    empty intent with confidence 0 here; the FallbackClassifier after it turns that into `nlu_fallback`, and the
    bot asks what the person wants (the clarification), never says goodbye or answers.

    The classifier's input row is built from the sentence features alone (`_create_X`). Rasa's own builds it
    with `Message.get_sparse_features`, which also copies and joins every featurizer's per-token matrices (the
    character n-grams of each word), only to drop them: that, done twice a message, was 7% of the Rasa server's
    CPU (py-spy, 2026-12-07). The row is the same matrix, in the same column order
    (`tests/test_nlp.py::test_classifier_row_is_rasas`).

    The trained classifier is stored as its arrays in a NumPy file (`persist`, `load`), read without pickle.
    Rasa stores it with skops, whose load checks the file's types against a list it builds by importing every
    scikit-learn estimator: 7 of a Rasa server's 15 s of start-up (`make bench-startup`, 2026-12-07). The
    loaded classifier is the same `LogisticRegression` with the same fitted arrays, so it gives the same
    probabilities (`tests/test_nlp.py::test_classifier_loads_*`); a model trained before, with only Rasa's
    skops file, still loads Rasa's way.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Classifies the messages that have words and features; the others get no intent."""
        featured = []
        for message in messages:
            featureless = not _sentence_features(message)
            if featureless or not has_words(message.get(TEXT)):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            else:
                featured.append(message)
        if featured:
            super().process(featured)
        return messages

    def persist(self) -> None:
        """Stores the fitted arrays in `<resource>.npz` (strings as Unicode arrays, so no pickle is needed)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            arrays = {name: np.asarray(getattr(self.clf, name)) for name in FITTED}
            arrays["classes_"] = arrays["classes_"].astype(str)
            np.savez(model_dir / f"{self._resource.name}.npz", **arrays)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> BlankSafeLogisticRegressionClassifier:
        """The classifier Rasa's constructor makes from `config`, given the stored arrays.

        A model without the NumPy file (trained before it existed) loads Rasa's way, from its skops file; a
        resource that does not exist gives an untrained classifier, as Rasa's `load` does.
        """
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.npz"
                if not path.is_file():
                    loaded: BlankSafeLogisticRegressionClassifier = super().load(
                        config, model_storage, resource, execution_context, **kwargs
                    )
                    return loaded
                component = cls(config, execution_context.node_name, model_storage, resource)
                with np.load(path, allow_pickle=False) as arrays:
                    for name in FITTED:
                        setattr(component.clf, name, arrays[name])
                component.clf.n_features_in_ = component.clf.coef_.shape[1]
                return component
        except ValueError:
            logger.debug("No stored intent classifier in resource %r: starting untrained", resource.name)
            return cls.create(config, model_storage, resource, execution_context)

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        """Rasa's classifier input, one row a message: its sparse sentence features, then its dense ones.

        Rasa joins the sparse matrices one pair at a time and then the dense vectors, in the order the
        featurizers ran; the row here is the same matrices side by side in the same order, built from their
        entries directly (`_row`), which costs a tenth of SciPy's `hstack` for the one row of a message.
        """
        rows = [_row(_sentence_features(message)) for message in messages]
        return rows[0] if len(rows) == 1 else vstack(rows, format="csr")


def _row(features: list[Features]) -> csr_matrix:
    """One message's sparse sentence features side by side, then its dense ones, as a 1-row CSR matrix."""
    sparse = [f.features for f in features if f.is_sparse()]
    dense = [f.features for f in features if f.is_dense()]
    if dense:
        sparse.append(csr_matrix(np.concatenate(dense, axis=-1)))
    if any(matrix.shape[0] != 1 for matrix in sparse):  # not one row each: SciPy's way
        return hstack([*sparse] if sparse else [csr_matrix([])], format="csr")
    data, columns, offset = [], [], 0
    for matrix in sparse:
        entries = matrix.tocoo()
        data.append(entries.data)
        columns.append(entries.col.astype(np.int32) + offset)
        offset += matrix.shape[1]
    values = np.concatenate(data) if data else np.zeros(0)
    indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
    order = np.argsort(indices, kind="stable")
    return csr_matrix((values[order], indices[order], np.array([0, len(values)])), shape=(1, offset))


def _sentence_features(message: Message) -> list[Features]:
    """The message's sentence-level features of its text, sparse and dense, in the order they were added."""
    return [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
