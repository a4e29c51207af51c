"""The feedback store the Rasa action uses: built on first use, its writes never raise.

`get_feedback_store()` wraps the SQL store on `DATABASE_URL` in `FailSoftFeedbackStore`: a dead database
costs the feedback, not the conversation, and expired feedback is purged once a day while writing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError

from bot.config import VAR_DIR, Settings, get_settings
from bot.feedback.anonymiser import Clock, as_utc, utc_now
from bot.feedback.privacy import SALT_FILE_NAME, load_or_create_salt
from bot.feedback.records import (
    DailyCounts,
    PassageFeedback,
    PurgeReport,
    Reason,
    RecentTurn,
    TurnKind,
    UnansweredGroup,
)
from bot.feedback.store import DEFAULT_LIMIT, FeedbackStore, SqlFeedbackStore
from bot.feedback.traffic import DEFAULT_DAYS, DEFAULT_RECENT

logger = logging.getLogger(__name__)

# A long-running action server deletes expired feedback at most this often.
AUTO_PURGE_INTERVAL = dt.timedelta(days=1)
# After a failed write, writes are dropped at once for this long instead of each waiting on a dead server.
RETRY_AFTER = dt.timedelta(seconds=30)


class FailSoftFeedbackStore(FeedbackStore):
    """Wraps a store so that writes never raise, and deletes expired feedback once a day while writing.

    The wrapped store is built on the first write (not at import, and not when the action server starts),
    and built again on a later write if building failed, e.g. because the salt file could not be written.
    After a failure, writes are dropped at once for `RETRY_AFTER`, so a dead database does not make every
    turn wait for a connection timeout. Reads and `purge` are for editors' commands and do raise, so a
    broken report is never silently empty.

    Args:
        factory: builds the real store.
        retention: how long feedback is kept; None disables the automatic purge.
        clock: the source of the current time.
    """

    def __init__(
        self, factory: Callable[[], FeedbackStore], retention: dt.timedelta | None = None, clock: Clock = utc_now
    ) -> None:
        self._factory = factory
        self._retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._inner: FeedbackStore | None = None
        self._last_purge: dt.datetime | None = None
        self._paused_until: dt.datetime | None = None

    @property
    def inner(self) -> FeedbackStore:
        """The wrapped store, built on first use."""
        with self._lock:
            if self._inner is None:
                self._inner = self._factory()
            return self._inner

    def _soft(self, what: str, write: Callable[[FeedbackStore], bool]) -> bool:
        now = as_utc(self._clock())
        paused_until = self._paused_until
        if paused_until is not None and now < paused_until:
            logger.warning(
                "Feedback not stored (%s): the database failed recently; retrying after %s", what, paused_until
            )
            return False
        try:
            stored = write(self.inner)
        except (SQLAlchemyError, OSError) as exc:
            # Expected when the database is down: one line, no trace, and the conversation goes on.
            self._paused_until = now + RETRY_AFTER
            logger.warning("Feedback not stored (%s): %s: %s", what, exc.__class__.__name__, exc)
            return False
        except Exception:
            self._paused_until = now + RETRY_AFTER
            logger.warning("Feedback not stored (%s) after an unexpected error", what, exc_info=True)
            return False
        self._paused_until = None
        self._maybe_purge()
        return stored

    def _maybe_purge(self) -> None:
        if self._retention is None:
            return
        now = as_utc(self._clock())
        with self._lock:
            if self._last_purge is not None and now - self._last_purge < AUTO_PURGE_INTERVAL:
                return
            self._last_purge = now
        try:
            report = self.inner.purge(now - self._retention)
        except Exception as exc:
            logger.warning("Expired feedback not purged: %s: %s", exc.__class__.__name__, exc)
            return
        if report.total:
            logger.info("Purged %d expired feedback record(s)", report.total)

    def record_feedback(self, conversation_id: str, question: str, passage_ids: Sequence[str], helpful: bool) -> bool:
        """Stores the vote if it can; logs a warning and returns False if it cannot."""
        return self._soft("vote", lambda s: s.record_feedback(conversation_id, question, passage_ids, helpful))

    def record_unanswered(self, conversation_id: str, question: str) -> bool:
        """Stores the question if it can; logs a warning and returns False if it cannot."""
        return self._soft("unanswered question", lambda s: s.record_unanswered(conversation_id, question))

    def record_turn(self, kind: TurnKind, question: str) -> bool:
        """Counts the turn if it can; logs a warning and returns False if it cannot."""
        return self._soft(f"{TurnKind(kind).value} turn", lambda s: s.record_turn(kind, question))

    def record_reason(self, conversation_id: str, reason: Reason) -> bool:
        """Stores the reason if it can; logs a warning and returns False if it cannot."""
        return self._soft("reason", lambda s: s.record_reason(conversation_id, reason))

    def daily_counts(self, days: int = DEFAULT_DAYS, today: dt.date | None = None) -> list[DailyCounts]:
        """Delegates to the wrapped store."""
        return self.inner.daily_counts(days, today)

    def recent_turns(self, kinds: Iterable[TurnKind], limit: int = DEFAULT_RECENT) -> list[RecentTurn]:
        """Delegates to the wrapped store."""
        return self.inner.recent_turns(kinds, limit)

    def turn(self, turn_id: int) -> RecentTurn | None:
        """Delegates to the wrapped store."""
        return self.inner.turn(turn_id)

    def recent_reasons(self, limit: int = DEFAULT_RECENT) -> list[dict[str, object]]:
        """Delegates to the wrapped store."""
        return self.inner.recent_reasons(limit)

    def reason_counts(self) -> dict[Reason, int]:
        """Delegates to the wrapped store."""
        return self.inner.reason_counts()

    def most_unanswered(self, limit: int = DEFAULT_LIMIT) -> list[UnansweredGroup]:
        """Delegates to the wrapped store."""
        return self.inner.most_unanswered(limit)

    def least_helpful(self, limit: int = DEFAULT_LIMIT) -> list[PassageFeedback]:
        """Delegates to the wrapped store."""
        return self.inner.least_helpful(limit)

    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Delegates to the wrapped store."""
        return self.inner.purge(older_than)


def feedback_salt(settings: Settings) -> str:
    """`FEEDBACK_SALT`, or the local salt file in var/, created with a random value on first use."""
    return settings.feedback_salt or load_or_create_salt(VAR_DIR / SALT_FILE_NAME)


def sql_store_from_settings(settings: Settings, database_url: str | None = None) -> SqlFeedbackStore:
    """The SQL store on `DATABASE_URL` (or `database_url`); the salt is read when the first record is written."""
    return SqlFeedbackStore.from_url(database_url or settings.database_url, lambda: feedback_salt(settings))


@lru_cache(maxsize=1)
def get_feedback_store() -> FeedbackStore:
    """The process-wide feedback store for the Rasa action: built on first call, writes never raise.

    Nothing connects or touches the disk until the first vote or unanswered question is recorded.
    """
    settings = get_settings()
    return FailSoftFeedbackStore(
        lambda: sql_store_from_settings(settings), retention=dt.timedelta(days=settings.feedback_retention_days)
    )
