"""Conversational moves: short messages whose meaning is what they do in the conversation, not their words.

"ok", "got it", "interesting" acknowledge the last answer; "go on", "more please", "tell me more" ask for more
on the same subject; "the first one you mentioned" or "the second one" point back at the last answer's list.
Their words are too few for the intent classifier to read (it sent "go on" to goodbye and answered "ok" with a
passage), and they mean the same in every conversation, so they are read here by plain phrase patterns that a
reviewer can check. Everything longer or different is left to the classifier and to retrieval.

The phrases must cover the whole message in the `bot.text.PHRASES` form (lower case, punctuation and emoji
dropped), so "ok so how does the pump work" is a question, not an acknowledgement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.text import PHRASES, normalise


class MoveKind(str, Enum):
    """What a short message does in the conversation."""

    ACKNOWLEDGE = "acknowledge"
    MORE = "more"
    ORDINAL = "ordinal"


@dataclass(frozen=True)
class Move:
    """A recognised move; `index` is the list position an ordinal points at (0-based, -1 for "the last")."""

    kind: MoveKind
    index: int | None = None

    def as_parse_data(self) -> dict[str, object]:
        """The move as plain data for Rasa's parse data (`tracker.latest_message["move"]`)."""
        return {"kind": self.kind.value, "index": self.index}


MOVE_KEY = "move"

_OPENERS = r"(?:(?:ok|okay|oh|ah|ahh|yes|yeah|yep|sure|right|alright|please|pls|so|and|hmm|hm|cool|great)\s+)*"
_CLOSERS = r"(?:\s+(?:please|pls|plz|then|thanks|thank you|ty))*"

ACKNOWLEDGEMENT = re.compile(
    rf"^{_OPENERS}(?:"
    + "|".join(
        [
            r"ok+|okay+|okey|k+|kk|o\s?k",
            r"got it|gotcha|i see|i get it|understood|noted|i understand|understand",
            r"right|alright|all right|fair enough|fine|sure|cool|nice|great|good|wow|oh|ah|hm+|mm+|yeah|yes|yep",
            r"interesting|(?:that|thats|that's|that is) (?:interesting|good to know|helpful to know|useful to know)",
            r"good to know|makes sense|(?:that|thats|that's|it) makes sense|sounds good|sounds right",
            r"(?:ok|okay) (?:got it|i see|makes sense|fair enough|cool|good|fine|noted|understood)",
            r"i get it(?: now)?|i see now|got it now|makes sense now",
        ]
    )
    + r")$"
)

MORE = re.compile(
    rf"^{_OPENERS}(?:"
    + "|".join(
        [
            r"go on|carry on|continue|keep going|and\??|and then|what else|anything else|say more|elaborate",
            r"more|more (?:info|information|detail|details)",
            r"more (?:on|about) (?:that|this|it|them)",
            r"(?:can|could|would) you (?:tell me|say|explain) (?:a bit |a little |some )?more"
            r"(?: about (?:that|this|it))?",
            r"(?:can|could|would) you (?:elaborate|go on|expand on (?:that|this|it))",
            r"tell me (?:a bit |a little |some )?more(?: about (?:that|this|it|them))?",
            r"explain (?:a bit |a little )?more|expand on (?:that|this|it)",
            r"i(?:d| would|'d) like to know more|i want to know more|what else (?:should|do) i (?:need to )?know",
            r"(?:can|could|would) you (?:go into|give me|give) (?:a bit |a little |some )?more detail",
            r"what do (?:you|u) mean(?: by (?:that|this|it))?|(?:sorry )?i (?:dont|don't|do not) (?:get|understand) it",
        ]
    )
    + rf"){_CLOSERS}$"
)

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "1": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "2": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "3": 2,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "4": 3,
    "last": -1,
}
_ORDINAL_WORD = r"first|1st|second|2nd|third|3rd|fourth|4th|last"
ORDINAL = re.compile(
    "|".join(
        [
            # "the first one you mentioned", "the second option", "the last one on the list"
            rf"\bthe ({_ORDINAL_WORD}) (?:one|ones|option|choice|thing|treatment|medicine|med|drug|tablet|pill"
            r"|injection|idea|suggestion)\b",
            # "the first you mentioned", "the second on the list"
            rf"\bthe ({_ORDINAL_WORD}) (?=(?:you|u) (?:mentioned|said|listed|named)|on (?:the|that|your) list)",
            # "number 2", "option two"
            r"\b(?:number|option|no\.?) (one|two|three|four|1|2|3|4)\b",
        ]
    )
)


def read_move(text: str) -> Move | None:
    """The move a message makes, or None when it is an ordinary message for the classifier."""
    plain = normalise(text, PHRASES)
    if not plain:
        return None
    if MORE.match(plain):
        return Move(MoveKind.MORE)
    if ACKNOWLEDGEMENT.match(plain):
        return Move(MoveKind.ACKNOWLEDGE)
    match = ORDINAL.search(plain)
    if match:
        word = next(group for group in match.groups() if group)
        return Move(MoveKind.ORDINAL, _ORDINALS[word])
    return None


ASKS = re.compile(
    r"^(?:and|but|what|whats|how|hows|why|when|where|which|who|can|could|does|do|did|is|are|should|would|will)\b"
)


def asks_something(text: str) -> bool:
    """Whether a message reads as a question: a question mark, or an opening like "and ...", "what ..."."""
    return "?" in (text or "") or ASKS.match(normalise(text, PHRASES)) is not None


def move_from(parse_data: dict[str, object] | None) -> Move | None:
    """The move the NLU pipeline recorded in a message's parse data, if any (unknown values are ignored)."""
    data = (parse_data or {}).get(MOVE_KEY)
    if not isinstance(data, dict):
        return None
    try:
        kind = MoveKind(data.get("kind"))
    except ValueError:
        return None
    index = data.get("index")
    return Move(kind, index if isinstance(index, int) else None)


# "and botox?", "what about tizanidine instead", "how about for kids": a new subject, the same question.
ELLIPSIS_OPENING = re.compile(r"^(?:ok |okay |so |right )?(?:and|or|what about|how about|same for|same with|wbu)\b")
# Words an ellipsis may carry besides its subject without asking something new.
ELLIPSIS_FILLER = frozenset({"instead", "then", "also", "too", "as", "well", "one", "ones", "same", "about"})
MAX_ELLIPSIS_WORDS = 2


def is_elliptical(question: str, tokens: list[str], mentioned: list[str]) -> bool:
    """Whether a message names a subject and leaves the question to the one asked before ("and botox?")."""
    if not mentioned or not ELLIPSIS_OPENING.match(normalise(question, PHRASES)):
        return False
    rest = [t for t in tokens if t not in mentioned and t not in ELLIPSIS_FILLER]
    return len(rest) <= MAX_ELLIPSIS_WORDS


# A message that announces a new subject ("new question, what is the tardieu scale", "unrelated but...",
# "forget that, what about surgery") is read on its own, without the conversation's subject.
NEW_SUBJECT = re.compile(
    r"^\W*(?:(?:ok|okay|right|so|and|also|oh)\W+)*(?:new question|different question|another question|"
    r"unrelated|something (?:else|different)|change of (?:subject|topic)|on another note|other question|"
    r"forget (?:that|it|about that)|never ?mind(?: that)?|moving on)\b",
    re.IGNORECASE,
)


# "What actually is it", "what do they actually do in it": a treatment named earlier in the message is asked about.
WHAT_IS_IT = re.compile(
    r"\bwhat(?:'s| is|s)? (?:actually |exactly |even )?(?:is )?(?:it|this|that|they)(?: exactly| actually)?\s*(?:\?|$)"
    r"|\bwhat (?:do|does|will) (?:they|it) (?:actually |exactly )?do\b"
)

# "What is SDR", "whats an AFO", "how does sativex work": the last clause asks what a treatment is and nothing
# else (besides these words), so it gets the treatment's overview however much story comes before it.
CLAUSE_BREAK = re.compile(r"[,.;:!?]+")

ASKS_WHAT = re.compile(
    r"^(?:(?:so|and|ok|okay|but|hi|um|sorry)\W+)*(?:what(?:'s|s| is| are)|whats|what does|what do|how does|how do|"
    r"what exactly is|explain|tell me about)\b",
    re.IGNORECASE,
)

WHAT_FILLER = frozenset({"work", "mean", "exactly", "actually", "even", "spasticity", "stand", "basically"})
