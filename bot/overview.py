"""Overview questions: "what are my options?", "what treatments are there?", "where do I start?".

Someone new to spasticity often asks for the whole map before any one treatment. Ranking such a question
against the library finds no single passage that fits it well, so the person got "I don't have a good answer".
Instead the bot answers with the passage that explains how treatment is usually built up step by step, and
offers the main choices as buttons, so the next step needs no typing. The patterns are plain phrases a
reviewer can read; a question that names a therapy ("what are the options after botox?") or asks something
else as well is ranked as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.constants import ENTITY_THERAPY
from bot.content.records import Status
from bot.context import Context, Turn
from bot.replies import FEEDBACK_BUTTONS, ReplyKind, passage_reply, topic_buttons

if TYPE_CHECKING:
    from bot.service import BotService

import re

from bot.text import LOWER_SPACED, LOWERED, normalise

# The passage that gives the overview, and the treatment topics offered as buttons under it (editors' order).
OVERVIEW_PASSAGE = "planning-step-by-step-approach"
OVERVIEW_TOPICS = (
    "physiotherapy",
    "splints-and-casting",
    "oral-medicines",
    "botulinum-toxin",
    "nerve-blocks",
    "baclofen-pump",
    "rhizotomy",
    "orthopaedic-surgery",
)

_WHO = r"(?:my|his|her|our|their|the|your|all the|any)"
_CHOICES = r"(?:options?|choices?|treatments?|therap(?:y|ies)|things)"
_OTHER = r"(?:other |else |different |main |possible )?"
OVERVIEW_QUESTION = re.compile(
    "|".join(
        [
            rf"\bwhat(?:'s| is| are| r)? {_WHO} {_OTHER}{_CHOICES}\b",
            rf"\bwhat(?: kinds? of| sorts? of)? {_OTHER}{_CHOICES} (?:are|r|is) (?:there|available|out there)\b",
            rf"\bwhat {_OTHER}{_CHOICES} (?:can|could|do|does|might) (?:help|work|be tried|they try|they offer)\b",
            r"\bwhere (?:do|should|can|would) (?:i|we|he|she|they) (?:even )?(?:start|begin)\b",
            r"\bwhat (?:else )?can (?:actually |really |even )?(?:be done|they do|doctors do|anyone do)\b",
            r"\bwhat (?:else )?can (?:we|i|he|she|you) do about (?:it|this|that|them)$",
            rf"\b(?:list|show me|tell me) (?:all )?{_WHO}? ?{_OTHER}{_CHOICES}\b",
            r"\bhow (?:is|can) (?:spasticity|stiffness|it) (?:be )?treated\b",
            r"\bwhat are the ways to (?:treat|manage|help)\b",
        ]
    )
)

# A clause is read on its own: a long message may tell its story first ("my dad had a spinal injury, his
# spasms are bad, what are the options"). But when another clause asks something of its own ("who should
# look after her legs, where do we start"), that question is ranked as usual.
MAX_CLAUSE_WORDS = 12
_CLAUSES = re.compile(r"[,.;:!?\n]+")
_QUESTION_WORDS = re.compile(
    r"^(?:who|whom|whose|why|how|when|which|what|whats|can|could|does|do|is|are|should|will)\b"
)


def is_overview_question(text: str) -> bool:
    """Whether a message asks for the map of treatments rather than about one of them."""
    lowered = normalise(text, LOWERED)
    clauses = [c.strip() for c in _CLAUSES.split(lowered) if c.strip()]
    for index, clause in enumerate(clauses):
        if len(clause.split()) <= MAX_CLAUSE_WORDS and OVERVIEW_QUESTION.search(clause):
            others = clauses[:index] + clauses[index + 1 :]
            return not any(_QUESTION_WORDS.match(other) for other in others)
    return False


# "Show me the topics", "menu", "what can I ask about": a request for the list of topics itself.
MENU_REQUEST = re.compile(
    r"\b(?:topics?|menu|subjects?|list|options|browse|help)\b"
    r"|\bwhat (?:can|could|should) (?:i|we) ask\b|\bwhat (?:do|can) you (?:cover|know|do|help|tell)\b"
    r"|\bwhat (?:information|areas) do you\b|\bnot sure what to ask\b|\bdon'?t know what to ask\b"
    r"|\bwhat (?:else )?can you (?:help|tell|do)\b|\bwhat are you able\b|\beverything you can\b"
)


def is_menu_request(text: str) -> bool:
    """Whether a message asks for the list of topics rather than about something ("tell me about the injections")."""
    return MENU_REQUEST.search(normalise(text, LOWER_SPACED)) is not None


def overview_turn(service: BotService, question: str, term_ids: list[str] | None = None) -> Turn | None:
    """An overview question that names no therapy: the step-by-step passage, the main choices as buttons."""
    if not is_overview_question(question):
        return None
    named = [*(term_ids or []), *service.ranker.analyser.analyse(question).term_ids()]
    if any(service.terms.get(t) and service.terms[t].label == ENTITY_THERAPY for t in named):
        return None
    bundle = service.bundle
    passage = bundle.passages.get(OVERVIEW_PASSAGE)
    if passage is None or passage.status != Status.PUBLISHED:
        return None
    choices = topic_buttons([bundle.topics[t] for t in OVERVIEW_TOPICS if t in bundle.topics])
    reply = passage_reply(ReplyKind.ANSWER, [passage], bundle, buttons=choices + FEEDBACK_BUTTONS)
    return Turn(reply, Context(passage.topic, None))
