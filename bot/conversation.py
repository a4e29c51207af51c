"""Turns that only make sense in the conversation: "tell me more", and "the first one you mentioned".

Both depend on what the person has already been shown, which the actions keep in slots (the question last
answered, the passages last answered and every passage shown in the conversation so far). The service ranks
and renders; this module decides which passage such a turn is about.

- **More** ("go on", "more please"): the next passage about the question last answered that the person has
  not seen, ranked as that question would rank them; if none fits, the next passage of the topic in the
  editors' order. Nothing left says so plainly instead of repeating an answer.
- **A pointer into the last answer** ("the first one you mentioned, how does it work", "the second one"): the
  treatments the last answer named, in the order it named them; the rest of the message is then asked about
  that treatment ("how does it work" about baclofen). A message with nothing else gets the treatment's
  overview.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.constants import ENTITY_THERAPY
from bot.nlp.moves import ORDINAL, asks_something
from bot.nlp.terminology import WORD_LABEL
from bot.replies import Reply, ReplyKind
from bot.retrieval.ranking import NOT_A_SUBJECT
from bot.safety.matching import detector_text
from bot.suggestions import related_topics
from bot.text import PHRASES, normalise
from bot.wording import NOTHING_MORE

if TYPE_CHECKING:
    from bot.content.records import PassageRecord
    from bot.context import Context, Turn
    from bot.service import BotService

# A passage ranked for the earlier question counts as "more about it" down to this share of the threshold.
MORE_FLOOR = 0.5
# Reciprocal rank fusion's constant: how much the first places count more than the later ones.
FUSION_K = 10
# Terms too general to be "the first one" of a list of treatments.
GENERAL_TERMS = frozenset({"antispasticity-medicines", "medicine", "operation"})
# Words around a pointer that ask nothing themselves: "the first one you mentioned", "on the list".
_POINTER_WORDS = re.compile(
    r"\b(?:(?:that |which )?(?:you|u) (?:mentioned|said|listed|named)|on (?:the|that|your) list|what about|"
    r"tell me about|and|so|ok|okay|please|pls)\b"
)


def more(service: BotService, context: Context, shown: list[str], last: list[str] | None = None) -> Turn:
    """Answers "tell me more": the best passage about the subject under discussion not yet shown.

    Args:
        service: the bot service.
        context: the conversation's subject; `previous` is the question the subject came from.
        shown: every passage shown in the conversation so far (none of them is shown again).
        last: the passages of the last answer, the first being the main one (default: the last shown).
    """
    from bot.context import Turn

    seen = set(shown)
    bundle = service.bundle
    analyser = service.analyser
    answered = [bundle.passages[p] for p in (last or shown[-1:]) if p in bundle.passages]
    main = answered[0] if answered else None
    # The subject is the question asked and the title of what answered it ("The Modified Ashworth Scale"):
    # the question alone may name only the physio who mentioned the scale.
    query = " ".join([context.previous or "", main.title if main else ""]).strip()
    # Its subject: the therapies, conditions and symptoms it names, and lay word groups that have a topic of
    # their own (the Ashworth scale); not the physio who mentioned the scale, nor "medicines" in general.
    subject = {
        m.term_id
        for m in analyser.analyse(query).mentions
        if (m.label != WORD_LABEL or service.ranker.topic_of(m.term_id)) and m.term_id not in NOT_A_SUBJECT
    }
    topic = main.topic if main else context.topic

    def about_subject(passage: PassageRecord) -> bool:
        return bool(subject & service.ranker.passage_terms(passage))

    candidates: list[PassageRecord] = []
    if query:
        hits, _ = service.rank(query, limit=12)
        floor = service.threshold * MORE_FLOOR
        # More about the ITB trial is a passage that speaks of the trial or belongs with it, not a neighbour
        # that shares the question's other words ("at night"): the main passage's topic first, passages about
        # the subject first within each.
        fitting = [
            h.passage
            for h in hits
            if h.passage.id not in seen
            and (about_subject(h.passage) or (h.passage.topic == topic and h.score >= floor))
        ]
        # Within each, the question's ranking fused with "more like this" (the ranking for the whole text that
        # answered it), so more after the ITB trial is more about the trial, not just more about the pump, and
        # one ranking's stray neighbour does not win alone (reciprocal rank fusion).
        like = service.rank(f"{query} {main.text}", limit=24)[0] if main else []
        fused: dict[str, float] = {}
        for ranking in ([h.passage.id for h in hits], [h.passage.id for h in like]):
            for place, passage_id in enumerate(ranking):
                fused[passage_id] = fused.get(passage_id, 0.0) + 1 / (FUSION_K + place)
        candidates += sorted(fitting, key=lambda p: (p.topic != topic, not about_subject(p), -fused.get(p.id, 0.0)))
    if topic:
        candidates += [
            p for p in bundle.published_passages() if p.topic == topic and p.id not in seen and about_subject(p)
        ]
    candidates = [p for p in candidates if p.topic != "emergencies"]
    if not candidates:
        buttons = related_topics(service, topic)
        return Turn(Reply(ReplyKind.NO_ANSWER, NOTHING_MORE, buttons=buttons), context)
    chosen = candidates[0]
    return Turn(service.answer_with([chosen]), service.context_for(chosen.topic, [], context))


def listed_treatments(service: BotService, passage_ids: list[str]) -> list[str]:
    """The treatments (term ids) the given passages name, in the order they name them, each once."""
    analyser = service.analyser
    named: list[str] = []
    for passage_id in passage_ids:
        passage = service.bundle.passages.get(passage_id)
        if passage is None:
            continue
        for mention in analyser.analyse(passage.text).mentions:
            if mention.label == ENTITY_THERAPY and mention.term_id not in GENERAL_TERMS:
                named.append(mention.term_id)
    return list(dict.fromkeys(named))


def rest_of(question: str) -> str:
    """The message without its pointer: "the first one you mentioned, how does it work" -> "how does it work"."""
    plain = ORDINAL.sub(" ", normalise(question, PHRASES))
    return " ".join(_POINTER_WORDS.sub(" ", plain).split())


def answer_pointer(service: BotService, question: str, index: int, last: list[str], context: Context) -> Turn | None:
    """Answers about the treatment the pointer picks from the last answer; None if it picks none."""
    from bot.context import Context

    treatments = listed_treatments(service, last)
    if not treatments or index >= len(treatments) or index < -len(treatments):
        return None
    term_id = treatments[index]
    term = service.terms.get(term_id)
    if term is None or term.topic is None:
        return None
    rest = rest_of(question)
    subject = Context(term.topic, term_id, context.previous)
    if len(rest.split()) < 2:
        return service.answer_question("", context=subject, topic_id=term.topic)
    return service.answer_question(f"{rest} {term.name}", term_ids=[term_id], context=subject, followup=True)


COMPARISON = re.compile(
    r"\b(?:compare[sd]?|comparing|comparison|differen(?:t|ce|ces)|differ|vs|versus|better than|worse than|"
    r"better or worse|same as|similar to|which is better|which one is better|\w+er than|(?:less|more) (?:\w+ )?than|"
    r"why (?:\w+ ){1,8}when (?:you|i|we|they|he|she|u) (?:could|can) )\b"
)


# The word family of a comparison, as the lookup lemmatizer leaves it (it does not join "different" and "differ").
COMPARISON_WORDS = ("differ", "different", "difference", "compare", "better")


def compare(
    service: BotService, question: str, mentioned: list[str], tokens: list[str], context: Context
) -> Turn | None:
    """Compares two treatments ("how does it compare to baclofen"): a passage about each, or one about both.

    The treatments are the ones the message names, and the one under discussion when it names only one
    ("how is that different from baclofen" after dantrolene). None when the message compares fewer than two.
    """
    from bot.context import Turn

    if not COMPARISON.search(normalise(question, PHRASES)):
        return None
    therapies = [m for m in mentioned if service.terms.get(m) and service.terms[m].label == ENTITY_THERAPY]
    if len(therapies) == 1 and context.therapy and context.therapy not in therapies:
        therapies = [context.therapy, *therapies]
    therapies = list(dict.fromkeys(therapies))[:2]
    if len(therapies) < 2:
        return None
    retriever = service.retriever
    topics = [str(service.terms[t].topic) for t in therapies if service.terms[t].topic]
    if len(topics) < 2:
        return None
    words = [t for t in tokens if t not in therapies]
    # One passage that explains both (the pump against tablets) answers the comparison best.
    # Its title or lay questions say "differs", "difference" or "compared" however the message put it.
    hits = retriever.search([*tokens, *COMPARISON_WORDS], limit=5, topics=topics, text=question)
    for hit in hits:
        if hit.score >= service.threshold and set(therapies) <= service.ranker.passage_terms(hit.passage):
            chosen = [hit.passage]
            break
    else:
        chosen = []
        for therapy, topic in zip(therapies, topics, strict=False):
            best = retriever.search([*words, therapy], limit=1, topics=[topic], text=question)
            passage = best[0].passage if best and best[0].score >= service.threshold else None
            passage = passage or service.bundle.topic_overview(topic)
            if passage is not None and passage not in chosen:
                chosen.append(passage)
    if not chosen:
        return None
    # The conversation goes on about the treatment named last ("how does it compare to baclofen": baclofen).
    last = service.terms[therapies[-1]]
    return Turn(service.answer_with(chosen), service.context_for(str(last.topic), [last.id], context))


# Signal labels that name a thing or a person rather than a sign (bot/safety): they are no evidence alone.
NOT_SIGNS = frozenset(
    {"@THERAPY", "@SYMPTOM", "@CONDITION", "@WORD", "medicine", "person_state", "child", "pump", "pump_device"}
)
MIN_SIGNS_IN_CONTEXT = 3
# Signals that something is happening to someone now (bot/safety): a question with one of them is not general.
NOW_SIGNS = frozenset({"happening_now", "alarm_active", "alarm_sounding"})
MIN_NAME_LENGTH = 3


def safety_in_context(service: BotService, text: str, context: Context) -> Reply | None:
    """The emergency or the refusal a message needs when read with the treatment under discussion.

    The safety net reads each message alone, but people do not repeat the subject: after talking about a
    daughter's pump, "shes itchy all over, really hot and her spasms have come back hard" is pump withdrawal,
    and after talking about baclofen, "should i stop it" asks to stop baclofen. The message is read again with
    the treatment's name in front of it; only what that adds is acted on here (what the message shows alone was
    already acted on by the NLU pipeline). None when the message needs neither.
    """
    term = service.terms.get(context.therapy or "")
    if term is None or term.label != ENTITY_THERAPY or term.id in GENERAL_TERMS or not text.strip():
        return None
    # The plainest name people use ("pump", not "intrathecal baclofen pump (ITB)", which also names a medicine).
    name = min((p for p in term.synonyms if len(p) >= MIN_NAME_LENGTH), key=len, default=term.name)
    net = service.safety_net
    verdict = net.check(f"{name}: {text}")
    if verdict.red_flag is not None:
        # The treatment is only implied, so the message must show at least two signs of its own: "my legs go
        # rigid when i stand up" in a talk about the pump is not pump withdrawal; itching, heat and spasms
        # coming back are.
        named = net.red_flags.matcher(net.nlp(detector_text(f"{name}:"))).labels
        evidence = set(verdict.red_flag.signals) - set(named) - NOT_SIGNS
        general = asks_something(text) and not evidence & NOW_SIGNS  # "is confusion a side effect of it?"
        if len(evidence) >= MIN_SIGNS_IN_CONTEXT and not general:
            return service.emergency(text, verdict.red_flag.flag)
    if verdict.dosing is not None:
        therapies = verdict.dosing.therapies or (term.id,)
        return service.refuse_dosing(text, verdict.dosing.request, therapies)
    return None
