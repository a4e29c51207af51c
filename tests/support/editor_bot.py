"""A second real bot for the editors' shell, reload, rate-limit and open-API tests, started once per session.

It differs from the shared `running_bot` in what these tests need: its own copy of the content with a draft
passage (drafts must never be added to content/), a content folder the tests can change and reload, a
one-second revision check, low REST limits so that a test can reach them, and no RASA_API_TOKEN, so it
also shows that a launcher without the token exposes no HTTP API route. Several test modules use it; a
module-level instance with a cleanup on the pytest config starts it once and always stops it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from tests.support.servers import RunningBot, start_bot

DRAFT_ID = "editor-test-moonwalk-draft"
DRAFT_MARK = "DRAFT-ONLY moonwalk stretch"
DRAFT_QUESTION = "What is the moonwalk stretch?"
RATE_BURST = 5
RATE_PER_MINUTE = 6
EXTRA_ENV = {
    "RASA_API_TOKEN": "",  # the HTTP API must stay off
    "CONTENT_RELOAD_SECONDS": "1",
    "REST_RATE_BURST": str(RATE_BURST),
    "REST_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
}

_bot: RunningBot | None = None


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


def editor_bot(config: pytest.Config, model: Path, tmp_path_factory: pytest.TempPathFactory) -> RunningBot:
    """The session's editor bot, started on first use and stopped when pytest finishes."""
    global _bot
    if _bot is None or _bot.process.poll() is not None:
        folder = tmp_path_factory.mktemp("editor-bot")
        content = write_content(folder / "content")
        try:
            _bot = start_bot(folder / "bot", model, extra_env=EXTRA_ENV, content_dir=content)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        running = _bot

        def stop() -> None:
            running.stop()

        config.add_cleanup(stop)
    return _bot
