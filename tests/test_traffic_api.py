"""The editors' traffic review routes, in-process over ASGI with a real SQLite feedback database (#16 point 3).

The channel reads the feedback tables of its own database; the tests write turns and reasons into it with the
store the action server uses, then read them back through the routes, and save one as an evaluation question.
The page itself is driven in Chromium by tests/test_traffic_browser.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.evaluation import load_questions
from bot.feedback import Reason, SqlFeedbackStore, TurnKind
from tests.support.asgi import InProcessApp, channel_app
from tests.test_editing_api import SHELL, TOKEN, folder, log_in, make_channel

__all__ = ["folder"]  # the small content folder fixture, shared with test_editing_api.py


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[SqlFeedbackStore]:
    """The channel's database with a few anonymised turns, a vote and its reason."""
    store = SqlFeedbackStore.from_url(f"sqlite:///{tmp_path / 'content.db'}", "salt")
    store.record_turn(TurnKind.ANSWERED, "what is baclofen?")
    store.record_turn(TurnKind.EMERGENCY, "my pump beeps, ring me on 07700 900123")
    store.record_turn(TurnKind.DOSING, "how many mg of baclofen for my son?")
    store.record_turn(TurnKind.UNANSWERED, "is hydrotherapy good for spasticity?")
    store.record_feedback("alice", "what is baclofen?", ["p1"], False)
    store.record_reason("alice", Reason.TOO_HARD)
    yield store
    store.engine.dispose()


@pytest.fixture
def shell(tmp_path: Path, folder: Path, seeded: SqlFeedbackStore) -> Iterator[InProcessApp]:
    channel = make_channel(tmp_path, folder)
    channel.saved.path = tmp_path / "saved.yml"
    with channel_app([channel]) as app:
        yield app


def data(app: InProcessApp, query: str = "") -> Any:
    return app.request("GET", f"/webhooks/editor/traffic/data{query}")


def save(app: InProcessApp, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return app.request(
        "POST", "/webhooks/editor/traffic/save", json=body, headers=SHELL if headers is None else headers
    )


def turn_id(app: InProcessApp, kind: str) -> int:
    return int(data(app).json()["recent"][kind][0]["id"])


def test_without_an_editor_nothing_is_shown_or_saved(shell: InProcessApp) -> None:
    assert data(shell).status_code == 401
    assert save(shell, {"turn": 1, "category": "emergency"}).status_code == 401
    page = shell.request("GET", "/webhooks/editor/traffic/")
    assert page.status_code in (301, 302, 303, 307, 308) and page.headers["location"] == "../"


def test_the_page_and_its_data_show_counts_scrubbed_words_and_reasons(shell: InProcessApp) -> None:
    log_in(shell, "sam")
    page = shell.request("GET", "/webhooks/editor/traffic/")
    assert page.status_code == 200 and "<h1>Traffic review</h1>" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    body = data(shell, "?days=3").json()
    assert len(body["daily"]) == 3
    assert {k: body["daily"][0][k] for k in body["kinds"]} == {
        "answered": 1,
        "unanswered": 1,
        "emergency": 1,
        "dosing": 1,
    }
    assert [t["question"] for t in body["recent"]["emergency"]] == ["my pump beeps, ring me on [phone]"]
    assert "07700" not in json.dumps(body)
    assert "answered" not in body["recent"], "answered turns keep no words to show"
    assert body["reasons"]["counts"]["too_hard"] == 1
    assert body["reasons"]["recent"][0]["question"] == "what is baclofen?"
    assert {t["id"] for t in body["topics"]} >= {"t1"}


@pytest.mark.parametrize(("days", "shown"), [("0", 14), ("abc", 14), ("7", 7), ("10000", 90)])
def test_the_days_asked_for_are_bounded(shell: InProcessApp, days: str, shown: int) -> None:
    log_in(shell, "sam")
    assert len(data(shell, f"?days={days}").json()["daily"]) == shown


def test_saving_a_turn_appends_it_once_and_logs_who_did_it(shell: InProcessApp, tmp_path: Path) -> None:
    log_in(shell, "sam")
    ident = turn_id(shell, "emergency")
    saved = save(shell, {"turn": ident, "category": "out_of_scope"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["item"]["text"] == "my pump beeps, ring me on [phone]"
    again = save(shell, {"turn": ident, "category": "emergency"})
    assert again.status_code == 409 and "saved already" in again.json()["message"]
    answer = save(shell, {"turn": turn_id(shell, "unanswered"), "category": "answer", "topic": "t1"})
    assert answer.status_code == 200, answer.text
    questions = load_questions(tmp_path / "saved.yml")
    assert [(q.category, q.topic) for q in questions] == [("out_of_scope", None), ("answer", "t1")]
    log = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    saves = [e for e in log if e["action"] == "save-eval-question"]
    assert [(e["editor"], e["note"]) for e in saves] == [
        ("sam", f"turn #{ident} (emergency) saved as out_of_scope"),
        ("sam", f"turn #{turn_id(shell, 'unanswered')} (unanswered) saved as answer, topic t1"),
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"turn": "1", "category": "emergency"}, 400),
        ({"turn": True, "category": "emergency"}, 400),
        ({"turn": 999, "category": "emergency"}, 404),
        ({"turn": 1, "category": "emergency"}, 404),  # turn 1 was answered: it has no words to save
        ({"turn": 2, "category": "diagnosis"}, 400),
        ({"turn": 2, "category": "answer", "topic": "nope"}, 400),
        ({"turn": 2, "category": "answer"}, 400),
        ({"turn": 2, "category": "emergency", "text": "anything I like"}, 200),  # page text is never used
    ],
)
def test_a_bad_save_is_refused_with_a_message_and_writes_nothing(
    shell: InProcessApp, tmp_path: Path, body: dict[str, Any], status: int
) -> None:
    log_in(shell, "sam")
    response = save(shell, body)
    assert response.status_code == status, response.text
    file = tmp_path / "saved.yml"
    if status == 200:
        assert "anything I like" not in file.read_text()
    else:
        assert response.json()["message"] and not file.exists()


@pytest.mark.parametrize("headers", [{}, {**SHELL, "Origin": "https://evil.example"}])
def test_a_save_must_come_from_the_shells_own_page(
    shell: InProcessApp, tmp_path: Path, headers: dict[str, str]
) -> None:
    log_in(shell, "sam")
    # Without the shell's header the session cookie is not even taken as a login (401); from elsewhere, 403.
    assert save(shell, {"turn": 2, "category": "emergency"}, headers).status_code in (401, 403)
    assert not (tmp_path / "saved.yml").exists()


def test_the_token_works_for_scripts(shell: InProcessApp) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    response = shell.request("GET", "/webhooks/editor/traffic/data", headers=bearer)
    assert response.status_code == 200 and response.json()["daily"][0]["emergency"] == 1


def test_a_dead_feedback_database_says_so(tmp_path: Path, folder: Path) -> None:
    channel = make_channel(tmp_path, folder)
    channel.database_url = "postgresql+psycopg2://127.0.0.1:1/test"
    with channel_app([channel]) as app:
        log_in(app, "sam")
        response = app.request("GET", "/webhooks/editor/traffic/data")
    assert response.status_code == 503 and "cannot be reached" in response.json()["message"]
