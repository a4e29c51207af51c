"""No open doors: Rasa's HTTP API needs the token, and a bot started without one exposes no API at all.

In-process, Rasa's own server app is built by the function `rasa run` calls (`rasa.core.run.configure_app`)
with the arguments our launcher gives it: with a token, every model and tracker route answers 401 without the
token or with a wrong one; without a token there is no such route (404), whatever token is guessed. Only the
chat channels, the health route and the version stay public. Against real servers: the session's shared bot
opens its API with the token, and the system tier's spare bot (launched with RASA_API_TOKEN empty) chats and
says the API is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.launcher import rasa_command
from tests.support.asgi import InProcessApp, rasa_app
from tests.support.servers import API_TOKEN, RunningBot, SpareBot

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


@pytest.fixture
def open_bot(spare_bot: SpareBot) -> RunningBot:
    """A launcher started with RASA_API_TOKEN empty (the system tier's spare bot)."""
    return spare_bot.get()


def launched_app(token: str | None) -> Any:
    """Rasa's server app built with the API switch the launcher passes for this token, and the token itself.

    The token reaches Rasa from the environment (`bot.rasa_server`), never on the command line
    (tests/test_limits.py checks both, and that the API answers this machine only).
    """
    command = rasa_command(_with_token(Settings.from_env(), token), Path("m.tar.gz"), "run")
    enabled = "--enable-api" in command
    return rasa_app(enable_api=enabled, auth_token=token if enabled else None)


def status_of(app: InProcessApp, method: str, path: str, body: Any, token: str | None = None) -> int:
    params = {"token": token} if token is not None else None
    return app.request(method, path, json=body, params=params).status_code


@pytest.fixture(scope="module")
def guarded() -> Iterator[InProcessApp]:
    with launched_app(API_TOKEN) as app:
        yield app


@pytest.fixture(scope="module")
def unguarded() -> Iterator[InProcessApp]:
    with launched_app(None) as app:
        yield app


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=ROUTE_IDS)
def test_every_api_route_rejects_requests_without_the_token(
    guarded: InProcessApp, method: str, path: str, body: Any
) -> None:
    assert status_of(guarded, method, path, body) == 401
    assert status_of(guarded, method, path, body, token="not-the-token") == 401
    assert status_of(guarded, method, path, body, token="") == 401


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=ROUTE_IDS)
def test_a_bot_started_without_a_token_exposes_no_api_route(
    unguarded: InProcessApp, method: str, path: str, body: Any
) -> None:
    assert status_of(unguarded, method, path, body) == 404
    assert status_of(unguarded, method, path, body, token=API_TOKEN) == 404


def test_the_health_route_and_the_version_stay_public(guarded: InProcessApp, unguarded: InProcessApp) -> None:
    assert status_of(guarded, "GET", "/", None) == status_of(unguarded, "GET", "/", None) == 200
    assert status_of(guarded, "GET", "/version", None) == 200


@pytest.mark.e2e
def test_the_token_opens_the_api(running_bot: RunningBot) -> None:
    # So the 401s above are the token check, not missing routes.
    assert call(running_bot, "GET", "/status", None, token=API_TOKEN) == 200
    assert call(running_bot, "POST", "/model/parse", {"text": "what is baclofen?"}, token=API_TOKEN) == 200


@pytest.mark.system
def test_the_bot_without_a_token_still_chats_and_says_the_api_is_off(open_bot: RunningBot) -> None:
    assert open_bot.chat("api-off-1", "what is spasticity?")
    assert any("HTTP API:   off" in line for line in open_bot.output)


def test_the_launcher_never_enables_the_api_without_a_token(tmp_path: Path) -> None:
    settings = Settings.from_env()
    without = rasa_command(_with_token(settings, None), tmp_path / "m.tar.gz", "run")
    assert "--enable-api" not in without and "--auth-token" not in without
    with_token = rasa_command(_with_token(settings, "s3cret-token-value"), tmp_path / "m.tar.gz", "run")
    assert "--enable-api" in with_token and "s3cret-token-value" not in with_token


def _with_token(settings: Settings, token: str | None) -> Settings:
    from dataclasses import replace

    return replace(settings, rasa_api_token=token)
