"""What the shell shows about the passages: the list, one passage with its history, and what is due for review.

A passage is due for its next re-check `review_every_months` (default 12) after its `reviewed` date; the
"due for review" list holds the published passages whose date is past or within `DUE_WITHIN_DAYS`, soonest
first. A clinical sign-off counts only while it is not older than the passage's `reviewed` date (as
`make content-report` counts it). All of it is read from the files, which are the source of truth, so it is
right even before a load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from bot.content.records import DEFAULT_REVIEW_MONTHS, MAX_REVIEW_MONTHS, add_months
from bot.editing.audit import Action, AuditLog, entry_hash
from bot.editing.forms import CONTENT_KEYS, DRAFT_SUFFIX, jsonable, plain_value
from bot.editing.workspace import Located, Workspace

DUE_WITHIN_DAYS = 30


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _months(entry: dict[str, Any]) -> int:
    value = entry.get("review_every_months")
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_REVIEW_MONTHS
    return value if ok else DEFAULT_REVIEW_MONTHS  # type: ignore[return-value]


def due_date(entry: dict[str, Any]) -> dt.date | None:
    """When the passage's next re-check is due (None without a valid `reviewed` date)."""
    reviewed = _date(entry.get("reviewed"))
    return add_months(reviewed, _months(entry)) if reviewed else None


def signoff_state(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry's clinical sign-off and whether it still counts (not older than `reviewed`); None if none."""
    signoff = entry.get("clinical_signoff")
    if not isinstance(signoff, dict):
        return None
    signed, reviewed = _date(signoff.get("date")), _date(entry.get("reviewed"))
    return {
        "by": signoff.get("by"),
        "date": signed.isoformat() if signed else None,
        "note": signoff.get("note"),
        "counts": bool(signed and reviewed and signed >= reviewed),
    }


def _summary(located: Located, ids: set[str], today: dt.date) -> dict[str, Any]:
    entry = located.entry
    due = due_date(entry)
    return {
        "id": located.id,
        "title": plain_value(entry, "title"),
        "topic": plain_value(entry, "topic"),
        "status": str(entry.get("status", "draft")).strip().lower(),
        "file": located.name,
        "reviewed": jsonable(_date(entry.get("reviewed"))),
        "due": due.isoformat() if due else None,
        "overdue": bool(due and due < today),
        "replaces": entry.get("replaces"),
        "pending": located.id + DRAFT_SUFFIX if located.id + DRAFT_SUFFIX in ids else None,
        "signoff": signoff_state(entry),
    }


def summaries(workspace: Workspace, today: dt.date) -> list[dict[str, Any]]:
    """Every passage in file order, with its status, review dates, sign-off and any pending edit."""
    entries = workspace.entries()
    ids = {e.id for e in entries}
    return [_summary(e, ids, today) for e in entries]


def due_for_review(workspace: Workspace, today: dt.date, within_days: int = DUE_WITHIN_DAYS) -> list[dict[str, Any]]:
    """Published passages due for a re-check by `today + within_days`, soonest first (overdue ones first)."""
    rows = []
    for row in summaries(workspace, today):
        if row["status"] != "published" or row["due"] is None:
            continue
        due = dt.date.fromisoformat(row["due"])
        if due <= today + dt.timedelta(days=within_days):
            days = (due - today).days
            when = f"overdue by {-days} days" if days < 0 else "due today" if days == 0 else f"due in {days} days"
            rows.append({**row, "days": days, "when": when})
    return sorted(rows, key=lambda r: (r["due"], r["id"]))


def _unchecked_edit(audit: AuditLog, passage_id: str) -> str | None:
    """When what patients read last changed without a re-check since (the edit's time), or None.

    Read from the change log, newest first: an edit of the text, questions, topic, sources or title that did
    not also set `reviewed`, with no re-check after it.
    """
    for entry in audit.entries(limit=1000, passage=passage_id):
        fields = set(entry.get("fields") or ())
        if entry.get("action") == Action.RECHECK.value or "reviewed" in fields:
            return None
        if entry.get("action") in (Action.CREATE.value, Action.EDIT.value) and fields & set(CONTENT_KEYS):
            return str(entry.get("time", ""))[:10]
    return None


def detail(
    workspace: Workspace, audit: AuditLog, passage_id: str, today: dt.date, safety_ids: Collection[str]
) -> dict[str, Any] | None:
    """One passage for the shell: its fields, the hash a change must name, its sign-off, history and warnings."""
    entries = workspace.entries()
    ids = {e.id for e in entries}
    located = next((e for e in entries if e.id == passage_id), None)
    if located is None:
        return None
    entry = located.entry
    warnings = []
    edited = _unchecked_edit(audit, passage_id.removesuffix(DRAFT_SUFFIX))
    if edited:
        reviewed = _date(entry.get("reviewed"))
        warnings.append(
            f"What patients read was changed on {edited} and has not been re-checked against its sources since "
            f"(its review date is still {reviewed.isoformat() if reviewed else 'unset'})."
        )
    return {
        **_summary(located, ids, today),
        "hash": entry_hash(entry),
        "fields": {
            **{key: plain_value(entry, key) for key in CONTENT_KEYS},
            "review_note": plain_value(entry, "review_note"),
            "review_every_months": _months(entry),
        },
        "safety": passage_id in safety_ids,
        "warnings": warnings,
        "history": audit.entries(limit=50, passage=passage_id.removesuffix(DRAFT_SUFFIX)),
    }
