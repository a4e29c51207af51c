"""`python -m bot.rasa_server run ...`: Rasa's own command line, with the bot's patches and server duties added.

Every Rasa server of the bot (`make run`, `make shell`, `make run-scaled`, the tests, Kubernetes) starts through
this module instead of `python -m rasa`, so the patches in `bot/rasa_patches/` hold in every process that
answers a person, and a Rasa other than 3.6.x is refused before anything starts. The arguments are Rasa's.

The app `rasa run` builds (`rasa.core.run.configure_app`, the function Rasa's `serve_application` calls) gets
the bot's own duties before it serves (`prepare_app`):

- the daily retention purge of the conversations it stores and of old feedback (bot/retention.py).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bot import rasa_patches
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)


def tracker_store_url(agent: Any) -> str | None:
    """The SQLAlchemy URL of the agent's tracker store (password included), or None if it is not SQL."""
    from rasa.core.tracker_store import SQLTrackerStore

    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # Rasa wraps it in a FailSafeTrackerStore
    if not isinstance(store, SQLTrackerStore):
        return None
    return str(store.engine.url.render_as_string(hide_password=False))


def start_daily_purge(app: Any, settings: Settings) -> Any:
    """Schedules the retention purge of the conversations this server stores (bot/retention.py).

    Returns:
        The task (cancelled when the server stops), or None when the tracker store is not SQL.
    """
    from bot.retention import daily_purge

    url = tracker_store_url(getattr(app.ctx, "agent", None))
    if url is None:
        logger.warning("Retention: the tracker store is not SQL; conversations are not purged by this server")
        return None
    return app.add_task(daily_purge(settings, url))


def prepare_app(app: Any, settings: Settings) -> Any:
    """Adds the bot's duties to the Sanic app Rasa built; returns the app."""

    async def after_start(running: Any, _loop: Any) -> None:
        running.ctx.bot_tasks = [task for task in [start_daily_purge(running, settings)] if task is not None]

    async def before_stop(running: Any, _loop: Any) -> None:
        for task in getattr(running.ctx, "bot_tasks", []):
            task.cancel()

    app.register_listener(after_start, "after_server_start")
    app.register_listener(before_stop, "before_server_stop")
    return app


def with_bot_duties(configure_app: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps Rasa's `configure_app` so that every app it builds is prepared by `prepare_app`."""

    @functools.wraps(configure_app)
    def configure(*args: Any, **kwargs: Any) -> Any:
        return prepare_app(configure_app(*args, **kwargs), get_settings())

    configure.__wrapped_by_bot__ = True  # type: ignore[attr-defined]
    return configure


def install_server_duties() -> None:
    """Makes `rasa run` build its app with `with_bot_duties`; calling it again does nothing."""
    import rasa.core.run

    if not getattr(rasa.core.run.configure_app, "__wrapped_by_bot__", False):
        rasa.core.run.configure_app = with_bot_duties(rasa.core.run.configure_app)


def main(argv: Sequence[str] | None = None) -> None:
    """Runs Rasa's command line (`rasa run`, `rasa shell`, ...) with the patches and the server duties.

    Exits with status 2 and the guard's message when the installed Rasa is not 3.6.x.
    """
    try:
        rasa_patches.install()
    except rasa_patches.UnsupportedRasaVersion as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    install_server_duties()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
