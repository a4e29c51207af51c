"""The editors' report on the library: `python -m bot.tools.content_report [--reach FILE ...]`.

Passages per topic, sources, review dates, readability and gaps (bot.content.report). With question files
(evaluation or retrieval sets) it also ranks every question as the bot would and lists the passages no
question reaches. It ranks with the whole service, which is why it lives here and not in the content package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT, get_settings
from bot.content.loader import PROTOCOL_FILE, ContentValidationError, load_bundle, load_protocol
from bot.content.records import ContentBundle
from bot.content.report import ContentReport, fact_sheet_sections
from bot.factory import service_from_content

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
        service = service_from_content(content_dir)
        reached = set()
        for path in reach:
            for question in _questions(path):
                hits, _ = service.rank(question, limit=1)
                reached.update(h.passage.id for h in hits)
    protocol = load_protocol(content_dir, bundle.sources) if (content_dir / PROTOCOL_FILE).is_file() else {}
    return ContentReport(bundle, dt.date.today(), fact_sheet_sections(fact_sheet), reached, protocol)


def main(argv: list[str] | None = None) -> int:
    """Prints the report; returns the process exit code (1 when the content files are invalid)."""
    parser = argparse.ArgumentParser(prog="python -m bot.tools.content_report", description=__doc__)
    parser.add_argument("--content-dir", type=Path, default=get_settings().content_dir, help="content folder")
    parser.add_argument("--reach", type=Path, nargs="*", default=[], help="question files (eval or retrieval)")
    parser.add_argument("--fact-sheet", type=Path, default=FACT_SHEET, help="the fact sheet")
    args = parser.parse_args(argv)
    try:
        bundle = load_bundle(args.content_dir)
    except ContentValidationError as exc:
        print(f"The content files are invalid.\n{exc}", file=sys.stderr)
        return 1
    print(build_report(bundle, args.content_dir, args.reach, args.fact_sheet).to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
