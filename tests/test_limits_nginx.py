"""The scaled setup's nginx gateway at the edge: per-client limits, body size, no API, headers, quiet logs.

nginx runs with the configuration bot/scaled.py renders (deploy/nginx.conf.template) in front of a small HTTP
server standing in for the Rasa replicas, which answers 200 with its own copy of a security header. Clients
connect from 127.0.0.2 and 127.0.0.3 (the machine's own 127.0.0.1 is never limited), so each is a client
address of its own, as people behind the gateway are.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import get_settings
from bot.scaled import NGINX, render_nginx
from tests.conftest import missing
from tests.support.servers import free_port

BURST = 4


class Upstream(http.server.BaseHTTPRequestHandler):
    """A Rasa replica in small: 200 and a body for any GET or POST, with its own X-Frame-Options."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@dataclasses.dataclass
class Gateway:
    port: int
    prefix: Path

    def request(
        self, path: str, source: str = "127.0.0.2", method: str = "GET", body: bytes | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            return answer.status, answer.headers, answer.read()
        finally:
            conn.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    if not Path(NGINX).is_file():
        missing(f"nginx is not installed at {NGINX} (make /usr/sbin/nginx installs it)")
    rasa_port, action_port = free_port(), free_port()
    settings = dataclasses.replace(
        get_settings(),
        rasa_port=rasa_port,
        action_port=action_port,
        client_rate_per_minute=6.0,  # one request every 10 s once the burst is spent: none comes back in a test
        client_rate_burst=BURST,
        max_request_bytes=2048,
    )
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    config = render_nginx(settings, tmp_path, replicas=1).replace(
        f"127.0.0.1:{rasa_port + 1} ", f"127.0.0.1:{upstream.server_address[1]} "
    )
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(config)
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        gateway = Gateway(rasa_port, tmp_path)
        deadline = time.monotonic() + 20
        while True:
            try:
                gateway.request("/", source="127.0.0.1")
                break
            except OSError:
                if time.monotonic() > deadline or nginx.poll() is not None:
                    raise RuntimeError((tmp_path / "error.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        yield gateway
    finally:
        nginx.terminate()
        nginx.wait(timeout=15)
        upstream.shutdown()


@pytest.mark.system
def test_one_client_over_its_burst_gets_429_and_another_is_still_served(gateway: Gateway) -> None:
    statuses = [gateway.request("/webhooks/rest/")[0] for _ in range(BURST + 3)]
    assert statuses[:BURST] == [200] * BURST and set(statuses[BURST + 1 :]) == {429}
    assert gateway.request("/webhooks/rest/", source="127.0.0.3")[0] == 200
    assert {gateway.request("/", source="127.0.0.1")[0] for _ in range(BURST * 2)} == {200}  # the machine itself


@pytest.mark.system
def test_a_body_over_the_limit_is_refused_at_the_gateway(gateway: Gateway) -> None:
    status, headers, _ = gateway.request("/webhooks/rest/webhook", method="POST", body=b"x" * 4096)
    assert status == 413 and headers["X-Frame-Options"] == "DENY"
    assert gateway.request("/webhooks/rest/webhook", source="127.0.0.3", method="POST", body=b"{}")[0] == 200


@pytest.mark.system
@pytest.mark.parametrize(
    "path", ["/status", "/version", "/model/parse", "/conversations/someone/tracker?token=t", "/domain"]
)
def test_rasas_api_is_not_served_at_the_gateway(gateway: Gateway, path: str) -> None:
    status, headers, body = gateway.request(path, source="127.0.0.3")
    assert status == 404 and b"not_found" in body
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.system
def test_each_security_header_once_and_no_version(gateway: Gateway) -> None:
    status, headers, _ = gateway.request("/webhooks/rest/")
    assert status == 200
    assert headers.get_all("X-Frame-Options") == ["DENY"]  # the replica's copy is replaced, not doubled
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Server"] == "nginx"  # server_tokens off: no version


@pytest.mark.system
def test_the_access_log_keeps_no_query_string(gateway: Gateway) -> None:
    gateway.request("/webhooks/widget/history?session_id=secret-session-id", source="127.0.0.3")
    deadline = time.monotonic() + 5
    log = gateway.prefix / "access.log"
    while "/webhooks/widget/history" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "nginx wrote no access log line"
        time.sleep(0.1)
    assert "secret-session-id" not in log.read_text()
    assert "127.0.0.0 [" in log.read_text() and "127.0.0.3" not in log.read_text(), "the address without its last part"


def test_the_action_gateway_takes_a_long_conversation() -> None:
    """Rasa posts the whole tracker to the actions: the body limit is the public server's, not the gateway's."""
    settings = dataclasses.replace(get_settings(), rasa_port=18000, action_port=18100, max_request_bytes=2048)
    config = render_nginx(settings, Path("/tmp/unused"), replicas=1)
    public, actions = config.split("listen 127.0.0.1:18100;")
    assert "client_max_body_size 2048;" in public.split("listen ")[-1]
    assert "client_max_body_size 0;" in actions and "2048" not in actions
