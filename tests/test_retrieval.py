"""Retrieval: BM25 scores checked against a textbook implementation, ranking, synonyms and the threshold."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from rank_bm25 import BM25Okapi

from bot.content.records import ContentBundle, PassageRecord
from bot.nlp.pipeline import TextAnalyser
from bot.retrieval import Retriever

DOCS = [
    ["baclofen", "relax", "stiff", "muscle"],
    ["botulinum-toxin", "inject", "muscle", "muscle", "relax"],
    ["pump", "refill", "clinic", "needle"],
    ["stretch", "exercise", "physiotherapy", "stiff", "muscle", "daily"],
]


def lucene_bm25(query: list[str], docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """A direct transcription of Lucene's BM25 (the reference the index must agree with)."""
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    scores = []
    for doc in docs:
        tf = Counter(doc)
        score = 0.0
        for term in set(query):
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf[term] / (tf[term] + k1 * (1 - b + b * len(doc) / avg))
        scores.append(score)
    return scores


def _single_unit_retriever() -> Retriever:
    passages = [
        PassageRecord(
            f"d{i}", "t", f"d{i}", " ".join(d), ("q?", "q?", "q?"), ("S",), __import__("datetime").date(2026, 1, 1)
        )
        for i, d in enumerate(DOCS)
    ]
    return Retriever(passages, DOCS, list(range(len(DOCS))))


@pytest.mark.parametrize(
    "query",
    [["stiff", "muscle"], ["pump", "refill"], ["muscle"], ["relax", "inject", "weather"], ["exercise", "daily"]],
)
def test_scores_match_the_textbook_formula(query: list[str]) -> None:
    retriever = _single_unit_retriever()
    hits = {h.passage.id: h.score for h in retriever.search(query, limit=10)}
    reference = lucene_bm25(query, DOCS)
    ceiling = sum(retriever.idf(t) for t in set(query))
    for i, raw in enumerate(reference):
        assert hits.get(f"d{i}", 0.0) == pytest.approx(raw / ceiling, rel=1e-5, abs=1e-6)


# Okapi IDF (rank-bm25) goes to zero for words in half the documents of a tiny corpus, so only queries
# with distinctive words are compared with it; the textbook test above checks every score exactly.
@pytest.mark.parametrize("query", [["exercise", "daily"], ["pump", "refill", "needle"], ["inject"]])
def test_best_document_agrees_with_rank_bm25(query: list[str]) -> None:
    reference = BM25Okapi(DOCS).get_scores(query)
    best = max(range(len(DOCS)), key=lambda i: reference[i])
    assert _single_unit_retriever().search(query, limit=1)[0].passage.id == f"d{best}"


def test_scores_are_between_zero_and_one_and_unknown_words_lower_them() -> None:
    retriever = _single_unit_retriever()
    plain = retriever.search(["pump", "refill"])[0].score
    diluted = retriever.search(["pump", "refill", "weather", "tomorrow"])[0].score
    assert 0 < diluted < plain <= 1


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what is Lioresal?", "baclofen-what-it-is"),
        ("does lioresal make you sleepy", "baclofen-side-effects"),
        ("how often does the bac pump get refilled", "pump-refills"),
        ("what do botox shots do", "botox-how-it-works"),
        ("why are my legs tight", "spasticity-what-it-is"),
    ],
)
def test_lay_questions_find_the_right_passage(
    small_bundle: ContentBundle, analyser: TextAnalyser, question: str, expected: str
) -> None:
    retriever = Retriever.build(small_bundle.published_passages(), analyser)
    hits = retriever.search(analyser.analyse(question).tokens)
    assert hits[0].passage.id == expected


def test_off_topic_questions_score_below_the_threshold(small_bundle: ContentBundle, analyser: TextAnalyser) -> None:
    retriever = Retriever.build(small_bundle.published_passages(), analyser)
    for question in ("what's the weather tomorrow", "write me a python script", "who won the football"):
        hits = retriever.search(analyser.analyse(question).tokens)
        assert not hits or hits[0].score < 0.3, (question, hits[:1])


def test_topic_boost_and_topic_filter(small_bundle: ContentBundle, analyser: TextAnalyser) -> None:
    retriever = Retriever.build(small_bundle.published_passages(), analyser)
    tokens = analyser.analyse("what are the side effects").tokens
    boosted = retriever.search(tokens, boost_topics={"botulinum-toxin": 1.5})
    assert boosted[0].passage.id == "botox-side-effects"
    only = retriever.search(tokens, topics=["baclofen"])
    assert {h.passage.topic for h in only} == {"baclofen"}


def test_drafts_are_not_indexed_for_patients(small_bundle: ContentBundle, analyser: TextAnalyser) -> None:
    retriever = Retriever.build(small_bundle.published_passages(), analyser)
    hits = retriever.search(analyser.analyse("is there a liquid baclofen").tokens, limit=10)
    assert "draft-passage" not in {h.passage.id for h in hits}


def test_empty_index_and_empty_query_return_nothing(analyser: TextAnalyser) -> None:
    assert Retriever.build([], analyser).search(["muscle"]) == []
    assert _single_unit_retriever().search([]) == []
