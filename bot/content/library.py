"""The content being served: loaded on first use, swapped whole when editors publish, one snapshot per turn.

Before each turn the library reads the store's revision (one primary-key read) and, when a load has moved it,
builds the new index and swaps it in before answering, so once `make content` or the editors' shell says
"loaded", the very next answer on every replica comes from the new content (issue 16 point 2). A background
check, as before, left the first answers after a load on a quiet bot stale however long one waited: it ran
only when a turn arrived, and that turn was answered from the old content meanwhile.

The action server keeps serving while editors load new content. The library therefore holds each snapshot and
its index as one immutable `LoadedContent`, builds a new one aside and swaps it in with one assignment, so a
reader sees either the old library or the new one, never half of each. AnalyserT turn (one action run) pins the
snapshot it started with (`TurnState`), because answering reads the index and the bundle in several steps and
a swap may land in between. The editors' preview reads a second snapshot that includes drafts.

The library knows nothing of how passages are searched or how text is analysed: the service hands it the
analyser factory and the index factory (`bot.retrieval.Retriever.build`), so the content package sits below
retrieval and never imports it.
"""

from __future__ import annotations

import contextvars
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bot.content.records import ContentBundle, PassageRecord
from bot.content.store import ContentStore

logger = logging.getLogger(__name__)

# At most how often (seconds) a store that cannot be read is logged while the loaded content is served.
WARN_EVERY_S = 60.0

AnalyserT = TypeVar("AnalyserT")  # the text analyser
IndexT = TypeVar("IndexT", bound=Sized)  # the search index


class Previewing(Protocol):
    """What the library needs of an editor's preview: whether it asks for drafts."""

    drafts: bool


PreviewT = TypeVar("PreviewT", bound=Previewing)


class ContentUnavailable(RuntimeError):
    """The content or the NLP pipeline could not be loaded; the bot must say so instead of guessing."""


@dataclass(frozen=True)
class LoadedContent(Generic[IndexT]):
    """One content snapshot with its index: built aside, swapped in whole, never changed afterwards.

    Attributes:
        bundle: the content (published only, or with drafts for the editors' preview).
        retriever: the search index over the bundle's answerable passages (`bot.retrieval.Retriever`).
        revision: the store's revision the snapshot belongs to (None when the store has none).
        generation: grows with every build of the published content; a drafts index remembers the
            generation it was built next to, so it is rebuilt when the published one is.
        drafts: whether draft passages are included.
    """

    bundle: ContentBundle
    retriever: IndexT
    revision: int | None
    generation: int
    drafts: bool = False


@dataclass
class TurnState:
    """What one turn of one service uses: the snapshot pinned at its first read, and the preview, if any."""

    owner: object
    preview: Any = None
    content: LoadedContent[Any] | None = None


CURRENT_TURN: contextvars.ContextVar[TurnState | None] = contextvars.ContextVar("bot_turn", default=None)


class Library(Generic[AnalyserT, IndexT]):
    """The published content and its index (and the drafts one for editors), swapped whole on every load."""

    def __init__(
        self,
        store: ContentStore,
        analyser_factory: Callable[[], AnalyserT],
        index_factory: Callable[[list[PassageRecord], AnalyserT], IndexT],
        reload_interval: float,
    ) -> None:
        """Creates the library without loading anything yet.

        Args:
            store: where the content is read from.
            analyser_factory: returns the text analyser (loaded once, on first use).
            index_factory: builds the search index of a list of passages with the analyser.
            reload_interval: at most how often (seconds) the store's revision is checked, before a turn, for
                new content: 0 (the default setting) checks before every turn; negative turns the check off.
        """
        self.store = store
        self._analyser_factory = analyser_factory
        self._index_factory = index_factory
        self.reload_interval = reload_interval
        # `_build_lock` serialises loads and rebuilds (first load, refresh, reload, drafts): turns that find
        # the same new revision wait for the one build instead of each building it.
        self._build_lock = threading.RLock()
        self._analyser: AnalyserT | None = None
        # Each is replaced whole, in one assignment, and never mutated: readers need no lock.
        self._published: LoadedContent[IndexT] | None = None
        self._drafts: LoadedContent[IndexT] | None = None
        self._generation = 0
        self._checked_at = time.monotonic()
        self._failed_revision: int | None = None
        self._warned_at = -math.inf

    @property
    def analyser(self) -> AnalyserT:
        """The text analyser (loaded with the first content)."""
        if self._analyser is None:
            self.current()
        assert self._analyser is not None  # set by the first load, before any content exists
        return self._analyser

    def snapshot(self) -> tuple[LoadedContent[IndexT], TurnState | None]:
        """The content for this turn, and the turn's state (None outside `turn()`).

        Inside `turn()`, the first call pins the snapshot so the whole turn reads one library even if a reload
        swaps in another meanwhile; a preview that asks for drafts reads the drafts snapshot.
        """
        state = CURRENT_TURN.get()
        mine = state if state is not None and state.owner is self else None
        if mine is not None and mine.content is not None:
            return mine.content, mine
        content = self.current(drafts=bool(mine and mine.preview and mine.preview.drafts))
        if mine is not None:
            mine.content = content
        return content, mine

    def current(self, drafts: bool = False) -> LoadedContent[IndexT]:
        """The published content, or the drafts one: loaded on first use, first brought up to date after a load."""
        published = self._published
        if published is None or self._analyser is None:
            with self._build_lock:
                if self._published is None or self._analyser is None:
                    self._published = self._build(drafts=False)
                published = self._published
        elif self._check_due():
            self._check_now()
            published = self._published or published
        if not drafts:
            return published
        current = self._drafts
        if current is None or current.generation != published.generation:
            with self._build_lock:
                current = self._drafts
                published = self._published or published
                if current is None or current.generation != published.generation:
                    current = self._build(drafts=True, generation=published.generation)
                    self._drafts = current
        return current

    def _build(self, drafts: bool, generation: int | None = None) -> LoadedContent[IndexT]:
        """Reads a consistent snapshot and indexes it, without touching what is being served.

        Raises:
            ContentUnavailable: the database or the pipeline cannot be read, or there is nothing published.
        """
        try:
            analyser = self._analyser or self._analyser_factory()
            bundle, revision = self.store.versioned_snapshot(include_drafts=drafts)
        except Exception as exc:  # a dead database or a missing pipeline: say so, retry next time
            logger.exception("Could not load the content or the NLP pipeline")
            raise ContentUnavailable(str(exc)) from exc
        if not bundle.published_passages():
            raise ContentUnavailable("The content store holds no published passages: run `make content`.")
        self._analyser = analyser
        if drafts:  # the editors' preview: every draft, pending edits in place of what they edit
            bundle = bundle.with_pending_edits()
        passages = list(bundle.passages.values()) if drafts else bundle.published_passages()
        started = time.perf_counter()
        retriever = self._index_factory(passages, analyser)
        if generation is None:
            self._generation += 1
            generation = self._generation
        logger.info(
            "Indexed %d passages%s (content revision %s) in %.2f s",
            len(retriever),
            " including drafts" if drafts else "",
            revision,
            time.perf_counter() - started,
        )
        return LoadedContent(bundle, retriever, revision, generation, drafts)

    def _check_due(self) -> bool:
        return self.reload_interval >= 0 and time.monotonic() - self._checked_at >= self.reload_interval

    def _check_now(self) -> None:
        """Swaps in a new load before this turn is answered; when the store cannot be read, keeps serving.

        A dead database must not fail the turn: the content in memory is still good. The warning is logged at
        most once a minute, not at every turn.
        """
        try:
            self.refresh()
        except Exception:
            if time.monotonic() - self._warned_at >= WARN_EVERY_S:
                self._warned_at = time.monotonic()
                logger.warning("Could not check the content revision; serving the content loaded", exc_info=True)
        finally:
            self._checked_at = time.monotonic()

    def refresh(self) -> bool:
        """Rebuilds and swaps in the content if the store's revision moved; True when it swapped.

        Turns that find the same new revision wait for one build (`_build_lock`); a turn already answering keeps
        the snapshot it pinned; the swap is one assignment. A
        revision that failed to load (empty, or the database failed mid-read) is not retried until the
        revision moves again, so a bad load cannot make every check rebuild.
        """
        current = self._published
        if current is None:
            return False
        revision = self.store.revision()
        if revision is None or revision == current.revision or revision == self._failed_revision:
            return False
        with self._build_lock:
            if self._published is not None and self._published.revision == revision:
                return False
            try:
                fresh = self._build(drafts=False)
            except ContentUnavailable:
                self._failed_revision = revision
                logger.error("Content revision %s is unusable; still serving %s", revision, current.revision)
                return False
            self._failed_revision = None
            self._published = fresh
        logger.info("Content revision %s is now served (was %s)", fresh.revision, current.revision)
        return True

    def warm_up(self) -> None:
        """Loads the content and builds the index now rather than on the first message."""
        self.current()

    def reload(self) -> None:
        """Rebuilds the index from the store now and swaps it in, whatever the revision says.

        Raises:
            ContentUnavailable: the store cannot be read; the previous content stays in service.
        """
        with self._build_lock:
            fresh = self._build(drafts=False)
            self._published = fresh
            self._failed_revision = None

    def content_revision(self) -> int | None:
        """The revision of the published content being served (None before the first load)."""
        current = self._published
        return current.revision if current is not None else None

    @contextmanager
    def turn(self, preview: PreviewT | None = None) -> Iterator[PreviewT | None]:
        """Pins one snapshot for a whole turn; with a preview (which has `drafts`), the drafts one if asked.

        Actions wrap each run in it. Without it every call reads the latest snapshot, which is fine for
        one-shot callers (evaluations, reports).
        """
        token = CURRENT_TURN.set(TurnState(owner=self, preview=preview))
        try:
            yield preview
        finally:
            CURRENT_TURN.reset(token)
