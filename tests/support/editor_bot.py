"""What the session's one shared bot is started with: a content copy with a draft, low limits, Telegram on.

Every end-to-end test module talks to the same running bot (`running_bot` in `tests/conftest.py`), so one
bot start serves the REST, widget, editors' shell, Telegram, evaluation and safety checks. What some of them
need is set here once for all:

- its own copy of the content with a draft passage (drafts must never be added to content/), in a folder the
  editors' tests may change and reload (they restore it), checked for a new revision every second;
- REST limits low enough for the rate-limit test to reach (`RATE_BURST` at once, then `RATE_PER_MINUTE`),
  and high enough for any one conversation of the other tests (a dialogue stays under `RATE_BURST` turns);
- the Telegram channel, pointed at the session's fake Telegram API (`tests/support/fake_telegram.py`);
- one site allowed to embed the widget from another origin (`CORS_ORIGINS`), which tests/test_widget.py serves on
  `EMBEDDER_PORT`.

A launcher started *without* RASA_API_TOKEN is the system tier's spare bot (`tests/support/servers.py`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from tests.support.servers import free_port

DRAFT_ID = "editor-test-moonwalk-draft"
DRAFT_MARK = "DRAFT-ONLY moonwalk stretch"
DRAFT_QUESTION = "What is the moonwalk stretch?"
RATE_BURST = 8
RATE_PER_MINUTE = 4
TELEGRAM_SECRET = "test-webhook-secret_0123456789"
EMBEDDER_PORT = free_port()
SHARED_ENV = {
    "REST_RATE_BURST": str(RATE_BURST),
    "REST_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    "CORS_ORIGINS": f"http://127.0.0.1:{EMBEDDER_PORT}",
}


def draft_passage() -> dict[str, Any]:
    """A draft passage with a word no published passage has, so retrieval finds it only with drafts."""
    return {
        "id": DRAFT_ID,
        "topic": "physiotherapy",
        "title": "The moonwalk stretch",
        "text": (
            f"{DRAFT_MARK}: the moonwalk stretch is a slow heel slide done lying on your back. "
            "A physiotherapist shows you how far to slide each heel and how often."
        ),
        "questions": [
            DRAFT_QUESTION,
            "How do I do the moonwalk stretch?",
            "Does the moonwalk stretch help stiff legs?",
        ],
        "sources": ["NINDS-SP"],
        "reviewed": "2026-11-25",
        "status": "draft",
    }


def write_content(folder: Path) -> Path:
    """A copy of the real content plus the draft passage."""
    shutil.copytree(PROJECT_ROOT / "content", folder)
    (folder / "passages" / "zz-editor-test-draft.yml").write_text(yaml.safe_dump({"passages": [draft_passage()]}))
    return folder
