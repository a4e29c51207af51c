"""Building the process's `BotService`: from the configured database, or straight from the content files.

The actions create the service on first use (`get_service`), never at import: rasa-sdk imports and
instantiates every action when the action server starts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings, get_settings
from bot.content.library import ContentUnavailable
from bot.content.store import InMemoryContentStore, SqlContentStore
from bot.nlp.terminology import TERMINOLOGY_FILE, load_terms
from bot.service import BotService

if TYPE_CHECKING:
    from bot.nlp.pipeline import TextAnalyser


def _default_analyser(settings: Settings) -> TextAnalyser:
    from bot.nlp.pipeline import TextAnalyser

    try:
        return TextAnalyser.from_path(settings.nlp_dir)
    except OSError as exc:
        raise ContentUnavailable(f"The spaCy pipeline is missing at {settings.nlp_dir}: run `make pipeline`.") from exc


@lru_cache(maxsize=1)
def get_service() -> BotService:
    """The process-wide service over the configured database and pipeline (created on first use)."""
    settings = get_settings()
    terms = load_terms(settings.content_dir / TERMINOLOGY_FILE)
    return BotService(
        store=SqlContentStore.from_url(settings.database_url),
        analyser_factory=lambda: _default_analyser(settings),
        terms=terms,
        threshold=settings.answer_threshold,
        max_chars=settings.max_message_chars,
    )


def service_from_content(content_dir: Path, threshold: float | None = None) -> BotService:
    """A service over the content files themselves (no database), for evaluations and editors' tools."""
    from bot.content.loader import load_bundle
    from bot.nlp.pipeline import TextAnalyser, build_pipeline

    bundle = load_bundle(content_dir)
    terms = load_terms(content_dir / TERMINOLOGY_FILE)
    analyser = TextAnalyser(build_pipeline(terms))
    return BotService(
        InMemoryContentStore(bundle),
        lambda: analyser,
        terms,
        threshold=get_settings().answer_threshold if threshold is None else threshold,
        protocol_dir=content_dir,
    )
