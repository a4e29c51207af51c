"""The buttons that let someone go on without typing: related questions after an answer, and topics to choose.

Chosen from the library, never hard-coded per topic, so editors change them by editing the content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.replies import Button, passage_payload, topic_buttons
from bot.retrieval.ranking import EMERGENCY_TOPIC

if TYPE_CHECKING:
    from bot.content.records import PassageRecord
    from bot.retrieval import Hit
    from bot.service import BotService

# When the bot has no good answer it offers the topics of the nearest matches, then the main topics.
LIKELY_TOPICS = 3
MAX_TOPIC_BUTTONS = 6

# Suggested follow-up questions after an answer: how many, and the longest button title (Telegram and small
# screens show about this much on one line).
MAX_FOLLOWUPS = 3
MAX_FOLLOWUP_TITLE = 64


def likely_topics(service: BotService, hits: list[Hit]) -> tuple[Button, ...]:
    """Buttons for the topics of the nearest (if weak) matches first, then the main topics."""
    bundle = service.bundle
    nearest = [h.passage.topic for h in hits[:LIKELY_TOPICS]]
    ordered = dict.fromkeys([*nearest, *(t.id for t in bundle.main_topics())])
    return topic_buttons([bundle.topics[t] for t in list(ordered)[:MAX_TOPIC_BUTTONS] if t in bundle.topics])


def followups(service: BotService, shown: list[PassageRecord], hits: list[Hit] | None = None) -> tuple[Button, ...]:
    """Two or three related questions from the content, as buttons, so the next step needs no typing.

    Chosen from the library, never hard-coded per topic: first the other close matches of the question,
    then the next passages of the shown passage's topic (in the editors' order). Each button shows a lay
    question of that passage and asks for exactly that passage when pressed.
    """
    if not shown:
        return ()
    bundle = service.bundle
    shown_ids = {p.id for p in shown}
    candidates: list[PassageRecord] = []
    floor = service.threshold * 0.5
    candidates += [h.passage for h in (hits or []) if h.score >= floor]
    same_topic = [p for p in bundle.published_passages() if p.topic == shown[0].topic]
    ids = [p.id for p in same_topic]
    start = ids.index(shown[0].id) + 1 if shown[0].id in ids else 0
    candidates += same_topic[start:] + same_topic[:start]
    # A small topic may have nothing left to suggest: weaker matches, then the main topics' overviews.
    candidates += [h.passage for h in (hits or []) if h.score < floor]
    candidates += [o for o in (service.bundle.topic_overview(t.id) for t in bundle.main_topics()) if o is not None]
    buttons: list[Button] = []
    seen = set(shown_ids)
    for passage in candidates:
        if passage.id in seen or passage.topic == EMERGENCY_TOPIC or not passage.questions:
            continue
        seen.add(passage.id)
        fitting = [q for q in passage.questions if len(q) <= MAX_FOLLOWUP_TITLE]
        title = fitting[0] if fitting else min(passage.questions, key=len)[: MAX_FOLLOWUP_TITLE - 1] + "…"
        buttons.append(Button(title=title, payload=passage_payload(passage.id)))
        if len(buttons) == MAX_FOLLOWUPS:
            break
    return tuple(buttons)


def related_topics(service: BotService, topic: str | None) -> tuple[Button, ...]:
    """Buttons for a topic's neighbours in the editors' order, then the main topics."""
    bundle = service.bundle
    ids = list(bundle.topics)
    near = ids[ids.index(topic) + 1 :] if topic in ids else []
    ordered = dict.fromkeys([*near[:2], *(t.id for t in bundle.main_topics())])
    return topic_buttons([bundle.topics[t] for t in list(ordered)[:MAX_TOPIC_BUTTONS] if t in bundle.topics])
