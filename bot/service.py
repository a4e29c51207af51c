"""Deciding the turn: which reply a message gets, given its conversation. One method per kind of turn.

Actions stay thin: they read the tracker, call one `BotService` method and send what it returns. The service
keeps no per-conversation state (the subject travels in Rasa slots) and delegates everything else: the content
and its index to `bot.content.library`, ranking to `bot.retrieval.ranking`, the emergency and dosing replies
to `bot.safety_replies`, the suggestion buttons to `bot.suggestions`, and its words to `bot.wording`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from bot import wording
from bot.channels.editor_preview import EditorPreview
from bot.config import get_settings
from bot.constants import ENTITY_THERAPY
from bot.content.library import Library
from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry, Status
from bot.content.store import ContentStore
from bot.context import Context, Turn
from bot.conversation import compare
from bot.emergency_numbers import local_numbers
from bot.nlp.moves import NEW_SUBJECT, WHAT_IS_IT
from bot.nlp.terminology import Term
from bot.overview import overview_turn
from bot.replies import FEEDBACK_BUTTONS, REASON_BUTTONS, Reply, ReplyKind, passage_reply, topic_buttons
from bot.retrieval import Hit, Retriever
from bot.retrieval.ranking import EMERGENCY_TOPIC, Ranker
from bot.retrieval.tracing import TracingRetriever
from bot.safety.dosing import DosingRequest
from bot.safety.red_flags import RedFlag
from bot.safety_replies import SafetyReplies
from bot.suggestions import LIKELY_TOPICS, followups, likely_topics
from bot.text import SPACED, clip, has_words, normalise

if TYPE_CHECKING:
    from bot.nlp.pipeline import TextAnalyser
    from bot.safety import SafetyNet

logger = logging.getLogger(__name__)


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
        self.safety_replies = SafetyReplies(self, protocol, protocol_dir)
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

    # -- turns ---------------------------------------------------------------------------------------

    def introduction(self) -> Reply:
        """The first message of a conversation: who the bot is, with the main topics as buttons."""
        return Reply(ReplyKind.INTRODUCTION, wording.INTRODUCTION, buttons=topic_buttons(self.bundle.main_topics()))

    def restarted(self) -> Reply:
        """After "/restart": says the conversation was cleared, then introduces the bot as a new session does."""
        return Reply(
            ReplyKind.INTRODUCTION,
            f"{wording.RESTARTED} {wording.INTRODUCTION}",
            buttons=topic_buttons(self.bundle.main_topics()),
        )

    def topics_menu(self) -> Reply:
        """The main topics as buttons, for "menu" or "what can I ask about?"."""
        return Reply(ReplyKind.MENU, wording.MENU, buttons=topic_buttons(self.bundle.main_topics()))

    def unavailable(self) -> Reply:
        """What the bot says when its content cannot be loaded."""
        return Reply(ReplyKind.UNAVAILABLE, wording.UNAVAILABLE)

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
            overview = self.bundle.topic_overview(topic_id)
            if overview is not None:
                return Turn(self._answer([overview], None), self._context_for(topic_id, [], None))
        text, clipped = self._clip(question)
        whole_map = overview_turn(self, text, term_ids)
        if whole_map is not None:
            return whole_map
        analysis = self.analyser.analyse(text)
        named = list(dict.fromkeys([*(term_ids or []), *analysis.term_ids()]))
        compared = compare(self, text, named, list(analysis.tokens), context)
        if compared is not None:
            return compared
        therapies = [t for t in named if self.terms.get(t) and self.terms[t].label == ENTITY_THERAPY]
        if len(therapies) == 1 and (WHAT_IS_IT.search(text.lower()) or self.ranker.asks_what(text, therapies[0])):
            # "my husband is being assessed for a pump, what actually is it", "my sister has cp, what is an AFO":
            # the story around the question outweighs its subject in the ranking, but the question asks for the
            # treatment's overview.
            term = self.terms[therapies[0]]
            if term.topic == term.id:
                overview = self.bundle.topic_overview(term.topic)
                if overview is not None:  # ranked all the same: its neighbours are the suggestions (and traced)
                    hits, _ = self.ranker.rank(text, term_ids, context, followup)
                    return Turn(self._answer([overview], hits), self._context_for(term.topic, therapies, context))
            else:  # serial casting is one part of its topic: ask for it by name, without the story
                text, term_ids = f"what is {term.name}", [term.id]
        hits, mentioned = self.ranker.rank(text, term_ids, context, followup)
        floor = self.threshold if min_score is None else max(self.threshold, min_score)
        if not hits or hits[0].score < floor:
            note = f"{wording.TRUNCATED_NOTE} " if clipped else ""
            return Turn(
                Reply(ReplyKind.NO_ANSWER, note + wording.NO_ANSWER, buttons=likely_topics(self, hits)),
                context,
            )
        chosen = self.ranker.pick(hits)
        lead = wording.TRUNCATED_NOTE if clipped else ""
        reply = self._answer(chosen, hits, lead=lead)
        after = self._context_for(chosen[0].topic, mentioned, context)
        return Turn(reply, dataclasses.replace(after, previous=self.ranker.with_subject(text, mentioned, context)))

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
        if attempts >= 1:  # the give-up reply, with a person to talk to if the deployment names one
            text = " ".join(filter(None, (wording.GIVE_UP, local_numbers().human_help_line())))
            return Turn(Reply(ReplyKind.GIVE_UP, text, buttons=topic_buttons(self.bundle.main_topics())), context)
        text, _ = self._clip(question)
        hits, _mentioned = self.ranker.rank(text, context=context, limit=10)
        likely = list(dict.fromkeys(h.passage.topic for h in hits if h.passage.topic != EMERGENCY_TOPIC))
        bundle = self.bundle
        if len(likely) < 2:
            likely += [t.id for t in bundle.main_topics() if t.id not in likely]
        buttons = topic_buttons([bundle.topics[t] for t in likely[:LIKELY_TOPICS] if t in bundle.topics])
        return Turn(Reply(ReplyKind.CLARIFY, wording.CLARIFY, buttons=buttons), context)

    def feedback_thanks(self, helpful: bool, reason_given: bool = False) -> Reply:
        """Thanks for a vote; "not helpful" offers the optional reasons, a reason the topics (always a way on)."""
        if helpful:
            return Reply(ReplyKind.FEEDBACK, wording.THANKS_HELPFUL)
        if reason_given:
            return Reply(ReplyKind.FEEDBACK, wording.THANKS_REASON, buttons=topic_buttons(self.bundle.main_topics()))
        return Reply(ReplyKind.FEEDBACK, wording.THANKS_NOT_HELPFUL, buttons=REASON_BUTTONS)

    def emergency(self, message: str, red_flag: RedFlag | None = None) -> Reply:
        """Emergency numbers, the protocol's immediate steps and the safety passage (`SafetyReplies`)."""
        return self.safety_replies.emergency(message, red_flag)

    def refuse_dosing(
        self, message: str, request: DosingRequest | None = None, therapies: tuple[str, ...] = ()
    ) -> Reply:
        """The dosing refusal, with a general passage that states no dose (`SafetyReplies`)."""
        return self.safety_replies.refuse_dosing(message, request, therapies)

    def out_of_scope(self) -> Reply:
        """What the bot covers, with topics to choose from."""
        return Reply(ReplyKind.OUT_OF_SCOPE, wording.OUT_OF_SCOPE, buttons=topic_buttons(self.bundle.main_topics()))
