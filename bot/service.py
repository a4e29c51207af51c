"""The bot's behaviour behind the Rasa actions: one method per kind of turn.

Actions stay thin: they read the tracker, call one `BotService` method and send what it returns. The service
holds the content snapshot and the retrieval index, both built once per process on first use (never at
import, never per message), and keeps no per-conversation state: the topic and therapy under discussion
travel in Rasa slots.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.editor_preview import EditorPreview
from bot.config import Settings, get_settings
from bot.constants import ENTITY_THERAPY
from bot.content.library import ContentUnavailable, Library
from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry, Status
from bot.content.store import ContentStore, InMemoryContentStore, SqlContentStore
from bot.context import Context, Turn
from bot.conversation import compare
from bot.nlp.moves import NEW_SUBJECT
from bot.nlp.terminology import TERMINOLOGY_FILE, WORD_LABEL, Term, load_terms
from bot.overview import OVERVIEW_PASSAGE, OVERVIEW_TOPICS, is_overview_question
from bot.replies import (
    CRISIS_LINES,
    EMERGENCY_NUMBERS,
    EMERGENCY_SHORT,
    FEEDBACK_BUTTONS,
    POISON_HELP,
    Reply,
    ReplyKind,
    immediate_steps,
    passage_reply,
    topic_buttons,
)
from bot.retrieval import Hit, Retriever
from bot.retrieval.ranking import EMERGENCY_TOPIC, NOT_A_SUBJECT, TOPIC_BOOST, Ranker
from bot.retrieval.tracing import TracingRetriever
from bot.safety.dosing import PASSAGE_HINTS, DosingRequest, states_dose
from bot.safety.red_flags import PASSAGE_FOR, RedFlag
from bot.suggestions import LIKELY_TOPICS, followups, likely_topics
from bot.text import SPACED, clip, has_words, normalise

if TYPE_CHECKING:
    from bot.nlp.pipeline import TextAnalyser
    from bot.safety import SafetyNet

logger = logging.getLogger(__name__)

# "What actually is it", "what do they actually do in it": a treatment named earlier in the message is asked about.
WHAT_IS_IT = re.compile(
    r"\bwhat(?:'s| is|s)? (?:actually |exactly |even )?(?:is )?(?:it|this|that|they)(?: exactly| actually)?\s*(?:\?|$)"
    r"|\bwhat (?:do|does|will) (?:they|it) (?:actually |exactly )?do\b"
)
# Within the topic under discussion, a follow-up's best passage is accepted at this share of the threshold.
# "What is SDR", "whats an AFO", "how does sativex work": the last clause asks what a treatment is and nothing
# else (besides these words), so it gets the treatment's overview however much story comes before it.
CLAUSE_BREAK = re.compile(r"[,.;:!?]+")
ASKS_WHAT = re.compile(
    r"^(?:(?:so|and|ok|okay|but|hi|um|sorry)\W+)*(?:what(?:'s|s| is| are)|whats|what does|what do|how does|how do|"
    r"what exactly is|explain|tell me about)\b",
    re.IGNORECASE,
)
WHAT_FILLER = frozenset({"work", "mean", "exactly", "actually", "even", "spasticity", "stand", "basically"})
# An emergency message is often short and frightened; a looser match still picks the right safety passage.
EMERGENCY_MATCH_RATIO = 0.5
# Signs that may be an emergency or a known side effect of a medicine ("could mum's new muddle be from
# baclofen?"): after the safety part, the reply also answers the question that was asked.
ANSWER_AFTER_EMERGENCY: frozenset[RedFlag] = frozenset(
    {
        RedFlag.GENERAL,
        RedFlag.OVERDOSE,
        RedFlag.SEDATIVES_OPIOIDS,
        RedFlag.TIZANIDINE_FAINTING,
        RedFlag.ORAL_WITHDRAWAL,
        RedFlag.STROKE,
        RedFlag.TOXIN_SPREAD,
    }
)
ASKS = re.compile(
    r"\?|^\s*(?:could|can|is|are|does|do|did|why|what|whats|how|should|might|may|will|would)\b", re.IGNORECASE
)
AFTER_EMERGENCY = "About your question:"
# A dosing request that mentions taking too much gets the poison-help route and the crisis lines first: "how
# many would be an overdose" can come from someone at risk, and is never met by a refusal alone.
MENTIONS_OVERDOSE = re.compile(
    r"\bover ?dos\w*|\bod\b|\b(?:took|taken|takes|swallowed|had|has) (?:\w+ )?too (?:much|many)\b", re.IGNORECASE
)

INTRODUCTION = (
    "Hello! I'm an automated assistant, not a doctor or nurse. I explain spasticity and its treatments "
    "using trusted health sources, and I show where each answer comes from. I can't advise on your own "
    "doses or treatment. Ask me a question in your own words, or choose a topic below."
)
RESTARTED = "Starting again: I've forgotten what we talked about."
NO_ANSWER = (
    "I'm sorry, I don't have a good answer to that in my library. You could try asking in other words, "
    "or choose one of these topics."
)
OUT_OF_SCOPE = (
    "I can only help with spasticity: what it is, what causes it or makes it worse, and how its treatments "
    "work, such as stretching, splints, medicines, botulinum toxin, the baclofen pump and surgery. "
    "Here are some topics I can help with."
)
DOSING_REFUSAL = (
    "I can't give advice about your own medicine or dose: how much to take, or whether to change, skip, "
    "double, stop or restart it, or mix it with other medicines. Your prescriber or pharmacist knows your "
    "health and your other medicines, so please ask them; many clinics and pharmacies have a phone line "
    "for this."
)
DOSING_GENERAL = "Here is some general information that may help you talk it through with them:"
MENU = "Here are the main topics I can help with. Choose one, or type your question in your own words."
UNAVAILABLE = (
    "I'm sorry, I can't reach my library right now, so I can't answer safely. Please try again in a few "
    f"minutes. If you need help now, contact your care team. {EMERGENCY_SHORT} {CRISIS_LINES}"
)
TRUNCATED_NOTE = "Your message was very long, so I read only the first part of it."
CLARIFY = "I'm not sure I understood. Is your question about one of these? You can also ask it in other words."
GIVE_UP = (
    "I'm sorry, I still can't work out what you need, and I'd rather not guess about your health. You could "
    'choose one of the main topics below, or write a short question such as "what is a baclofen pump?". For '
    "anything about your own care, your doctor, nurse, therapist or pharmacist is the best person to ask."
)
THANKS_HELPFUL = "Thank you for telling me. I'm glad it helped. Is there anything else you'd like to know?"
THANKS_NOT_HELPFUL = (
    "Thank you for telling me; the people who write my library will see that this answer did not help. You "
    "could ask in other words, or choose a topic below."
)


class BotService:
    """Answers questions from the content store; one instance per process."""

    def __init__(
        self,
        store: ContentStore,
        analyser_factory: Callable[[], TextAnalyser],
        terms: list[Term],
        threshold: float,
        max_chars: int = 1000,
        reload_interval: float | None = None,
        protocol: dict[str, ProtocolEntry] | None = None,
        protocol_dir: Path | None = None,
    ) -> None:
        """Creates the service without loading anything yet.

        Args:
            store: where the content is read from.
            analyser_factory: a zero-argument callable returning the `TextAnalyser` (loaded lazily).
            terms: the terminology, for mapping terms to topics.
            threshold: relevance below which the bot says it has no good answer.
            max_chars: the longest message read; the rest is ignored and the person told.
            reload_interval: at most how often (seconds) the store's revision is checked for new content;
                negative turns the check off. Default: `CONTENT_RELOAD_SECONDS`.
            protocol: the emergency protocol (`content/emergency_protocol.yml`), keyed by red flag.
            protocol_dir: where to read the protocol from on first use when `protocol` is not given (like the
                terminology, it is read from the content folder). Default: `CONTENT_DIR`.
        """
        self.terms = {t.id: t for t in terms}
        self.threshold = threshold
        self.max_chars = max_chars
        interval = get_settings().content_reload_seconds if reload_interval is None else reload_interval
        self.library: Library[TextAnalyser, Retriever] = Library(store, analyser_factory, Retriever.build, interval)
        self.ranker = Ranker(self.terms, threshold, self._ensure_loaded)
        self._protocol = protocol
        self._protocol_dir = protocol_dir
        self._safety_net: SafetyNet | None = None

    # -- loading -------------------------------------------------------------------------------------

    def _ensure_loaded(self) -> tuple[ContentBundle, Retriever, TextAnalyser]:
        """The snapshot, index and analyser of this turn (pinned by `turn()`; an editor's turn is traced)."""
        content, state = self.library.snapshot()
        retriever = content.retriever
        preview = state.preview if state is not None else None
        if isinstance(preview, EditorPreview):
            preview.saw(content.revision, content.bundle)
            retriever = TracingRetriever(retriever, preview)
        return content.bundle, retriever, self.library.analyser

    def turn(self, preview: EditorPreview | None = None) -> AbstractContextManager[EditorPreview | None]:
        """Pins one content snapshot for a whole turn (`Library.turn`); with a preview, drafts and tracing."""
        return self.library.turn(preview)

    @property
    def bundle(self) -> ContentBundle:
        """The content snapshot (loaded on first use)."""
        return self._ensure_loaded()[0]

    # -- helpers -------------------------------------------------------------------------------------

    def _clip(self, text: str) -> tuple[str, bool]:
        return clip(normalise(text, SPACED), self.max_chars)

    def question_of(self, passage_id: str) -> str:
        """The first lay question of a passage: what a follow-up button asked, stored with feedback."""
        passage = self.bundle.passages.get(passage_id)
        return passage.questions[0] if passage and passage.questions else ""

    def topic_overview(self, topic_id: str) -> PassageRecord | None:
        """The first published passage of a topic, which editors write as its overview."""
        for passage in self.bundle.published_passages():
            if passage.topic == topic_id:
                return passage
        return None

    # -- turns ---------------------------------------------------------------------------------------

    def introduction(self) -> Reply:
        """The first message of a conversation: who the bot is, with the main topics as buttons."""
        return Reply(ReplyKind.INTRODUCTION, INTRODUCTION, buttons=topic_buttons(self.bundle.main_topics()))

    def restarted(self) -> Reply:
        """After "/restart": says the conversation was cleared, then introduces the bot as a new session does."""
        return Reply(
            ReplyKind.INTRODUCTION, f"{RESTARTED} {INTRODUCTION}", buttons=topic_buttons(self.bundle.main_topics())
        )

    def topics_menu(self) -> Reply:
        """The main topics as buttons, for "menu" or "what can I ask about?"."""
        return Reply(ReplyKind.MENU, MENU, buttons=topic_buttons(self.bundle.main_topics()))

    def unavailable(self) -> Reply:
        """What the bot says when its content cannot be loaded."""
        return Reply(ReplyKind.UNAVAILABLE, UNAVAILABLE)

    @property
    def safety_net(self) -> SafetyNet:
        """The safety net over the service's own pipeline, for reading a message in its conversation."""
        analyser = self.analyser
        if self._safety_net is None or self._safety_net.nlp is not analyser.nlp:
            from bot.safety import SafetyNet

            self._safety_net = SafetyNet(analyser.nlp)
        return self._safety_net

    def rank(
        self, question: str, term_ids: list[str] | None = None, context: Context | None = None, limit: int = 5
    ) -> tuple[list[Hit], list[str]]:
        """Ranks passages for a question as answers are chosen (`Ranker.rank`; the evaluations use it too)."""
        return self.ranker.rank(question, term_ids, context, limit=limit)

    @property
    def retriever(self) -> Retriever:
        """The retrieval index of the content snapshot in use (built on first use)."""
        return self._ensure_loaded()[1]

    @property
    def analyser(self) -> TextAnalyser:
        """The NLP analysis of the content snapshot in use (loaded on first use)."""
        return self._ensure_loaded()[2]

    def answer_with(self, chosen: list[PassageRecord]) -> Reply:
        """An answer citing these passages, with follow-up suggestions and the feedback buttons."""
        return self._answer(chosen, None)

    def context_for(self, topic: str, mentioned: list[str], context: Context | None) -> Context:
        """The context after answering from `topic`, given the terms the message named."""
        return self._context_for(topic, mentioned, context)

    def _answer(self, chosen: list[PassageRecord], hits: list[Hit] | None, lead: str = "") -> Reply:
        buttons = followups(self, chosen, hits) + FEEDBACK_BUTTONS
        return passage_reply(ReplyKind.ANSWER, chosen, self.bundle, lead=lead, buttons=buttons)

    def answer_passage(self, passage_id: str, context: Context | None = None) -> Turn | None:
        """Answers with one passage chosen with a follow-up button; None if it is not (or no longer) published."""
        passage = self.bundle.passages.get(passage_id)
        if passage is None or passage.status != Status.PUBLISHED:
            return None
        return Turn(self._answer([passage], None), self._context_for(passage.topic, [], context))

    def overview(self, question: str, term_ids: list[str] | None = None) -> Turn | None:
        """An overview question that names no therapy: the step-by-step passage, the main choices as buttons."""
        if not is_overview_question(question):
            return None
        named = [*(term_ids or []), *self._ensure_loaded()[2].analyse(question).term_ids()]
        if any(self.terms.get(t) and self.terms[t].label == ENTITY_THERAPY for t in named):
            return None
        bundle = self.bundle
        passage = bundle.passages.get(OVERVIEW_PASSAGE)
        if passage is None or passage.status != Status.PUBLISHED:
            return None
        choices = topic_buttons([bundle.topics[t] for t in OVERVIEW_TOPICS if t in bundle.topics])
        reply = passage_reply(ReplyKind.ANSWER, [passage], bundle, buttons=choices + FEEDBACK_BUTTONS)
        return Turn(reply, Context(passage.topic, None))

    def _context_for(self, topic: str, mentioned: list[str], context: Context | None) -> Context:
        context = context or Context()
        named_therapies = [m for m in mentioned if self.terms.get(m) and self.terms[m].label == ENTITY_THERAPY]
        if named_therapies:
            therapy: str | None = named_therapies[0]
        elif topic == context.topic:
            therapy = context.therapy
        else:
            therapy = self.ranker.therapy_for_topic(topic)
        return Context(topic, therapy)

    def answer_question(
        self,
        question: str,
        term_ids: list[str] | None = None,
        context: Context | None = None,
        followup: bool = False,
        topic_id: str | None = None,
        min_score: float | None = None,
    ) -> Turn:
        """Finds the best passage(s) for a question and cites them.

        Args:
            question: the person's message.
            term_ids: canonical ids of the entities Rasa extracted.
            context: the topic and therapy under discussion, for follow-ups.
            followup: whether NLU read the message as a follow-up ("what are its side effects?").
            topic_id: a topic chosen with a button: answer with its overview.
            min_score: a stricter bar than the answer threshold for the best passage (never a laxer one).
        """
        context = context or Context()
        announced = NEW_SUBJECT.search(question)
        if announced:  # read without the old subject, and without the words that announced the new one
            context = Context()
            question = question[announced.end() :].lstrip(" ,.:;!-") or question
        bundle = self.bundle
        if topic_id and topic_id in bundle.topics:
            overview = self.topic_overview(topic_id)
            if overview is not None:
                return Turn(self._answer([overview], None), self._context_for(topic_id, [], None))
        text, clipped = self._clip(question)
        overview_turn = self.overview(text, term_ids)
        if overview_turn is not None:
            return overview_turn
        analysis = self.analyser.analyse(text)
        named = list(dict.fromkeys([*(term_ids or []), *analysis.term_ids()]))
        compared = compare(self, text, named, list(analysis.tokens), context)
        if compared is not None:
            return compared
        therapies = [t for t in named if self.terms.get(t) and self.terms[t].label == ENTITY_THERAPY]
        if len(therapies) == 1 and (WHAT_IS_IT.search(text.lower()) or self._asks_what(text, therapies[0])):
            # "my husband is being assessed for a pump, what actually is it", "my sister has cp, what is an AFO":
            # the story around the question outweighs its subject in the ranking, but the question asks for the
            # treatment's overview.
            term = self.terms[therapies[0]]
            if term.topic == term.id:
                overview = self.topic_overview(term.topic)
                if overview is not None:
                    return Turn(self._answer([overview], None), self._context_for(term.topic, therapies, context))
            else:  # serial casting is one part of its topic: ask for it by name, without the story
                text, term_ids = f"what is {term.name}", [term.id]
        hits, mentioned = self.ranker.rank(text, term_ids, context, followup)
        floor = self.threshold if min_score is None else max(self.threshold, min_score)
        if not hits or hits[0].score < floor:
            note = f"{TRUNCATED_NOTE} " if clipped else ""
            return Turn(
                Reply(ReplyKind.NO_ANSWER, note + NO_ANSWER, buttons=likely_topics(self, hits)),
                context,
            )
        chosen = self.ranker.pick(hits)
        lead = TRUNCATED_NOTE if clipped else ""
        reply = self._answer(chosen, hits, lead=lead)
        after = self._context_for(chosen[0].topic, mentioned, context)
        return Turn(reply, dataclasses.replace(after, previous=self._with_subject(text, mentioned, context)))

    def _with_subject(self, question: str, mentioned: list[str], context: Context) -> str:
        """The question as the next follow-up should read it: with the subject it left unsaid.

        "And what sets them off?" names no subject; kept as it is, the question after it ("is there anything
        that helps with them?") would have lost the painful tonic spasms. So a question that names no subject
        is kept with the subject of the one before it: "and what sets them off? (painful tonic spasms)".
        """
        if any(m not in NOT_A_SUBJECT for m in mentioned) or not context.previous:
            return question
        earlier = [t for t in self.analyser.analyse(context.previous).term_ids() if t in self.terms]
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
            for m in self.analyser.analyse(text).mentions
            if m.label == WORD_LABEL and self.ranker.topic_of(m.term_id)
        ]

    def _asks_what(self, text: str, term_id: str) -> bool:
        """Whether the message's last clause only asks what a treatment is or how it works ("what is SDR")."""
        clauses = [c for c in CLAUSE_BREAK.split(text) if c.strip()]
        if not clauses or not ASKS_WHAT.match(clauses[-1].strip()):
            return False
        tokens = self.analyser.analyse(clauses[-1]).tokens
        return term_id in tokens and all(t == term_id or t in WHAT_FILLER for t in tokens)

    def clarify(self, question: str, context: Context | None = None, attempts: int = 0) -> Turn:
        """Low NLU confidence: answer if the library is sure; else ask which topic, then give up gracefully.

        Args:
            question: the person's message.
            context: the topic and therapy under discussion.
            attempts: how many clarifications were already offered in a row just before this message.
        """
        context = context or Context()
        if has_words(question):  # "!!!" or "🙂" asks nothing: never answered, not even from the context
            turn = self.answer_question(question, context=context)
            if turn.reply.kind == ReplyKind.ANSWER:
                return turn
        if attempts >= 1:
            return Turn(Reply(ReplyKind.GIVE_UP, GIVE_UP, buttons=topic_buttons(self.bundle.main_topics())), context)
        text, _ = self._clip(question)
        hits, _mentioned = self.ranker.rank(text, context=context, limit=10)
        likely = list(dict.fromkeys(h.passage.topic for h in hits if h.passage.topic != EMERGENCY_TOPIC))
        bundle = self.bundle
        if len(likely) < 2:
            likely += [t.id for t in bundle.main_topics() if t.id not in likely]
        buttons = topic_buttons([bundle.topics[t] for t in likely[:LIKELY_TOPICS] if t in bundle.topics])
        return Turn(Reply(ReplyKind.CLARIFY, CLARIFY, buttons=buttons), context)

    def feedback_thanks(self, helpful: bool) -> Reply:
        """Acknowledges a helpful / not helpful press; after "not helpful", offers the topics again."""
        if helpful:
            return Reply(ReplyKind.FEEDBACK, THANKS_HELPFUL)
        return Reply(ReplyKind.FEEDBACK, THANKS_NOT_HELPFUL, buttons=topic_buttons(self.bundle.main_topics()))

    def protocol(self) -> dict[str, ProtocolEntry]:
        """The emergency protocol, read from the content folder on first use.

        An emergency reply must never fail, so a missing or invalid protocol is logged and the replies fall
        back to the numbers and the safety passage (`make content-check` reports the problem to editors).
        """
        if self._protocol is None:
            from bot.content.loader import ContentValidationError, load_protocol

            folder = self._protocol_dir or get_settings().content_dir
            try:
                self._protocol = load_protocol(folder, self.bundle.sources)
            except (ContentValidationError, OSError):
                logger.exception("Could not load the emergency protocol from %s", folder)
                self._protocol = {}
        return self._protocol

    def emergency(self, message: str, red_flag: RedFlag | None = None) -> Reply:
        """Emergency numbers first, then the protocol's immediate steps, then the safety passage, with sources.

        Args:
            message: the person's message.
            red_flag: what the safety net found (`bot.safety`); without one (the classifier alone said
                emergency) the closest safety passage is chosen by retrieval.

        The numbers always come first, and for suicidal thoughts or self-harm the crisis lines come right
        after them. The immediate steps come from `content/emergency_protocol.yml`, so every reply for one
        red flag says the same thing in the same order. When no safety passage fits, the reply gives the
        numbers, the steps and the crisis lines rather than a passage about a different danger. Where the
        signs may also be a side effect and the person asked a question about a medicine, the best answering
        passage follows the safety part (`ANSWER_AFTER_EMERGENCY`).
        """
        bundle, retriever, analyser = self._ensure_loaded()
        lead = EMERGENCY_NUMBERS
        if red_flag is RedFlag.SUICIDE_SELF_HARM:
            lead = f"{EMERGENCY_NUMBERS}\n{CRISIS_LINES}"
        entry = self.protocol().get(red_flag.value) if red_flag else None
        first = [(immediate_steps(entry), entry.sources)] if entry and entry.immediate else []
        passage_id = PASSAGE_FOR.get(red_flag) if red_flag else None
        passage = bundle.passages.get(passage_id) if passage_id else None
        chosen: list[PassageRecord] = []
        if passage is not None and passage.published and not states_dose(passage.text):
            chosen = [passage]
        else:
            if passage_id:
                logger.warning("Safety passage %s for %s is missing or unpublished", passage_id, red_flag)
            text, _ = self._clip(message)
            hits = retriever.search(analyser.analyse(text).tokens, limit=3, topics=[EMERGENCY_TOPIC])
            hits = [h for h in hits if not states_dose(h.passage.text)]
            if hits and hits[0].score >= self.threshold * EMERGENCY_MATCH_RATIO:
                chosen = [hits[0].passage]
                if entry is None:
                    # No red flag (the classifier alone said emergency): the steps of the passage's own flag.
                    flag = next((f for f, pid in PASSAGE_FOR.items() if pid == chosen[0].id), None)
                    entry = self.protocol().get(flag.value) if flag else None
                    first = [(immediate_steps(entry), entry.sources)] if entry and entry.immediate else []
        if not chosen:
            text = lead if red_flag is RedFlag.SUICIDE_SELF_HARM else f"{lead}\n{CRISIS_LINES}"
            if not first:
                return Reply(ReplyKind.EMERGENCY, text)
            return passage_reply(ReplyKind.EMERGENCY, [], bundle, lead=text, first=first)
        answer = self._answer_after_emergency(message, red_flag, chosen)
        if answer is None:
            return passage_reply(ReplyKind.EMERGENCY, chosen, bundle, lead=lead, first=first)
        # The safety part stays first and whole; the answer follows under its own heading.
        first = [*first, *((p.text, p.sources) for p in chosen), (AFTER_EMERGENCY, ())]
        reply = passage_reply(ReplyKind.EMERGENCY, [answer], bundle, lead=lead, first=first)
        return dataclasses.replace(reply, passage_ids=(*(p.id for p in chosen), answer.id))

    def _answer_after_emergency(
        self, message: str, red_flag: RedFlag | None, shown: list[PassageRecord]
    ) -> PassageRecord | None:
        """The library's answer to a question asked along with signs that may be a side effect, if it has one.

        Only for the red flags in `ANSWER_AFTER_EMERGENCY`, only when the person asked a question that names a
        medicine, and only a passage outside the emergencies topic that clears the answer threshold and states
        no dose.
        """
        if red_flag not in ANSWER_AFTER_EMERGENCY or not ASKS.search(message or ""):
            return None
        text, _ = self._clip(message)
        _bundle, _retriever, analyser = self._ensure_loaded()
        if not analyser.analyse(text).term_ids(ENTITY_THERAPY):
            return None
        hits, _mentioned = self.ranker.rank(text, limit=8)
        shown_ids = {p.id for p in shown}
        for hit in hits:
            passage = hit.passage
            if hit.score < self.threshold:
                break
            if passage.topic != EMERGENCY_TOPIC and passage.id not in shown_ids and not states_dose(passage.text):
                return passage
        return None

    def refuse_dosing(
        self, message: str, request: DosingRequest | None = None, therapies: tuple[str, ...] = ()
    ) -> Reply:
        """A refusal that says why and who to ask, with a relevant general passage when there is one.

        Args:
            message: the person's message.
            request: what the safety net read the request as (stop, restart, mix, ...), which steers the
                choice of passage (asking to stop baclofen brings "why baclofen must never be stopped
                suddenly").
            therapies: the therapies the message names, whose topics are preferred.

        The passage is never one that states a dose amount, so the reply cannot give the person a dose.
        """
        bundle, retriever, analyser = self._ensure_loaded()
        text, _ = self._clip(message)
        analysis = analyser.analyse(text)
        refusal = DOSING_REFUSAL
        if MENTIONS_OVERDOSE.search(text):
            refusal = f"{POISON_HELP} {EMERGENCY_SHORT}\n{CRISIS_LINES}\n{DOSING_REFUSAL}"
        hint = PASSAGE_HINTS.get(request) if request else None
        tokens = [*analysis.tokens, *(analyser.analyse(hint).tokens if hint else ())]
        named = [*therapies, *analysis.term_ids(ENTITY_THERAPY)]
        topics = {t: TOPIC_BOOST for t in (self.ranker.topic_of(term) for term in named) if t}
        hits = [
            h
            for h in retriever.search(tokens, limit=5, boost_topics=topics)
            if h.score >= self.threshold and not states_dose(h.passage.text)
        ]
        if not hits:
            return Reply(ReplyKind.DOSING_REFUSAL, refusal)
        return passage_reply(ReplyKind.DOSING_REFUSAL, [hits[0].passage], bundle, lead=f"{refusal}\n{DOSING_GENERAL}")

    def out_of_scope(self) -> Reply:
        """What the bot covers, with topics to choose from."""
        return Reply(ReplyKind.OUT_OF_SCOPE, OUT_OF_SCOPE, buttons=topic_buttons(self.bundle.main_topics()))


def _default_analyser(settings: Settings) -> TextAnalyser:
    from bot.nlp.pipeline import TextAnalyser

    try:
        return TextAnalyser.from_path(settings.nlp_dir)
    except OSError as exc:
        raise ContentUnavailable(f"The spaCy pipeline is missing at {settings.nlp_dir}: run `make pipeline`.") from exc


@lru_cache(maxsize=1)
def get_service() -> BotService:
    """The process-wide service over the configured database and pipeline (created on first use)."""
    settings = get_settings()
    terms = load_terms(settings.content_dir / TERMINOLOGY_FILE)
    return BotService(
        store=SqlContentStore.from_url(settings.database_url),
        analyser_factory=lambda: _default_analyser(settings),
        terms=terms,
        threshold=settings.answer_threshold,
        max_chars=settings.max_message_chars,
    )


def service_from_content(content_dir: Path, threshold: float | None = None) -> BotService:
    """A service over the content files themselves (no database), for evaluations and editors' tools."""
    from bot.content.loader import load_bundle
    from bot.nlp.pipeline import TextAnalyser, build_pipeline

    bundle = load_bundle(content_dir)
    terms = load_terms(content_dir / TERMINOLOGY_FILE)
    analyser = TextAnalyser(build_pipeline(terms))
    return BotService(
        InMemoryContentStore(bundle),
        lambda: analyser,
        terms,
        threshold=get_settings().answer_threshold if threshold is None else threshold,
        protocol_dir=content_dir,
    )
