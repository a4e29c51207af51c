"""Rasa's SQL tracker store (or one of our subclasses) on a database URL, as endpoints.yml would configure it.

Rasa's `SQLTrackerStore` takes the URL's parts as separate keys (dialect, host, port, db, query), so every test
that points one at a SQLite file or a PostgreSQL schema from `postgres_url` builds it here.
"""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url


def sql_tracker_store(url: str, cls: type[SQLTrackerStore] = SQLTrackerStore, **query: str) -> SQLTrackerStore:
    """A `cls` on `url`: a SQLite file, or PostgreSQL with the URL's query (its search_path) plus `query`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return cls(Domain.empty(), dialect="sqlite", db=str(parsed.database))
    return cls(
        Domain.empty(),
        dialect="postgresql",
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
        query={**dict(parsed.query), **query} or None,
    )
