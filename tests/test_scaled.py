"""The scaled setup for real: two Rasa replicas and two action servers behind nginx, PostgreSQL, Redis.

The hammer sends many messages of ONE conversation at the same moment, half straight to each Rasa replica,
then reads the tracker store from PostgreSQL: every message must be there exactly once, each followed by
exactly the replies its sender received, turn after turn, nothing lost, duplicated or interleaved. Rasa's
stock `RedisLockStore` fails the same kind of hammer at the lock level (tests/test_lock_store.py).
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.scaled import render_nginx, tracker_env, unavailable_action_response
from tests.conftest import missing
from tests.support.scaled import (
    Faulty,
    check_turns,
    tracker_events,
)
from tests.support.servers import RunningBot

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

QUESTIONS = [
    "what is spasticity?",
    "what is a bac pump?",
    "how long do botox shots last?",
    "does stretching help stiff legs?",
    "what is an AFO for?",
    "is zanaflex bad for your liver?",
    "what is serial casting?",
    "can a bladder infection make spasms worse?",
]
HAMMER_MESSAGES = 32


# -- hermetic: the generated configuration ---------------------------------------------------------


def test_tracker_url_becomes_the_endpoint_variables() -> None:
    env = tracker_env("postgresql+psycopg2://bot:s3cret@db.internal:6543/spasticity?options=-csearch_path%3Dx")
    assert env == {
        "TRACKER_DB_HOST": "db.internal",
        "TRACKER_DB_PORT": "6543",
        "TRACKER_DB_NAME": "spasticity",
        "TRACKER_DB_USER": "bot",
        "TRACKER_DB_PASSWORD": "s3cret",
        "TRACKER_DB_OPTIONS": "-csearch_path=x",
    }


def test_a_sqlite_tracker_store_is_refused_clearly() -> None:
    from bot.scaled import SetupError

    with pytest.raises(SetupError, match="must be PostgreSQL"):
        tracker_env("sqlite:///var/tracker.db")


@pytest.mark.system  # runs nginx itself
def test_nginx_config_lists_every_replica_and_passes_nginx_t(tmp_path: Path) -> None:
    import dataclasses
    import subprocess

    from bot.config import get_settings
    from bot.scaled import NGINX

    settings = dataclasses.replace(get_settings(), rasa_port=18000, action_port=18100)
    config = render_nginx(settings, tmp_path, replicas=3)
    for port in (18001, 18002, 18003, 18101, 18102, 18103):
        assert f"127.0.0.1:{port} " in config
    assert "{{" not in config
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(config)
    if not Path(NGINX).is_file():
        missing(f"nginx is not installed at {NGINX} (make /usr/sbin/nginx installs it)")
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_unavailable_reply_is_valid_action_server_json_inside_an_nginx_string() -> None:
    import json

    body = unavailable_action_response()
    assert "'" not in body, "an apostrophe would end nginx's quoted string"
    parsed = json.loads(body)
    assert parsed["events"] == []
    text = parsed["responses"][0]["text"]
    assert "can't answer right now" in text and "911" in text and "999" in text and "112" in text


# -- the real scaled bot ---------------------------------------------------------------------------


@pytest.fixture
def scaled(cluster: Faulty) -> tuple[RunningBot, str]:
    """The session's scaled bot (`cluster`, shared with tests/test_faults.py) and its PostgreSQL URL."""
    return cluster.bot, cluster.direct_url


def _post(port: int, sender: str, message: str) -> tuple[int, list[dict[str, Any]]]:
    import json

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return response.status, json.loads(response.read())


def test_through_nginx_a_conversation_is_stored_in_postgresql(scaled: tuple[RunningBot, str]) -> None:
    bot, url = scaled
    sender = f"nginx-{uuid.uuid4().hex[:6]}"
    assert bot.chat(sender, "what is a bac pump?")
    texts = [e.get("text") for e in tracker_events(url, sender) if e["event"] == "user"]
    assert texts == ["what is a bac pump?"]


def test_hammer_one_conversation_through_two_replicas(scaled: tuple[RunningBot, str]) -> None:
    """Every message handled once, in one order, each followed by exactly the replies its sender got."""
    bot, url = scaled
    sender = f"hammer-{uuid.uuid4().hex[:6]}"
    messages = [f"{QUESTIONS[i % len(QUESTIONS)]} ({i:02d})" for i in range(HAMMER_MESSAGES)]
    replicas = [bot.rasa_port + 1, bot.rasa_port + 2]

    def send(i: int) -> tuple[str, int, list[dict[str, Any]]]:
        status, replies = _post(replicas[i % 2], sender, messages[i])
        return messages[i], status, replies

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=HAMMER_MESSAGES) as pool:
        results = list(pool.map(send, range(HAMMER_MESSAGES)))
    elapsed = time.monotonic() - started

    assert all(status == 200 for _, status, _ in results)
    received = {message: [r.get("text") for r in replies] for message, _, replies in results}
    assert all(received.values()), "every message got at least one reply"

    events = tracker_events(url, sender)
    stored = [e for e in events if e["event"] == "user"]
    print(
        f"\nhammer: {HAMMER_MESSAGES} messages of one conversation through 2 replicas at once in {elapsed:.1f} s "
        f"({HAMMER_MESSAGES / elapsed:.1f} messages/s); {len(events)} events stored, "
        f"{len(stored)} user messages, {sum(len(v) for v in received.values())} replies"
    )
    check_turns(events, received)


def test_the_kubernetes_action_gateway_says_the_same_as_the_local_one() -> None:
    """deploy/k8s/action-gateway.conf repeats the reply (nginx cannot import it): it must not drift."""
    import re

    from bot.config import PROJECT_ROOT

    conf = (PROJECT_ROOT / "deploy" / "k8s" / "action-gateway.conf").read_text(encoding="utf-8")
    match = re.search(r"return 200 '(.*)';", conf)
    assert match, "the gateway's fallback reply is missing"
    assert match.group(1) == unavailable_action_response()


def test_kustomization_names_only_files_that_exist() -> None:
    import yaml

    from bot.config import PROJECT_ROOT

    deploy = PROJECT_ROOT / "deploy"
    kustomization = yaml.safe_load((deploy / "kustomization.yaml").read_text(encoding="utf-8"))
    generators = kustomization["configMapGenerator"]
    files = [f.split("=")[-1] for g in generators for f in [*g.get("files", []), *g.get("envs", [])]]
    for name in [*kustomization["resources"], *files]:
        assert (deploy / name).is_file(), name
