"""Rasa's SQL tracker store with the conversations in progress kept in memory, checked against the database.

**What.** `CachedSQLTrackerStore` is Rasa's `SQLTrackerStore` (rasa/core/tracker_store.py), with the engine of
`bot.rasa_patches.tracker_store.PrePingSQLTrackerStore` (pre-ping; on SQLite, kept connections and the
write-ahead log), that keeps the
tracker it has just saved, and hands that same object back at the conversation's next `retrieve` instead of
reading and replaying every event of the session again, when one index lookup shows that the conversation's
rows in the database are still those it saved: the id and timestamp of its latest row (`_mark`). Such a
tracker's next `save` writes the events added since without counting the stored rows first
(`_additional_events`), and after a save the tracker knows it holds no unsaved event. A conversation with no row
at all gets `None` from that same lookup, without Rasa's event query, and its first save (Rasa's
`create_tracker`, within the same message) stores every event without counting; a save reads the new mark in
its own transaction. Anything else (another replica answered in between, the conversation was deleted or
purged, a new session started) reads the database as Rasa does. A tracker is kept only when its events are
what Rasa's `retrieve` would load (no session start but at the very beginning, no event older than it), and is
handed out once: `retrieve` takes it out of the cache, and only the next `save` puts a tracker back, so a
caller that reads a conversation without saving it (the widget's history) can never leave a changed tracker
behind. At most `CACHE_SIZE` conversations are kept, each for at most `CACHE_IDLE_S` since its last save;
`forget` drops one at once (`bot.conversation_store` calls it when a conversation is deleted).

**Why.** Rasa reads the whole session from the database for every message and rebuilds the tracker from its
events (SQLAlchemy rows, JSON, event objects, a replay): in a 60-message conversation about a sixth of the Rasa
server's time, growing with every message. Keeping the tracker object also keeps its replayed states
(`bot.rasa_patches.past_states`) from one message to the next.

The two lookups and the insert of a message run prebuilt statements on Core connections of the pool, not
through ORM sessions (Rasa's session is kept only for its own count of the stored rows, when the cache does
not know it): a message's `retrieve` and `save` took 1.39 ms of CPU on SQLite, now 0.48 ms (2026-12-07, the
conversations of the contract tests). A kept tracker's next check for `loads_as_saved` reads only the events
added since.

**Measured.** See README "Performance" (`make bench-turns`). Contract: `tests/test_rasa_patches_cost.py::
test_tracker_cache_*` (the cached tracker has the events Rasa's `retrieve` loads; a write by anyone else, a
deletion or a new session is seen; a tracker read without a save is never handed out again).

Configured in endpoints.yml and deploy/endpoints.scaled.yml (every replica keeps its own; `_catch_up` reads
what the others added) as `type: bot.rasa_patches.tracker_cache.CachedSQLTrackerStore`, with the keys of
Rasa's `type: SQL`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_patches.tracker_store import PrePingSQLTrackerStore

# Conversations kept in memory at once, and how long one is kept after its last message: enough for the
# conversations in progress on one server, little enough that memory stays bounded (a 60-message tracker with
# its replayed states is about 1-2 MB) and that a finished conversation does not stay in memory.
CACHE_SIZE = 200
CACHE_IDLE_S = 600.0
# How long a conversation found without rows is taken to be new when it is first saved: the save follows the
# lookup within the same message (Rasa's `get_or_create_tracker`), so a second is already generous.
EMPTY_TRUST_S = 5.0

Mark = tuple[Any, Any]
# Set on a tracker handed out from the cache: how many of its events the database holds (since the session start).
_STORED = "_bot_stored_events"
# Set on a tracker when it is kept: how many of its first events passed `loads_as_saved` then.
_CHECKED = "_bot_checked_events"


@dataclass
class Kept:
    """A saved tracker, the database's mark of its rows when it was saved, and when that was."""

    tracker: DialogueStateTracker
    mark: Mark
    saved_at: float


def loads_as_saved(tracker: DialogueStateTracker, checked: int = 0) -> bool:
    """Whether Rasa's `retrieve` would load exactly this tracker's events from rows holding them all.

    Rasa loads the events from the latest `SessionStarted` on, by timestamp: so a tracker whose events hold a
    session start anywhere but first, or an event older than that first session start, loads differently.
    `checked` events at the start are known to pass already (the tracker was kept after its last save), so
    only the newer ones are looked at and the check costs the same at the 50th message as at the 5th.
    """
    events = tracker.events
    if not events:
        return True
    if not 0 < checked <= len(events):
        checked = 1  # the first event loads as saved whatever it is
    start = events[0].timestamp if isinstance(events[0], SessionStarted) else None
    for event in itertools.islice(events, checked, None):
        if isinstance(event, SessionStarted) or (start is not None and event.timestamp < start):
            return False
    return True


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` row Rasa's `SQLTrackerStore.save` stores for `event`, as column values."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class CachedSQLTrackerStore(PrePingSQLTrackerStore):
    """`SQLTrackerStore` that hands the tracker it saved back at the next `retrieve`, while the rows are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's constructor (same keys), the engine of `PrePingSQLTrackerStore`, and an empty cache."""
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        # Conversations a `retrieve` found without any row, and when: their first save stores every event.
        self._empty: OrderedDict[str, float] = OrderedDict()
        self._mark_statement: Any = None  # built at the first lookup (`_mark`)

    def _mark(self, sender_id: str, connection: Any = None) -> Mark:
        """The id and timestamp of the conversation's latest row (None, None when it has none).

        One lookup in the `sender_id` index, however long the conversation: any message stored since by
        anyone adds a row with a larger id, and a deleted conversation has no row or another latest one. It runs
        twice a message, so the statement is built once and run on a Core connection of the pool (`connection`,
        or one of its own), not through an ORM session: 0.31 -> 0.08 ms a lookup on SQLite (2026-12-07).
        """
        if self._mark_statement is None:
            event = self.SQLEvent
            self._mark_statement = (
                sa.select(event.id, event.timestamp)
                .where(event.sender_id == sa.bindparam("sender_id"))
                .order_by(event.id.desc())
                .limit(1)
            )
        parameters = {"sender_id": sender_id}
        if connection is not None:
            row = connection.execute(self._mark_statement, parameters).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(self._mark_statement, parameters).first()
        return (row[0], row[1]) if row is not None else (None, None)

    def _expire(self, now: float) -> None:
        """Drops the conversations idle longer than `CACHE_IDLE_S` (the oldest saves come first)."""
        while self._kept:
            sender_id, kept = next(iter(self._kept.items()))
            if now - kept.saved_at <= CACHE_IDLE_S:
                return
            del self._kept[sender_id]

    def forget(self, sender_id: str) -> None:
        """Drops the conversation's tracker from memory (it was deleted from the database)."""
        self._kept.pop(sender_id, None)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker saved last, when the rows are still the ones it saved; else Rasa's `retrieve`."""
        now = time.monotonic()
        self._expire(now)
        kept = self._kept.pop(sender_id, None)
        mark = self._mark(sender_id)
        if kept is not None and (kept.mark == mark or self._catch_up(kept, mark)):
            kept.tracker.__dict__[_STORED] = len(kept.tracker.events)
            return kept.tracker
        if mark == (None, None):  # no row at all: Rasa's query would load no event and return None
            self._empty.pop(sender_id, None)
            self._empty[sender_id] = now
            while len(self._empty) > CACHE_SIZE:
                self._empty.popitem(last=False)
            return None
        tracker: DialogueStateTracker | None = await super().retrieve(sender_id)
        return tracker

    def _catch_up(self, kept: Kept, mark: Mark) -> bool:
        """Appends to the kept tracker the rows another server stored after it; False when that is not exact.

        Exact when the row the tracker was saved with is still there, unchanged, and every newer row belongs
        to the same session (no session start, none older than the session's start, which Rasa's query would
        leave out): then Rasa's `retrieve` would load the kept events followed by the newer ones, and
        `update` with each is what Rasa's `from_dict` does with every event. Only a few rows are read,
        however long the conversation; anything else makes `retrieve` read it Rasa's way.
        """
        kept_id, kept_timestamp = kept.mark
        if kept_id is None or mark[0] is None or mark[0] <= kept_id:
            return False
        event = self.SQLEvent
        query = (
            sa.select(event.id, event.timestamp, event.type_name, event.data)
            .where(event.sender_id == kept.tracker.sender_id, event.id >= kept_id)
            .order_by(event.id)
        )
        with self.session_scope() as session:
            rows = session.execute(query).all()
        if not rows or (rows[0][0], rows[0][1]) != (kept_id, kept_timestamp) or (rows[-1][0], rows[-1][1]) != mark:
            return False
        events = list(kept.tracker.events)
        start = events[0].timestamp if events and isinstance(events[0], SessionStarted) else None
        newer = rows[1:]
        if any(row[2] == SessionStarted.type_name or (start is not None and row[1] < start) for row in newer):
            return False
        for row in newer:
            loaded = Event.from_parameters(json.loads(row[3]))
            if loaded is not None:
                kept.tracker.update(loaded)
        return True

    def _stored(self, tracker: DialogueStateTracker) -> int | None:
        """How many of the tracker's events the database holds, when that is known without counting them.

        Known for a tracker the cache handed out, and for a new conversation read as empty a moment ago within
        this message's lock; None for any other tracker (Rasa counts the stored rows of the session then).
        """
        stored: int | None = tracker.__dict__.pop(_STORED, None)
        found_empty = self._empty.pop(tracker.sender_id, None)
        if stored is None and found_empty is not None and time.monotonic() - found_empty <= EMPTY_TRUST_S:
            stored = 0
        return stored

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`, with the new rows inserted in one statement; keeps the tracker for its next message.

        The tracker is kept when a `retrieve` would load exactly its events. Rasa adds each event as an ORM
        object, and the ORM inserts them one statement at a time to learn each id; the rows here are the same,
        column for column, in the same order, sent as one `executemany`
        (`tests/test_rasa_patches_cost.py::test_tracker_cache_stores_the_rows_rasa_stores`).
        """
        await self.stream_events(tracker)
        stored = self._stored(tracker)
        if stored is None:  # Rasa's count of the stored rows, in an ORM session as Rasa runs it
            with self.session_scope() as session:
                new = list(super()._additional_events(session, tracker))
        else:
            new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        rows = [event_row(tracker.sender_id, event) for event in new]
        with self.engine.begin() as connection:
            if rows:
                connection.execute(self.SQLEvent.__table__.insert(), rows)
            mark = self._mark(tracker.sender_id, connection)  # in the writing transaction: our rows are the latest
        tracker.__dict__[_STORED] = len(tracker.events)  # every event is stored now
        now = time.monotonic()
        self._expire(now)
        self._kept.pop(tracker.sender_id, None)
        if loads_as_saved(tracker, tracker.__dict__.pop(_CHECKED, 0)):
            tracker.__dict__[_CHECKED] = len(tracker.events)
            self._kept[tracker.sender_id] = Kept(tracker, mark, now)
            while len(self._kept) > CACHE_SIZE:
                self._kept.popitem(last=False)
