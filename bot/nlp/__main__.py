"""Builds the project's spaCy pipeline: `python -m bot.nlp build [--out DIR]`.

The build is skipped when the terminology has not changed since the last one, so `make run` does no
needless work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bot.config import get_settings
from bot.nlp.pipeline import save_pipeline
from bot.nlp.terminology import TERMINOLOGY_FILE, TerminologyError, load_terms


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.nlp", description=__doc__)
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--terminology", type=Path, default=settings.content_dir / TERMINOLOGY_FILE)
    parser.add_argument("--out", type=Path, default=settings.nlp_dir)
    args = parser.parse_args(argv)
    topics_file = args.terminology.parent / "topics.yml"
    topics = None
    if topics_file.is_file():
        data = yaml.safe_load(topics_file.read_text(encoding="utf-8")) or {}
        topics = {str(t.get("id")) for t in data.get("topics", []) if isinstance(t, dict)}
    try:
        terms = load_terms(args.terminology, topics)
    except (OSError, TerminologyError) as exc:
        print(f"Pipeline not built: {exc}", file=sys.stderr)
        return 1
    built = save_pipeline(terms, args.out)
    verdict = "built" if built else "up to date"
    print(f"spaCy pipeline {verdict} at {args.out} ({len(terms)} terms).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
