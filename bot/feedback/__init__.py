"""Patients' feedback on answers and the questions the bot could not answer, kept for editors.

The Rasa action calls `get_feedback_store().record_feedback(...)` after a "helpful / not helpful" button and
`get_feedback_store().record_unanswered(...)` when the bot has no good answer, `record_reason` when a person
says why an answer did not help, and `record_turn` for every answered, unanswered, emergency and dosing
turn; editors read the result with `make report` (`python -m bot.feedback report`) and on the traffic page of
the editors' shell. What is stored, and for how long, is in the README.
"""

from bot.feedback.fail_soft import FailSoftFeedbackStore, get_feedback_store
from bot.feedback.records import PassageFeedback, PurgeReport, Reason, TurnKind, UnansweredGroup
from bot.feedback.store import FeedbackStore, InMemoryFeedbackStore, SqlFeedbackStore

__all__ = [
    "FailSoftFeedbackStore",
    "FeedbackStore",
    "InMemoryFeedbackStore",
    "PassageFeedback",
    "PurgeReport",
    "Reason",
    "SqlFeedbackStore",
    "TurnKind",
    "UnansweredGroup",
    "get_feedback_store",
]
