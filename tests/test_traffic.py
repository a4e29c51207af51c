"""Real traffic, anonymised (#16 point 3): turns counted by kind and day, reasons for "not helpful", saved questions.

The actions run with the in-memory service and feedback store; the store's queries run on SQLite and the local
PostgreSQL; the saved question file is a temporary one, checked with the evaluation tool's own loader.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.actions import ActionAnswerQuestion, ActionEmergency, ActionRecordFeedback, ActionRefuseDosing
from bot import constants as c
from bot.channels.editor_preview import EDITOR_CHANNEL
from bot.editing.eval_questions import SavedQuestions, saved_id
from bot.editing.forms import EditingError
from bot.evaluation import load_questions
from bot.feedback import FailSoftFeedbackStore, InMemoryFeedbackStore, Reason, SqlFeedbackStore, TurnKind
from bot.feedback.models import ReasonRow, TurnRow
from bot.feedback.report import FeedbackReport
from bot.feedback.traffic import REASON_WINDOW
from bot.replies import REASON_BUTTONS, ReplyKind
from bot.service import BotService
from bot.wording import SPANISH, THANKS_NOT_HELPFUL, THANKS_REASON
from tests.test_feedback import DEAD_POSTGRES, SALT, FakeClock, database_url, sql_stores

__all__ = ["database_url", "sql_stores"]  # the SQLite / PostgreSQL fixtures, shared with test_feedback.py

ServiceActionLike = Any  # an action class taking (service, feedback)
PHONE_EMERGENCY = "my son's pump is beeping and he is floppy, call me on 07700 900123"


def tracker(
    text: str,
    intent: str = c.INTENT_ASK_QUESTION,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    channel: str = "rest",
    sender: str = "rest:local:patient-1",
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": latest}]
    return Tracker(sender, slots or {}, latest, events, False, None, {}, "action_listen")


def run(action: Action, track: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, track, {})
    return dispatcher.messages


def stored_turns(store: SqlFeedbackStore) -> list[tuple[str, str | None]]:
    store.create_schema()
    with Session(store.engine, future=True) as session:
        return [(row.kind, row.question) for row in session.scalars(select(TurnRow).order_by(TurnRow.id))]


# --- counting turns in the actions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "text", "kind", "kept"),
    [
        (ActionAnswerQuestion, "what is lioresal?", "answered", None),
        (ActionAnswerQuestion, "what is the capital of peru?", "unanswered", "what is the capital of peru?"),
        (
            ActionEmergency,
            PHONE_EMERGENCY,
            "emergency",
            "my son's pump is beeping and he is floppy, call me on [phone]",
        ),
        (ActionRefuseDosing, "how much baclofen should I take?", "dosing", "how much baclofen should i take?"),
    ],
)
def test_each_turn_is_counted_by_kind_with_scrubbed_words_only_where_editors_read_them(
    service: BotService, action: type[ServiceActionLike], text: str, kind: str, kept: str | None
) -> None:
    store = InMemoryFeedbackStore(SALT)
    run(action(service, store), tracker(text))
    turns = stored_turns(store)
    assert [k for k, _ in turns] == [kind]
    question = turns[0][1]
    assert (question.lower() if question else None) == kept
    assert "07700" not in json.dumps(turns)


def test_nothing_of_the_conversation_is_stored_with_a_turn(service: BotService) -> None:
    store = InMemoryFeedbackStore(SALT)
    run(ActionEmergency(service, store), tracker(PHONE_EMERGENCY, sender="tg:424242"))
    columns = set(TurnRow.metadata.tables[TurnRow.__tablename__].columns.keys())
    assert columns == {"id", "day", "kind", "question", "created_at"}, "no conversation id, hash or channel"
    assert "424242" not in json.dumps(stored_turns(store))


@pytest.mark.parametrize("action", [ActionAnswerQuestion, ActionEmergency, ActionRefuseDosing])
def test_editors_turns_in_their_shell_are_not_counted(service: BotService, action: type[ServiceActionLike]) -> None:
    store = InMemoryFeedbackStore(SALT)
    run(action(service, store), tracker("how much baclofen for my pump alarm?", channel=EDITOR_CHANNEL))
    assert stored_turns(store) == []


# --- the reason for "not helpful" ----------------------------------------------------------------------------

ANSWERED = {c.SLOT_ANSWERED_QUESTION: "what is lioresal?", c.SLOT_ANSWERED_PASSAGES: ["baclofen-what"]}


def press_not_helpful(service: BotService, store: InMemoryFeedbackStore, channel: str = "rest") -> dict[str, Any]:
    messages = run(
        ActionRecordFeedback(service, store),
        tracker("/feedback_not_helpful", c.INTENT_FEEDBACK_NOT_HELPFUL, slots=ANSWERED, channel=channel),
    )
    return messages[0]


def press_reason(service: BotService, store: InMemoryFeedbackStore, code: str, channel: str = "rest") -> dict[str, Any]:
    entities = [{"entity": c.ENTITY_REASON, "value": code}]
    payload = f'/feedback_not_helpful{{"reason": "{code}"}}'
    track = tracker(
        payload, c.INTENT_FEEDBACK_NOT_HELPFUL, entities, slots={c.SLOT_ANSWERED_PASSAGES: None}, channel=channel
    )
    return run(ActionRecordFeedback(service, store), track)[0]


def test_not_helpful_offers_the_four_optional_reasons_each_under_telegrams_callback_limit(service: BotService) -> None:
    store = InMemoryFeedbackStore(SALT)
    message = press_not_helpful(service, store)
    assert message["text"].startswith(THANKS_NOT_HELPFUL)
    offered = [(b["title"], b["payload"]) for b in message["buttons"]]
    assert offered == [(b.title, b.payload) for b in REASON_BUTTONS]
    assert [t for t, _ in offered] == ["Wrong topic", "Too hard to read", "Out of date", "Something else"]
    assert all(len(p.encode()) <= 64 for _, p in offered), "Telegram's callback_data holds 64 bytes"
    assert [v.helpful for v in store.votes] == [False]


@pytest.mark.parametrize("reason", list(Reason))
def test_a_reason_is_stored_with_that_vote_and_is_never_a_second_vote(service: BotService, reason: Reason) -> None:
    store = InMemoryFeedbackStore(SALT)
    press_not_helpful(service, store)
    message = press_reason(service, store, reason.value)
    assert message["text"].startswith(THANKS_REASON)
    assert message["buttons"], "the topics, so there is a way on"
    assert len(store.votes) == 1
    assert store.reason_counts()[reason] == 1
    assert store.recent_reasons()[0]["question"] == "what is lioresal?"
    assert store.recent_reasons()[0]["passages"] == ["baclofen-what"]


def test_an_unknown_reason_or_an_editors_reason_stores_nothing(service: BotService) -> None:
    store = InMemoryFeedbackStore(SALT)
    press_not_helpful(service, store)
    press_reason(service, store, "i_hate_it")
    assert sum(store.reason_counts().values()) == 0
    press_reason(service, store, "other", channel=EDITOR_CHANNEL)
    assert sum(store.reason_counts().values()) == 0


def test_the_reasons_are_offered_in_spanish_with_the_same_payloads(service: BotService) -> None:
    slots = {**ANSWERED, c.SLOT_LANGUAGE: "es", c.SLOT_LANGUAGE_SOURCE: "explicit"}
    track = tracker("/feedback_not_helpful", c.INTENT_FEEDBACK_NOT_HELPFUL, slots=slots)
    message = run(ActionRecordFeedback(service, InMemoryFeedbackStore(SALT)), track)[0]
    assert [b["title"] for b in message["buttons"]] == [
        SPANISH[f"reason_{code}"] for code in ("wrong_topic", "too_hard", "out_of_date", "other")
    ]
    assert [b["payload"] for b in message["buttons"]] == [b.payload for b in REASON_BUTTONS]
    assert message["reply"]["kind"] == ReplyKind.FEEDBACK.value


# --- the store on SQLite and PostgreSQL -----------------------------------------------------------------------


def test_counts_per_day_fill_quiet_days_and_recent_turns_are_newest_first(
    sql_stores: Callable[..., SqlFeedbackStore],
) -> None:
    clock = FakeClock()
    store = sql_stores(clock)
    store.record_turn(TurnKind.ANSWERED, "what is baclofen?")
    store.record_turn(TurnKind.EMERGENCY, "pump alarm")
    clock.advance(days=2)
    store.record_turn(TurnKind.ANSWERED, "what is botox?")
    store.record_turn(TurnKind.UNANSWERED, "can I swim after SDR?")
    store.record_turn(TurnKind.EMERGENCY, "chest pain")
    daily = [d.to_dict() for d in store.daily_counts(4, clock().date())]
    assert daily == [
        {"day": "2026-11-03", "answered": 1, "unanswered": 1, "emergency": 1, "dosing": 0},
        {"day": "2026-11-02", "answered": 0, "unanswered": 0, "emergency": 0, "dosing": 0},
        {"day": "2026-11-01", "answered": 1, "unanswered": 0, "emergency": 1, "dosing": 0},
        {"day": "2026-10-31", "answered": 0, "unanswered": 0, "emergency": 0, "dosing": 0},
    ]
    assert [t.question for t in store.recent_turns([TurnKind.EMERGENCY])] == ["chest pain", "pump alarm"]
    assert store.recent_turns([TurnKind.ANSWERED]) == [], "answered turns keep no words"
    first = store.recent_turns([TurnKind.UNANSWERED])[0]
    assert store.turn(first.id) == first


def test_a_reason_goes_to_that_conversations_latest_not_helpful_vote_within_the_hour(
    sql_stores: Callable[..., SqlFeedbackStore],
) -> None:
    clock = FakeClock()
    store = sql_stores(clock)
    assert store.record_reason("alice", Reason.OTHER) is False, "no vote yet"
    store.record_feedback("alice", "what is sdr?", ["sdr-what"], False)
    store.record_feedback("bob", "what is itb?", ["itb-what"], False)
    clock.advance(minutes=1)
    assert store.record_reason("alice", Reason.TOO_HARD) is True
    assert store.record_reason("alice", Reason.TOO_HARD) is True, "a second press is stored once"
    assert [(r["reason"], r["question"]) for r in store.recent_reasons()] == [("too_hard", "what is sdr?")]
    clock.advance(seconds=REASON_WINDOW.total_seconds() + 1)
    assert store.record_reason("bob", Reason.OUT_OF_DATE) is False, "too late to belong to bob's vote"


def test_purge_deletes_old_turns_and_reasons_with_the_feedback_and_keeps_recent_ones(
    sql_stores: Callable[..., SqlFeedbackStore],
) -> None:
    clock = FakeClock()
    store = sql_stores(clock)
    store.record_turn(TurnKind.DOSING, "how much baclofen?")
    store.record_feedback("alice", "what is sdr?", ["sdr-what"], False)
    store.record_reason("alice", Reason.WRONG_TOPIC)
    clock.advance(days=31)
    store.record_turn(TurnKind.DOSING, "can I double my dose?")
    store.record_feedback("bob", "what is itb?", ["itb-what"], False)
    store.record_reason("bob", Reason.OTHER)
    report = store.purge(clock() - dt.timedelta(days=30))
    assert (report.turns, report.reasons, report.votes) == (1, 1, 1)
    assert [t.question for t in store.recent_turns([TurnKind.DOSING])] == ["can I double my dose?"]
    with Session(store.engine, future=True) as session:
        assert [r.reason for r in session.scalars(select(ReasonRow))] == ["other"]


def test_a_dead_database_costs_the_count_not_the_conversation() -> None:
    store = FailSoftFeedbackStore(lambda: SqlFeedbackStore.from_url(DEAD_POSTGRES, SALT))
    assert store.record_turn(TurnKind.EMERGENCY, "pump alarm") is False
    assert store.record_reason("alice", Reason.OTHER) is False


def test_make_report_shows_daily_counts_the_words_to_read_and_the_reasons() -> None:
    clock = FakeClock()
    store = InMemoryFeedbackStore(SALT, clock)
    store.record_turn(TurnKind.EMERGENCY, "my pump is alarming, I'm jane@example.org")
    store.record_turn(TurnKind.ANSWERED, "what is baclofen")
    store.record_feedback("alice", "what is sdr?", ["sdr-what"], False)
    store.record_reason("alice", Reason.OUT_OF_DATE)
    report = FeedbackReport.from_store(store, 180, now=clock(), days=2)
    text = report.to_text()
    assert "2026-11-01           1           0           1           0" in text
    assert "my pump is alarming, i'm [email]" in text.lower() and "jane" not in text
    assert "out of date 1" in text
    data = report.to_dict()
    assert data["daily"][0]["emergency"] == 1 and data["reasons"]["out_of_date"] == 1
    assert [t["question"] for t in data["recent"]["emergency"]] == ["my pump is alarming, I'm [email]"]


# --- saving a message as an evaluation question -------------------------------------------------------------


def test_saved_questions_are_appended_deduplicated_and_load_in_the_evaluation_tool(tmp_path: Path) -> None:
    saved = SavedQuestions(tmp_path / "eval" / "saved.yml")
    today = dt.date(2026, 12, 6)
    first = saved.append("My pump  is beeping", "emergency", "ignored", {"baclofen-pump"}, today)
    assert first == {
        "id": saved_id("my pump is beeping"),
        "text": "My pump is beeping",
        "category": "emergency",
        "saved_on": "2026-12-06",
    }
    saved.append("can I swim after SDR?", "answer", "surgery", {"surgery"}, today)
    with pytest.raises(EditingError) as again:
        saved.append("my pump is beeping!", "out_of_scope", None, set(), today)
    assert again.value.status == 409
    questions = load_questions(saved.path)
    assert [(q.category, q.topic) for q in questions] == [("emergency", None), ("answer", "surgery")]
    assert saved.path.read_text().startswith("# Questions editors saved from real traffic")


@pytest.mark.parametrize(
    ("text", "category", "topic", "status"),
    [
        ("what is sdr?", "smalltalk", None, 400),
        ("what is sdr?", "answer", None, 400),
        ("what is sdr?", "answer", "no-such-topic", 400),
        ("?!", "emergency", None, 400),
    ],
)
def test_a_bad_category_or_topic_saves_nothing(
    tmp_path: Path, text: str, category: str, topic: str | None, status: int
) -> None:
    saved = SavedQuestions(tmp_path / "saved.yml")
    with pytest.raises(EditingError) as refused:
        saved.append(text, category, topic, {"surgery"}, dt.date(2026, 12, 6))
    assert refused.value.status == status
    assert not saved.path.exists() or yaml.safe_load(saved.path.read_text()) is None
