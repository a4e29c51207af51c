"""What the Telegram channel remembers between updates: which updates it has handled, and button payloads.

Telegram retries a webhook delivery it thinks failed, with the same `update_id`; answering it again would send
the person the same answer twice. Every update is therefore claimed once, in bounded memory (the most recent
ids) and, when `REDIS_URL` is set, also in Redis with `SET NX` and an expiry, so that a retry that reaches
another replica is recognised too.

A button's payload (`/ask_topic{"topic": "baclofen"}`, or a whole question) is sent back by Telegram as the
button's `callback_data`, which holds at most 64 bytes. Short payloads travel inside the button, signed so that
a modified client cannot make the bot run an intent it never offered; longer ones are kept here under a short
key (bounded memory, plus Redis with an expiry when configured). A key that has been forgotten is not an
error: the channel then falls back to the button's title.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import logging
from collections import OrderedDict
from typing import Any

logger = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit on callback_data
UPDATE_MEMORY = 10_000
PAYLOAD_MEMORY = 5_000
# Telegram gives up retrying an update after about a day; a button may be pressed weeks later.
UPDATE_TTL_S = 2 * 24 * 3600
PAYLOAD_TTL_S = 90 * 24 * 3600
REDIS_TIMEOUT_S = 1.0

_SIGNED = "p"
_STORED = "k"
_TAG_BYTES = 6  # 8 characters of base64: 48 bits, far beyond guessing through the Bot API
_KEY_BYTES = 12  # 16 characters of base64


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def derive_secret(token: str, purpose: str) -> bytes:
    """A secret for one purpose, derived from the bot token, so no extra setting is needed for it."""
    return hmac.new(token.encode(), f"spasticity-bot telegram {purpose}".encode(), hashlib.sha256).digest()


class BoundedMemory:
    """A least-recently-used map with a fixed capacity: memory stays bounded however long the process runs."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str) -> str | None:
        """The value, refreshed as recently used; None when unknown or evicted."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        """Stores a value, evicting the least recently used one when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def add(self, key: str) -> bool:
        """Adds a key; False when it was already there (a set with bounded memory)."""
        if key in self._items:
            self._items.move_to_end(key)
            return False
        self.put(key, "")
        return True


class TelegramState:
    """Claimed update ids and stored button payloads of one bot, in memory and optionally in Redis.

    Args:
        bot_id: the numeric part of the bot token; it namespaces the Redis keys.
        redis_url: Redis to share the state between replicas; None keeps it in this process only.
        update_memory: how many recent update ids are remembered in memory.
        payload_memory: how many long button payloads are remembered in memory.
    """

    def __init__(
        self,
        bot_id: int,
        redis_url: str | None = None,
        update_memory: int = UPDATE_MEMORY,
        payload_memory: int = PAYLOAD_MEMORY,
    ) -> None:
        self.prefix = f"spasticity:telegram:{bot_id}"
        self.redis_url = redis_url
        self._updates = BoundedMemory(update_memory)
        self._payloads = BoundedMemory(payload_memory)
        self._redis: Any = None
        self._redis_failed = False

    def _client(self) -> Any:
        """The Redis client, created on first use inside the server's event loop; None without Redis."""
        if not self.redis_url or self._redis_failed:
            return None
        if self._redis is None:
            # redis-py ships no type information; importing it by name keeps mypy's view of it as Any.
            redis_asyncio: Any = importlib.import_module("redis.asyncio")
            self._redis = redis_asyncio.from_url(
                self.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
        return self._redis

    def _redis_error(self, error: Exception) -> None:
        # Answering a retry twice is better than answering nobody: without Redis, memory still catches
        # retries that reach this replica. Warn once rather than on every update.
        if not self._redis_failed:
            logger.warning("Redis at %s is unavailable (%s); Telegram state stays in memory.", self.redis_url, error)
        self._redis_failed = True

    async def claim_update(self, update_id: int) -> bool:
        """True the first time an update id is seen (by this process, or by any replica sharing Redis)."""
        first_here = self._updates.add(str(update_id))
        client = self._client()
        if client is None:
            return first_here
        try:
            claimed = await client.set(f"{self.prefix}:update:{update_id}", "1", nx=True, ex=UPDATE_TTL_S)
        except Exception as error:  # redis.RedisError, OSError, timeouts: all mean "no shared state"
            self._redis_error(error)
            return first_here
        return bool(claimed) and first_here

    async def remember_payload(self, key: str, payload: str) -> None:
        """Keeps a long button payload under its key."""
        self._payloads.put(key, payload)
        client = self._client()
        if client is None:
            return
        try:
            await client.set(f"{self.prefix}:button:{key}", payload.encode("utf-8"), ex=PAYLOAD_TTL_S)
        except Exception as error:
            self._redis_error(error)

    async def recall_payload(self, key: str) -> str | None:
        """The payload kept under a key, or None when it was never stored or has been forgotten."""
        payload = self._payloads.get(key)
        if payload is not None:
            return payload
        client = self._client()
        if client is None:
            return None
        try:
            raw = await client.get(f"{self.prefix}:button:{key}")
        except Exception as error:
            self._redis_error(error)
            return None
        if raw is None:
            return None
        payload = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        self._payloads.put(key, payload)
        return payload

    async def close(self) -> None:
        """Closes the Redis connections, if any were opened."""
        if self._redis is not None:
            client, self._redis = self._redis, None
            try:
                await client.close()
                await client.connection_pool.disconnect()
            except Exception as error:  # closing a broken connection must not fail the shutdown
                logger.debug("Closing Redis: %s", error)


class ButtonCodec:
    """Turns a button payload into `callback_data` of at most 64 bytes, and back.

    `p<tag><payload>`: the payload itself with an 8-character HMAC tag, for payloads up to 55 bytes (every topic
    button). `k<key>`: a 16-character key of a payload kept in `TelegramState`, for longer ones.
    """

    def __init__(self, secret: bytes, state: TelegramState) -> None:
        self._secret = secret
        self.state = state

    def _tag(self, kind: str, payload: str) -> str:
        mac = hmac.new(self._secret, f"{kind}{payload}".encode(), hashlib.sha256).digest()
        return _b64(mac[:_TAG_BYTES])

    async def encode(self, payload: str) -> str:
        """The callback_data for a payload."""
        signed = f"{_SIGNED}{self._tag(_SIGNED, payload)}{payload}"
        if len(signed.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            return signed
        key = _b64(hmac.new(self._secret, f"{_STORED}{payload}".encode(), hashlib.sha256).digest()[:_KEY_BYTES])
        await self.state.remember_payload(key, payload)
        return f"{_STORED}{key}"

    async def decode(self, data: str) -> str | None:
        """The payload behind callback_data; None if it is forged, malformed or forgotten."""
        tag_length = len(_b64(bytes(_TAG_BYTES)))
        if data.startswith(_SIGNED) and len(data) > 1 + tag_length:
            tag, payload = data[1 : 1 + tag_length], data[1 + tag_length :]
            expected = self._tag(_SIGNED, payload).encode()
            return payload if hmac.compare_digest(tag.encode(), expected) else None
        if data.startswith(_STORED) and len(data) == 1 + len(_b64(bytes(_KEY_BYTES))):
            return await self.state.recall_payload(data[1:])
        return None
