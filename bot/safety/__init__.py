"""The safety layer: emergencies and personal dosing requests are caught on every message, whatever the intent.

`SafetyNet` runs both detectors over one message; emergency wins over dosing. The Rasa component in
`bot.safety.rasa_component` applies it after intent classification, and the actions read its verdict from
the parse data (`SAFETY_KEY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.safety.dosing import DosingDetection, DosingDetector, DosingRequest
from bot.safety.matching import detector_text
from bot.safety.red_flags import PASSAGE_FOR, Detection, RedFlag, RedFlagDetector

if TYPE_CHECKING:
    from spacy.language import Language

# Where the verdict travels in Rasa's parse data (and so in `tracker.latest_message`).
SAFETY_KEY = "safety"

__all__ = [
    "PASSAGE_FOR",
    "SAFETY_KEY",
    "Detection",
    "DosingDetection",
    "DosingDetector",
    "DosingRequest",
    "RedFlag",
    "RedFlagDetector",
    "SafetyNet",
    "Verdict",
    "dosing_from",
    "red_flag_from",
]


@dataclass(frozen=True)
class Verdict:
    """What the safety net found in one message: a red flag, a dosing request, both or neither."""

    red_flag: Detection | None = None
    dosing: DosingDetection | None = None

    @property
    def is_emergency(self) -> bool:
        """A red flag was found; it wins over everything else."""
        return self.red_flag is not None

    @property
    def is_dosing(self) -> bool:
        """A personal dosing request and no emergency."""
        return self.red_flag is None and self.dosing is not None

    def as_parse_data(self) -> dict[str, Any]:
        """The verdict as plain data for Rasa's parse data and the tracker."""
        return {
            "red_flag": self.red_flag.flag.value if self.red_flag else None,
            "dosing": self.dosing.request.value if self.dosing else None,
            "therapies": list(self.dosing.therapies) if self.dosing else [],
        }


class SafetyNet:
    """Both detectors over the project's spaCy pipeline."""

    def __init__(self, nlp: Language) -> None:
        """Compiles both detectors' patterns against the pipeline."""
        self.nlp = nlp
        self.red_flags = RedFlagDetector(nlp)
        self.dosing = DosingDetector(nlp)

    def check(self, text: str) -> Verdict:
        """Runs both detectors on one message (the text is analysed once)."""
        if not text or not text.strip():
            return Verdict()
        doc = self.nlp(detector_text(text))
        return Verdict(self.red_flags.detect_doc(doc), self.dosing.detect_doc(doc))


def red_flag_from(parse_data: dict[str, Any] | None) -> RedFlag | None:
    """The red flag the safety net recorded in a message's parse data, if any (unknown values are ignored)."""
    value = ((parse_data or {}).get(SAFETY_KEY) or {}).get("red_flag")
    try:
        return RedFlag(value) if value else None
    except ValueError:
        return None


def dosing_from(parse_data: dict[str, Any] | None) -> tuple[DosingRequest | None, tuple[str, ...]]:
    """The dosing request and the therapies the safety net recorded in a message's parse data."""
    safety = (parse_data or {}).get(SAFETY_KEY) or {}
    therapies = tuple(str(t) for t in safety.get("therapies") or [] if t)
    try:
        return (DosingRequest(safety["dosing"]) if safety.get("dosing") else None), therapies
    except ValueError:
        return None, therapies
