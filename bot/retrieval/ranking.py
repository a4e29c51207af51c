"""How a question, in its conversation, is turned into ranked passages: the policy on top of the BM25 index.

`Retriever` (bot.retrieval.index) scores passages for words. This module decides which words to search with
and how to weigh the results for a patient's question in a conversation:

- a question that names a treatment is answered about that treatment, not another one's passage that shares
  its other words (`_on_subject`, with the groups a treatment belongs to);
- a follow-up that names no new subject is read within the subject under discussion (`_within_subject`):
  first in its topic on its own words, then with the earlier question's subject, then more widely;
- an ellipsis ("and botox?") asks the earlier question's aspect about the new subject;
- the passage just shown gives way to one the follow-up's own words point to (`_fresh`);
- hits are ordered by their strength before the cap at 1, and a second passage joins the first only when it is
  nearly as strong (`pick`).

The service calls `Ranker.rank` for every answer; the evaluation of retrieval calls it too, so both measure the
same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.constants import ENTITY_THERAPY
from bot.content.records import ContentBundle, PassageRecord
from bot.context import Context
from bot.nlp.moves import ASKS_WHAT, CLAUSE_BREAK, ELLIPSIS_OPENING, WHAT_FILLER, is_elliptical
from bot.nlp.terminology import WORD_LABEL, Term
from bot.retrieval.index import Hit, Retriever
from bot.text import PHRASES, normalise

if TYPE_CHECKING:
    from bot.nlp.pipeline import TextAnalyser

EMERGENCY_TOPIC = "emergencies"
# A passage whose score is this close to the best one is shown with it.
SECOND_PASSAGE_RATIO = 0.9

# How much more a passage counts when its topic is the one named or under discussion.
TOPIC_BOOST = 1.25

# "What else is there apart from baclofen?": a term right after these words is not what the person asks
# about, so its topic gets no boost.
EXCLUDING_WORDS = ("apart from", "besides", "other than", "except", "instead of", "rather than")

IN_TOPIC_RATIO = 0.6

# How much a passage counts that neither belongs to nor names the treatment a question names.
OFF_SUBJECT_DAMPING = 0.5

# Therapy terms that are often the person who speaks ("my physio said...") or too general to be the subject.
NOT_A_SUBJECT = frozenset(
    {"physiotherapy", "occupational-therapy", "antispasticity-medicines", "medicine", "operation"}
)

# How much an emergency passage counts for a question that names no emergency (see Ranker.rank).
EMERGENCY_DAMPING = 0.8

# A passage that the follow-up's own words point to replaces the passage just shown when it is at least this
# strong relative to it (see Ranker._fresh).
REPEAT_DAMPING = 0.75


class Ranker:
    """Ranks passages for questions in their conversation, over the content snapshot in use."""

    def __init__(
        self,
        terms: dict[str, Term],
        threshold: float,
        loaded: Callable[[], tuple[ContentBundle, Retriever, TextAnalyser]],
    ) -> None:
        """Creates the ranker; nothing is loaded until the first question.

        Args:
            terms: the terminology by id.
            threshold: relevance below which there is no good answer.
            loaded: returns the snapshot, index and analyser of the turn in progress (the service pins one
                snapshot per turn, so every search of a turn reads the same library).
        """
        self.terms = terms
        self.threshold = threshold
        self._loaded = loaded
        # The topics that belong to one treatment (baclofen, the pump, SDR...), for keeping follow-ups on subject.
        self.treatment_topics = frozenset(t.topic for t in terms.values() if t.label == ENTITY_THERAPY and t.topic)

    @property
    def analyser(self) -> TextAnalyser:
        """The text analyser of the snapshot in use."""
        return self._loaded()[2]

    def topic_of(self, term_id: str) -> str | None:
        """The topic a term belongs to, if any."""
        term = self.terms.get(term_id)
        return term.topic if term else None

    def therapy_for_topic(self, topic: str | None) -> str | None:
        """The treatment a topic is about, when the topic is one treatment's own (the pump's, baclofen's).

        A topic that holds several things (spasms and look-alikes, which also mentions carbamazepine) is about
        none of them: after "what is clonus", "can I stop it by trying hard?" is not about stopping a medicine.
        """
        term = self.terms.get(topic or "")
        return term.id if term is not None and term.label == ENTITY_THERAPY and term.topic == topic else None

    def pick(self, hits: list[Hit]) -> list[PassageRecord]:
        """The best passage, and the runner-up when it is nearly as good (compared before the cap at 1)."""
        if not hits:
            return []
        chosen = [hits[0].passage]
        if (
            len(hits) > 1
            and hits[1].score >= self.threshold
            and hits[1].strength >= hits[0].strength * SECOND_PASSAGE_RATIO
        ):
            chosen.append(hits[1].passage)
        return chosen

    def rank(
        self,
        question: str,
        term_ids: list[str] | None = None,
        context: Context | None = None,
        followup: bool = False,
        limit: int = 5,
    ) -> tuple[list[Hit], list[str]]:
        """Ranks passages for a question the way answers are chosen (also used by the retrieval evaluation).

        Returns:
            The hits, best first, and the ids of the terms the question mentions.
        """
        context = context or Context()
        _bundle, retriever, analyser = self._loaded()
        analysis = analyser.analyse(question)
        mentioned = list(dict.fromkeys([*(term_ids or []), *analysis.term_ids()]))
        lowered = question.lower()
        excluded = {m.term_id for m in analysis.mentions if lowered[: m.start].rstrip().endswith(EXCLUDING_WORDS)}
        # A lay word group with a topic of its own ("the tardieu scale": assessment) names a subject too.
        worded = [m.term_id for m in analysis.mentions if m.term_id not in mentioned and self.topic_of(m.term_id)]
        named_topics = list(
            dict.fromkeys(t for t in (self.topic_of(m) for m in [*mentioned, *worded] if m not in excluded) if t)
        )
        tokens = list(analysis.tokens)
        # "and physio after?" names an aspect of the subject under discussion, not a new subject (below).
        new_subject = [m for m in mentioned if m not in NOT_A_SUBJECT]
        if context.previous and named_topics and new_subject and is_elliptical(question, tokens, mentioned):
            # "and botox?" after "how long does a nerve block last": the earlier question's aspect ("how long
            # does it last") asked about the new subject. Passages of the new subject's topics come first, and a
            # passage elsewhere counts when it names the new subject ("and diazepam?" after gabapentin's legal
            # status: the driving-law passage that names diazepam).
            earlier = analyser.analyse(context.previous)
            earlier_subject = set(earlier.term_ids())
            aspect = [t for t in earlier.tokens if t not in earlier_subject]
            boost = {t: TOPIC_BOOST for t in named_topics}
            hits = self._on_subject(
                retriever.search([*tokens, *aspect], limit=limit * 4, boost_topics=boost, text=question),
                set(named_topics),
                set(new_subject),
                limit,
            )
            if hits and hits[0].score >= self.threshold:
                return hits, mentioned
        # "and physio after?" after a question about SDR: physio is the aspect, SDR still the subject.
        # A message that opens like a follow-up ("and physio after?") is one, whatever NLU made of it.
        followup = followup or bool(ELLIPSIS_OPENING.match(normalise(question, PHRASES)))
        aspect_only = bool(mentioned) and all(m in NOT_A_SUBJECT for m in mentioned) and followup
        use_context = bool(context.topic) and (not named_topics or aspect_only) and (followup or not mentioned)
        if use_context and context.topic:
            hits = self._within_subject(question, tokens, context, limit)
            return self._fresh(hits, context, tokens), mentioned
        # The physio who said it is not what "why does my physio want me to keep some stiffness" asks about: a
        # term that is no subject lends its topic a boost only when the message names nothing else.
        subject_topics = [t for t in (self.topic_of(m) for m in new_subject if m not in excluded) if t]
        boost = {t: TOPIC_BOOST for t in (subject_topics or named_topics)}
        if EMERGENCY_TOPIC not in named_topics:
            # A question the safety net did not flag is rarely best answered by an emergency passage ("my husband
            # is being assessed for a pump, what is it" ranked pump withdrawal first); a clear match still wins.
            boost[EMERGENCY_TOPIC] = EMERGENCY_DAMPING
        named_therapies = {
            m
            for m in mentioned
            if m not in excluded
            and m not in NOT_A_SUBJECT
            and self.terms.get(m)
            and self.terms[m].label == ENTITY_THERAPY
        }
        if named_therapies:
            # "What does baclofen do to the liver": a passage about another treatment's liver risk must not
            # answer it.
            hits = retriever.search(tokens, limit=limit * 4, boost_topics=boost, text=question)
            return self._on_subject(hits, set(named_topics), named_therapies, limit), mentioned
        return retriever.search(tokens, limit=limit, boost_topics=boost, text=question), mentioned

    def _within_subject(self, question: str, tokens: list[str], context: Context, limit: int) -> list[Hit]:
        """Ranks a follow-up that names no new subject within the subject under discussion."""
        bundle, retriever, analyser = self._loaded()
        assert context.topic is not None
        if not tokens and context.answered and context.answered[0] in bundle.passages:
            # "What can I do about that?", "why?": nothing asked but the subject, and the subject is what was
            # just answered. The passage is given again (the buttons offer what else there is).
            return [Hit(bundle.passages[context.answered[0]], 1.0)]
        # A follow-up ("does it hurt?") is first read within the topic under discussion, scored on its
        # own words; only if nothing there fits is the therapy added to the query for a wider search.
        hits = retriever.search(tokens, limit=limit, topics=[context.topic], text=question)
        if hits and hits[0].score >= self.threshold:
            return hits
        # A follow-up that names no term ("how long is each one on for?") is held to the no-term floor,
        # but within the topic under discussion the topic is its subject: its best passage there is
        # accepted at a lower bar, unless the wider search below finds a clearly better one.
        # Its scores are put on the answer scale (divided by the ratio), so the answer threshold then holds.
        in_topic = (
            [h.scaled(1 / IN_TOPIC_RATIO) for h in hits]
            if hits and hits[0].score >= self.threshold * IN_TOPIC_RATIO
            else []
        )
        # A new aspect of the same subject: the question read with the subject (the terms) of the one
        # answered before it, so "and what sets it off?" after a question about spasms asks about spasms.
        # Either way the subject stays: a passage about another treatment that does not name this one
        # counts less ("is it permanent?" about the pump is not answered with SDR's permanence).
        subject_therapies = {context.therapy} - NOT_A_SUBJECT if context.therapy else set()
        boost = {context.topic: TOPIC_BOOST, EMERGENCY_TOPIC: EMERGENCY_DAMPING}
        if context.previous:
            subject = analyser.analyse(context.previous).term_ids()
            # The treatment under discussion is the subject too when the earlier question named none.
            combined = [*tokens, *subject, *([context.therapy] if context.therapy and not subject else [])]
            hits = self._on_subject(
                retriever.search(combined, limit=limit * 4, boost_topics=boost, text=question),
                {context.topic},
                subject_therapies,
                limit,
            )
            if hits and hits[0].score >= self.threshold and (not in_topic or hits[0].passage.topic == context.topic):
                return hits
        if in_topic:
            return in_topic
        expanded = [*tokens, context.therapy] if context.therapy else tokens
        hits = retriever.search(expanded, limit=limit * 4, boost_topics=boost, text=question)
        return self._on_subject(hits, {context.topic}, subject_therapies, limit)

    def _fresh(self, hits: list[Hit], context: Context, tokens: list[str]) -> list[Hit]:
        """The hits, with the passage just shown giving way to one the follow-up's own words point to.

        "And when should I be worried?" after the side effects of botulinum toxin asks for the warning signs,
        not the side effects again; but "anything I can do about that myself?" after the cold-weather passage
        is answered by that very passage. So the passage just shown gives way only to a passage that matches
        the follow-up's own words better (BM25 alone, without the subject) and is nearly as strong overall.
        Only the order changes, never a score.
        """
        if not context.answered or len(hits) < 2 or not tokens or hits[0].passage.id not in context.answered:
            return hits
        shown = hits[0]
        own = self._loaded()[1].scores_of(tokens, [h.passage.id for h in hits])
        for hit in hits[1:]:
            if (
                hit.passage.id not in context.answered
                and hit.score >= self.threshold
                and hit.strength >= shown.strength * REPEAT_DAMPING
                and own[hit.passage.id] > own[shown.passage.id]
            ):
                return [hit, *(h for h in hits if h is not hit)]
        return hits

    def _on_subject(self, hits: list[Hit], topics: set[str], therapies: set[str], limit: int) -> list[Hit]:
        """The hits, with passages outside `topics` that name none of `therapies` counting less."""
        if not therapies:
            return hits[:limit]
        # A passage of another treatment's topic is off the subject even when it names this one in passing
        # ("SDR cannot be undone ... unlike a pump"); a passage of a general topic is on it when it names it.
        # So is a passage about the group the treatment belongs to: mixing spasticity medicines with alcohol
        # answers "and with a couple of beers?" about tizanidine.
        wider = {term.broader for term in (self.terms.get(t) for t in therapies) if term and term.broader}
        names = therapies | wider
        topics = topics | {str(self.terms[b].topic) for b in wider if self.terms[b].topic}
        kept = [
            h
            if h.passage.topic in topics
            or (h.passage.topic not in self.treatment_topics and names & self.passage_terms(h.passage))
            else h.scaled(OFF_SUBJECT_DAMPING)
            for h in hits
        ]
        return sorted(kept, key=lambda h: -h.strength)[:limit]

    def passage_terms(self, passage: PassageRecord) -> frozenset[str]:
        """The terms a passage's title and text name (cached per text, so per content snapshot)."""
        return _passage_terms(self._loaded()[2], f"{passage.title} {passage.text}")

    def with_subject(self, question: str, mentioned: list[str], context: Context) -> str:
        """The question as the next follow-up should read it: with the subject it left unsaid.

        "And what sets them off?" names no subject; kept as it is, the question after it ("is there anything
        that helps with them?") would have lost the painful tonic spasms. So a question that names no subject
        is kept with the subject of the one before it: "and what sets them off? (painful tonic spasms)".
        """
        if any(m not in NOT_A_SUBJECT for m in mentioned) or not context.previous:
            return question
        earlier = [t for t in self._loaded()[2].analyse(context.previous).term_ids() if t in self.terms]
        if not earlier:
            return question
        return f"{question} ({', '.join(self.terms[t].name for t in earlier)})"

    def topical_words(self, text: str) -> list[str]:
        """The lay word groups with a topic of their own that a message names ("a symptom diary": assessment).

        They name a subject of the library as a therapy or a symptom does, but Rasa's entity extractor never
        sees them (it knows only the three entity labels), so the out-of-scope rescue asks for them here.
        """
        return [
            m.term_id
            for m in self._loaded()[2].analyse(text).mentions
            if m.label == WORD_LABEL and self.topic_of(m.term_id)
        ]

    def asks_what(self, text: str, term_id: str) -> bool:
        """Whether the message's last clause only asks what a treatment is or how it works ("what is SDR")."""
        clauses = [c for c in CLAUSE_BREAK.split(text) if c.strip()]
        if not clauses or not ASKS_WHAT.match(clauses[-1].strip()):
            return False
        tokens = self._loaded()[2].analyse(clauses[-1]).tokens
        return term_id in tokens and all(t == term_id or t in WHAT_FILLER for t in tokens)


@lru_cache(maxsize=4096)
def _passage_terms(analyser: TextAnalyser, text: str) -> frozenset[str]:
    return frozenset(analyser.analyse(text).term_ids())
