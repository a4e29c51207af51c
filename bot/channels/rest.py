"""Rasa's REST channel with its doors closed: an integrator API with its own namespace, bounded and rate-limited.

The stock `RestInput` answers 200 to malformed JSON or a missing message, reads bodies of any size (up to
Sanic's 100 MB), lets anyone make any number of requests for one conversation, and lets the client name
the input channel, which would let a patient pose as the editors' channel. This channel keeps the same
URL (`POST /webhooks/rest/webhook`, because `name()` is still "rest") and the same replies, and instead:

- answers 400 with a JSON error for a body that is not UTF-8 JSON, not an object, or whose `sender` or
  `message` is missing, of the wrong type, empty or too long (`metadata` must be an object if present);
- answers 413 once the body passes `REST_MAX_BODY_BYTES`, without reading the rest into memory;
- answers 429 with `Retry-After` when one conversation exceeds `REST_RATE_PER_MINUTE` (a token bucket that
  allows `REST_RATE_BURST` at once) or has `REST_MAX_IN_FLIGHT` requests in progress;
- always records the message as coming from "rest", whatever the client says;
- keeps every conversation in the REST namespace, `rest:<integrator>:<sender>` (`bot.channels.conversation_ids`):
  whatever `sender` a client sends, it can never name a Telegram chat, a widget session, an editor's
  conversation or another integrator's; replies still carry the client's own `sender` as `recipient_id`,
  which integrators match replies on;
- answers 401 unless the request carries an integrator's API key (`Authorization: Bearer <key>`, from
  `REST_API_KEYS`) or is local, made on the bot's own machine with no keys configured (`bot.channels.rest_auth`);
- answers each bot message as one item, `{"recipient_id", "text", "buttons", "reply"}`: `text` is the plain text
  rendered from the reply data (`bot.replies.reply_text`), the same text as the stock channel's, and `reply`
  is the data itself (`ReplyCollector`). Reply data without its disclaimer is never passed on: the safe
  fallback goes instead.

Streaming replies (`?stream=true`) are not offered.

The limits are per process: with several Rasa replicas behind a load balancer each replica counts alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.conversation_ids import rest_key
from bot.channels.rest_auth import ApiKeyError, Integrators, is_loopback, parse_api_keys
from bot.client_limits import retry_after_seconds
from bot.config import get_settings
from bot.replies import REPLY_KEY, checked, reply_text
from bot.text import RECEIVED, normalise

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
# A JSON body nested deeper than this is refused before Python's recursion limit is anywhere near.
MAX_JSON_DEPTH = 32
# How many senders' buckets are remembered; the oldest idle ones are forgotten first (bounded memory).
MAX_TRACKED_SENDERS = 50_000
REALM = 'Bearer realm="Spasticity bot REST API"'


class BadRequest(ValueError):
    """The request cannot be handled as sent; the message says what to fix."""


@dataclass(frozen=True)
class IncomingMessage:
    """A validated REST message."""

    sender: str
    text: str
    metadata: dict[str, Any] | None


def _depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (strings skipped), to refuse pathological bodies cheaply."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_message(body: bytes) -> IncomingMessage:
    """Validates a REST request body.

    Raises:
        BadRequest: with a message that names the field and what is wrong with it.
    """
    if not body.strip():
        raise BadRequest('The body is empty; send JSON like {"sender": "me", "message": "hello"}.')
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    if _depth(text) > MAX_JSON_DEPTH:
        raise BadRequest(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise BadRequest('The body must be a JSON object like {"sender": "me", "message": "hello"}.')
    sender, message, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if sender is None:
        raise BadRequest('"sender" is missing: give the conversation id as a string.')
    if not isinstance(sender, str):
        raise BadRequest(f'"sender" must be a string, not {type(sender).__name__}.')
    sender = normalise(sender, RECEIVED).strip()
    if not sender:
        raise BadRequest('"sender" is empty.')
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f'"sender" is longer than {MAX_SENDER_CHARS} characters.')
    if message is None:
        raise BadRequest('"message" is missing: give the text the person typed as a string.')
    if not isinstance(message, str):
        raise BadRequest(f'"message" must be a string, not {type(message).__name__}.')
    message = normalise(message, RECEIVED)
    if not message.strip():
        raise BadRequest('"message" is empty.')
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(f'"metadata" must be a JSON object, not {type(metadata).__name__}.')
    for name, value in (("sender", sender), ("message", message)):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate such as "\ud800" decodes but cannot be stored
            raise BadRequest(f'"{name}" holds an invalid character (a lone surrogate).') from exc
    return IncomingMessage(sender, message, metadata)


@dataclass
class _Bucket:
    tokens: float
    updated: float
    in_flight: int = 0


class SenderLimiter:
    """Per-sender token bucket plus a cap on requests in progress (one event loop, so no locking)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_in_flight: int,
        max_senders: int = MAX_TRACKED_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Creates the limiter.

        Args:
            per_minute: sustained messages per minute per sender; 0 or less turns the rate limit off.
            burst: messages a sender may send at once (the bucket's size).
            max_in_flight: requests per sender in progress at once; 0 or less turns this cap off.
            max_senders: how many senders to remember.
            clock: seconds, monotonic (injected by tests).
        """
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.max_in_flight = max_in_flight
        self.max_senders = max_senders
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, sender: str) -> float | None:
        """Admits one request, or returns how many seconds the sender should wait."""
        now = self.clock()
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = _Bucket(float(self.burst), now)
            self._forget_idle()
        else:
            self._buckets.move_to_end(sender)
        if self.rate > 0:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if 0 < self.max_in_flight <= bucket.in_flight:
            return 1.0
        if self.rate > 0:
            if bucket.tokens < 1.0:
                return (1.0 - bucket.tokens) / self.rate
            bucket.tokens -= 1.0
        bucket.in_flight += 1
        return None

    def release(self, sender: str) -> None:
        """Marks one admitted request of the sender as finished."""
        bucket = self._buckets.get(sender)
        if bucket is not None and bucket.in_flight > 0:
            bucket.in_flight -= 1

    def _forget_idle(self) -> None:
        """Forgets the least recently seen idle senders beyond `max_senders`."""
        while len(self._buckets) > self.max_senders:
            oldest, bucket = next(iter(self._buckets.items()))
            if bucket.in_flight:
                self._buckets.move_to_end(oldest)  # busy: keep it, look at the next one once
                if next(iter(self._buckets.values())).in_flight:
                    return
                continue
            del self._buckets[oldest]

    def __len__(self) -> int:
        return len(self._buckets)


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A JSON error in the same shape for every refusal."""
    return response.json({"error": code, "message": message}, status=status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """Reads a streamed request body, stopping as soon as it passes `limit` bytes.

    Raises:
        PayloadTooLarge: the declared or actual body is larger than `limit`.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("body too large")
    stream = request.stream
    if stream is None:  # not a streaming route: Sanic has read it already
        body = request.body or b""
        if len(body) > limit:
            raise PayloadTooLarge("body too large")
        return bytes(body)
    # Sanic enforces this while reading, and after the handler it discards at most this much more.
    stream.request_max_size = limit
    chunks = bytearray()
    while True:
        chunk = await stream.read()
        if chunk is None:
            return bytes(chunks)
        chunks += chunk
        if len(chunks) > limit:
            raise PayloadTooLarge("body too large")


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's messages; a structured reply becomes one message with its text and its data.

    Rasa's collector would store the text and any custom JSON of one reply as two messages; here they stay
    together, and the text is rendered from the reply data, so it cannot differ from what the data says.
    """

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """One collected message per structured reply; plain messages as Rasa collects them."""
        reply = checked(message)
        if reply is None:
            await super().send_response(recipient_id, message)
            return
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        collected = self._message(
            recipient_id, text=reply_text(reply), buttons=buttons or None, custom=message.get("custom") or None
        )
        collected[REPLY_KEY] = reply.as_json()
        await self._persist_message(collected)


class BoundedRestInput(InputChannel):
    """The REST channel with API keys, its own namespace, validation, a body limit and per-conversation limits.

    Built on `InputChannel`, not on Rasa's `RestInput`: its own webhook replaces all of `RestInput`'s, so
    nothing of Rasa's REST channel (its private `_extract_input_channel`, which takes the client's word for
    the channel) is inherited or overridden. See the module docstring for what it refuses and why.
    """

    def __init__(
        self,
        max_body_bytes: int = 16_384,
        per_minute: float = 300.0,
        burst: int = 100,
        max_in_flight: int = 8,
        api_keys: Mapping[str, str] | None = None,
        public: bool = False,
    ) -> None:
        """Creates the channel; `from_credentials` fills the values from the settings.

        Args:
            max_body_bytes: largest body accepted.
            per_minute: sustained messages per minute per conversation.
            burst: messages a conversation may send at once.
            max_in_flight: requests per conversation in progress at once.
            api_keys: integrator name -> API key; with any, every request needs one.
            public: the server listens beyond loopback (`BOT_HOST`), so no request is served without a key.
        """
        self.max_body_bytes = max_body_bytes
        self.limiter = SenderLimiter(per_minute, burst, max_in_flight)
        self.integrators = Integrators(api_keys, public)

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's REST channel, so the URL stays /webhooks/rest/webhook."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> BoundedRestInput:
        """Limits and keys from the environment (bot/config.py); credentials.yml may override each limit.

        Raises:
            RasaException: `REST_API_KEYS` is malformed; `rasa run` stops and prints why.
        """
        from rasa.shared.exceptions import RasaException

        settings = get_settings()
        given = credentials or {}
        try:
            keys = parse_api_keys(settings.rest_api_keys)
        except ApiKeyError as error:
            raise RasaException(f"REST channel: {error}") from error
        public = not is_loopback(settings.host)
        if keys:
            logger.info("REST channel: API keys for %s.", ", ".join(sorted(keys)))
        elif public:
            logger.error(
                "REST channel: BOT_HOST=%s and REST_API_KEYS is not set, so every REST request is refused (401).",
                settings.host,
            )
        return cls(
            max_body_bytes=int(given.get("max_body_bytes", settings.rest_max_body_bytes)),
            per_minute=float(given.get("rate_per_minute", settings.rest_rate_per_minute)),
            burst=int(given.get("rate_burst", settings.rest_rate_burst)),
            max_in_flight=int(given.get("max_in_flight", settings.rest_max_in_flight)),
            api_keys=keys,
            public=public,
        )

    def _unauthorised(self) -> HTTPResponse:
        if self.integrators.keyed:
            why = "Send your API key as 'Authorization: Bearer <key>'."
        else:
            why = (
                "This REST API answers only requests made on the bot's own machine unless the operator sets "
                "REST_API_KEYS; then send your key as 'Authorization: Bearer <key>'."
            )
        return error(401, "unauthorised", why, headers={"WWW-Authenticate": REALM})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The health route and the bounded webhook."""
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            integrator = self.integrators.of(request)
            if integrator is None:
                return self._unauthorised()
            try:
                message = parse_message(await read_body(request, self.max_body_bytes))
            except PayloadTooLarge:
                return error(413, "payload_too_large", f"The body is larger than {self.max_body_bytes} bytes.")
            except BadRequest as exc:
                return error(400, "bad_request", str(exc))
            key = rest_key(integrator, message.sender)
            wait = self.limiter.acquire(key)
            if wait is not None:
                seconds = retry_after_seconds(wait)
                return error(
                    429,
                    "rate_limited",
                    f"Too many messages for this conversation; try again in {seconds} s.",
                    headers={"Retry-After": str(seconds)},
                )
            collector = ReplyCollector()
            try:
                await on_new_message(
                    UserMessage(message.text, collector, key, input_channel=self.name(), metadata=message.metadata)
                )
            except asyncio.CancelledError:  # as the stock channel: answer with what was collected
                logger.error("A REST message timed out before it was answered")
            except Exception:
                logger.exception("A REST message could not be handled")
            finally:
                self.limiter.release(key)
            # The client's own id, not the key: integrators match replies on the sender they sent.
            return response.json([{**m, "recipient_id": message.sender} for m in collector.messages])

        return webhook
