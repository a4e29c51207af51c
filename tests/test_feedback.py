"""Feedback and knowledge gaps: privacy rules, the stores on the real databases, failing soft, the commands.

There is one store, `SqlFeedbackStore`; the unit tests' double is the same store on in-memory SQLite. The
report scenario runs on the double, on a SQLite file and on a PostgreSQL schema; the SQL store is also
checked for concurrent replicas, purges and content loads.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import bot.feedback.fail_soft as fail_soft_module
from bot.config import get_settings
from bot.content.models import Base as ContentBase
from bot.content.records import ContentBundle
from bot.content.store import InMemoryContentStore, SqlContentStore
from bot.feedback.__main__ import main as feedback_main
from bot.feedback.anonymiser import Anonymiser, utc_now
from bot.feedback.fail_soft import FailSoftFeedbackStore, get_feedback_store
from bot.feedback.models import FeedbackBase, UnansweredRow, VotePassageRow, VoteRow
from bot.feedback.privacy import (
    MAX_QUESTION_CHARS,
    hash_conversation,
    load_or_create_salt,
    prepare_question,
    question_key,
    scrub,
)
from bot.feedback.records import PassageFeedback
from bot.feedback.report import MISSING_TITLE, FeedbackReport
from bot.feedback.store import FeedbackStore, InMemoryFeedbackStore, SqlFeedbackStore
from tests.conftest import make_small_bundle

SALT = "a-test-salt-that-is-long-enough"
START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.timezone.utc)
# A port nothing listens on: connections are refused at once, like a database server that is down.
DEAD_POSTGRES = "postgresql+psycopg2://127.0.0.1:1/test"


class FakeClock:
    """A clock the test moves by hand, so first/last-seen dates and purges are exact."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


# --- privacy ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jo.bloggs+ms@example.co.uk please", "mail me at [email] please"),
        ("see https://forum.example.org/t?user=jo&id=42 for more", "see [link] for more"),
        ("www.example.com/profile/jo-bloggs says so", "[link] says so"),
        ("call me on +44 7700 900123", "call me on [phone]"),
        ("my number is (555) 123-4567", "my number is [phone]"),
        ("ring 07700900123 tomorrow", "ring [phone] tomorrow"),
        ("my NHS number is 943 476 5919", "my NHS number is [number]"),
        ("hospital no. MRN12345678 said", "hospital no. [number] said"),
        # names given as names (#15 point 6)
        ("my name is Jane Smith and i have ms", "my name is [name] and i have ms"),
        ("Hi, I'm called Jo, my legs are stiff", "Hi, I'm called [name], my legs are stiff"),
        ("her name's Ana-Maria, she is 6", "her name's [name], she is 6"),
        ("call me Sam please", "call me [name] please"),
        ("a nurse named Sarah Jones said so", "a nurse named [name] Jones said so"),
        ("thanks for the help. regards, Pat", "thanks for the help. regards, [name]"),
        # dates of birth, written or numeric
        ("born 3 March 1961, is that too old for a pump", "born [date], is that too old for a pump"),
        ("dob: the 3rd of march 1961", "dob: the [date]"),
        ("he was born in 1961", "he was born in [date]"),
        ("date of birth March 3, 1961", "date of birth [date]"),
        # street addresses and postcodes
        ("we live at 12 Oak Road, SW1A 1AA", "we live at [address], [postcode]"),
        ("flat 3, 45a High Street", "flat 3, [address]"),
        ("i am in M1 1AE", "i am in [postcode]"),
        ("zip code 90210-1234 here", "[postcode] here"),
        ("K1A 0B1 in canada", "[postcode] in canada"),
        # handles and spelt-out addresses
        ("find me @jo_bloggs or u/jobloggs", "find me [handle] or [handle]"),
        ("write to jane dot smith at gmail dot com", "write to [email]"),
        ("message jo at hotmail", "message [email]"),
        # record numbers
        ("MRN A12345 on my letter", "MRN [number] on my letter"),
        ("hospital number: RX-12345", "hospital number: [number]"),
        ("my patient id is ab12cd", "my patient id is [number]"),
        ("ref AB/12/345 from the clinic", "ref [number] from the clinic"),
        ("I was born on 12/05/1961", "I was born on [date]"),
        ("born 1961-05-12, MS since then", "born [date], MS since then"),
    ],
)
def test_scrubber_removes_obvious_personal_data(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "is 25 mg of baclofen three times a day a lot?",
        "I take 10mg twice a day since 2019",
        "botox 400 units every 12 weeks, is that normal?",
        "my pump holds 20 ml and was refilled on day 90",
        "can I walk 5 km after an injection at 3 pm?",
        # nothing personal in these, though they look a little like the patterns
        "my T12 and L1 injury, C5 6th month of rehab",
        "since March 2019 on baclofen, may i ask about vitamin b12",
        "call me back tomorrow if the pump alarms",
        "my name is on the waiting list for a pump",
        "look at the leaflet, side effects from baclofen",
        "we had lunch at noon and the spasms came at 3",
        "is a dose of 25 mg at 8 am and 5 pm normal",
    ],
)
def test_scrubber_keeps_doses_years_and_small_numbers(text: str) -> None:
    assert scrub(text) == text


def test_stored_question_is_normalised_and_bounded() -> None:
    assert prepare_question("  what\tis\n\n a   bac\x00pump? ") == "what is a bac pump?"
    long = "why " * 400
    stored = prepare_question(long)
    assert len(stored) == MAX_QUESTION_CHARS
    assert stored.endswith("…")


def test_a_cut_never_leaves_part_of_an_email_behind() -> None:
    # The address straddles the 500-character limit: it is scrubbed first, so no fragment of it survives.
    text = "x" * 480 + " write to jonathan.bloggs@example.com"
    stored = prepare_question(text)
    assert "jonathan" not in stored and "bloggs" not in stored
    assert len(stored) <= MAX_QUESTION_CHARS
    huge = "help " * 10_000 + "jo@example.com"
    assert "@" not in prepare_question(huge)


def test_question_key_ignores_case_punctuation_and_spacing() -> None:
    assert question_key("Can I DRIVE on baclofen?") == question_key("  can i drive   on Baclofen!! ")
    assert question_key("Can I drive on baclofen?") == "can i drive on baclofen"
    assert question_key("can I drive on tizanidine?") != question_key("can I drive on baclofen?")


def test_conversation_hash_is_keyed_and_stable() -> None:
    first = hash_conversation("sender-123", SALT)
    assert first == hash_conversation("sender-123", SALT)
    assert first != hash_conversation("sender-124", SALT)
    assert first != hash_conversation("sender-123", SALT + "x")
    assert "sender-123" not in first and len(first) == 64


def test_salt_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "feedback-salt"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(load_or_create_salt(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results[0]) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_salt(path) == results[0]
    assert [p.name for p in path.parent.iterdir()] == ["feedback-salt"]  # no temporary files left


def test_an_empty_salt_file_is_an_error_not_an_empty_key(tmp_path: Path) -> None:
    path = tmp_path / "feedback-salt"
    path.write_text("")
    with pytest.raises(RuntimeError, match="empty"):
        load_or_create_salt(path)
    with pytest.raises(ValueError, match="salt"):
        Anonymiser("").conversation("sender")


# --- behaviour shared by every store --------------------------------------------------------------------------


def fill(store: FeedbackStore, clock: FakeClock) -> None:
    """A small week of feedback: repeated gaps in different wordings, and votes on several passages."""
    for sender, text in [
        ("alice", "Can I drive on baclofen?"),
        ("bob", "can i drive on BACLOFEN"),
        ("bob", "Can I drive on baclofen??"),
    ]:
        store.record_unanswered(sender, text)
        clock.advance(hours=1)
    store.record_unanswered("carol", "Is there a support group near me?")
    clock.advance(days=1)
    store.record_unanswered("dave", "is there a support group near me")
    clock.advance(days=1)
    store.record_unanswered("erin", "What is hippotherapy?")
    clock.advance(hours=1)
    votes = [
        ("alice", "Does botox hurt?", ["botox-side-effects"], False),
        ("bob", "does botox hurt", ["botox-side-effects", "botox-how-it-works"], False),
        ("carol", "Is botox safe?", ["botox-side-effects"], True),
        ("dave", "How often is the pump refilled?", ["pump-refills"], False),
        ("erin", "Can I swim with a pump?", ["pump-refills"], False),
        ("frank", "How is the pump refilled?", ["pump-refills"], True),
        ("gina", "What is baclofen?", ["baclofen-what-it-is"], True),
        ("hana", "What is a nerve block?", ["gone-passage"], False),
    ]
    for sender, question, passages, helpful in votes:
        store.record_feedback(sender, question, passages, helpful)
        clock.advance(minutes=10)


def check_report(store: FeedbackStore, with_titles: bool) -> None:
    groups = store.most_unanswered()
    assert [(g.key, g.count, g.conversations) for g in groups] == [
        ("can i drive on baclofen", 3, 2),
        ("is there a support group near me", 2, 2),
        ("what is hippotherapy", 1, 1),
    ]
    drive = groups[0]
    assert drive.question == "Can I drive on baclofen??"  # the latest wording
    assert drive.first_seen == START and drive.last_seen == START + dt.timedelta(hours=2)
    assert groups[1].last_seen - groups[1].first_seen == dt.timedelta(days=1)
    assert all(g.last_seen.tzinfo is not None for g in groups)
    assert store.most_unanswered(limit=1) == groups[:1]

    passages = store.least_helpful()
    # Most "not helpful" votes first; among equals (two each), the lower helpful ratio first.
    assert [(p.passage_id, p.helpful, p.not_helpful) for p in passages] == [
        ("botox-side-effects", 1, 2),
        ("pump-refills", 1, 2),
        ("botox-how-it-works", 0, 1),
        ("gone-passage", 0, 1),
    ]
    assert passages[0].helpful_ratio == pytest.approx(1 / 3)
    # What people had asked when they voted "not helpful": newest first, each wording group once.
    assert [p.examples for p in passages] == [
        ("does botox hurt",),
        ("Can I swim with a pump?", "How often is the pump refilled?"),
        ("does botox hurt",),
        ("What is a nerve block?",),
    ]
    assert "baclofen-what-it-is" not in {p.passage_id for p in passages}  # only ever helpful
    titles = {p.passage_id: p.title for p in passages}
    if with_titles:
        assert titles["botox-side-effects"] == "Botox side effects"
    assert titles["gone-passage"] is None
    assert store.least_helpful(limit=2) == passages[:2]


def test_the_double_reports_with_titles_from_its_content(small_bundle: ContentBundle) -> None:
    clock = FakeClock()
    store = InMemoryFeedbackStore(SALT, clock, content=InMemoryContentStore(small_bundle))
    fill(store, clock)
    check_report(store, with_titles=True)


def test_ratio_breaks_ties_between_equal_not_helpful_counts() -> None:
    store = InMemoryFeedbackStore(SALT)
    store.record_feedback("a", "q", ["mostly-good"], False)
    for sender in "bcd":
        store.record_feedback(sender, "q", ["mostly-good"], True)
    store.record_feedback("e", "q", ["never-good"], False)
    assert [p.passage_id for p in store.least_helpful()] == ["never-good", "mostly-good"]


def test_examples_are_the_three_newest_different_questions() -> None:
    clock = FakeClock()
    store = InMemoryFeedbackStore(SALT, clock)
    for question in ["one?", "two?", "Two!", "three?", "four?", ""]:
        store.record_feedback("a", question, ["p1"], False)
        clock.advance(minutes=1)
    store.record_feedback("b", "five?", ["p1"], True)  # a helpful vote is not an example
    assert store.least_helpful()[0].examples == ("four?", "three?", "Two!")


def test_the_double_is_the_sql_store_on_a_private_in_memory_database() -> None:
    first, second = InMemoryFeedbackStore(SALT), InMemoryFeedbackStore(SALT)
    assert isinstance(first, SqlFeedbackStore)
    assert first.engine.url.render_as_string() == "sqlite://"
    first.record_unanswered("a", "what is hippotherapy?")
    assert [u.question for u in first.unanswered] == ["what is hippotherapy?"]
    assert second.unanswered == []  # each double has its own database
    # Every session of one double sees the same database, from any thread.
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(len(first.most_unanswered())))
    thread.start()
    thread.join()
    assert seen == [1]


def test_nothing_personal_is_kept_in_the_double() -> None:
    store = InMemoryFeedbackStore(SALT)
    store.record_feedback("telegram-555123", "mail jo@example.com about baclofen", ["p1", " p1 ", "", "x" * 65], True)
    vote = store.votes[0]
    assert vote.conversation == hash_conversation("telegram-555123", SALT)
    assert vote.question == "mail [email] about baclofen"
    assert vote.passage_ids == ("p1",)
    assert not store.record_unanswered("s", "  ?!  ")  # nothing left to learn from
    assert store.unanswered == []


def test_purge_keeps_recent_feedback() -> None:
    clock = FakeClock()
    store = InMemoryFeedbackStore(SALT, clock)
    store.record_unanswered("a", "old question")
    store.record_feedback("a", "old", ["p1"], False)
    clock.advance(days=10)
    store.record_unanswered("b", "new question")
    report = store.purge(START + dt.timedelta(days=5))
    assert (report.votes, report.unanswered) == (1, 1)
    assert [g.key for g in store.most_unanswered()] == ["new question"]
    assert store.least_helpful() == []


# --- the real databases ---------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file, and a fresh schema on the local PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sql_stores(database_url: str) -> Iterator[Callable[..., SqlFeedbackStore]]:
    """Builds SQL feedback stores on the test database and disposes of their engines afterwards."""
    made: list[SqlFeedbackStore] = []

    def make(clock: Callable[[], dt.datetime] = utc_now) -> SqlFeedbackStore:
        store = SqlFeedbackStore.from_url(database_url, SALT, clock)
        made.append(store)
        return store

    yield make
    for store in made:
        store.engine.dispose()


def table_counts(store: SqlFeedbackStore) -> tuple[int, int, int]:
    with Session(store.engine, future=True) as session:
        votes, links, gaps = (
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (VoteRow, VotePassageRow, UnansweredRow)
        )
    return votes, links, gaps


def test_sql_store_reports_the_same_on_every_database(sql_stores: Callable[..., SqlFeedbackStore]) -> None:
    clock = FakeClock()
    store = sql_stores(clock)
    fill(store, clock)
    check_report(store, with_titles=False)
    votes = store.stored_votes()
    assert len(votes) == 8 and votes[0].created_at.tzinfo is not None
    assert votes[1].passage_ids == ("botox-side-effects", "botox-how-it-works")  # in the order shown
    assert [u.question_key for u in store.stored_unanswered()][:2] == ["can i drive on baclofen"] * 2


def test_sql_rows_hold_no_raw_ids_or_personal_data(sql_stores: Callable[..., SqlFeedbackStore]) -> None:
    store = sql_stores()
    store.record_feedback("whatsapp:+447700900123", "call 07700 900123 about my pump", ["pump-refills"], False)
    store.record_unanswered("whatsapp:+447700900123", "email jo@example.com " + "why " * 300)
    with Session(store.engine, future=True) as session:
        vote = session.scalars(select(VoteRow)).one()
        gap = session.scalars(select(UnansweredRow)).one()
    for row in (vote, gap):
        assert row.conversation == hash_conversation("whatsapp:+447700900123", SALT)
        assert "900123" not in row.question and "@" not in row.question
        assert len(row.question) <= MAX_QUESTION_CHARS
    assert vote.question == "call [phone] about my pump"
    assert [link.passage_id for link in vote.passages] == ["pump-refills"]


def test_loading_content_never_touches_feedback(sql_stores: Callable[..., SqlFeedbackStore], database_url: str) -> None:
    assert not set(FeedbackBase.metadata.tables) & set(ContentBase.metadata.tables)
    content = SqlContentStore.from_url(database_url)
    try:
        bundle = make_small_bundle()
        content.replace(bundle)
        store = sql_stores()
        store.record_feedback("a", "do botox shots hurt?", ["botox-side-effects", "pump-refills"], False)
        store.record_unanswered("a", "what is hippotherapy?")
        before = table_counts(store)
        titles = {p.passage_id: p.title for p in store.least_helpful()}
        assert titles == {"botox-side-effects": "Botox side effects", "pump-refills": "Pump refills"}

        # `make content` with a library where one voted passage was removed, then the same library again.
        smaller = replace(bundle, passages={k: v for k, v in bundle.passages.items() if k != "pump-refills"})
        content.replace(smaller)
        content.replace(smaller)
        assert table_counts(store) == before == (1, 2, 1)
        titles = {p.passage_id: p.title for p in store.least_helpful()}
        assert titles == {"botox-side-effects": "Botox side effects", "pump-refills": None}
    finally:
        content.engine.dispose()


def test_sql_purge_removes_old_votes_with_their_passage_links(sql_stores: Callable[..., SqlFeedbackStore]) -> None:
    clock = FakeClock()
    store = sql_stores(clock)
    store.record_feedback("a", "old", ["p1", "p2"], False)
    store.record_unanswered("a", "old question")
    clock.advance(days=200)
    store.record_feedback("b", "new", ["p1"], False)
    store.record_unanswered("b", "new question")
    report = store.purge(START + dt.timedelta(days=100))
    assert (report.votes, report.unanswered) == (1, 1)
    assert table_counts(store) == (1, 1, 1)
    assert [(p.passage_id, p.not_helpful) for p in store.least_helpful()] == [("p1", 1)]
    assert store.purge(START + dt.timedelta(days=100)).total == 0


def test_concurrent_replicas_lose_no_rows(sql_stores: Callable[..., SqlFeedbackStore]) -> None:
    # Three "replicas" (separate stores, separate engines, tables not created yet) with three threads each.
    replicas = [sql_stores() for _ in range(3)]
    per_thread = 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(9)

    def work(store: SqlFeedbackStore, name: str) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                store.record_feedback(name, f"question {i}", ["p1", f"{name}-p"], i % 3 == 0)
                store.record_unanswered(name, f"Gap number {i % 5}?")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(store, f"r{r}t{t}")) for r, store in enumerate(replicas) for t in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    writes = 9 * per_thread
    assert table_counts(replicas[0]) == (writes, 2 * writes, writes)
    groups = replicas[1].most_unanswered()
    assert sorted(g.count for g in groups) == [writes // 5] * 5
    assert all(g.conversations == 9 for g in groups)
    shared = next(p for p in replicas[2].least_helpful(limit=100) if p.passage_id == "p1")
    assert (shared.helpful, shared.not_helpful) == (9 * 5, 9 * 10)


# --- failing soft --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [DEAD_POSTGRES, "sqlite:////proc/no-such-place/feedback.db"])
def test_a_dead_database_logs_a_warning_and_the_conversation_goes_on(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = FailSoftFeedbackStore(lambda: SqlFeedbackStore.from_url(url, SALT), retention=dt.timedelta(days=30))
    with caplog.at_level(logging.WARNING, logger="bot.feedback.fail_soft"):
        assert store.record_feedback("sender", "does botox hurt?", ["botox-side-effects"], False) is False
        assert store.record_unanswered("sender", "what is hippotherapy?") is False
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("Feedback not stored (vote)") for m in messages)
    assert any(m.startswith("Feedback not stored (unanswered question)") for m in messages)
    assert all("Traceback" not in m for m in messages)


def test_fail_soft_store_pauses_after_a_failure_then_recovers(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    calls: list[int] = []
    memory = InMemoryFeedbackStore(SALT, clock)

    def factory() -> FeedbackStore:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("var/ is read-only")
        return memory

    store = FailSoftFeedbackStore(factory, clock=clock)
    assert store.record_unanswered("s", "first") is False
    clock.advance(seconds=10)
    with caplog.at_level(logging.WARNING, logger="bot.feedback.fail_soft"):
        # Within the pause the store is not even tried: no turn waits on a database that just failed.
        assert store.record_unanswered("s", "second") is False
    assert len(calls) == 1
    assert "failed recently" in caplog.text
    clock.advance(seconds=25)
    assert store.record_unanswered("s", "third") is True
    assert store.record_unanswered("s", "fourth") is True
    assert len(calls) == 2  # built again after the pause, then reused
    assert sorted(u.question for u in memory.unanswered) == ["fourth", "third"]


def test_fail_soft_store_purges_expired_feedback_once_a_day() -> None:
    clock = FakeClock()
    memory = InMemoryFeedbackStore(SALT, clock)
    store = FailSoftFeedbackStore(lambda: memory, retention=dt.timedelta(days=30), clock=clock)
    store.record_unanswered("a", "old question")  # the first write purges (nothing is old yet)
    clock.advance(days=29, hours=20)
    store.record_unanswered("b", "recent question")  # purges again: still nothing 30 days old
    clock.advance(hours=8)
    store.record_unanswered("c", "another question")  # "old" has expired, but the last purge was 8 h ago
    assert len(memory.unanswered) == 3
    clock.advance(hours=17)
    store.record_unanswered("d", "a fourth question")  # a day since the last purge: "old" goes
    assert sorted(u.question for u in memory.unanswered) == [
        "a fourth question",
        "another question",
        "recent question",
    ]


@pytest.fixture
def app_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The process settings pointed at a temporary SQLite database and var/ folder."""
    db = tmp_path / "app.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("FEEDBACK_SALT", raising=False)
    monkeypatch.setenv("FEEDBACK_RETENTION_DAYS", "30")
    monkeypatch.setattr(fail_soft_module, "VAR_DIR", tmp_path / "var")
    get_settings.cache_clear()
    get_feedback_store.cache_clear()
    yield db
    store = get_feedback_store()
    if isinstance(store, FailSoftFeedbackStore) and isinstance(store.inner, SqlFeedbackStore):
        store.inner.engine.dispose()
    get_feedback_store.cache_clear()
    get_settings.cache_clear()


def test_get_feedback_store_is_cached_and_lazy(app_settings: Path, tmp_path: Path) -> None:
    store = get_feedback_store()
    assert get_feedback_store() is store
    assert not app_settings.exists() and not (tmp_path / "var").exists()  # nothing opened before first use
    assert store.record_feedback("sender-1", "does botox hurt?", ["botox-side-effects"], False)
    assert app_settings.exists()
    salt = (tmp_path / "var" / "feedback-salt").read_text().strip()
    assert isinstance(store, FailSoftFeedbackStore) and isinstance(store.inner, SqlFeedbackStore)
    with Session(store.inner.engine, future=True) as session:
        stored = session.scalars(select(VoteRow.conversation)).one()
    assert stored == hash_conversation("sender-1", salt)


def test_feedback_salt_from_the_environment_wins(app_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACK_SALT", "shared-by-all-replicas")
    get_settings.cache_clear()
    store = get_feedback_store()
    assert store.record_unanswered("sender-1", "what is hippotherapy?")
    assert isinstance(store, FailSoftFeedbackStore) and isinstance(store.inner, SqlFeedbackStore)
    with Session(store.inner.engine, future=True) as session:
        stored = session.scalars(select(UnansweredRow.conversation)).one()
    assert stored == hash_conversation("sender-1", "shared-by-all-replicas")


# --- the report and the commands --------------------------------------------------------------------------------


def test_report_text_and_json(small_bundle: ContentBundle) -> None:
    clock = FakeClock()
    store = InMemoryFeedbackStore(SALT, clock, content=InMemoryContentStore(small_bundle))
    fill(store, clock)
    report = FeedbackReport.from_store(store, retention_days=180, limit=2, now=clock.now)
    text = report.to_text()
    assert "    3       2  2026-11-01  Can I drive on baclofen??" in text
    assert "botox-side-effects: Botox side effects" in text
    assert "33%" in text
    assert '  not helpful for: "does botox hurt"' in text
    assert "what is hippotherapy" not in text.lower()  # beyond the limit of 2
    data = json.loads(report.to_json())
    assert data["unanswered"][0] == {
        "question": "Can I drive on baclofen??",
        "key": "can i drive on baclofen",
        "count": 3,
        "conversations": 2,
        "first_seen": "2026-11-01T09:00:00+00:00",
        "last_seen": "2026-11-01T11:00:00+00:00",
    }
    assert data["least_helpful"][0]["helpful_ratio"] == 0.333
    gone = PassageFeedback("gone", None, 0, 1, START)
    assert MISSING_TITLE in replace(report, least_helpful=[gone]).to_text()
    empty = FeedbackReport(START, 180, [], []).to_text()
    assert "none recorded" in empty and 'no "not helpful" votes recorded' in empty


def test_report_and_purge_commands(
    app_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlFeedbackStore.from_url(url, SALT)
    try:
        store.record_unanswered("a", "What is hippotherapy?")
        store.record_unanswered("b", "what is HIPPOTHERAPY")
        store.record_feedback("a", "does botox hurt?", ["botox-side-effects"], False)
    finally:
        store.engine.dispose()
    assert feedback_main(["report", "--json", "--database-url", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(g["key"], g["count"]) for g in data["unanswered"]] == [("what is hippotherapy", 2)]
    assert data["retention_days"] == 30
    assert feedback_main(["report", "--database-url", url, "--limit", "5"]) == 0
    assert "botox-side-effects: (not in the content database)" in capsys.readouterr().out

    assert feedback_main(["purge", "--database-url", url]) == 0  # nothing is 30 days old yet
    assert "Deleted 0 vote(s) with 0 reason(s), 0 unanswered question(s) and 0 counted turn(s)" in (
        capsys.readouterr().out
    )
    assert feedback_main(["purge", "--days", "0", "--database-url", url]) == 0
    assert "Deleted 1 vote(s) with 0 reason(s), 2 unanswered question(s)" in capsys.readouterr().out
    assert feedback_main(["report", "--json", "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["unanswered"] == []
    assert not (tmp_path / "var" / "feedback-salt").exists()  # reading and purging need no salt


def test_commands_fail_clearly_on_a_dead_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert feedback_main(["report", "--database-url", DEAD_POSTGRES]) == 2
    assert "Could not reach the feedback database" in capsys.readouterr().err


def test_make_report_runs_on_a_fresh_database(tmp_path: Path) -> None:
    import subprocess

    from bot.config import PROJECT_ROOT

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    result = subprocess.run(
        # -o: never reinstall the virtualenv from a test, even if requirements.txt looks newer.
        ["make", "--no-print-directory", "-o", ".venv/.installed", "report"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Questions the bot could not answer" in result.stdout
