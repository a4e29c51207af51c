"""Loading the content folder into the content database, as `make content` does, for the editors' shell.

The shell's "Reload content from files" button and every change made in the shell call this: the folder is
validated whole and written in one transaction, so a bad file never half-loads; running bots answer from the
new load at their next message.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.config import get_settings
from bot.content.records import ContentBundle

logger = logging.getLogger(__name__)


def load_content(
    content_dir: Path, database_url: str, bundle: ContentBundle | None = None
) -> tuple[int, dict[str, Any]]:
    """Validates the content files and loads them in one transaction, as `make content` does.

    Args:
        content_dir: the content folder.
        database_url: the content database.
        bundle: the folder as the loader has just read it (a change from the shell, validated before it
            was written), so it is not read twice.

    Returns:
        The HTTP status and the report for the page: what changed and the new revision, or every
        validation problem (the database is then unchanged).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from bot.content.loader import ContentValidationError, load_bundle
    from bot.content.store import SqlContentStore, count_rows

    try:
        bundle = bundle or load_bundle(content_dir)
    except ContentValidationError as exc:
        problems = [{"file": p.file, "item": p.item, "problem": p.problem} for p in exc.problems]
        return 422, {
            "ok": False,
            "message": "Content not loaded; the bot keeps the previous content.",
            "problems": problems,
        }
    store = SqlContentStore.from_url(database_url)
    try:
        report = store.replace(bundle)
        counts = count_rows(store)
        info = store.revision_info()
    except SQLAlchemyError as exc:
        logger.exception("Reloading the content failed")
        return 503, {
            "ok": False,
            "message": f"Could not write to the content database ({exc.__class__.__name__}); nothing was changed.",
            "problems": [],
        }
    finally:
        store.engine.dispose()
    published = len(bundle.published_passages())
    return 200, {
        "ok": True,
        "message": f"Loaded: {report.summary()}.",
        "changed": report.changed,
        "passages": len(bundle.passages),
        "published": published,
        "drafts": len(bundle.passages) - published,
        "counts": counts,
        "revision": info.revision if info else None,
        "content_hash": info.content_hash if info else None,
        "reload_seconds": get_settings().content_reload_seconds,
    }
