"""Rasa's SQL tracker store, made to survive a database restart without losing the next message.

Rasa 3.6's `SQLTrackerStore` keeps a pool of open connections. When PostgreSQL restarts or the network drops,
those connections are dead, but the pool hands them out anyway: the next message on every replica fails to
read or save its tracker, Rasa's fail-safe wrapper falls back to an in-memory tracker, and that message's
events never reach PostgreSQL. SQLAlchemy's `pool_pre_ping` tests a connection before lending it and replaces
a dead one, so the first message after an outage is stored like any other. Everything else is Rasa's.

Configured in deploy/endpoints.scaled.yml as `type: bot.tracker_store.PrePingSQLTrackerStore`, with the same
keys as Rasa's `type: SQL`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class PrePingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose connection pool checks each connection before use."""

    engine: Any  # set by Rasa's constructor, replaced by ours
    sessionmaker: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connects as Rasa does (waiting for the database to come up), then swaps in a pre-pinging engine."""
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
