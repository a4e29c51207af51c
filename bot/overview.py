"""Overview questions: "what are my options?", "what treatments are there?", "where do I start?".

Someone new to spasticity often asks for the whole map before any one treatment. Ranking such a question
against the library finds no single passage that fits it well, so the person got "I don't have a good answer".
Instead the bot answers with the passage that explains how treatment is usually built up step by step, and
offers the main choices as buttons, so the next step needs no typing. The patterns are plain phrases a
reviewer can read; a question that names a therapy ("what are the options after botox?") or tells a longer
story is ranked as usual.
"""

from __future__ import annotations

import re

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
OVERVIEW_QUESTION = re.compile(
    "|".join(
        [
            rf"\bwhat(?:'s| is| are| r)? {_WHO} (?:main |other |different )?{_CHOICES}\b",
            rf"\bwhat(?: kinds? of| sorts? of)? {_CHOICES} (?:are|r|is) (?:there|available|out there)\b",
            rf"\bwhat {_CHOICES} (?:can|could|do|does|might) (?:help|work|be tried|they try|they offer)\b",
            r"\bwhere (?:do|should|can|would) (?:i|we|he|she|they) (?:even )?(?:start|begin)\b",
            r"\bwhat can (?:be done|they do|doctors do|anyone do)\b",
            rf"\b(?:list|show me|tell me) (?:all )?{_WHO}? ?{_CHOICES}\b",
            r"\bhow (?:is|can) (?:spasticity|stiffness|it) (?:be )?treated\b",
            r"\bwhat are the ways to (?:treat|manage|help)\b",
        ]
    )
)


# Longer messages tell a story and ask something in particular ("who should look after her legs, where do we
# even start"): they are ranked as usual.
MAX_OVERVIEW_WORDS = 12


def is_overview_question(text: str) -> bool:
    """Whether a short message asks for the map of treatments rather than about one of them."""
    words = text.lower().replace("\u2019", "'").split()
    return len(words) <= MAX_OVERVIEW_WORDS and bool(OVERVIEW_QUESTION.search(" ".join(words)))
