"""No open doors: Rasa's HTTP API needs the token, and a bot started without one exposes no API at all.

Two real bots: the session's `running_bot` (launched with RASA_API_TOKEN) must answer 401 on every model and
tracker route without the token or with a wrong one, and serve them with it; the editor bot, launched with
RASA_API_TOKEN empty, must not have those routes (404), whatever token is guessed. Only the chat channels,
the health route and the version stay public.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.launcher import rasa_command
from tests.support.editor_bot import editor_bot
from tests.support.servers import API_TOKEN, RunningBot

pytestmark = pytest.mark.e2e

CONVERSATION = "api-security-probe"
# Every route of Rasa 3.6's HTTP API that reads or changes a model or a conversation, with a valid body.
API_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("POST", "/model/parse", {"text": "what is spasticity?"}),
    ("POST", "/model/train", {"domain": "version: '3.1'"}),
    ("POST", "/model/predict", []),
    ("POST", "/model/test/stories", None),
    ("POST", "/model/test/intents", None),
    ("PUT", "/model", {"model_file": "/etc/passwd"}),
    ("DELETE", "/model", None),
    ("GET", f"/conversations/{CONVERSATION}/tracker", None),
    ("POST", f"/conversations/{CONVERSATION}/tracker/events", {"event": "slot", "name": "topic", "value": "x"}),
    ("PUT", f"/conversations/{CONVERSATION}/tracker/events", []),
    ("GET", f"/conversations/{CONVERSATION}/story", None),
    ("POST", f"/conversations/{CONVERSATION}/messages", {"text": "hello", "sender": "user"}),
    ("POST", f"/conversations/{CONVERSATION}/execute", {"name": "action_answer_question"}),
    ("POST", f"/conversations/{CONVERSATION}/trigger_intent", {"name": "greet"}),
    ("POST", f"/conversations/{CONVERSATION}/predict", None),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in API_ROUTES]


def call(bot: RunningBot, method: str, path: str, body: Any, token: str | None = None) -> int:
    query = f"?token={token}" if token is not None else ""
    raw = b"" if body is None and method in {"POST", "PUT"} else None
    status, _ = bot.request(f"{path}{query}", body, raw=raw, method=method)
    return status


@pytest.fixture(scope="module")
def open_bot(pytestconfig: pytest.Config, test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> RunningBot:
    """A launcher started with RASA_API_TOKEN empty."""
    return editor_bot(pytestconfig, test_model, tmp_path_factory)


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=ROUTE_IDS)
def test_every_api_route_rejects_requests_without_the_token(
    running_bot: RunningBot, method: str, path: str, body: Any
) -> None:
    assert call(running_bot, method, path, body) == 401
    assert call(running_bot, method, path, body, token="not-the-token") == 401
    assert call(running_bot, method, path, body, token="") == 401


def test_the_token_opens_the_api(running_bot: RunningBot) -> None:
    # So the 401s above are the token check, not missing routes.
    assert call(running_bot, "GET", "/status", None, token=API_TOKEN) == 200
    assert call(running_bot, "POST", "/model/parse", {"text": "what is baclofen?"}, token=API_TOKEN) == 200


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=ROUTE_IDS)
def test_a_bot_started_without_a_token_exposes_no_api_route(
    open_bot: RunningBot, method: str, path: str, body: Any
) -> None:
    assert open_bot.env["RASA_API_TOKEN"] == ""
    assert call(open_bot, method, path, body) == 404
    assert call(open_bot, method, path, body, token=API_TOKEN) == 404


def test_the_bot_without_a_token_still_chats_and_says_the_api_is_off(open_bot: RunningBot) -> None:
    assert open_bot.chat("api-off-1", "what is spasticity?")
    assert any("HTTP API:   off" in line for line in open_bot.output)


def test_the_launcher_never_enables_the_api_without_a_token(tmp_path: Path) -> None:
    settings = Settings.from_env()
    without = rasa_command(_with_token(settings, None), tmp_path / "m.tar.gz", "run")
    assert "--enable-api" not in without and "--auth-token" not in without
    with_token = rasa_command(_with_token(settings, "s3cret-token-value"), tmp_path / "m.tar.gz", "run")
    assert with_token[with_token.index("--enable-api") + 1 : with_token.index("--enable-api") + 3] == [
        "--auth-token",
        "s3cret-token-value",
    ]


def _with_token(settings: Settings, token: str | None) -> Settings:
    from dataclasses import replace

    return replace(settings, rasa_api_token=token)
