"""A view of the search index that records every search, for the editors' preview of why the bot answered.

It shares the wrapped index (nothing is copied or rebuilt) and is made per turn, only for a signed editor's
message (bot.channels.editor_preview). The recorder is anything with `record(hits)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.retrieval.index import Hit, Retriever


class Recorder(Protocol):
    """Keeps the hits of each search, in the order they were made."""

    def record(self, hits: list[Hit]) -> None:
        """Keeps one search's hits."""


class TracingRetriever(Retriever):
    """A view of a `Retriever` that records every search (see the module docstring)."""

    def __init__(self, inner: Retriever, preview: Recorder) -> None:
        # Deliberately not calling Retriever.__init__: this view owns no index of its own.
        self._inner = inner
        self._preview = preview
        self.passages = inner.passages

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes this view lacks: inherited methods then run on the wrapped index's data.
        return getattr(self._inner, name)

    def __len__(self) -> int:
        return len(self._inner)

    def idf(self, token: str) -> float:
        """The wrapped index's IDF."""
        return self._inner.idf(token)

    def search(self, query_tokens: Sequence[str], *args: Any, **kwargs: Any) -> list[Hit]:
        """Searches the wrapped index with the same arguments and records the hits."""
        hits = self._inner.search(query_tokens, *args, **kwargs)
        self._preview.record(hits)
        return hits
