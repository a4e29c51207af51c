"""The Rasa pods' nginx (deploy/k8s/action-gateway.conf) for real: routes, security headers, logs and fallbacks.

The file runs in the local nginx with its ports moved to free ones on 127.0.0.1 and its pid, temporary files and
logs moved to a temporary folder; a small HTTP server stands in for Rasa (and sets the headers the widget
channel sets, to show they come out once). Nothing listens where the action Service would be, so the gateway
must answer with its fallback. bot/tools/k8s_policy.py reads the same file statically; this shows nginx does
what the policy reads.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.scaled import NGINX
from bot.wording import GATEWAY_UNAVAILABLE
from tests.conftest import missing
from tests.support.servers import free_port, port_is_free

pytestmark = pytest.mark.system

CONF = PROJECT_ROOT / "deploy" / "k8s" / "action-gateway.conf"
SECRET_SESSION = "5b1c7c52-6c1e-4a39-9f0a-3f3f3f3f3f3f"


class FakeRasa(BaseHTTPRequestHandler):
    """Answers like Rasa would, echoing what it received, with the widget channel's own headers."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = (
            b"Hello from Rasa: 3.6.21"
            if self.path == "/"
            else json.dumps({"path": self.path, "proto": self.headers.get("X-Forwarded-Proto")}).encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@dataclass
class Proxy:
    """The running nginx: its three ports, its access log, and the stand-in for Rasa."""

    public: int
    health: int
    gateway: int
    access_log: Path
    rasa: ThreadingHTTPServer

    def get(self, port: int, path: str, body: bytes | None = None) -> tuple[int, Message, bytes]:
        """(status, headers, body) of one request, errors included."""
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST" if body else "GET")
        if body:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def _localised(conf: str, folder: Path, public: int, health: int, gateway: int, rasa: int, actions: int) -> str:
    """The configuration with free loopback ports and the folder instead of /tmp and the standard streams."""
    replacements = {
        "listen 8080;": f"listen 127.0.0.1:{public};",
        "listen 8081;": f"listen 127.0.0.1:{health};",
        "listen 127.0.0.1:5056;": f"listen 127.0.0.1:{gateway};",
        "127.0.0.1:5005": f"127.0.0.1:{rasa}",
        "spasticity-actions:5055": f"127.0.0.1:{actions}",
        "/tmp/": f"{folder}/",
        "access_log /dev/stdout public;": f"access_log {folder}/access.log public;",
        "error_log /dev/stderr warn;": f"error_log {folder}/error.log warn;",
    }
    for old, new in replacements.items():
        assert old in conf, old
        conf = conf.replace(old, new)
    return conf


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if not Path(NGINX).is_file():
        missing(f"nginx is not installed at {NGINX} (make {NGINX})")
    folder = tmp_path_factory.mktemp("k8s-proxy")
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    public, health, gateway, actions = free_port(), free_port(), free_port(), free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        _localised(CONF.read_text(encoding="utf-8"), folder, public, health, gateway, rasa.server_port, actions),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while port_is_free(public) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is not None:
        pytest.fail(f"nginx did not start: {process.stderr.read().decode() if process.stderr else ''}")
    found = Proxy(public, health, gateway, folder / "access.log", rasa)
    try:
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)
        found.rasa.shutdown()
        found.rasa.server_close()


def test_the_widget_demo_page_gets_its_csp_and_every_header_once(proxy: Proxy) -> None:
    status, headers, _ = proxy.get(proxy.public, "/webhooks/widget/")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"], "Rasa's copy is hidden, nginx's is sent once"
    assert headers.get_all("Referrer-Policy") == ["no-referrer"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["Server"] == "nginx", "no version"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/webhooks/rest/webhook", b'{"sender": "web:1", "message": "hi"}'),
        ("/webhooks/telegram/webhook", b"{}"),
        ("/webhooks/widget/static/widget.js", None),
        (f"/webhooks/widget/history?session_id={SECRET_SESSION}", None),
        ("/socket.io/?EIO=4&transport=polling", None),
    ],
)
def test_the_public_routes_reach_rasa_with_the_headers(proxy: Proxy, path: str, body: bytes | None) -> None:
    status, headers, answer = proxy.get(proxy.public, path, body)
    assert status == 200
    assert json.loads(answer) == {"path": path, "proto": "https"}
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "path", ["/", "/webhooks/editor/", "/webhooks/editor/api/load", "/conversations/x/tracker", "/model", "/version"]
)
def test_everything_else_is_404_with_the_headers(proxy: Proxy, path: str) -> None:
    status, headers, _ = proxy.get(proxy.public, path)
    assert status == 404
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["Server"] == "nginx"


def test_the_access_log_leaves_out_query_strings(proxy: Proxy) -> None:
    proxy.get(proxy.public, f"/webhooks/widget/history?session_id={SECRET_SESSION}")
    log = proxy.access_log.read_text(encoding="utf-8")
    assert "GET /webhooks/widget/history HTTP/1.1" in log
    assert SECRET_SESSION not in log
    assert log.startswith("127.0.0.0 [") and "127.0.0.1 [" not in log, "the address without its last part"


def test_the_gateway_answers_for_missing_action_servers(proxy: Proxy) -> None:
    status, _, answer = proxy.get(proxy.gateway, "/webhook", b'{"next_action": "action_answer"}')
    assert status == 200
    assert json.loads(answer) == {"events": [], "responses": [{"text": GATEWAY_UNAVAILABLE}]}


def test_the_health_server_answers_for_nginx_and_rasa_only(proxy: Proxy) -> None:
    assert proxy.get(proxy.health, "/healthz/nginx")[:1] == (200,)
    status, _, body = proxy.get(proxy.health, "/healthz/rasa")
    assert (status, body) == (200, b"Hello from Rasa: 3.6.21")
    assert proxy.get(proxy.health, "/webhooks/rest/webhook", b"{}")[0] == 404


def test_without_rasa_the_public_server_says_so_in_json(proxy: Proxy) -> None:
    port = proxy.rasa.server_port
    proxy.rasa.shutdown()
    proxy.rasa.server_close()
    try:
        status, headers, answer = proxy.get(proxy.public, "/webhooks/rest/webhook", b"{}")
    finally:  # Rasa comes back on its port, so the order of the tests does not matter
        proxy.rasa = ThreadingHTTPServer(("127.0.0.1", port), FakeRasa)
        threading.Thread(target=proxy.rasa.serve_forever, daemon=True).start()
    assert status == 503
    assert headers["Retry-After"] == "10" and headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert re.search("restarting or overloaded", json.loads(answer)["error"])
    assert proxy.get(proxy.public, "/webhooks/rest/webhook", b"{}")[0] == 200
