"""`TermFeaturizer`: tells the intent classifier which words are our terms and which the content library uses."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
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
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.constants import TERM_ENTITY_LABELS
from bot.nlp.terminology import WORD_LABEL

logger = logging.getLogger(__name__)


# The labels TermFeaturizer marks, in a fixed order: the feature dimension must not change between training
# and serving. WORD terms are everyday words with a spasticity sense (food, drive, doctor): a weaker signal.
FEATURE_LABELS = (*TERM_ENTITY_LABELS, WORD_LABEL)
# Columns after the labels: some core term; no term at all; a word of the library; a word the library never
# uses; the share of the message's words the library uses; every word is the library's.
COL_CORE = len(FEATURE_LABELS)
COL_NO_TERM = COL_CORE + 1
COL_KNOWN = COL_CORE + 2
COL_UNKNOWN = COL_CORE + 3
COL_SHARE_KNOWN = COL_CORE + 4
COL_ALL_KNOWN = COL_CORE + 5
WIDTH = COL_CORE + 6
VOCABULARY_FILE = "vocabulary.json"


def content_word(token: Any) -> str | None:
    """The lemma that stands for a spaCy token in the vocabulary, or None for stop words, numbers, punctuation."""
    if not token.is_alpha or token.is_stop:
        return None
    return str(token.lemma_ or token.lower_).lower()


def library_vocabulary(nlp: Any, texts: Iterable[str]) -> frozenset[str]:
    """The lemmas of every content word in the texts (the library's passages, titles and lay questions)."""
    words: set[str] = set()
    for doc in nlp.pipe(t.lower() for t in texts):
        words.update(w for w in (content_word(t) for t in doc) if w)
    return frozenset(words)


def term_features(
    doc: Any, tokens: list[Token], vocabulary: frozenset[str] = frozenset()
) -> tuple[scipy.sparse.coo_matrix, scipy.sparse.coo_matrix]:
    """Token and sentence features: which tokens are terms of ours, of which kind, and which words the library uses.

    Columns (`WIDTH`): one per label of `FEATURE_LABELS`; "some term of the first three labels"; "no term at
    all" (sentence only); "a word of the library" / "a word the library never uses" (per token, and in the
    sentence row whether there is any); the share of the message's words the library uses; "every word is the
    library's". The terms separate "what is dantrolene" from "what is gout" and "does it hurt?" (a follow-up)
    from "does the pump hurt?"; the vocabulary separates "what are the downsides" (words the library uses) from
    "what time is sunset" (words it never uses), which terms alone cannot.

    Args:
        doc: the spaCy doc of the message, whose entities come from the terminology's entity ruler.
        tokens: Rasa's tokens of the same text (character offsets match the doc's).
        vocabulary: the library's words (`library_vocabulary`); empty leaves the vocabulary columns unset.
    """
    sequence = np.zeros((len(tokens), WIDTH), dtype=np.float32)
    sentence = np.zeros((1, WIDTH), dtype=np.float32)
    spans = [(ent.start_char, ent.end_char, FEATURE_LABELS.index(ent.label_)) for ent in getattr(doc, "ents", ())
             if ent.label_ in FEATURE_LABELS]  # fmt: skip
    words: list[tuple[int, int, bool]] = []  # (start, end, known) of each content word
    for spacy_token in doc if doc is not None else ():
        word = content_word(spacy_token)
        if word and vocabulary:
            start = spacy_token.idx
            in_term = any(s <= start < e for s, e, _ in spans)
            words.append((start, start + len(spacy_token.text), in_term or word in vocabulary))
    for index, token in enumerate(tokens):
        for start, end, column in spans:
            if token.start < end and token.end > start:
                sequence[index, column] = 1.0
                if column < len(TERM_ENTITY_LABELS):
                    sequence[index, COL_CORE] = 1.0
        for start, end, known in words:
            if token.start < end and token.end > start:
                sequence[index, COL_KNOWN if known else COL_UNKNOWN] = 1.0
    for _, _, column in spans:
        sentence[0, column] = 1.0
        if column < len(TERM_ENTITY_LABELS):
            sentence[0, COL_CORE] = 1.0
    if not spans:
        sentence[0, COL_NO_TERM] = 1.0
    if words:
        known_count = sum(1 for _, _, k in words if k)
        sentence[0, COL_KNOWN] = float(known_count > 0)
        sentence[0, COL_UNKNOWN] = float(known_count < len(words))
        sentence[0, COL_SHARE_KNOWN] = known_count / len(words)
        sentence[0, COL_ALL_KNOWN] = float(known_count == len(words))
    return scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class TermFeaturizer(SparseFeaturizer, GraphComponent):
    """Sparse features from our terminology and from the words of our content library.

    Word and character counts alone cannot tell a question about another illness ("how do I treat a
    migraine") from one about ours, or a follow-up ("what are the downsides?") from small talk ("what time is
    it?"): what separates them is whether the message names a term of ours and uses the library's words. The
    spaCy pipeline's entity ruler already finds every term (typos and brand names included); the library's
    vocabulary is read from the content folder when the model is trained and stored in the model, so the
    served model always sees the same vocabulary it was trained with. `make train` retrains when the content
    changes (bot/training.py fingerprints the passages).
    """

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        SparseFeaturizer.__init__(self, name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs the spaCy doc (SpacyNLP) and Rasa's tokens."""
        return [SpacyNLP, Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """`content_dir`: the content library to read the vocabulary from (empty: the `CONTENT_DIR` setting)."""
        return {**SparseFeaturizer.get_default_config(), "content_dir": ""}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: an unreadable content folder fails the training with its own message."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TermFeaturizer:
        """Creates an untrained featurizer (no vocabulary yet)."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TermFeaturizer:
        """Loads the featurizer with the vocabulary stored in the model."""
        vocabulary: frozenset[str] = frozenset()
        try:
            with model_storage.read_from(resource) as folder:
                vocabulary = frozenset(json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8")))
        except (ValueError, OSError):
            logger.warning("TermFeaturizer: no vocabulary in the model; the vocabulary features stay unset.")
        return cls(
            {**cls.get_default_config(), **config}, execution_context.node_name, model_storage, resource, vocabulary
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Reads the library's vocabulary from the content folder and stores it in the model."""
        from bot.config import get_settings
        from bot.content.loader import load_bundle
        from bot.nlp.pipeline import load_pipeline

        settings = get_settings()
        content_dir = Path(self._config.get("content_dir") or settings.content_dir)
        bundle = load_bundle(content_dir)
        texts = [t for p in bundle.passages.values() for t in (p.title, p.text, *p.questions)]
        self.vocabulary = library_vocabulary(load_pipeline(str(settings.nlp_dir)), texts)
        with self._model_storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(json.dumps(sorted(self.vocabulary)), encoding="utf-8")
        return self._resource

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens or not message.get(TEXT):
            return
        sequence, sentence = term_features(message.get(SPACY_DOCS[TEXT]), tokens, self.vocabulary)
        self.add_features_to_message(sequence, sentence, TEXT, message)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the features to each message."""
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the features to every training example."""
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data
