"""Faults of the scaled setup, each caused for real on one running scaled bot (2 Rasa + 2 action servers).

PostgreSQL and Redis are shared with other work and are never stopped: the bot reaches them through
`FaultProxy`s that these tests cut (connections refused and reset) and restore. Servers are killed with
SIGKILL, as a crash or an out-of-memory kill would. The session starts this bot once (`cluster` in
`tests/conftest.py`), with both proxies cut, so the first fault is "the database and Redis are unavailable at
start"; tests/test_scaled.py uses the same bot. Every test leaves the bot as it found it (proxies restored,
killed servers back), so the tests pass in any order.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from tests.support.scaled import Faulty, check_turns, replica_pids, tracker_events, wait_for_line
from tests.support.servers import port_is_free

pytestmark = [pytest.mark.system, pytest.mark.postgres, pytest.mark.redis]

UNAVAILABLE = "can't answer right now"


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("text")) for r in replies]


def _post(port: int, sender: str, message: str) -> tuple[int, list[dict[str, Any]]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, [{"text": error.read().decode("utf-8", "replace")}]


def _wait_dead(pid: int) -> None:
    """Waits until the killed process has exited (gone, or a zombie whose sockets are closed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not die")


def _healthy(url: str, timeout: float) -> bool:
    """Waits until `url` answers 200; False if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def _user_texts(url: str, sender: str) -> list[str]:
    return [str(e.get("text")) for e in tracker_events(url, sender) if e["event"] == "user"]


@pytest.fixture
def faulty(cluster: Faulty) -> Faulty:
    """The session's scaled bot behind fault proxies (`tests/conftest.py`), shared with tests/test_scaled.py."""
    return cluster


def test_database_and_redis_unavailable_at_start_clear_error_then_recovery(faulty: Faulty) -> None:
    assert "PostgreSQL (content database) at postgresql+psycopg2://127.0.0.1:" in faulty.startup
    assert "PostgreSQL (tracker store)" in faulty.startup
    assert "Redis (lock store) at redis://127.0.0.1:" in faulty.startup
    assert "PostgreSQL and Redis answer now; starting." in faulty.startup
    assert faulty.bot.chat("start", "what is spasticity?")


def test_a_killed_rasa_replica_costs_no_request_and_comes_back_to_continue_the_conversation(faulty: Faulty) -> None:
    """Replica 1 dies mid-conversation: nginx sends the rest to replica 2, which reads the tracker from PostgreSQL.

    Then the supervisor restarts replica 1, which picks the conversation up where it was left. The test waits
    for that, so every later test finds both replicas serving, whatever order the tests run in.
    """
    bot = faulty.bot
    sender = f"restart-{uuid.uuid4().hex[:6]}"
    status, replies = _post(bot.rasa_port + 1, sender, "how long do botox shots last?")
    assert status == 200 and replies
    (pid,) = replica_pids(bot, "rasa_server run", f"--port {bot.rasa_port + 1}")
    os.killpg(pid, signal.SIGKILL)  # the whole server, as when its container dies
    _wait_dead(pid)  # a request already inside the dying server would fail; nginx must route the next ones
    deadline = time.monotonic() + 10
    while not port_is_free(bot.rasa_port + 1) and time.monotonic() < deadline:  # its children hold the socket
        time.sleep(0.05)
    mark = len(bot.output)
    webhook = "/webhooks/rest/webhook"
    results = [bot.request(webhook, {"sender": sender, "message": "does it hurt?"})]
    for n in range(5):
        results.append(bot.request(webhook, {"sender": f"{sender}-{n}", "message": "what is a bac pump?"}))
    assert [status for status, _ in results] == [200] * 6, results
    assert all(replies for _, replies in results), "no silence while a replica is down"
    assert _user_texts(faulty.direct_url, sender) == ["how long do botox shots last?", "does it hurt?"]
    therapy = [e["value"] for e in tracker_events(faulty.direct_url, sender) if e.get("name") == "therapy"]
    assert therapy[-1] == "botulinum-toxin", "the follow-up was read in the conversation's context"
    wait_for_line(bot, "Rasa server 1 is starting again", 60, after=mark)
    deadline = time.monotonic() + 400
    status = 0
    while time.monotonic() < deadline and status != 200:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{bot.rasa_port + 1}/", timeout=5) as response:
                status = response.status
        except (urllib.error.URLError, OSError):
            time.sleep(2)
    assert status == 200, "the supervisor restarted Rasa server 1"
    status, replies = _post(bot.rasa_port + 1, sender, "how long does it last?")
    assert status == 200 and replies
    assert _user_texts(faulty.direct_url, sender) == [
        "how long do botox shots last?",
        "does it hurt?",
        "how long does it last?",
    ]
    therapy = [e["value"] for e in tracker_events(faulty.direct_url, sender) if e.get("name") == "therapy"]
    assert therapy[-1] == "botulinum-toxin"


def test_action_servers_down_the_bot_says_so_then_recovers(faulty: Faulty) -> None:
    bot = faulty.bot
    os.kill(bot.process.pid, signal.SIGSTOP)  # hold the supervisor, so the servers stay down while we ask
    try:
        for pid in replica_pids(bot, "rasa_sdk"):
            os.killpg(pid, signal.SIGKILL)
        mark = len(bot.output)
        status, replies = bot.request("/webhooks/rest/webhook", {"sender": "down", "message": "what is baclofen?"})
    finally:
        os.kill(bot.process.pid, signal.SIGCONT)
    assert status == 200, replies
    assert replies, "not silence"
    assert UNAVAILABLE in replies[0]["text"] and "911" in replies[0]["text"]
    wait_for_line(bot, "action server 2 is starting again", 60, after=mark)
    deadline = time.monotonic() + 240
    texts: list[str] = []
    while time.monotonic() < deadline:
        sender = f"back-{uuid.uuid4().hex[:4]}"
        status, replies = bot.request("/webhooks/rest/webhook", {"sender": sender, "message": "what is a bac pump?"})
        texts = _texts(replies) if status == 200 else []
        if any("Sources:" in t for t in texts):
            break
        time.sleep(2)
    assert any("Sources:" in t for t in texts), f"the bot answers from the library again: {texts}"
    # Leave the bot as it was found: both action servers back, not only the first (the next test may need both).
    for port in (bot.action_port + 1, bot.action_port + 2):
        assert _healthy(f"http://127.0.0.1:{port}/health", 240), f"action server on {port} did not come back"


def test_database_down_mid_run_clear_error_then_recovery(faulty: Faulty) -> None:
    """While PostgreSQL is away the bot still replies (no 500, no silence) and logs why; afterwards it stores again."""
    bot = faulty.bot
    sender = f"db-{uuid.uuid4().hex[:6]}"
    assert bot.chat(sender, "what is a bac pump?")
    mark = len(bot.output)
    faulty.pg.cut()
    try:
        status, replies = bot.request("/webhooks/rest/webhook", {"sender": sender, "message": "what is baclofen?"})
    finally:
        faulty.pg.restore()
    assert status == 200 and replies, "a reply, not a 500 and not silence"
    log = "".join(bot.output[mark:])
    assert "Error happened when trying to" in log and "SQLTrackerStore" in log, "the log says the store is away"
    # Both replicas' pooled connections died with the outage: the first message on each must still be stored.
    for n, port in enumerate((bot.rasa_port + 1, bot.rasa_port + 2)):
        status, replies = _post(port, sender, f"is baclofen safe? ({n})")
        assert status == 200 and replies
        assert f"is baclofen safe? ({n})" in _user_texts(faulty.direct_url, sender), "stored again at once"
    stored = _user_texts(faulty.direct_url, sender)
    assert stored[0] == "what is a bac pump?", "what was stored before the outage is intact"


def test_redis_unavailable_messages_still_answered_then_serialised_again(faulty: Faulty) -> None:
    """Through nginx (tests/test_scaled.py hammers both replicas directly)."""
    bot = faulty.bot

    def burst(sender: str, count: int) -> dict[str, list[str | None]]:
        messages = [f"what is a bac pump? ({sender} {i})" for i in range(count)]
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(lambda i: _post(bot.rasa_port, sender, messages[i]), range(count)))
        assert [status for status, _ in results] == [200] * count, results
        assert all(replies for _, replies in results), "no silence"
        return {m: [r.get("text") for r in replies] for m, (_, replies) in zip(messages, results, strict=True)}

    mark = len(bot.output)
    faulty.redis.cut()
    try:
        burst(f"redis-down-{uuid.uuid4().hex[:4]}", 6)
    finally:
        faulty.redis.restore()
    assert "The Redis lock store at 127.0.0.1 is unreachable" in "".join(bot.output[mark:])
    # Each replica finds Redis again on its next lock (one message each, other conversations); only then is the
    # burst of one conversation through both replicas expected to be serialised across them.
    for n, port in enumerate((bot.rasa_port + 1, bot.rasa_port + 2)):
        assert _post(port, f"redis-warm-{n}-{uuid.uuid4().hex[:4]}", "what is a bac pump?")[0] == 200
    sender = f"redis-back-{uuid.uuid4().hex[:4]}"
    received = burst(sender, 8)
    check_turns(tracker_events(faulty.direct_url, sender), received)
    assert "The Redis lock store answers again" in "".join(bot.output[mark:])


def test_content_reloaded_while_serving_no_failed_request(faulty: Faulty, tmp_path: Path) -> None:
    """`python -m bot.content load` of changed content while messages flow: none fails, the change shows."""
    bot = faulty.bot
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    first = content / "passages" / "01-what-is-spasticity.yml"
    data = yaml.safe_load(first.read_text(encoding="utf-8"))
    marker = "Muscles can feel tight at the start of the day."
    data["passages"][0]["text"] = data["passages"][0]["text"].rstrip() + " " + marker
    first.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    env = {**os.environ, "DATABASE_URL": faulty.direct_url, "CONTENT_DIR": str(content)}
    questions = ["what is spasticity?", "what is a bac pump?", "does stretching help?", "what is baclofen?"]
    with ThreadPoolExecutor(max_workers=5) as pool:
        loader = pool.submit(
            subprocess.run,
            [sys.executable, "-m", "bot.content", "load"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        webhook = "/webhooks/rest/webhook"
        sent = [
            pool.submit(bot.request, webhook, {"sender": f"reload-{i % 8}", "message": questions[i % 4]})
            for i in range(40)
        ]
        results = [future.result() for future in sent]
        loaded = loader.result()
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert [status for status, _ in results] == [200] * len(results)
    assert all(replies and UNAVAILABLE not in replies[0]["text"] for _, replies in results), "no failed request"
    # Every later answer, on every replica, is new (issue 16 point 2): nginx spreads these over the replicas.
    after = [_texts(bot.chat(f"reload-after-{i}-{uuid.uuid4().hex[:4]}", "what is spasticity?")) for i in range(6)]
    assert all(any(marker in t for t in texts) for texts in after), "each answer after the load is the new one"
