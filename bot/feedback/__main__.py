"""Command line for feedback: `python -m bot.feedback report|purge`.

`report` prints the editors' report (`make report`): turns per day by kind (answered, unanswered, emergency,
dosing), the scrubbed words of recent emergency, dosing and unanswered turns, the most frequent unanswered
questions, the reasons given for "not helpful" and the passages with the most "not helpful" votes, as text
or `--json`. `purge` deletes feedback older than the
retention period (`FEEDBACK_RETENTION_DAYS`, or `--days`); `--days 0` deletes it all. Both exit with 2 and
a plain message when the database cannot be reached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.config import get_settings
from bot.feedback.anonymiser import utc_now
from bot.feedback.fail_soft import sql_store_from_settings
from bot.feedback.report import FeedbackReport
from bot.feedback.store import DEFAULT_LIMIT
from bot.feedback.traffic import DEFAULT_DAYS
from bot.sql_engine import redact


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the process exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.feedback", description=__doc__)
    parser.add_argument(
        "command", choices=["report", "purge"], help="print the editors' report, or delete old feedback"
    )
    parser.add_argument("--database-url", default=settings.database_url, help="SQLAlchemy URL (DATABASE_URL)")
    parser.add_argument("--limit", type=_non_negative, default=DEFAULT_LIMIT, help="report: lines per list")
    parser.add_argument("--json", action="store_true", help="report: print JSON instead of text")
    parser.add_argument(
        "--turn-days", type=_non_negative, default=DEFAULT_DAYS, help="report: days of turn counts, today first"
    )
    parser.add_argument(
        "--days",
        type=_non_negative,
        default=settings.feedback_retention_days,
        help="purge: delete feedback older than this many days (FEEDBACK_RETENTION_DAYS); 0 deletes all",
    )
    args = parser.parse_args(argv)

    store = sql_store_from_settings(settings, args.database_url)
    try:
        if args.command == "report":
            report = FeedbackReport.from_store(
                store, settings.feedback_retention_days, args.limit, days=max(args.turn_days, 1)
            )
            print(report.to_json() if args.json else report.to_text())
            return 0
        # A cutoff a moment in the future makes `--days 0` delete what was written a moment ago as well.
        cutoff = utc_now() - dt.timedelta(days=args.days) + dt.timedelta(seconds=1)
        purged = store.purge(cutoff)
    except SQLAlchemyError as exc:
        print(
            f"Could not reach the feedback database {redact(args.database_url)}: "
            f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}",
            file=sys.stderr,
        )
        return 2
    finally:
        store.engine.dispose()
    print(
        f"Deleted {purged.votes} vote(s) with {purged.reasons} reason(s), {purged.unanswered} unanswered "
        f"question(s) and {purged.turns} counted turn(s) recorded before "
        f"{cutoff:%Y-%m-%d %H:%M:%S} UTC from {redact(args.database_url)}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
