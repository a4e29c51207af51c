"""The spaCy pipeline: terminology entities with canonical ids, lemmas, and the build on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.nlp.pipeline import TextAnalyser, build_pipeline, load_pipeline, save_pipeline
from bot.nlp.terminology import Term, TerminologyError, entity_patterns, parse_terms


@pytest.mark.parametrize(
    ("text", "label", "term_id"),
    [
        ("Is Lioresal making me sleepy?", "THERAPY", "baclofen"),
        ("my BAC PUMP is beeping", "THERAPY", "baclofen-pump"),
        ("how long do botox shots last", "THERAPY", "botulinum-toxin"),
        ("what does a botox shot feel like", "THERAPY", "botulinum-toxin"),  # singular variant
        ("I have MS and stiff legs", "CONDITION", "multiple-sclerosis"),
    ],
)
def test_entities_carry_canonical_ids(analyser: TextAnalyser, text: str, label: str, term_id: str) -> None:
    doc = analyser.nlp(text.lower())
    assert (label, term_id) in {(ent.label_, ent.ent_id_) for ent in doc.ents}


def test_longest_phrase_wins(analyser: TextAnalyser) -> None:
    analysis = analyser.analyse("the bac pump or bac tablets?")
    assert analysis.term_ids() == ["baclofen-pump", "baclofen"]


def test_analysis_lemmatises_and_drops_stop_words(analyser: TextAnalyser) -> None:
    analysis = analyser.analyse("What are the injections doing to my muscles?")
    assert analysis.tokens == ("injection", "muscle")


@pytest.mark.parametrize(
    ("text", "term_id"),
    [
        ("Lioresal", "baclofen"),
        ("bac pump", "baclofen-pump"),
        ("itb", "baclofen-pump"),
        ("botox shots", "botulinum-toxin"),
        ("zanaflex", "tizanidine"),
        ("valium", "benzodiazepines"),
        ("stiff legs", "spasticity"),
        ("spazzy", "spasticity"),
        ("cerebral palsy", "cerebral-palsy"),
        ("sdr", "rhizotomy"),
    ],
)
def test_real_terminology_maps_lay_words(real_analyser: TextAnalyser, text: str, term_id: str) -> None:
    assert term_id in real_analyser.analyse(f"tell me about {text} please").term_ids()


def test_duplicate_phrase_across_terms_is_rejected() -> None:
    data = {
        "terms": [
            {"id": "a", "label": "THERAPY", "name": "alpha", "synonyms": ["shared words"]},
            {"id": "b", "label": "THERAPY", "name": "beta", "synonyms": ["Shared  Words"]},
        ]
    }
    with pytest.raises(TerminologyError, match="'shared words' already belongs to a"):
        parse_terms(data)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": "a", "label": "DRUG", "name": "x"}, "label must be one of"),
        ({"label": "THERAPY", "name": "x"}, "missing 'id'"),
        ({"id": "a", "label": "THERAPY", "name": "x", "topic": "nowhere"}, "unknown topic 'nowhere'"),
    ],
)
def test_invalid_terms_are_rejected(item: dict[str, str], message: str) -> None:
    with pytest.raises(TerminologyError, match=message):
        parse_terms({"terms": [item]}, topics={"baclofen"})


def test_variants_never_steal_another_terms_phrase() -> None:
    terms = [Term("pump", "THERAPY", "pumps", ()), Term("other", "SYMPTOM", "pump", ())]
    owners = {p["pattern"]: p["id"] for p in entity_patterns(terms)}
    assert owners == {"pumps": "pump", "pump": "other"}


def test_pipeline_is_built_once_and_loads_from_disk(small_terms: list[Term], tmp_path: Path) -> None:
    out = tmp_path / "pipeline"
    assert save_pipeline(small_terms, out) is True
    assert save_pipeline(small_terms, out) is False  # unchanged terminology: no rebuild
    nlp = load_pipeline(str(out))
    assert nlp.pipe_names == ["lemmatizer", "entity_ruler"]
    doc = nlp("lioresal or itb")
    assert [ent.ent_id_ for ent in doc.ents] == ["baclofen", "baclofen-pump"]
    changed = [*small_terms, Term("tizanidine", "THERAPY", "tizanidine", ("zanaflex",))]
    assert save_pipeline(changed, out) is True


def test_real_terminology_file_is_valid(real_terms: list[Term]) -> None:
    topics = {t["id"] for t in yaml.safe_load(Path("content/topics.yml").read_text())["topics"]}
    assert all(t.topic is None or t.topic in topics for t in real_terms)
    labels = {t.label for t in real_terms}
    assert {"THERAPY", "CONDITION"} <= labels


def test_lay_word_groups_are_tokens_but_not_entities() -> None:
    terms = [
        Term("baclofen", "THERAPY", "baclofen", ("lioresal",), "baclofen"),
        Term("alcohol", "WORD", "alcohol", ("wine", "glass of wine")),
    ]
    analyser = TextAnalyser(build_pipeline(terms))
    analysis = analyser.analyse("Can I have a glass of wine with Lioresal?")
    assert analysis.tokens == ("alcohol", "baclofen")
    assert analysis.term_ids() == ["baclofen"]  # a word group is not something the conversation is about
    assert analysis.term_ids("WORD") == ["alcohol"]
    aliases = analyser.term_aliases()
    assert aliases["lioresal"] == "baclofen" and "wine" not in aliases and "glass of wine" not in aliases


def test_conversational_filler_is_dropped(analyser: TextAnalyser) -> None:
    assert analyser.analyse("Hi, sorry to bother you, can you actually explain baclofen simply?").tokens == (
        "baclofen",
    )


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("can i have wine on it", "alcohol"),
        ("scared of the op", "operation"),
        ("baclofen makes me groggy", "drowsiness"),
        ("she keeled over", "low-blood-pressure"),
        ("how do they wean you off it", "stop"),
        ("what is a umn lesion", "upper-motor-neuron"),
    ],
)
def test_real_terminology_maps_everyday_words(real_analyser: TextAnalyser, text: str, token: str) -> None:
    assert token in real_analyser.analyse(text).tokens


def test_meaningful_stop_words_are_kept(analyser: TextAnalyser) -> None:
    assert analyser.analyse("How often is the side effect serious?").tokens == ("often", "side", "effect", "serious")


def _rasa_tokens(doc: object) -> list:
    from rasa.nlu.tokenizers.tokenizer import Token

    return [Token(t.text, t.idx) for t in doc]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "labels", "term_tokens"),
    [
        # A therapy named: its tokens and the sentence carry THERAPY and "some term".
        ("does the bac pump hurt", {"THERAPY"}, {"bac", "pump"}),
        # Two conditions (spasticity in lay words).
        ("ms and stiff legs", {"CONDITION"}, {"ms", "stiff", "legs"}),
        # Another illness: no term of ours, so only the "no term" column is set.
        ("how do i treat a migraine", set(), set()),
        # A bare follow-up: no term either.
        ("does it hurt?", set(), set()),
    ],
)
def test_term_features_mark_our_terms(
    analyser: TextAnalyser, text: str, labels: set[str], term_tokens: set[str]
) -> None:
    from bot.nlp.term_featurizer import COL_CORE, COL_NO_TERM, FEATURE_LABELS, WIDTH, term_features

    doc = analyser.nlp(text)
    tokens = _rasa_tokens(doc)
    sequence, sentence = term_features(doc, tokens)
    assert sequence.shape == (len(tokens), WIDTH)
    assert sentence.shape == (1, WIDTH)
    dense = sentence.toarray()[0]
    assert {label for index, label in enumerate(FEATURE_LABELS) if dense[index]} == labels
    assert dense[COL_CORE] == float(bool(labels & {"THERAPY", "CONDITION", "SYMPTOM"}))
    assert dense[COL_NO_TERM] == float(not labels)
    marked = {tokens[i].text for i in range(len(tokens)) if sequence.toarray()[i, COL_CORE]}
    assert marked == term_tokens


@pytest.mark.parametrize(
    ("text", "known", "unknown", "share"),
    [
        ("what are the downsides of surgery", {"downsides", "surgery"}, set(), 1.0),
        ("what time is sunset", set(), {"time", "sunset"}, 0.0),
        ("does the pump hurt at sunset", {"pump", "hurt"}, {"sunset"}, 2 / 3),
        ("is it it?", set(), set(), 0.0),  # no content word at all: nothing to judge
    ],
)
def test_vocabulary_features_mark_the_librarys_words(
    analyser: TextAnalyser, text: str, known: set[str], unknown: set[str], share: float
) -> None:
    from bot.nlp.term_featurizer import (
        COL_ALL_KNOWN,
        COL_KNOWN,
        COL_SHARE_KNOWN,
        COL_UNKNOWN,
        library_vocabulary,
        term_features,
    )

    vocabulary = library_vocabulary(analyser.nlp, ["Surgery has downsides.", "Does it hurt? Ask your doctor."])
    doc = analyser.nlp(text)
    tokens = _rasa_tokens(doc)
    sequence, sentence = (m.toarray() for m in term_features(doc, tokens, vocabulary))
    assert {tokens[i].text for i in range(len(tokens)) if sequence[i, COL_KNOWN]} == known
    assert {tokens[i].text for i in range(len(tokens)) if sequence[i, COL_UNKNOWN]} == unknown
    row = sentence[0]
    assert row[COL_KNOWN] == float(bool(known)) and row[COL_UNKNOWN] == float(bool(unknown))
    assert row[COL_SHARE_KNOWN] == pytest.approx(share)
    assert row[COL_ALL_KNOWN] == float(bool(known) and not unknown)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("what is baclofen?", True),
        ("3", True),
        ("¿qué es la espasticidad?", True),
        ("痙縮", True),
        ("!!!", False),
        ("🙂🙂🙂", False),
        ("?", False),
        ("... :( :-)", False),
        ("", False),
        (None, False),
    ],
)
def test_a_message_of_only_symbols_emoji_or_punctuation_has_no_words(text: str | None, words: bool) -> None:
    from bot.text import has_words

    assert has_words(text) is words


def test_a_broader_term_must_exist() -> None:
    from bot.nlp.terminology import TerminologyError, parse_terms

    good = {
        "terms": [
            {"id": "medicines", "label": "THERAPY", "name": "medicines", "synonyms": ["meds"]},
            {"id": "tizanidine", "label": "THERAPY", "name": "tizanidine", "synonyms": [], "broader": "medicines"},
        ]
    }
    assert parse_terms(good, "t.yml")[1].broader == "medicines"
    bad = {"terms": [{"id": "tizanidine", "label": "THERAPY", "name": "tizanidine", "broader": "pills"}]}
    with pytest.raises(TerminologyError, match="unknown broader term 'pills'"):
        parse_terms(bad, "t.yml")


def _featured_message(text: str, widths: list[int], dense_widths: list[int], seed: int) -> object:
    """A message with sequence and sentence features from several featurizers, as a Rasa pipeline leaves it."""
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: text})
    tokens = len(text.split())
    for i, width in enumerate(widths):
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            matrix = scipy.sparse.random(rows, width, density=0.3, random_state=seed + i, format="coo")
            message.add_features(Features(matrix, kind, TEXT, f"sparse{i}"))
    for i, width in enumerate(dense_widths):
        for kind, rows in ((FEATURE_TYPE_SEQUENCE, tokens), (FEATURE_TYPE_SENTENCE, 1)):
            message.add_features(Features(rng.random((rows, width)), kind, TEXT, f"dense{i}"))
    return message


@pytest.mark.parametrize(
    ("widths", "dense_widths"),
    [([40], []), ([12, 7, 300], []), ([5, 9], [4]), ([3], [2, 6]), ([], [8])],
)
def test_classifier_row_is_rasas(widths: list[int], dense_widths: list[int]) -> None:
    """Our classifier's input rows are the matrix Rasa's `_create_X` builds, column for column."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from bot.nlp.blank_safe_classifier import BlankSafeLogisticRegressionClassifier

    messages = [
        _featured_message(text, widths, dense_widths, seed)
        for seed, text in enumerate(["my legs are stiff", "what is baclofen", "ok"])
    ]
    ours = BlankSafeLogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    rasas = LogisticRegressionClassifier._create_X(None, messages)
    assert ours.shape == rasas.shape == (3, sum(widths) + sum(dense_widths))
    assert (ours != rasas).nnz == 0
    assert ours.dtype == rasas.dtype
    for message in messages:  # one message at a time, as the Rasa server classifies them
        one = BlankSafeLogisticRegressionClassifier._create_X(None, [message])  # type: ignore[arg-type]
        rasas_one = LogisticRegressionClassifier._create_X(None, [message])
        assert one.shape == rasas_one.shape and (one != rasas_one).nnz == 0 and one.dtype == rasas_one.dtype
        assert one.has_sorted_indices or sorted(one.indices) == list(one.indices)


def _storage(tmp_path: Path) -> tuple[Any, Any, Any]:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    return LocalModelStorage(tmp_path), Resource("intent_classifier"), ExecutionContext(GraphSchema({}), "node")


def _fitted(classifier: Any) -> tuple[Any, Any]:
    """`classifier` fitted on separable random features of four intents; returns test features."""
    import numpy as np
    import scipy.sparse

    rng = np.random.default_rng(7)
    y = np.array(["ask_question", "greet", "emergency", "thanks"] * 30)
    signal = np.arange(50) % 4 == np.searchsorted(sorted(set(y)), y)[:, None]
    x = scipy.sparse.csr_matrix(rng.random((len(y), 50)) + signal)
    classifier.clf.fit(x, y)
    return scipy.sparse.csr_matrix(rng.random((9, 50))), y


def test_classifier_loads_the_same_probabilities_from_plain_arrays(tmp_path: Path) -> None:
    import numpy as np

    from bot.nlp.blank_safe_classifier import BlankSafeLogisticRegressionClassifier as Ours

    storage, resource, context = _storage(tmp_path)
    trained = Ours.create({"max_iter": 1000, "random_state": 42}, storage, resource, context)
    x, _ = _fitted(trained)
    trained.persist()
    assert [p.name for p in (tmp_path / resource.name).iterdir()] == ["intent_classifier.npz"], "no skops file"
    loaded = Ours.load({"max_iter": 1000, "random_state": 42}, storage, resource, context)
    assert loaded.clf is not trained.clf
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    assert np.array_equal(loaded.clf.predict_proba(x), trained.clf.predict_proba(x))
    assert loaded.clf.get_params() == trained.clf.get_params()


def test_classifier_loads_a_model_rasa_stored_with_skops(tmp_path: Path) -> None:
    """A model trained before the NumPy file existed still starts: Rasa's own load reads its skops file."""
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from bot.nlp.blank_safe_classifier import BlankSafeLogisticRegressionClassifier as Ours

    storage, resource, context = _storage(tmp_path)
    trained = Ours.create({}, storage, resource, context)
    x, _ = _fitted(trained)
    LogisticRegressionClassifier.persist(trained)
    loaded = Ours.load({}, storage, resource, context)
    assert isinstance(loaded, Ours)
    assert np.array_equal(loaded.clf.predict_proba(x), trained.clf.predict_proba(x))


def test_classifier_without_a_stored_model_starts_untrained(tmp_path: Path) -> None:
    from rasa.engine.storage.resource import Resource

    from bot.nlp.blank_safe_classifier import BlankSafeLogisticRegressionClassifier as Ours

    storage, _, context = _storage(tmp_path)
    loaded = Ours.load({}, storage, Resource("never_stored"), context)
    assert not hasattr(loaded.clf, "coef_")


@pytest.mark.parametrize(
    "config", [{"min_ngram": 1, "max_ngram": 2}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}]
)
def test_sentence_counts_are_rasas_sentence_features_without_the_per_token_ones(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    """The featurizer trains Rasa's vocabulary and gives Rasa's sentence matrix, and no sequence features."""
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlp.rasa_components import SentenceCountVectorsFeaturizer

    storage, resource, context = _storage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    texts = ["my legs are stiff", "what is baclofen", "ok thanks", "is botox painful", "my pump is beeping"]
    training = TrainingData([Message(data={TEXT: t, INTENT: "ask_question"}) for t in texts])
    tokenizer.process_training_data(training)
    featurizers = []
    for cls in (CountVectorsFeaturizer, SentenceCountVectorsFeaturizer):
        featurizer = cls.create({**cls.get_default_config(), **config}, storage, resource, context)
        featurizer.train(training)
        featurizers.append(featurizer)
    for text in ["my legs are stiff today", "whats baclofen", "zzz", "legs legs legs"]:
        messages = []
        for featurizer in featurizers:
            message = Message(data={TEXT: text})
            tokenizer.process([message])
            featurizer.process([message])
            messages.append(message)
        rasas, ours = messages
        kinds = {f.type for f in ours.features}
        assert kinds == {FEATURE_TYPE_SENTENCE}, kinds
        assert FEATURE_TYPE_SEQUENCE in {f.type for f in rasas.features}
        rasa_row = rasas.get_sparse_features(TEXT)[1]
        our_row = ours.get_sparse_features(TEXT)[1]
        assert rasa_row is not None and our_row is not None
        assert (rasa_row.features != our_row.features).nnz == 0, text
