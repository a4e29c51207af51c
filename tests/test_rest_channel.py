"""The bounded REST channel: API keys and its own namespace, clear 400s, 413 for big bodies, 429, never a 500.

Validation, the API keys and the limiter are tested on their own (with a fake clock and hypothesis), and the
whole HTTP layer in-process (`tests/support/asgi.py`: the channel's blueprint in a Sanic app, served over ASGI,
with a stub agent that records what reached the bot and keeps it in Rasa's in-memory tracker store). Requests
come from this machine (`LOCAL_CLIENT`) unless a test says otherwise. One e2e test shows the running bot mounts
this channel; tests/test_isolation_e2e.py tries every crossing between channels against the running bot.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.rest import BadRequest, BoundedRestInput, SenderLimiter, parse_message
from bot.channels.rest_auth import ApiKeyError, is_loopback, parse_api_keys
from bot.replies import DISCLAIMER, REPLY_KEY, SAFE_FALLBACK, Button, Citation, Reply, ReplyKind, render, reply_text
from bot.text import RECEIVED, normalise
from tests.support.asgi import CLIENT, LOCAL_CLIENT, REPLY_PREFIX, InProcessApp, channel_app
from tests.support.editor_bot import RATE_BURST, RATE_PER_MINUTE
from tests.support.replies import StructuredAgent
from tests.support.servers import RunningBot

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
    assert normalise("e\u0301", RECEIVED) == "\u00e9", "NFC, so the same word is stored the same way"


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


# -- over HTTP, in-process ------------------------------------------------------------------------------


@pytest.fixture
def rest() -> Iterator[InProcessApp]:
    """The bounded REST channel in a Sanic app served in-process, with a small body limit and a stub agent."""
    channel = BoundedRestInput(max_body_bytes=4096, per_minute=0, burst=1, max_in_flight=0)
    with channel_app([channel], client=LOCAL_CLIENT) as app:
        yield app


def post(app: InProcessApp, body: bytes | AsyncIterator[bytes], headers: dict[str, str] | None = None) -> Any:
    return app.request("POST", WEBHOOK, content=body, headers={"Content-Type": "application/json", **(headers or {})})


@pytest.mark.parametrize(("body", "reason"), BAD_BODIES, ids=[r for _, r in BAD_BODIES])
def test_the_channel_answers_400_with_the_reason_and_the_bot_hears_nothing(
    rest: InProcessApp, body: bytes, reason: str
) -> None:
    response = post(rest, body)
    if len(body) > 4096:  # the nested body is over this app's small limit: refused before it is parsed
        assert response.status_code == 413
    else:
        assert response.status_code == 400, response.text
        payload = response.json()
        assert payload["error"] == "bad_request" and reason.strip('"').split('"')[0] in payload["message"]
    assert rest.agent.messages == []


def test_a_good_message_reaches_the_bot_and_its_reply_comes_back(rest: InProcessApp) -> None:
    response = post(rest, json.dumps({"sender": "me", "message": "what is baclofen?", "metadata": {"a": 1}}).encode())
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "me", "text": f"{REPLY_PREFIX}what is baclofen?"}]
    [message] = rest.agent.messages
    assert (message.sender_id, message.text, message.metadata) == ("rest:local:me", "what is baclofen?", {"a": 1})
    assert rest.request("GET", "/webhooks/rest/").json() == {"status": "ok"}


def cited_reply() -> Reply:
    citation = Citation(1, "NHS-BAC", "NHS", "Baclofen", "https://www.nhs.uk/medicines/baclofen/")
    return Reply(
        ReplyKind.ANSWER, "Baclofen relaxes muscles. [1]", (citation,), (Button("Helpful", "/feedback_helpful"),)
    )


def structured(text: str) -> dict[str, Any]:
    """The action's dispatcher arguments for a cited reply; "...without its disclaimer" breaks the data."""
    kwargs = render(cited_reply()).as_kwargs()
    if "without its disclaimer" in text:
        kwargs[REPLY_KEY] = {**kwargs[REPLY_KEY], "disclaimer": ""}
    return kwargs


def test_a_structured_reply_is_one_message_with_the_same_text_and_its_data() -> None:
    with channel_app(
        [BoundedRestInput(per_minute=0, max_in_flight=0)], StructuredAgent(structured), LOCAL_CLIENT
    ) as app:
        response = post(app, json.dumps({"sender": "me", "message": "what is baclofen?"}).encode())
    message = render(cited_reply())
    assert message.data is not None
    assert response.json() == [
        {
            "recipient_id": "me",
            "text": message.text,  # what simple clients and the evaluation tools read, as before
            "buttons": [{"title": "Helpful", "payload": "/feedback_helpful"}],
            REPLY_KEY: message.data.as_json(),
        }
    ]
    assert (
        message.text
        == f"Baclofen relaxes muscles. [1]\nSources:\n[1] NHS: Baclofen. {message.data.citations[0].url}\n{DISCLAIMER}"
    )


def test_a_reply_without_its_disclaimer_cannot_be_rendered_and_the_safe_fallback_is_sent() -> None:
    with channel_app(
        [BoundedRestInput(per_minute=0, max_in_flight=0)], StructuredAgent(structured), LOCAL_CLIENT
    ) as app:
        response = post(app, json.dumps({"sender": "me", "message": "a reply without its disclaimer"}).encode())
    assert response.json() == [
        {"recipient_id": "me", "text": reply_text(SAFE_FALLBACK), REPLY_KEY: SAFE_FALLBACK.as_json()}
    ]
    assert "Baclofen" not in response.text


def test_a_big_body_gets_413_declared_or_chunked(rest: InProcessApp) -> None:
    big = json.dumps({"sender": "big-1", "message": "a" * 100_000}).encode()
    response = post(rest, big)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the channel must stop reading by itself
        for _ in range(200):
            yield b"a" * 1000

    assert post(rest, chunks()).status_code == 413
    assert rest.agent.messages == []
    assert post(rest, json.dumps({"sender": "big-2", "message": "hi"}).encode()).status_code == 200


def test_the_client_cannot_choose_the_input_channel(rest: InProcessApp) -> None:
    body = {"sender": "channel-spoof", "message": "what is baclofen?", "input_channel": "editor"}
    assert post(rest, json.dumps(body).encode()).status_code == 200
    assert [m.input_channel for m in rest.agent.messages] == ["rest"]


def test_one_sender_is_rate_limited_with_retry_after_and_others_are_not() -> None:
    clock = Clock()
    channel = BoundedRestInput(per_minute=RATE_PER_MINUTE, burst=RATE_BURST, max_in_flight=0)
    channel.limiter = SenderLimiter(RATE_PER_MINUTE, RATE_BURST, 0, clock=clock)
    with channel_app([channel], client=LOCAL_CLIENT) as app:
        body = json.dumps({"sender": "flooder", "message": "hello"}).encode()
        responses = [post(app, body) for _ in range(RATE_BURST + 2)]
        statuses = [r.status_code for r in responses]
        assert statuses == [200] * RATE_BURST + [429, 429], statuses
        refused = responses[-1]
        assert refused.json()["error"] == "rate_limited" and "try again in" in refused.json()["message"]
        assert int(refused.headers["Retry-After"]) == math.ceil(60 / RATE_PER_MINUTE)
        assert post(app, json.dumps({"sender": "someone-else", "message": "hi"}).encode()).status_code == 200
        clock.now += 60 / RATE_PER_MINUTE
        assert post(app, body).status_code == 200, "the bucket refills at the sustained rate"
        assert len(app.agent.messages) == RATE_BURST + 2


# Bodies of any shape through the whole HTTP layer (streamed read, limit, validation, response): a reply or a
# client error, never a server error, and the bot hears only what was accepted.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "sender": st.text(max_size=40) | json_values,
        "message": st.text(max_size=300) | json_values,
        "metadata": json_values,
        "input_channel": st.text(max_size=20),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=400),
        request_like.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
    )
)
def test_any_body_over_http_is_answered_or_refused_never_a_server_error(rest: InProcessApp, body: bytes) -> None:
    before = len(rest.agent.messages)
    response = post(rest, body)
    assert response.status_code in {200, 400, 413}, response.text
    if response.status_code == 200:
        assert isinstance(response.json(), list) and response.json(), "200 but silent"
        assert len(rest.agent.messages) == before + 1
    else:
        assert len(rest.agent.messages) == before and response.json()["error"]


# -- who may call, and in which namespace --------------------------------------------------------------------

KEY_A = "key-of-clinic-a-0123456789abcdef"
KEY_B = "key-of-portal-b-0123456789abcdef"


def chat(app: InProcessApp, sender: str, headers: dict[str, str] | None = None) -> Any:
    return post(app, json.dumps({"sender": sender, "message": "what is baclofen?"}).encode(), headers)


def stored(app: InProcessApp) -> set[str]:
    """Every conversation key the tracker store holds."""
    return set(app.run(app.agent.tracker_store.keys()))


@pytest.mark.parametrize("sender", ["tg:4242", "4242", "web:AAAAAAAAAAAAAAAAAAAAAA", "editor:ed-1", "rest:local:x"])
def test_whatever_sender_a_client_names_it_talks_in_the_rest_namespace(rest: InProcessApp, sender: str) -> None:
    response = chat(rest, sender)
    assert response.status_code == 200 and response.json()[0]["recipient_id"] == sender, "its own id comes back"
    assert stored(rest) == {f"rest:local:{sender}"}


@pytest.mark.parametrize(
    ("client", "headers"),
    [
        (CLIENT, {}),
        (LOCAL_CLIENT, {"X-Forwarded-For": "198.51.100.4"}),
        (LOCAL_CLIENT, {"X-Forwarded-For": "127.0.0.1, 198.51.100.4"}),
        (LOCAL_CLIENT, {"X-Real-IP": "198.51.100.4"}),
        (LOCAL_CLIENT, {"Forwarded": 'for="[2001:db8::1]:4711";proto=https'}),
        (LOCAL_CLIENT, {"X-Forwarded-For": "not-an-address"}),
        (LOCAL_CLIENT, {"Authorization": "Bearer some-key-nobody-configured-123"}),
    ],
    ids=["remote-peer", "proxied", "proxied-chain", "real-ip", "forwarded", "unparsable", "unknown-key"],
)
def test_without_keys_only_a_request_made_on_this_machine_is_served(
    client: tuple[str, int], headers: dict[str, str]
) -> None:
    with channel_app([BoundedRestInput(per_minute=0, max_in_flight=0)], client=client) as app:
        response = chat(app, "someone", headers)
        assert response.status_code == 401 and response.json()["error"] == "unauthorised", response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "REST_API_KEYS" in response.json()["message"]
        assert app.agent.messages == [] and stored(app) == set()


@pytest.mark.parametrize("headers", [{}, {"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}])
def test_a_local_request_is_served_as_integrator_local(headers: dict[str, str]) -> None:
    with channel_app([BoundedRestInput(per_minute=0, max_in_flight=0)], client=LOCAL_CLIENT) as app:
        assert chat(app, "me", headers).status_code == 200
        assert stored(app) == {"rest:local:me"}


def test_a_server_listening_beyond_loopback_needs_a_key_even_from_this_machine() -> None:
    with channel_app([BoundedRestInput(public=True)], client=LOCAL_CLIENT) as app:
        assert chat(app, "me").status_code == 401 and stored(app) == set()


@pytest.mark.parametrize("client", [CLIENT, LOCAL_CLIENT], ids=["remote", "local"])
def test_each_integrator_has_its_own_namespace_and_needs_its_key(client: tuple[str, int]) -> None:
    channel = BoundedRestInput(per_minute=0, max_in_flight=0, api_keys={"clinic-a": KEY_A, "portal_b": KEY_B})
    with channel_app([channel], client=client) as app:
        for headers in ({}, {"Authorization": "Bearer wrong-key-0123456789abcdef"}, {"Authorization": KEY_A},
                        {"Authorization": f"Basic {KEY_A}"}, {"Authorization": f"Bearer {KEY_A}x"}):  # fmt: skip
            refused = chat(app, "same-sender", headers)
            assert refused.status_code == 401 and "Bearer <key>" in refused.json()["message"], headers
        for key in (KEY_A, KEY_B):
            response = chat(app, "same-sender", {"Authorization": f"Bearer {key}"})
            assert response.status_code == 200 and response.json()[0]["recipient_id"] == "same-sender"
        assert stored(app) == {"rest:clinic-a:same-sender", "rest:portal_b:same-sender"}, "two conversations"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("clinic", "no '='"),
        ("Clinic=" + KEY_A, "not an integrator name"),
        ("a:b=" + KEY_A, "not an integrator name"),
        ("local=" + KEY_A, "not an integrator name"),
        ("clinic=short", "shorter than"),
        (f"clinic={KEY_A},clinic={KEY_B}", "given twice"),
        (f"clinic={KEY_A},portal={KEY_A}", "given twice"),
    ],
)
def test_malformed_api_keys_are_refused_with_the_reason(raw: str, error: str) -> None:
    with pytest.raises(ApiKeyError, match=error):
        parse_api_keys(raw)


def test_api_keys_are_name_key_pairs() -> None:
    assert parse_api_keys(f" clinic-a = {KEY_A} , portal_b={KEY_B},") == {"clinic-a": KEY_A, "portal_b": KEY_B}
    assert parse_api_keys(None) == parse_api_keys("") == {}


def test_rasa_stops_with_the_reason_when_the_keys_are_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.exceptions import RasaException

    from bot.config import get_settings

    monkeypatch.setenv("REST_API_KEYS", "clinic=short")
    get_settings.cache_clear()
    try:
        with pytest.raises(RasaException, match="REST channel: REST_API_KEYS: the key of 'clinic' is shorter"):
            BoundedRestInput.from_credentials(None)
        monkeypatch.setenv("REST_API_KEYS", "")
        monkeypatch.setenv("BOT_HOST", "0.0.0.0")
        get_settings.cache_clear()
        assert BoundedRestInput.from_credentials(None).integrators.public is True
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("value", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True), ("[::1]:80", True),
     ("127.0.0.1:5005", True), ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False),
     ("198.51.100.4", False), ("", False), ("unknown", False), ("_hidden", False)],
)  # fmt: skip
def test_what_counts_as_this_machine(value: str, loopback: bool) -> None:
    assert is_loopback(value) is loopback


# -- the real server mounts this channel --------------------------------------------------------------------


@pytest.mark.e2e
def test_the_running_bot_serves_the_bounded_channel(running_bot: RunningBot) -> None:
    """credentials.yml must name the bounded channel: the stock one answers 200 to a broken body."""
    status, payload = running_bot.request(WEBHOOK, raw=b'{"sender": "x"}')
    assert status == 400 and '\\"message\\" is missing' in str(payload), (status, payload)
    big = json.dumps({"sender": "big-e2e", "message": "a" * 100_000}).encode()
    status, _ = running_bot.request(WEBHOOK, raw=big)
    assert status == 413
