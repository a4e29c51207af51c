"""Command line for the content store: `python -m bot.content load|check|report`.

`load` validates every file and then writes the whole library in one transaction (used by `make content`);
`check` only validates; `report` prints the editors' report (`make content-report`). All three exit
non-zero with every problem listed when a file is invalid, so an editor sees all mistakes at once and the
database keeps its previous, valid content.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config import PROJECT_ROOT, get_settings
from bot.content.loader import PROTOCOL_FILE, ContentValidationError, load_bundle, load_protocol
from bot.content.records import ContentBundle
from bot.content.report import ContentReport, fact_sheet_sections
from bot.content.store import SqlContentStore, count_rows


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


FACT_SHEET = PROJECT_ROOT.parent / "shared" / "research" / "medical-facts.md"


def _questions(path: Path) -> list[str]:
    """The questions of an evaluation file (a list of items) or a retrieval file (`pairs:`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("pairs", []) if isinstance(data, dict) else data or []
    return [str(i.get("question") or i.get("text")) for i in items if i.get("category", "answer") == "answer"]


def build_report(bundle: ContentBundle, content_dir: Path, reach: list[Path], fact_sheet: Path) -> ContentReport:
    """Computes the editors' report; with question files, also which passages they reach."""
    reached: set[str] | None = None
    if reach:
        from bot.factory import service_from_content

        service = service_from_content(content_dir)
        reached = set()
        for path in reach:
            for question in _questions(path):
                hits, _ = service.rank(question, limit=1)
                reached.update(h.passage.id for h in hits)
    protocol = load_protocol(content_dir, bundle.sources) if (content_dir / PROTOCOL_FILE).is_file() else {}
    return ContentReport(bundle, dt.date.today(), fact_sheet_sections(fact_sheet), reached, protocol)


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the process exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.content", description=__doc__)
    parser.add_argument(
        "command", choices=["load", "check", "report"], help="load into the database, only validate, or report"
    )
    parser.add_argument("--content-dir", type=Path, default=settings.content_dir, help="content folder")
    parser.add_argument("--database-url", default=settings.database_url, help="SQLAlchemy URL (DATABASE_URL)")
    parser.add_argument(
        "--reach", type=Path, nargs="*", default=[], help="report: question files (eval or retrieval) to test reach"
    )
    parser.add_argument("--fact-sheet", type=Path, default=FACT_SHEET, help="report: the fact sheet")
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
    if args.command == "report":
        print(build_report(bundle, args.content_dir, args.reach, args.fact_sheet).to_text())
        return 0
    store = SqlContentStore.from_url(args.database_url)
    try:
        report = store.replace(bundle)
        counts = count_rows(store)
        revision = store.revision()
    except SQLAlchemyError as exc:
        print(
            f"Could not write to the content database {_redact(args.database_url)}: "
            f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}\nNothing was changed.",
            file=sys.stderr,
        )
        return 2
    # Running bots poll the revision and swap new content in within CONTENT_RELOAD_SECONDS, with no restart.
    print(f"Loaded into {_redact(args.database_url)}: {report.summary()}; now {counts}; content revision {revision}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
