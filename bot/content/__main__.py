"""Command line for the content store: `python -m bot.content load|check`.

`load` validates every file and then writes the whole library in one transaction (used by `make content`);
`check` only validates. Both exit non-zero with every problem listed when a file is invalid, so an editor
sees all mistakes at once and the database keeps its previous, valid content. The editors' report, which
also ranks questions against the library, is `python -m bot.tools.content_report` (`make content-report`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.config import get_settings
from bot.content.loader import ContentValidationError, load_bundle
from bot.content.store import SqlContentStore, count_rows
from bot.sql_engine import redact


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the process exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.content", description=__doc__)
    parser.add_argument("command", choices=["load", "check"], help="load into the database, or only validate")
    parser.add_argument("--content-dir", type=Path, default=settings.content_dir, help="content folder")
    parser.add_argument("--database-url", default=settings.database_url, help="SQLAlchemy URL (DATABASE_URL)")
    args = parser.parse_args(argv)

    try:
        bundle = load_bundle(args.content_dir)
    except ContentValidationError as exc:
        print(f"Content not loaded; the database is unchanged.\n{exc}", file=sys.stderr)
        return 1
    published = len(bundle.published_passages())
    print(
        f"Content is valid: {len(bundle.sources)} sources, {len(bundle.topics)} topics, "
        f"{len(bundle.passages)} passages ({published} published)."
    )
    if args.command == "check":
        return 0
    store = SqlContentStore.from_url(args.database_url)
    try:
        report = store.replace(bundle)
        counts = count_rows(store)
        revision = store.revision()
    except SQLAlchemyError as exc:
        print(
            f"Could not write to the content database {redact(args.database_url)}: "
            f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}\nNothing was changed.",
            file=sys.stderr,
        )
        return 2
    # Running bots read the revision before each turn and answer from this load from the next message on.
    print(f"Loaded into {redact(args.database_url)}: {report.summary()}; now {counts}; content revision {revision}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
