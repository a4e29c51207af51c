"""End to end: the launcher starts the real action server and Rasa server on free ports; we chat over REST.

The model is the quick test model that `make pytest` trains (TEST_MODEL). Each test talks to the servers
over real HTTP, and the launcher is stopped with SIGTERM, as an operator or Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.replies import DISCLAIMER, EMERGENCY_NUMBERS

pytestmark = pytest.mark.e2e
API_TOKEN = "e2e-secret-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Bot:
    process: subprocess.Popen[str]
    rasa_port: int
    action_port: int
    output: list[str]

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}{path}", data=data, method="POST" if data is not None else "GET",
            headers={"Content-Type": "application/json", **(headers or {})},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def chat(self, sender: str, message: str) -> list[dict[str, Any]]:
        status, replies = self.post("/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert status == 200, replies
        return list(replies)


@pytest.fixture(scope="module")
def test_model() -> Path:
    model = Path(os.environ.get("TEST_MODEL", PROJECT_ROOT / "var/models-test/spasticity.tar.gz"))
    if not model.is_file():
        pytest.fail(f"No test model at {model}: run `make pytest` (it trains one) or set TEST_MODEL.")
    return model


@pytest.fixture(scope="module")
def bot(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    from bot.content.loader import load_bundle
    from bot.content.store import SqlContentStore

    folder = tmp_path_factory.mktemp("e2e")
    database = f"sqlite:///{folder / 'content.db'}"
    SqlContentStore.from_url(database).replace(load_bundle(PROJECT_ROOT / "content"))
    rasa_port, action_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "TRACKER_DB": str(folder / "tracker.db"),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "RASA_API_TOKEN": API_TOKEN,
    }
    env.pop("ACTION_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.launcher", "run", "--model", str(test_model)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    deadline = time.monotonic() + 300
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("The launcher exited before the bot was ready:\n" + "".join(output[-40:]))
        output.append(line)
        if "The spasticity bot is ready" in line:
            break
    else:
        process.kill()
        pytest.fail("The bot did not become ready in 300 s")

    # Keep draining the output so the servers never block on a full pipe.
    def drain() -> None:
        for line in process.stdout or []:
            output.append(line)

    threading.Thread(target=drain, daemon=True).start()
    yield Bot(process, rasa_port, action_port, output)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def joined(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_a_question_gets_a_cited_answer_with_the_disclaimer(bot: Bot) -> None:
    replies = bot.chat("patient-1", "What is Lioresal and how does it work?")
    intro, *answers = replies
    assert "automated assistant" in intro["text"]
    assert intro.get("buttons"), "the first message offers the main topics"
    answer = answers[-1]["text"]
    assert "baclofen" in answer.lower()
    assert "[1]" in answer and "Sources:\n[1] " in answer and "https://" in answer
    assert answer.endswith(DISCLAIMER)


def test_a_follow_up_stays_on_the_topic(bot: Bot) -> None:
    bot.chat("patient-2", "how long do botox injections last?")
    follow_up = joined(bot.chat("patient-2", "does it hurt?"))
    assert "inject" in follow_up.lower()
    assert follow_up.endswith(DISCLAIMER)


def test_an_emergency_goes_to_emergency_services_first(bot: Bot) -> None:
    replies = bot.chat("carer-1", "my sons pump is beeping with a two tone alarm and he is burning up")
    text = joined(replies[1:])
    assert text.startswith(EMERGENCY_NUMBERS)
    assert text.endswith(DISCLAIMER)


def test_a_dosing_request_is_refused(bot: Bot) -> None:
    text = joined(bot.chat("patient-3", "how many mg of baclofen should I take?")[1:])
    assert "prescriber or pharmacist" in text
    assert text.endswith(DISCLAIMER)


@pytest.mark.parametrize("payload", [b"{not json", b'{"sender": "x"}', b'{"sender": "x", "message": 42}'])
def test_bad_payloads_get_a_client_error_not_a_crash(bot: Bot, payload: bytes) -> None:
    status, _ = bot.post("/webhooks/rest/webhook", raw=payload)
    assert 400 <= status < 500 or status == 200
    assert bot.chat("patient-4", "what is spasticity?"), "the server still answers afterwards"


def test_the_http_api_requires_the_token(bot: Bot) -> None:
    status, _ = bot.post("/status")
    assert status == 401
    status, _ = bot.post("/conversations/patient-1/tracker")
    assert status == 401
    status, body = bot.post(f"/status?token={API_TOKEN}")
    assert status == 200 and body["model_file"]


def test_sigterm_stops_both_servers(bot: Bot) -> None:
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(timeout=60) == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (port_is_free(bot.rasa_port) and port_is_free(bot.action_port)):
        time.sleep(0.5)
    assert port_is_free(bot.rasa_port) and port_is_free(bot.action_port)
