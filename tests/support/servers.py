"""Starts the real bot (launcher: action server + Rasa server) on free ports for integration tests.

Several test modules (REST, widget, editors' shell, channels) talk to the same running bot, so the
`running_bot` fixture in `conftest.py` starts it once per test session; a test that must stop a bot
(SIGTERM) starts its own with `start_bot`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT

API_TOKEN = "e2e-secret-token"
EDITOR_TOKEN = "e2e-editor-token"
READY_LINE = "The spasticity bot is ready"
STARTUP_TIMEOUT_S = 300.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing accepts connections on the port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_model_path() -> Path:
    """The quick test model `make pytest` trains (or TEST_MODEL)."""
    return Path(os.environ.get("TEST_MODEL", PROJECT_ROOT / "var/models-test/spasticity.tar.gz"))


@dataclass
class RunningBot:
    """A launcher process serving the bot, with helpers to talk to it over HTTP."""

    process: subprocess.Popen[str]
    rasa_port: int
    action_port: int
    folder: Path
    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def request(
        self,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        method: str | None = None,
    ) -> tuple[int, Any]:
        """Sends a request; returns the status and the JSON (or text) body, errors included."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method or ("POST" if data is not None else "GET"),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = response.read()
                try:
                    return response.status, json.loads(payload or b"null")
                except ValueError:
                    return response.status, payload.decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def chat(self, sender: str, message: str) -> list[dict[str, Any]]:
        """One message over the REST channel; the bot's messages."""
        status, replies = self.request("/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert status == 200, replies
        return list(replies)

    def stored_events(self, key: str) -> list[dict[str, Any]]:
        """What the bot's tracker store holds for the conversation `key`, oldest first, read from its SQLite file.

        Read from the database itself, not through Rasa, so nothing Rasa does on a read (a new session, a
        fallback store) can hide what was or was not written.
        """
        path = Path(self.env["TRACKER_DB"])
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as database:
            rows = database.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (key,)).fetchall()
        return [json.loads(data) for (data,) in rows]

    def stored_keys(self, containing: str) -> set[str]:
        """Every conversation key in the tracker store that contains `containing`."""
        path = Path(self.env["TRACKER_DB"])
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as database:
            rows = database.execute(
                "SELECT DISTINCT sender_id FROM events WHERE instr(sender_id, ?) > 0", (containing,)
            )
            return {key for (key,) in rows.fetchall()}

    def stop(self) -> int:
        """SIGTERM, as an operator or Ctrl-C would; returns the launcher's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def start_bot(
    folder: Path, model: Path, extra_env: Mapping[str, str] | None = None, content_dir: Path | None = None
) -> RunningBot:
    """Loads the real content into a fresh SQLite database in `folder` and starts the launcher.

    With `content_dir`, that folder is loaded instead and becomes the bot's CONTENT_DIR (a test's own
    content, e.g. with drafts, which must never be added to content/).

    Raises:
        RuntimeError: when the bot is not ready within the start-up timeout (with its last output).
    """
    from bot.content.loader import load_bundle
    from bot.content.store import SqlContentStore

    folder.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{folder / 'content.db'}"
    store = SqlContentStore.from_url(database)
    store.replace(load_bundle(content_dir or PROJECT_ROOT / "content"))
    store.engine.dispose()
    rasa_port, action_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "TRACKER_DB": str(folder / "tracker.db"),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "RASA_API_TOKEN": API_TOKEN,
        "EDITOR_TOKEN": EDITOR_TOKEN,
        # The editors' accounts and change log of this bot, never the project's var/.
        "EDITOR_ACCOUNTS": str(folder / "editors.json"),
        "EDITOR_AUDIT_LOG": str(folder / "editor-audit.jsonl"),
        # Questions saved from the traffic review go to this bot's folder, never the project's content/eval/.
        "EVAL_SAVED_FILE": str(folder / "saved-eval.yml"),
        **({"CONTENT_DIR": str(content_dir)} if content_dir is not None else {}),
        **(extra_env or {}),
    }
    env.pop("ACTION_ENDPOINT_URL", None)
    rasa_port, action_port = int(env["RASA_PORT"]), int(env["ACTION_PORT"])  # `extra_env` may choose them
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.launcher", "run", "--model", str(model)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bot = RunningBot(process, rasa_port, action_port, folder, env)
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("The launcher exited before the bot was ready:\n" + "".join(bot.output[-60:]))
        bot.output.append(line)
        if READY_LINE in line:
            break
    else:
        process.kill()
        raise RuntimeError(f"The bot did not become ready in {STARTUP_TIMEOUT_S:.0f} s")

    def drain() -> None:  # keep reading so the servers never block on a full pipe
        for line in process.stdout or []:
            bot.output.append(line)

    threading.Thread(target=drain, daemon=True).start()
    return bot


class SpareBot:
    """A bot that tests may stop, block or restart: started on first use, again (same ports, same folder) after.

    The system tier's tests that end a bot's life (SIGTERM, a restart under an open widget, a message that
    blocks the server) share this one instead of each starting their own, so a full run starts as few servers
    as it can. Reusing the folder keeps the tracker, so a restart continues the same conversations.
    """

    def __init__(self, folder: Path, model: Path, extra_env: Mapping[str, str] | None = None) -> None:
        """Remembers how to start the bot; nothing starts until `get()`."""
        self.folder = folder
        self.model = model
        self.env = {"RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()), **(extra_env or {})}
        self.bot: RunningBot | None = None

    def get(self) -> RunningBot:
        """The running bot, started (again) if there is none or it has stopped."""
        if self.bot is None or self.bot.process.poll() is not None:
            self.bot = start_bot(self.folder, self.model, self.env)
        return self.bot

    def stop(self) -> None:
        """Stops the bot if it runs."""
        if self.bot is not None and self.bot.process.poll() is None:
            self.bot.stop()
