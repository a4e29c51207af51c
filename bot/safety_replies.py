"""The replies for an emergency, a request about someone's own dose and a request for a person: who to ask.

Every emergency reply starts with the emergency numbers (and the crisis lines for suicidal thoughts), then
the protocol's immediate steps for the red flag (`content/emergency_protocol.yml`), so every reply for one
sign says the same thing in the same order, then the safety passage with its sources. A dosing request gets
a refusal that says why and who to ask, with a general passage that states no dose. "Can I talk to someone?"
gets the person the deployment names (`HUMAN_HELP_*`), or the care team, with the emergency and crisis numbers.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import get_settings
from bot.constants import ENTITY_THERAPY
from bot.content.records import PassageRecord, ProtocolEntry
from bot.emergency_numbers import local_numbers
from bot.replies import Reply, ReplyKind, immediate_steps, passage_reply
from bot.retrieval.ranking import EMERGENCY_TOPIC, TOPIC_BOOST
from bot.safety.dosing import PASSAGE_HINTS, DosingRequest, states_dose
from bot.safety.red_flags import PASSAGE_FOR, RedFlag
from bot.wording import (
    AFTER_EMERGENCY,
    ASK_HUMAN,
    ASK_HUMAN_UNSET,
    CRISIS_LINES,
    DOSING_GENERAL,
    DOSING_REFUSAL,
    EMERGENCY_NUMBERS,
    EMERGENCY_SHORT,
    POISON_HELP,
)

if TYPE_CHECKING:
    from bot.service import BotService

logger = logging.getLogger(__name__)

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

# A dosing request that mentions taking too much gets the poison-help route and the crisis lines first: "how
# many would be an overdose" can come from someone at risk, and is never met by a refusal alone.
MENTIONS_OVERDOSE = re.compile(
    r"\bover ?dos\w*|\bod\b|\b(?:took|taken|takes|swallowed|had|has) (?:\w+ )?too (?:much|many)\b", re.IGNORECASE
)


def human_help() -> Reply:
    """Who can talk with someone who asks for a person: the one the deployment names, else their care team.

    Either way it says where to go in an emergency or a crisis: someone who asks for a person may need one now.
    """
    line = local_numbers().human_help_line()
    first = f"{ASK_HUMAN} {line}" if line else ASK_HUMAN_UNSET
    return Reply(ReplyKind.HUMAN_HELP, f"{first}\n{EMERGENCY_SHORT} {CRISIS_LINES}")


class SafetyReplies:
    """Builds the emergency and dosing replies over the service's content; holds the emergency protocol."""

    def __init__(
        self, service: BotService, protocol: dict[str, ProtocolEntry] | None, protocol_dir: Path | None
    ) -> None:
        """Args: the service; the protocol (read from `protocol_dir` or the content folder when None)."""
        self.service = service
        self._protocol = protocol
        self._protocol_dir = protocol_dir

    def protocol(self) -> dict[str, ProtocolEntry]:
        """The emergency protocol, read from the content folder on first use.

        An emergency reply must never fail, so a missing or invalid protocol is logged and the replies fall
        back to the numbers and the safety passage (`make content-check` reports the problem to editors).
        """
        if self._protocol is None:
            from bot.content.loader import ContentValidationError, load_protocol

            folder = self._protocol_dir or get_settings().content_dir
            try:
                self._protocol = load_protocol(folder, self.service.bundle.sources)
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
        bundle, retriever, analyser = self.service._ensure_loaded()
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
            text, _ = self.service._clip(message)
            hits = retriever.search(analyser.analyse(text).tokens, limit=3, topics=[EMERGENCY_TOPIC])
            hits = [h for h in hits if not states_dose(h.passage.text)]
            if hits and hits[0].score >= self.service.threshold * EMERGENCY_MATCH_RATIO:
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
        text, _ = self.service._clip(message)
        _bundle, _retriever, analyser = self.service._ensure_loaded()
        if not analyser.analyse(text).term_ids(ENTITY_THERAPY):
            return None
        hits, _mentioned = self.service.ranker.rank(text, limit=8)
        shown_ids = {p.id for p in shown}
        for hit in hits:
            passage = hit.passage
            if hit.score < self.service.threshold:
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
        bundle, retriever, analyser = self.service._ensure_loaded()
        text, _ = self.service._clip(message)
        analysis = analyser.analyse(text)
        refusal = DOSING_REFUSAL
        if MENTIONS_OVERDOSE.search(text):
            refusal = f"{POISON_HELP} {EMERGENCY_SHORT}\n{CRISIS_LINES}\n{DOSING_REFUSAL}"
        hint = PASSAGE_HINTS.get(request) if request else None
        tokens = [*analysis.tokens, *(analyser.analyse(hint).tokens if hint else ())]
        named = [*therapies, *analysis.term_ids(ENTITY_THERAPY)]
        topics = {t: TOPIC_BOOST for t in (self.service.ranker.topic_of(term) for term in named) if t}
        hits = [
            h
            for h in retriever.search(tokens, limit=5, boost_topics=topics)
            if h.score >= self.service.threshold and not states_dose(h.passage.text)
        ]
        if not hits:
            return Reply(ReplyKind.DOSING_REFUSAL, refusal)
        return passage_reply(ReplyKind.DOSING_REFUSAL, [hits[0].passage], bundle, lead=f"{refusal}\n{DOSING_GENERAL}")
