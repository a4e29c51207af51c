"""Every route of the Rasa server: token, CORS, security headers, per-address limits, body size (bot/rasa_server.py).

The API token comes from the environment, CORS from the settings; every response carries the security headers;
each client address has a rate limit; the API answers this machine only; bodies are bounded.

In-process, the app is Rasa's own (`rasa.core.run.configure_app`, what `rasa run` calls) wrapped exactly as
`python -m bot.rasa_server` wraps it, with the real widget channel, served over ASGI (`tests/support/asgi.py`):
requests come from a documentation address, 203.0.113.7, unless a test sends them from loopback. Against the
session's shared bot (e2e): the token on no command line, and a body refused before it is sent.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from rasa.core.run import configure_app

from bot.channels.widget import WidgetInput
from bot.client_limits import ClientLimiter, client_address, limit_key, retry_after_seconds
from bot.config import Settings
from bot.launcher import rasa_command
from bot.rasa_server import (
    SECURITY_HEADERS,
    ServerSetupError,
    TokenScrubber,
    check_origins,
    with_bot_duties,
)
from bot.server_commands import child_env
from tests.support.asgi import InProcessApp, StubAgent
from tests.support.servers import API_TOKEN, RunningBot

EMBEDDER = "https://embedder.example"
TOKEN = "in-process-api-token"
BURST = 5


def settings(**changes: Any) -> Settings:
    base = dataclasses.replace(
        Settings.from_env(),
        rasa_api_token=TOKEN,
        cors_origins=(EMBEDDER,),
        client_rate_per_minute=60.0,
        client_rate_burst=BURST,
        trusted_proxies=("127.0.0.1",),
    )
    return dataclasses.replace(base, **changes)


class BotApp(InProcessApp):
    """Rasa's app as `bot.rasa_server` builds it, started as an ASGI server starts it, with a loopback client too."""

    def __init__(self, configured: Settings, enable_api: bool = True) -> None:
        """Builds and starts the app; `local` sends requests from 127.0.0.1."""
        app = with_bot_duties(configure_app, lambda: configured)(
            input_channels=[WidgetInput()], enable_api=enable_api, port=0
        )
        super().__init__(app, StubAgent())
        app.asgi = True  # Sanic-CORS registers its middleware when the server starts, as an ASGI server does
        self.run(app._server_event("init", "before"))
        self.local = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app, client=("127.0.0.1", 40001)), base_url="http://testserver"
        )

    def from_here(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """A request from this machine (loopback)."""
        answer: httpx2.Response = self.run(self.local.request(method, path, **kwargs))
        return answer

    def close(self) -> None:
        """Closes both clients and the loop."""
        self.run(self.local.aclose())
        super().close()


@pytest.fixture
def bot_app() -> Iterator[BotApp]:
    app = BotApp(settings())
    yield app
    app.close()


# -- security headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/webhooks/widget/", 200),
        ("GET", "/webhooks/widget/static/no-such-file.js", 404),
        ("GET", "/webhooks/no/such/route", 404),
        ("GET", "/no/such/route", 403),
        ("GET", f"/status?token={TOKEN}", 403),
        ("OPTIONS", "/webhooks/widget/history", 200),
    ],
    ids=["health", "demo", "missing-static", "no-route", "not-public", "api-from-outside", "preflight"],
)
def test_every_response_carries_the_security_headers(bot_app: BotApp, method: str, path: str, status: int) -> None:
    answer = bot_app.request(method, path, headers={"Origin": EMBEDDER, "Access-Control-Request-Method": "GET"})
    assert answer.status_code == status
    others = {name: value for name, value in SECURITY_HEADERS.items() if name != "Content-Security-Policy"}
    assert {name: answer.headers.get(name) for name in others} == others
    # A page with its own, stricter policy (the widget demo) keeps it; it still forbids framing.
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_refusals_carry_them_too(bot_app: BotApp) -> None:
    answers = [bot_app.request("GET", "/") for _ in range(BURST + 1)]
    assert answers[-1].status_code == 429
    assert answers[-1].headers["X-Frame-Options"] == "DENY"


# -- CORS ----------------------------------------------------------------------------------------------------


def test_a_listed_origin_may_call_the_bot_without_credentials(bot_app: BotApp) -> None:
    answer = bot_app.request("GET", "/webhooks/widget/", headers={"Origin": EMBEDDER})
    assert answer.headers["Access-Control-Allow-Origin"] == EMBEDDER
    assert "Access-Control-Allow-Credentials" not in answer.headers
    preflight = bot_app.request(
        "OPTIONS", "/socket.io/", headers={"Origin": EMBEDDER, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == EMBEDDER
    assert "Access-Control-Allow-Credentials" not in preflight.headers


@pytest.mark.parametrize("origins", [(EMBEDDER,), ()], ids=["one-listed", "none-listed"])
def test_any_other_origin_gets_no_cors_permission(origins: tuple[str, ...]) -> None:
    app = BotApp(settings(cors_origins=origins))
    try:
        for method in ("GET", "OPTIONS"):
            answer = app.request(
                method,
                "/webhooks/widget/",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
            )
            assert answer.headers.get("Access-Control-Allow-Origin") in (None, EMBEDDER if origins else None)
            assert answer.headers.get("Access-Control-Allow-Origin") != "https://evil.example"
            assert "Access-Control-Allow-Credentials" not in answer.headers
    finally:
        app.close()


@pytest.mark.parametrize(
    "origin", ["*", "evil.example", "https://a.example/path", "javascript:alert(1)", "https://*.example"]
)
def test_cors_origins_must_be_origins_and_never_a_wildcard(origin: str) -> None:
    with pytest.raises(ValueError, match="scheme://host"):
        check_origins([origin])
    with pytest.raises(ServerSetupError, match="never \\*"):
        BotApp(settings(cors_origins=(origin,)))


def test_cors_origins_as_browsers_send_them_are_accepted() -> None:
    given = ["https://www.example.org", "http://localhost:5005", "https://[2001:db8::1]:8443", "HTTPS://Caps.Example"]
    assert check_origins(given) == [o.lower() for o in given]


@pytest.mark.parametrize(
    ("setting", "argued", "allowed"),
    [
        ((), ["https://k8s.example"], "https://k8s.example"),  # the Kubernetes manifest lists them as --cors
        (("https://env.example",), ["https://k8s.example"], "https://env.example"),  # CORS_ORIGINS wins
    ],
    ids=["from-the-command-line", "setting-first"],
)
def test_rasas_cors_argument_counts_when_the_setting_is_unset(
    setting: tuple[str, ...], argued: list[str], allowed: str
) -> None:
    build = with_bot_duties(configure_app, lambda: settings(cors_origins=setting))
    served = InProcessApp(build(input_channels=[WidgetInput()], cors=argued, enable_api=False, port=0), StubAgent())
    try:
        served.app.asgi = True
        served.run(served.app._server_event("init", "before"))
        for origin in ("https://k8s.example", "https://env.example"):
            answer = served.request("GET", "/webhooks/widget/", headers={"Origin": origin})
            assert (answer.headers.get("Access-Control-Allow-Origin") == origin) == (origin == allowed)
    finally:
        served.close()
    with pytest.raises(ServerSetupError, match="never \\*"):
        with_bot_duties(configure_app, lambda: settings(cors_origins=()))(input_channels=[], cors=["*"], port=0)


def test_the_cors_origins_setting_reads_commas_or_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example  https://c.example")
    assert Settings.from_env().cors_origins == ("https://a.example", "https://b.example", "https://c.example")
    monkeypatch.delenv("CORS_ORIGINS")
    assert Settings.from_env().cors_origins == ()


# -- the API: token from the environment, on this machine only -----------------------------------------------


def test_the_api_token_comes_from_the_environment_and_opens_the_api_from_this_machine(bot_app: BotApp) -> None:
    story = "/conversations/someone/story"
    assert bot_app.from_here("GET", f"{story}?token={TOKEN}").status_code == 404  # let in: no such conversation
    assert bot_app.from_here("GET", f"{story}?token=wrong").status_code == 401
    assert bot_app.from_here("GET", story).status_code == 401


@pytest.mark.parametrize("path", ["/status", "/version", "/domain", "/conversations/x/tracker", "/model/parse"])
def test_the_api_never_answers_another_machine_even_with_the_token(bot_app: BotApp, path: str) -> None:
    assert bot_app.request("GET", f"{path}?token={TOKEN}").status_code == 403


def test_the_api_never_answers_a_client_nginx_forwards(bot_app: BotApp) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.20"}
    assert bot_app.from_here("GET", f"/status?token={TOKEN}", headers=forwarded).status_code == 403


def test_a_token_on_the_command_line_is_refused() -> None:
    build = with_bot_duties(configure_app, lambda: settings())
    with pytest.raises(ServerSetupError, match="RASA_API_TOKEN in the environment"):
        build(input_channels=[], auth_token="given-on-argv", enable_api=True, port=0)


def test_the_api_is_never_switched_on_without_a_token() -> None:
    build = with_bot_duties(configure_app, lambda: settings(rasa_api_token=None))
    with pytest.raises(ServerSetupError, match="--enable-api needs RASA_API_TOKEN"):
        build(input_channels=[], enable_api=True, port=0)


def test_the_launcher_puts_neither_the_token_nor_a_cors_wildcard_on_the_command_line(tmp_path: Path) -> None:
    configured = settings(rasa_api_token="s3cret-token-value")
    command = rasa_command(configured, tmp_path / "m.tar.gz", "run")
    assert "--enable-api" in command
    assert not any("s3cret" in part for part in command) and "--auth-token" not in command
    assert "--cors" not in command and "*" not in command
    assert child_env(configured)["RASA_API_TOKEN"] == "s3cret-token-value"
    without = dataclasses.replace(configured, rasa_api_token=None)
    assert "--enable-api" not in rasa_command(without, tmp_path / "m.tar.gz", "run")


def test_child_env_drops_a_blank_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_API_TOKEN", "   ")
    assert "RASA_API_TOKEN" not in child_env(Settings.from_env())


def test_tokens_in_urls_are_scrubbed_from_the_request_log() -> None:
    record = logging.LogRecord("sanic.access", logging.INFO, __file__, 1, "", None, None)
    record.__dict__["request"] = "GET http://bot.example/status?token=abc123&x=1"  # Sanic's `extra` field
    message = logging.LogRecord("rasa", logging.DEBUG, __file__, 1, "calling %s", ("/model?token=abc123",), None)
    scrubber = TokenScrubber()
    assert scrubber.filter(record) and scrubber.filter(message)
    assert record.__dict__["request"] == "GET http://bot.example/status?token=***&x=1"
    assert message.getMessage() == "calling /model?token=***"


# -- per-address limits --------------------------------------------------------------------------------------


def test_a_client_over_its_burst_gets_429_with_retry_after_and_others_are_still_served(bot_app: BotApp) -> None:
    statuses = [bot_app.request("GET", "/webhooks/widget/").status_code for _ in range(BURST + 2)]
    assert statuses == [200] * BURST + [429, 429]
    refused = bot_app.request("GET", "/")
    assert refused.json()["error"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    # Another client, forwarded by the trusted proxy (nginx on loopback), has its own bucket.
    other = bot_app.from_here("GET", "/", headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == 200


def test_a_client_cannot_choose_its_address_with_a_forwarded_header(bot_app: BotApp) -> None:
    for i in range(BURST):  # a new "address" each time: ignored, since the peer is no trusted proxy
        assert bot_app.request("GET", "/", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code == 200
    assert bot_app.request("GET", "/", headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_clients_forwarded_by_the_proxy_are_limited_one_by_one(bot_app: BotApp) -> None:
    flood = [
        bot_app.from_here("GET", "/", headers={"X-Forwarded-For": "198.51.100.7"}).status_code for _ in range(BURST + 1)
    ]
    assert flood[-1] == 429
    assert bot_app.from_here("GET", "/", headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200


def test_this_machines_own_clients_are_not_limited(bot_app: BotApp) -> None:
    assert {bot_app.from_here("GET", "/").status_code for _ in range(BURST * 3)} == {200}


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a trusted proxy: its header is ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "10.9.9.9, 198.51.100.1", "198.51.100.1"),  # the client's own prefix is not believed
        ("127.0.0.1", "198.51.100.1, 127.0.0.1", "198.51.100.1"),  # proxies in a chain are skipped
        ("127.0.0.1", "not-an-address, 198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "198.51.100.1, garbage", "127.0.0.1"),  # a broken nearest hop: the proxy itself
        ("127.0.0.1", "", "127.0.0.1"),
        ("::ffff:127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "[2001:db8::5]", "2001:db8::5"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, ("127.0.0.1",)) == expected


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same subscriber's block
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ],
)
def test_ipv6_clients_are_counted_per_64_network(address: str, key: str) -> None:
    assert limit_key(address) == key


def test_the_limiter_refills_at_its_rate_and_forgets_the_least_recent_clients() -> None:
    now = [0.0]
    limiter = ClientLimiter(per_minute=60, burst=2, max_clients=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, pytest.approx(1.0)]
    now[0] = 0.5
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.acquire("a") is None
    for client in ("b", "c", "d"):
        limiter.acquire(client)
    assert len(limiter) == 3  # "a" was the least recently seen: forgotten
    assert ClientLimiter(per_minute=0, burst=1).acquire("x") is None  # 0 turns the limit off


def test_the_body_limit_is_every_routes() -> None:
    app = BotApp(settings(max_request_bytes=4096))
    try:
        assert app.app.config.REQUEST_MAX_SIZE == 4096
    finally:
        app.close()


# -- the shared real bot ---------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, at any depth (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.e2e
def test_no_process_of_the_bot_has_the_token_on_its_command_line(running_bot: RunningBot) -> None:
    pids = [running_bot.process.pid, *descendants(running_bot.process.pid)]
    commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in pids}
    assert any("bot.rasa_server" in command for command in commands.values())
    assert not [command for command in commands.values() if API_TOKEN in command]
    assert running_bot.request(f"/status?token={API_TOKEN}")[0] == 200  # the API still has its token
    assert not [line for line in running_bot.output if API_TOKEN in line], "the token is in the bot's log"


@pytest.mark.e2e
def test_an_oversized_body_is_refused_before_it_is_sent(running_bot: RunningBot) -> None:
    """Only the headers go out, declaring 10 MB: the 413 comes back without the server waiting for the body."""
    with socket.create_connection(("127.0.0.1", running_bot.rasa_port), timeout=10) as conn:
        conn.sendall(
            b"POST /webhooks/telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        head = conn.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert "x-frame-options: deny" in head.lower()


@pytest.mark.e2e
def test_the_real_bot_sends_the_headers_and_no_cors_to_an_unlisted_origin(running_bot: RunningBot) -> None:
    import urllib.request

    request = urllib.request.Request(f"{running_bot.url}/webhooks/widget/", headers={"Origin": "https://evil.example"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        headers = answer.headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers.get("Access-Control-Allow-Origin") is None
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.e2e
def test_the_editors_shell_keeps_its_own_stricter_policy(running_bot: RunningBot) -> None:
    import base64
    import urllib.request

    from tests.support.servers import EDITOR_TOKEN

    login = base64.b64encode(f"editor:{EDITOR_TOKEN}".encode()).decode()
    request = urllib.request.Request(f"{running_bot.url}/webhooks/editor/", headers={"Authorization": f"Basic {login}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        policy = answer.headers["Content-Security-Policy"]
    assert "default-src" in policy and policy != SECURITY_HEADERS["Content-Security-Policy"]


def test_trusted_proxies_may_be_networks() -> None:
    ingress = ("10.0.0.0/8", "127.0.0.1")
    assert client_address("10.2.3.4", "198.51.100.1, 10.9.8.7", ingress) == "198.51.100.1"
    assert client_address("203.0.113.7", "198.51.100.1", ingress) == "203.0.113.7"
    assert client_address("10.2.3.4", "198.51.100.1", ("not-a-network",)) == "10.2.3.4"


@pytest.mark.parametrize(("wait", "seconds"), [(0.0, 1), (0.01, 1), (1.0, 1), (1.2, 2), (59.99, 60)])
def test_retry_after_is_whole_seconds_rounded_up_and_never_zero(wait: float, seconds: int) -> None:
    assert retry_after_seconds(wait) == seconds
