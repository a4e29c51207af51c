"""Rasa NLU components of our own: canonical term ids, a length guard, term features, a blank-safe classifier.

`CanonicalEntityMapper`: Rasa's `SpacyEntityExtractor` reports an entity's surface text ("Lioresal", "bac
pump"). Our entity ruler already knows the canonical id of every phrase (spaCy's `ent.ent_id_`), so this
component, placed after the extractor, replaces the value with that id. Actions and slots then see `baclofen`
or `baclofen-pump` whatever the person typed, and the original words stay in the message text.

`MessageLengthGuard` cuts pasted essays before NLU; `TermFeaturizer` tells the intent classifier which words
are our terms and which the content library uses; `BlankSafeLogisticRegressionClassifier` survives blank text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.constants import (
    INTENT_ACKNOWLEDGE,
    INTENT_ASK_FOLLOWUP,
    INTENT_ASK_QUESTION,
    INTENT_ASK_TOPIC,
    INTENT_BOT_CHALLENGE,
    INTENT_FEEDBACK_HELPFUL,
    INTENT_FEEDBACK_NOT_HELPFUL,
    INTENT_GOODBYE,
    INTENT_OUT_OF_SCOPE,
    TERM_ENTITY_LABELS,
)
from bot.language import explicit_choice
from bot.nlp.moves import MOVE_KEY, MoveKind, asks_something, read_move
from bot.nlp.terminology import WORD_LABEL
from bot.rasa_patches.pipeline_step import register_pipeline_step
from bot.safety.rasa_component import override_intent
from bot.text import PHRASES, SPACED, clip, has_words, normalise

logger = logging.getLogger(__name__)

# Intents that ask the bot something, in the order they are preferred when a goodbye was misread.
ASKING_INTENTS = (INTENT_ASK_FOLLOWUP, INTENT_ASK_QUESTION, INTENT_ASK_TOPIC, INTENT_OUT_OF_SCOPE)

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


@register_pipeline_step
class MessageLengthGuard(GraphComponent):
    """Cuts a very long message to the length the bot reads, before any other NLU component sees it.

    Placed first in the pipeline. Without it every NLU component reads a pasted 100 KB message whole, on every
    channel; the answering action reads only the first `MAX_MESSAGE_CHARS` characters anyway and tells the
    person so. Registered with `register_pipeline_step` (bot/rasa_patches/pipeline_step.py says how and why).
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
                message.set(TEXT, clip(normalise(text, SPACED), self.limit)[0])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are short; nothing to do."""
        return training_data


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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class BlankSafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's `LogisticRegressionClassifier`, except that a message without words gets no intent.

    A message of only spaces or tabs has no tokens, so no featurizer gives it features, and Rasa 3.6's
    classifier then stacks an empty row and fails the whole pipeline: the person hears nothing (seen over
    Socket.IO, where a blank message reaches NLU). A message of only symbols, emoji or punctuation ("!!!",
    "🙂🙂🙂", "?") has features from its characters, and the classifier read it as a goodbye. Either gets an
    empty intent with confidence 0 here; the FallbackClassifier after it turns that into `nlu_fallback`, and the
    bot asks what the person wants (the clarification), never says goodbye or answers.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Classifies the messages that have words and features; the others get no intent."""
        featured = []
        for message in messages:
            featureless = message.get_sparse_features(TEXT)[1] is None and message.get_dense_features(TEXT)[1] is None
            if featureless or not has_words(message.get(TEXT)):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            else:
                featured.append(message)
        if featured:
            super().process(featured)
        return messages


# "are you a bot?" names who it is talking to; "is there a cure" does not.
BOT_WORDS = re.compile(
    r"\b(?:bot|robot|chatbot|human|person|people|real|ai|machine|computer|automated|program|chatgpt|someone"
    r"|somebody|anyone|nurse|doctor|who are you|what are you|who am i)\b"
)


def misread_small_talk(predicted: str, text: str) -> bool:
    """Whether the classifier's small-talk intent cannot be right for this message (see the component)."""
    if predicted == INTENT_ACKNOWLEDGE:
        return True  # only the phrases acknowledge: the classifier also said it to "see you around", "ok ta"
    if predicted in (INTENT_GOODBYE, INTENT_FEEDBACK_HELPFUL, INTENT_FEEDBACK_NOT_HELPFUL):
        return asks_something(text)
    if predicted == INTENT_BOT_CHALLENGE:
        return BOT_WORDS.search(normalise(text, PHRASES)) is None
    return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ConversationMoveClassifier(GraphComponent):
    """Reads conversational moves ("ok", "go on", "the first one") that the classifier cannot (bot.nlp.moves).

    Placed after the FallbackClassifier and before the safety net, so an emergency or a dosing request still
    wins. An acknowledgement becomes `acknowledge`; a request for more, or a pointer back at the last answer's
    list, becomes `ask_followup`. The move itself travels in the parse data under `move`, where the answering
    action reads it.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ConversationMoveClassifier:
        """Creates the component; it has nothing to train or load."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of each message that is a conversational move and records the move.

        The other way round, a question is never small talk: the classifier said goodbye to "and at night?",
        acknowledged "and saunas", took "who shouldnt use it" for a vote and "is there a cure" for "are you a
        bot?" (few words, one of them in a small-talk example). Such a message gets the classifier's best
        intent that asks something instead (`misread_small_talk`).
        """
        for message in messages:
            text = message.get(TEXT) or ""
            if explicit_choice(text):
                # "español", "english please": the language action sets it, the answering action confirms it
                # with the topics (a request for the menu, in effect; the classifier said goodbye).
                override_intent(message.data, INTENT_ASK_TOPIC)
                continue
            move = read_move(text)
            if move is None:
                predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
                if misread_small_talk(str(predicted), text):
                    self._demote(message)
                continue
            acknowledged = move.kind == MoveKind.ACKNOWLEDGE
            override_intent(message.data, INTENT_ACKNOWLEDGE if acknowledged else INTENT_ASK_FOLLOWUP)
            message.set(MOVE_KEY, move.as_parse_data(), add_to_output=True)
        return messages

    @staticmethod
    def _demote(message: Message) -> None:
        """Replaces the predicted intent with the best ranked one that fits.

        A question gets the best intent that asks something (a question by default); an acknowledgement the
        phrases do not know gets the classifier's next choice ("see you around": goodbye).
        """
        ranking = message.get(INTENT_RANKING_KEY) or []
        predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        text = message.get(TEXT) or ""
        if predicted == INTENT_ACKNOWLEDGE and not asks_something(text):
            allowed: tuple[str, ...] = tuple(
                str(r.get(INTENT_NAME_KEY)) for r in ranking if r.get(INTENT_NAME_KEY) != INTENT_ACKNOWLEDGE
            )
        else:
            allowed = ASKING_INTENTS
        best = next((dict(r) for r in ranking if r.get(INTENT_NAME_KEY) in allowed), None)
        chosen = best or {INTENT_NAME_KEY: INTENT_ASK_QUESTION, PREDICTED_CONFIDENCE_KEY: 0.0}
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != chosen[INTENT_NAME_KEY]]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(chosen), *rest], add_to_output=True)
