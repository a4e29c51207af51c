"""The bounded REST channel: clear 400s, 413 for big bodies, 429 per sender, never a 500.

Validation and the limiter are tested on their own (with a fake clock and hypothesis); the real servers
show the same answers over HTTP: the session's `running_bot` with the default (generous) limits, and the
editor bot, whose limits are low enough (`tests/support/editor_bot.py`) for a test to reach them.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.rest import BadRequest, SenderLimiter, clean_text, parse_message
from tests.support.editor_bot import RATE_BURST, RATE_PER_MINUTE, editor_bot
from tests.support.servers import API_TOKEN, RunningBot

WEBHOOK = "/webhooks/rest/webhook"

BAD_BODIES: list[tuple[bytes, str]] = [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'"hello"', "JSON object"),
    (b'{"message": "hi"}', '"sender" is missing'),
    (b'{"sender": "x"}', '"message" is missing'),
    (b'{"sender": 5, "message": "hi"}', '"sender" must be a string'),
    (b'{"sender": "x", "message": 42}', '"message" must be a string'),
    (b'{"sender": "x", "message": ["hi"]}', '"message" must be a string'),
    (b'{"sender": "x", "message": null}', '"message" is missing'),
    (b'{"sender": "", "message": "hi"}', '"sender" is empty'),
    (b'{"sender": "x", "message": "   "}', '"message" is empty'),
    (b'{"sender": "x", "message": "\\u0000\\u0007"}', '"message" is empty'),
    (b'{"sender": "x", "message": "hi", "metadata": "x"}', '"metadata" must be a JSON object'),
    (b'{"sender": "x", "message": "\\ud800"}', "lone surrogate"),
    (b'{"sender": "x", "message": "\xff\xfe"}', "not valid UTF-8"),
    (b'{"sender": "' + b"s" * 200 + b'", "message": "hi"}', "longer than"),
    (b"[" * 5000 + b"]" * 5000, "nested"),
]


# -- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "reason"), BAD_BODIES, ids=[r for _, r in BAD_BODIES])
def test_bad_bodies_are_refused_with_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason.replace('"', ".").replace("(", ".").replace(")", ".")):
        parse_message(body)


def test_a_good_body_is_cleaned_not_refused() -> None:
    message = parse_message(b'{"sender": " me ", "message": "bac\\u0000lofen?\\n", "metadata": {"a": 1}}')
    assert (message.sender, message.text, message.metadata) == ("me", "baclofen?\n", {"a": 1})
    assert clean_text("e\u0301") == "\u00e9", "NFC, so the same word is stored the same way"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.sampled_from(["sender", "message", "metadata", "x"]), children, max_size=4)
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_any_body_is_either_accepted_or_refused_cleanly(body: bytes) -> None:
    try:
        message = parse_message(body)
    except BadRequest as exc:
        assert str(exc)
    else:
        assert message.sender and message.text.strip()
        message.text.encode("utf-8")


# -- the limiter -----------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_gets_a_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    limiter = SenderLimiter(per_minute=60, burst=3, max_in_flight=0, clock=clock)
    for _ in range(3):
        assert limiter.acquire("a") is None
        limiter.release("a")
    wait = limiter.acquire("a")
    assert wait is not None and wait == pytest.approx(1.0)
    assert limiter.acquire("b") is None, "other senders are not affected"
    clock.now += 1.0
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is not None


def test_requests_in_progress_are_capped_per_sender() -> None:
    limiter = SenderLimiter(per_minute=0, burst=1, max_in_flight=2, clock=Clock())
    assert limiter.acquire("a") is None and limiter.acquire("a") is None
    assert limiter.acquire("a") == 1.0
    limiter.release("a")
    assert limiter.acquire("a") is None


def test_the_limiter_forgets_idle_senders_to_stay_bounded() -> None:
    limiter = SenderLimiter(per_minute=60, burst=1, max_in_flight=1, max_senders=100, clock=Clock())
    busy = "busy-sender"
    assert limiter.acquire(busy) is None  # in progress: must not be forgotten
    for index in range(1000):
        limiter.acquire(f"s{index}")
        limiter.release(f"s{index}")
    assert len(limiter) <= 101
    assert limiter.acquire(busy) == 1.0, "the busy sender's request in progress still counts"


# -- over HTTP -------------------------------------------------------------------------------------------


def post(bot: RunningBot, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", bot.rasa_port, timeout=60)
    try:
        connection.request("POST", WEBHOOK, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
        return response.status, dict(response.getheaders()), json.loads(payload or b"null")
    finally:
        connection.close()


@pytest.mark.e2e
@pytest.mark.parametrize(("body", "reason"), BAD_BODIES, ids=[r for _, r in BAD_BODIES])
def test_the_real_channel_answers_400_with_the_reason(running_bot: RunningBot, body: bytes, reason: str) -> None:
    status, _, payload = post(running_bot, body)
    assert status == 400, payload
    assert payload["error"] == "bad_request" and reason.strip('"').split('"')[0] in payload["message"]


@pytest.mark.e2e
def test_a_big_body_gets_413_declared_or_chunked(running_bot: RunningBot) -> None:
    big = json.dumps({"sender": "big-1", "message": "a" * 100_000}).encode()
    status, _, payload = post(running_bot, big)
    assert status == 413 and payload["error"] == "payload_too_large"

    def chunks() -> Any:  # no Content-Length: the server must stop reading by itself
        for _ in range(200):
            yield b"a" * 1000

    connection = http.client.HTTPConnection("127.0.0.1", running_bot.rasa_port, timeout=60)
    try:
        try:
            connection.request(
                "POST", WEBHOOK, body=chunks(), encode_chunked=True, headers={"Content-Type": "application/json"}
            )
        except (ConnectionResetError, BrokenPipeError):
            # The server answered 413 and closed while the client was still uploading: refused all the same.
            pass
        else:
            response = connection.getresponse()
            assert response.status == 413, response.read()
    finally:
        connection.close()
    assert running_bot.chat("big-2", "what is spasticity?"), "the server answers normally afterwards"


@pytest.mark.e2e
def test_the_client_cannot_choose_the_input_channel(running_bot: RunningBot) -> None:
    body = {"sender": "channel-spoof", "message": "what is baclofen?", "input_channel": "editor"}
    status, _ = running_bot.request(WEBHOOK, body)
    assert status == 200
    status, tracker = running_bot.request(f"/conversations/channel-spoof/tracker?token={API_TOKEN}")
    assert status == 200
    channels = {e.get("input_channel") for e in tracker["events"] if e.get("event") == "user"}
    assert channels == {"rest"}


@pytest.mark.e2e
def test_one_sender_is_rate_limited_with_retry_after_and_others_are_not(
    pytestconfig: pytest.Config, test_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bot = editor_bot(pytestconfig, test_model, tmp_path_factory)
    body = json.dumps({"sender": "flooder", "message": "hello"}).encode()
    statuses = []
    retry_after = None
    for _ in range(RATE_BURST + 2):
        status, headers, payload = post(bot, body)
        statuses.append(status)
        if status == 429:
            retry_after = headers.get("Retry-After")
            assert payload["error"] == "rate_limited" and "try again in" in payload["message"]
    assert statuses[:RATE_BURST] == [200] * RATE_BURST and statuses[RATE_BURST:] == [429, 429], statuses
    assert retry_after is not None and 1 <= int(retry_after) <= 60 / RATE_PER_MINUTE + 1
    assert bot.chat("not-the-flooder", "what is spasticity?"), "another sender is served"
