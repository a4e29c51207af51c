"""A local stand-in for the Telegram Bot API: records every request and answers as Telegram does.

The Telegram channel's tests point the real aiogram client at this server (`TELEGRAM_API_URL`), so what is
asserted is exactly what would go over the wire to Telegram: the method, the path and the form or JSON body.
It checks what Telegram checks and fails the same way, so a test cannot pass with a request Telegram would
refuse: a token in the path it does not know (401), a message over 4096 characters after entity parsing or
with HTML Telegram cannot parse (400), a button's callback_data over 64 bytes (400).

Use it inside an event loop (`async with FakeTelegram() as api`) or from synchronous code in a thread of its
own (`with FakeTelegram().running() as api`), e.g. when the bot under test is a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler"}
DEFAULT_TOKEN = "123456789:AAEfakeTokenForTests_abcdefghijklmnop"


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    http_method: str
    content_type: str
    body: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The request as plain JSON (for the saved request log)."""
        return {
            "method": self.method,
            "path": self.path,
            "http_method": self.http_method,
            "content_type": self.content_type,
            "body": self.body,
        }


class _TelegramHtml(HTMLParser):
    """Reads Telegram HTML as Telegram does: allowed tags only, properly nested; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        if tag == "a" and not dict(attrs).get("href"):
            self.error = self.error or "a link without href"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(html_text: str) -> tuple[str, str | None]:
    """The text Telegram shows for an HTML message, and the parse error Telegram would give (or None)."""
    parser = _TelegramHtml()
    parser.feed(html_text)
    parser.close()
    error = parser.error or (
        f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"' if parser.stack else None
    )
    return "".join(parser.text), error


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Failure:
    """An error the fake answers to the next call of a method (e.g. a 429 with retry_after)."""

    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    """The fake Bot API server on 127.0.0.1 (a free port unless given).

    Attributes:
        token: the only bot token it accepts.
        requests: every request received, in order.
        failures: errors to answer instead, per method, consumed one at a time.
    """

    token: str = DEFAULT_TOKEN
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The base URL to give the client (`TELEGRAM_API_URL`)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def bot_id(self) -> int:
        """The bot's user id (the digits before the colon of the token)."""
        return int(self.token.split(":", 1)[0])

    def calls(self, method: str | None = None) -> list[Recorded]:
        """The requests so far, optionally only those of one Bot API method."""
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def clear(self) -> None:
        """Forgets the recorded requests."""
        with self._lock:
            self.requests.clear()

    def fail_next(self, method: str, failure: Failure) -> None:
        """Answers the next call of `method` with an error instead of success."""
        with self._lock:
            self.failures.setdefault(method, []).append(failure)

    def log(self) -> list[dict[str, Any]]:
        """The request log as JSON."""
        return [r.as_json() for r in self.calls()]

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeTelegram]:
        """Serves from a thread with its own event loop, for tests whose client is another process."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        stopping: asyncio.Event | None = None

        async def serve() -> None:
            nonlocal stopping
            stopping = asyncio.Event()
            async with self:
                started.set()
                await stopping.wait()

        thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError("the fake Telegram server did not start")
        try:
            yield self
        finally:
            assert stopping is not None
            loop.call_soon_threadsafe(stopping.set)
            thread.join(10)
            loop.close()

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        """Waits (from synchronous code) until `count` calls of `method` have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.05)
        raise AssertionError(f"expected {count} {method} call(s) within {timeout} s, got {self.calls(method)}")

    # -- the Bot API ---------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
        else:
            form = await request.post()
            body = {k: v if isinstance(v, str) else f"<file {getattr(v, 'filename', '')}>" for k, v in form.items()}
        record = Recorded(method, request.path, request.method, request.content_type, dict(body))
        with self._lock:
            self.requests.append(record)
            queued = self.failures.get(method) or []
            failure = queued.pop(0) if queued else None
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        if failure is not None:
            return self._error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return self._error(404, "Not Found")
        try:
            return self._ok(handler(record.body))
        except _BadRequest as error:
            return self._error(400, f"Bad Request: {error}")

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        return web.json_response(payload, status=status)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Spasticity bot", "username": "spasticity_test_bot"}

    def _api_getme(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    def _api_sendmessage(self, body: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(body.get("chat_id", ""))
        if not chat_id.lstrip("-").isdigit():
            raise _BadRequest("chat not found")
        text = str(body.get("text", ""))
        if body.get("parse_mode") == "HTML":
            text, error = visible_text(text)
            if error:
                raise _BadRequest(f"can't parse entities: {error}")
        if not text.strip():
            raise _BadRequest("message text is empty")
        if telegram_length(text) > TEXT_LIMIT:
            raise _BadRequest("message is too long")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "chat": {"id": int(chat_id), "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if body.get("reply_markup"):
            markup = json.loads(body["reply_markup"])
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                        raise _BadRequest("BUTTON_DATA_INVALID")
            message["reply_markup"] = markup
        return message

    def _api_answercallbackquery(self, body: dict[str, Any]) -> bool:
        if not body.get("callback_query_id"):
            raise _BadRequest("query is too old and response timeout expired or query ID is invalid")
        return True

    def _api_setwebhook(self, body: dict[str, Any]) -> bool:
        secret = body.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256 and all(ch.isalnum() or ch in "_-" for ch in secret)):
            raise _BadRequest("secret token contains unallowed characters")
        if not body.get("url"):
            raise _BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        return True

    def _api_setmycommands(self, body: dict[str, Any]) -> bool:
        json.loads(body.get("commands", "[]"))
        return True

    def _api_getwebhookinfo(self, body: dict[str, Any]) -> dict[str, Any]:
        hooks = [r.body for r in self.calls("setWebhook")]
        url = hooks[-1].get("url", "") if hooks else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}


class _BadRequest(Exception):
    """A request Telegram would answer with 400."""
