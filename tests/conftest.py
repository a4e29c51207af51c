"""Shared fixtures: a small fixed corpus and terminology, an in-memory service, trackers and databases.

Unit tests run on the small corpus and the in-memory store; integration tests use the real databases (SQLite
files in a temporary folder, and the local PostgreSQL server) and the real servers.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.records import ContentBundle, PassageRecord, SourceRecord, Status, TopicRecord
from bot.content.store import InMemoryContentStore, SqlContentStore
from bot.nlp.pipeline import TextAnalyser, build_pipeline
from bot.nlp.terminology import Term, load_terms
from bot.service import BotService

TODAY = dt.date(2026, 11, 25)
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://127.0.0.1:5432/test")

SMALL_TERMS = [
    Term("baclofen", "THERAPY", "oral baclofen", ("baclofen", "lioresal", "bac"), "baclofen"),
    Term(
        "baclofen-pump",
        "THERAPY",
        "baclofen pump",
        ("bac pump", "itb", "intrathecal baclofen", "pump"),
        "baclofen-pump",
    ),
    Term("botulinum-toxin", "THERAPY", "botulinum toxin", ("botox", "botox shots", "dysport"), "botulinum-toxin"),
    Term("multiple-sclerosis", "CONDITION", "multiple sclerosis", ("ms",)),
    Term("spasticity", "CONDITION", "spasticity", ("stiff legs", "stiffness")),
]


def _source(ident: str) -> SourceRecord:
    return SourceRecord(ident, f"Publisher {ident}", f"Title {ident}", f"https://example.org/{ident.lower()}", TODAY)


def _passage(ident: str, topic: str, text: str, questions: tuple[str, ...], sources: tuple[str, ...]) -> PassageRecord:
    return PassageRecord(ident, topic, ident.replace("-", " ").capitalize(), text, questions, sources, TODAY)


def make_small_bundle() -> ContentBundle:
    """Six passages over four topics, plus one draft: enough to test ranking, context and citations."""
    sources = {s: _source(s) for s in ("NHS-BAC", "FDA-BOTOX", "NINDS-SP", "MDT-PUMP")}
    topics = {
        "what-is-spasticity": TopicRecord("what-is-spasticity", "What spasticity is", "Basics", 1, True, 1),
        "baclofen": TopicRecord("baclofen", "Oral baclofen", "Tablets", 12, False, 2),
        "botulinum-toxin": TopicRecord("botulinum-toxin", "Botulinum toxin", "Injections", 18, True, 3),
        "baclofen-pump": TopicRecord("baclofen-pump", "The baclofen pump", "ITB", 20, True, 4),
        "emergencies": TopicRecord("emergencies", "Emergencies", "Red flags", 24, False, 5),
    }
    passages = [
        _passage(
            "spasticity-what-it-is",
            "what-is-spasticity",
            "Spasticity means muscles are stiff and tight because nerve signals from the brain or spinal cord "
            "are damaged.",
            ("What is spasticity?", "Why are my muscles tight?", "What does spastic mean?"),
            ("NINDS-SP",),
        ),
        _passage(
            "baclofen-what-it-is",
            "baclofen",
            "Baclofen is a medicine that relaxes stiff muscles. It acts on nerves in the spinal cord.",
            ("What is baclofen?", "How does baclofen work?", "Is baclofen a muscle relaxer?"),
            ("NHS-BAC",),
        ),
        _passage(
            "baclofen-side-effects",
            "baclofen",
            "Common side effects of baclofen are sleepiness, dizziness, weakness and feeling sick.",
            ("What are the side effects of baclofen?", "Does baclofen make you sleepy?", "Can baclofen make me dizzy?"),
            ("NHS-BAC",),
        ),
        _passage(
            "botox-how-it-works",
            "botulinum-toxin",
            "Botulinum toxin is injected into an overactive muscle and blocks the signal that makes it tighten.",
            ("How does botulinum toxin work?", "What do botox injections do?", "Where is botox injected?"),
            ("FDA-BOTOX", "NINDS-SP"),
        ),
        _passage(
            "botox-side-effects",
            "botulinum-toxin",
            "Side effects of botulinum toxin include pain where it was injected, weakness and tiredness.",
            ("What are the side effects of botulinum toxin?", "Does botox hurt?", "Is botox safe?"),
            ("FDA-BOTOX",),
        ),
        _passage(
            "pump-refills",
            "baclofen-pump",
            "The baclofen pump is refilled with a needle through the skin every few months at the clinic.",
            ("How often is the pump refilled?", "How is the pump refilled?", "Does a refill hurt?"),
            ("MDT-PUMP",),
        ),
        _passage(
            "emergency-pump-alarm",
            "emergencies",
            "A two-tone alarm from the pump means the medicine has stopped flowing. Call your doctor at once.",
            ("My pump is making a two-tone alarm", "The pump alarm is beeping", "What does the critical alarm mean?"),
            ("MDT-PUMP",),
        ),
    ]
    draft = PassageRecord(
        "draft-passage",
        "baclofen",
        "Draft",
        "Draft text about baclofen tablets and liquid.",
        ("Is there a liquid baclofen?", "Draft question two?", "Draft question three?"),
        ("NHS-BAC",),
        TODAY,
        Status.DRAFT,
    )
    ordered = {p.id: p for p in [*passages, draft]}
    return ContentBundle(sources=sources, topics=topics, passages=ordered)  # fmt: skip


@pytest.fixture(scope="session")
def small_terms() -> list[Term]:
    return list(SMALL_TERMS)


@pytest.fixture(scope="session")
def analyser(small_terms: list[Term]) -> TextAnalyser:
    """The project's pipeline builder over the small terminology."""
    return TextAnalyser(build_pipeline(small_terms))


@pytest.fixture(scope="session")
def real_terms() -> list[Term]:
    return load_terms(PROJECT_ROOT / "content" / "terminology.yml")


@pytest.fixture(scope="session")
def real_service() -> BotService:
    """The service over the real content files with the configured threshold, built once per session.

    Tests must not change it (it is shared); one that needs a changed library builds its own.
    """
    from bot.factory import service_from_content

    return service_from_content(PROJECT_ROOT / "content")


@pytest.fixture(scope="session")
def safety_parts(real_terms: list[Term]) -> tuple[Any, BotService]:
    """The safety net and a service over the real content, sharing one pipeline built from the terminology.

    Built once for the session: the safety and dosing tests run thousands of messages through it.
    """
    from bot.safety import SafetyNet

    nlp = build_pipeline(real_terms)
    analyser = TextAnalyser(nlp)
    content = PROJECT_ROOT / "content"
    from bot.content.loader import load_bundle

    service = BotService(InMemoryContentStore(load_bundle(content)), lambda: analyser, real_terms, threshold=0.3)
    return SafetyNet(nlp), service


@pytest.fixture(scope="session")
def real_analyser(real_terms: list[Term]) -> TextAnalyser:
    """The pipeline built from the real terminology file."""
    return TextAnalyser(build_pipeline(real_terms))


@pytest.fixture
def small_bundle() -> ContentBundle:
    return make_small_bundle()


@pytest.fixture
def service(small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]) -> BotService:
    """The bot service over the in-memory store and the small corpus."""
    return BotService(InMemoryContentStore(small_bundle), lambda: analyser, small_terms, threshold=0.3)


def write_content(folder: Path, sources: Any, topics: Any, passages: dict[str, Any]) -> Path:
    """Writes a content folder: sources.yml, topics.yml and passages/<name>.yml."""
    (folder / "passages").mkdir(parents=True, exist_ok=True)
    (folder / "sources.yml").write_text(yaml.safe_dump(sources, sort_keys=False))
    (folder / "topics.yml").write_text(yaml.safe_dump(topics, sort_keys=False))
    for name, data in passages.items():
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        (folder / "passages" / name).write_text(text)
    return folder


def valid_content_data() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A small valid content folder's data, for the loader tests to break one piece at a time."""
    sources = {
        "sources": [
            {
                "id": "S1",
                "publisher": "NHS",
                "title": "Baclofen",
                "url": "https://www.nhs.uk/baclofen",
                "accessed": "2026-11-01",
            },
            {
                "id": "S2",
                "publisher": "NINDS",
                "title": "Spasticity",
                "url": "https://www.ninds.nih.gov/sp",
                "accessed": "2026-11-01",
            },
        ]
    }
    topics = {"topics": [{"id": "t1", "title": "Topic one", "main": True}, {"id": "t2", "title": "Topic two"}]}
    passages = {
        "passages": [
            {
                "id": "p1", "topic": "t1", "title": "First", "text": "Baclofen relaxes stiff muscles.",
                "questions": ["What is baclofen?", "How does it work?", "Is it a relaxer?"],
                "sources": ["S1"], "reviewed": "2026-11-20", "status": "published",
            },
            {
                "id": "p2", "topic": "t2", "title": "Second", "text": "Spasticity is stiffness from nerve damage.",
                "questions": ["What is spasticity?", "Why stiff?", "Is it the muscle?"],
                "sources": ["S2", "S1"], "reviewed": "2026-11-20", "status": "draft",
            },
        ]
    }  # fmt: skip
    return sources, topics, passages


@pytest.fixture
def content_factory(tmp_path: Path) -> Callable[..., Path]:
    """Creates a content folder from (possibly modified) valid data."""

    def make(sources: Any = None, topics: Any = None, passages: dict[str, Any] | None = None) -> Path:
        s, t, p = valid_content_data()
        folder = tmp_path / f"content-{uuid.uuid4().hex[:6]}"
        return write_content(folder, sources or s, topics or t, passages or {"a.yml": p})

    return make


# Fixtures that start servers of their own: a test using one belongs to the system tier.
SYSTEM_FIXTURES = frozenset({"spare_bot", "cluster", "scaled", "faulty"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sorts every test into its tier by the servers it uses, so no test lands in the wrong one by omission.

    A test that uses the shared bot (`running_bot`, directly or through another fixture) is `e2e`; one that
    uses a server of its own (the spare bot, the scaled setup, the fault cluster) is `system`, as are tests
    marked so by hand. The rest need no server process: `make test-fast` runs them.
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & SYSTEM_FIXTURES or item.get_closest_marker("system"):
            item.add_marker(pytest.mark.system)
        elif "running_bot" in names:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(trylast=True)  # after pytest-random-order has shuffled, when it is asked to
def pytest_collection_finish(session: pytest.Session) -> None:
    """Runs the tests marked `ends_bot` (they leave the spare bot stopped) last.

    So no other test waits for the spare bot to start again. That saves time only: every test passes in any
    order, since the spare bot restarts when a test needs it.
    """
    session.items.sort(key=lambda item: item.get_closest_marker("ends_bot") is not None)


def missing(message: str) -> None:
    """Something a test needs from outside the repository is not here: skip, or fail under `.ci/run`.

    On a person's machine a missing service or file skips the test with the reason; CI sets REQUIRE_SERVICES,
    so there the same absence is a failure instead of a silent gap in what was checked.
    """
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; REQUIRE_SERVICES is set, so this is a failure")
    pytest.skip(f"{message}; set REQUIRE_SERVICES=1 to make this a failure")


def _service_missing(what: str, error: Exception) -> None:
    missing(f"{what} is not reachable here ({error.__class__.__name__}: {error})")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL `test` database, dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.future import create_engine

    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # OperationalError when the server is absent
        admin.dispose()
        _service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlContentStore]:
    """The SQL content store on a fresh SQLite file and on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'content.db'}"
        store = SqlContentStore.from_url(url)
        yield store
        store.engine.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        store = SqlContentStore.from_url(url)
        yield store
        store.engine.dispose()


@pytest.fixture(scope="session")
def test_model() -> Path:
    """The quick test model that `make pytest` trains."""
    from tests.support.servers import test_model_path

    model = test_model_path()
    if not model.is_file():
        pytest.fail(f"No test model at {model}: run `make pytest` (it trains one) or set TEST_MODEL.")
    return model


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[Any]:
    """The fake Telegram Bot API the shared bot's Telegram channel talks to, for the whole session."""
    from tests.support.fake_telegram import FakeTelegram

    with FakeTelegram().running() as api:
        yield api


@pytest.fixture(scope="session")
def running_bot(test_model: Path, tmp_path_factory: pytest.TempPathFactory, telegram_api: Any) -> Iterator[Any]:
    """The session's one real bot (launcher: action server + Rasa server), shared by every e2e module.

    What it is started with, and why, is in `tests/support/editor_bot.py`.
    """
    from tests.support.editor_bot import SHARED_ENV, write_content
    from tests.support.servers import start_bot

    folder = tmp_path_factory.mktemp("bot")
    env = {**SHARED_ENV, "TELEGRAM_BOT_TOKEN": telegram_api.token, "TELEGRAM_API_URL": telegram_api.url}
    try:
        bot = start_bot(folder / "bot", test_model, extra_env=env, content_dir=write_content(folder / "content"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield bot
    bot.stop()


@pytest.fixture(scope="session")
def spare_bot(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The system tier's spare bot: started without RASA_API_TOKEN, for the tests that stop or block a bot.

    Returns a `SpareBot`: `.get()` gives the running bot, starting it again (same ports) if a test stopped it.
    """
    from tests.support.servers import SpareBot

    spare = SpareBot(tmp_path_factory.mktemp("spare-bot"), test_model, {"RASA_API_TOKEN": ""})
    yield spare
    spare.stop()


@pytest.fixture(scope="session")
def cluster(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The session's scaled bot (2 Rasa + 2 action servers, nginx), on PostgreSQL and Redis behind fault proxies.

    Started once with both proxies cut (the fault tests check what it said while it waited), and shared by
    tests/test_faults.py and tests/test_scaled.py. Returns a `tests.support.scaled.Faulty`.
    """
    from tests.support.scaled import start_fault_cluster

    try:
        started = start_fault_cluster(tmp_path_factory.mktemp("cluster"), test_model)
        faulty = started.__enter__()
    except Exception as exc:
        if exc.__class__.__name__ == "OperationalError":
            _service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
        raise
    yield faulty
    started.__exit__(None, None, None)
