"""A Redis lock store whose tickets are issued, served and released atomically across Rasa replicas.

**What.** `AtomicRedisLockStore` replaces Rasa 3.6's `RedisLockStore` (rasa/core/lock_store.py) in the scaled
setup. It implements `lock()`, the only method Rasa's message handling calls (`Agent.handle_message`,
`MessageProcessor`, the HTTP API's tracker routes), from scratch; `get_lock` and `delete_lock` work;
`save_lock` and `issue_ticket` refuse with `NotImplementedError`, because writing a whole lock back is the race
this store removes. **Why** and how: below. **Measured.** `python -m bench.lock_race` (two replicas hammering
one conversation): Rasa's store lets both in at once and loses updates, this one never overlaps nor loses one
(tests/test_lock_store.py, on the local Redis); 10,000 messages over 2 replicas stored none lost, duplicated or
out of order (deploy/README.md, "Under load"). Contract: `tests/test_rasa_patches.py::test_lock_store_*` (Rasa
still calls only `lock()`, with the same signature, and its own store still changes a lock by reading and
writing it back whole).

Rasa keeps one conversation's messages in order with a ticket lock: each message takes a ticket and waits
until it is served. Rasa 3.6's `RedisLockStore` keeps the whole lock as one JSON value and changes it in
Python (read, modify, write back). Two replicas that handle the same conversation at the same moment can read
the same value, both be issued the same ticket, or one can delete the lock while the other is queued in it
(RasaHQ/rasa#11256; the fix ships only in Rasa Pro). Both then process the conversation at once and the
tracker store loses or interleaves events.

Here every change of a lock is one Lua script that Redis runs atomically (`lock_scripts.py`), on three keys
per conversation:

* `<prefix>{<conversation>}:next`: the ticket counter (`INCR`, so no two messages share a number);
* `<prefix>{<conversation>}:queue`: a sorted set of the live tickets, by number;
* `<prefix>{<conversation>}:lease`: a hash of ticket -> lease end, on Redis's own clock (so the replicas'
  clocks do not matter).

The lowest live ticket is served. Leases stand in for Rasa's fixed ticket lifetime: a waiting or serving
replica renews its ticket's lease while it is alive, so a slow action never lets the next message in early,
and a replica that dies stops renewing, so its ticket lapses after one lease (`TICKET_LOCK_LIFETIME`, 60 s by
default) and the queue moves on. The `{...}` hash tag keeps one conversation's keys on one Redis Cluster slot.

When Redis cannot be reached the store does not refuse the message, because a patient asking about an
emergency must still get an answer: it serialises the conversation within this replica with an in-process
lock, logs the outage once, and returns to Redis as soon as it answers again.

Configure it in the endpoints file (see `deploy/endpoints.scaled.yml`):

    lock_store:
      type: bot.rasa_patches.lock_store.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/1
      key_prefix: spasticity
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis  # type: ignore[import-untyped,unused-ignore]  # redis 4.6 ships no type hints
import redis.asyncio  # type: ignore[import-untyped,unused-ignore]
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from redis.exceptions import ConnectionError as RedisConnectionError  # type: ignore[import-untyped,unused-ignore]
from redis.exceptions import RedisError  # type: ignore[import-untyped,unused-ignore]

from bot.rasa_patches.lock_scripts import ISSUE, RELEASE, TRY_ACQUIRE

logger = logging.getLogger(__name__)

DEFAULT_URL = "redis://127.0.0.1:6379/1"
DEFAULT_KEY_PREFIX = "lock"
SOCKET_TIMEOUT_S = 2.0
FIRST_POLL_S = 0.002
NEXT_POLL_S = 0.01
MAX_POLL_S = 0.05


@dataclass(frozen=True)
class _Ticket:
    """A ticket's number and the key of the request that was issued it (so a retried issue is not a second)."""

    number: int
    request_key: str


class _LocalLocks:
    """In-process locks per conversation, for when Redis is unreachable; unused ones are forgotten."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


def _closed_transport(error: RuntimeError) -> bool:
    """Whether uvloop refused a write because the connection's transport is closed (a dead connection)."""
    return "unable to perform operation on" in str(error) and "closed=True" in str(error)


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis, changed only by atomic scripts: safe with any number of Rasa replicas."""

    def __init__(
        self,
        endpoint_config: Any = None,
        *,
        url: str | None = None,
        key_prefix: str | None = None,
        client_factory: Callable[[], redis.asyncio.Redis] | None = None,
    ) -> None:
        """Creates the store; Redis is first contacted by the first message, not here.

        Args:
            endpoint_config: Rasa's `lock_store` section of the endpoints file (`url`: a `redis://` URL,
                `key_prefix`: a prefix for every key, so several bots can share one Redis).
            url: the Redis URL, when the store is built in code (overrides the endpoint config).
            key_prefix: the key prefix, when the store is built in code.
            client_factory: builds the asyncio Redis client (tests pass one that points elsewhere).
        """
        super().__init__()
        kwargs: dict[str, Any] = dict(getattr(endpoint_config, "kwargs", None) or {})
        self.url = url or (getattr(endpoint_config, "url", None) or "").strip() or DEFAULT_URL
        if not self.url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"The lock store url must be a redis:// URL, got {self.url!r}")
        prefix = key_prefix if key_prefix is not None else str(kwargs.get("key_prefix") or DEFAULT_KEY_PREFIX)
        self.key_prefix = prefix.rstrip(":") + ":"
        self._client_factory = client_factory or self._default_client
        self._client: redis.asyncio.Redis | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._sync_client: redis.Redis | None = None
        self._local = _LocalLocks()
        self._unreleased: list[tuple[str, _Ticket]] = []
        self._degraded = False

    def _default_client(self) -> redis.asyncio.Redis:
        return redis.asyncio.Redis.from_url(
            self.url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S
        )

    # -- Redis access ------------------------------------------------------------------------------

    def keys_for(self, conversation_id: str) -> list[str]:
        """The counter, queue and lease keys of one conversation (one hash tag, so one cluster slot)."""
        base = f"{self.key_prefix}{{{conversation_id}}}"
        return [f"{base}:next", f"{base}:queue", f"{base}:lease"]

    def _script(self, name: str) -> Any:
        """The registered script on the client of the running event loop (Sanic runs one loop per worker)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = self._client_factory()
            self._client_loop = loop
            self._scripts = {
                "issue": self._client.register_script(ISSUE),
                "try": self._client.register_script(TRY_ACQUIRE),
                "release": self._client.register_script(RELEASE),
            }
        return self._scripts[name]

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Runs one script; a connection that breaks is retried once, on a fresh connection.

        Every connection in the pool dies with an outage, and the pool notices only when it uses one: without
        this, the first few messages after Redis is back would each meet a dead connection, fall back to the
        replica's local lock, and two replicas could interleave one conversation. The scripts are safe to run
        twice (issuing is keyed by the request, trying and releasing are idempotent). A timeout is not a
        `ConnectionError` in redis-py and is not retried: Redis is really away, and the message must not wait
        twice as long. Under uvloop (Sanic's loop) a write to a connection the outage closed raises
        `RuntimeError("unable to perform operation on <TCPTransport closed=True ...>")`, which redis-py passes on
        as it is: it is the same dead connection, so it is retried the same way and, if it happens again, raised
        as a `ConnectionError` that the lock's fall-back handles (seen in
        tests/test_lock_store.py::test_after_an_outage_every_pooled_connection_is_replaced_before_a_lock_falls_back
        on a busy machine).
        """
        script = self._script(name)
        try:
            return await script(keys=keys, args=args)
        except (RedisConnectionError, RuntimeError) as error:
            if isinstance(error, RuntimeError) and not _closed_transport(error):
                raise
            assert self._client is not None
            await self._client.connection_pool.disconnect(inuse_connections=False)
            try:
                return await script(keys=keys, args=args)
            except RuntimeError as again:
                if not _closed_transport(again):
                    raise
                raise RedisConnectionError(str(again)) from again

    async def _issue(self, conversation_id: str, lease_ms: int) -> _Ticket:
        request_key = f"{self.key_prefix}{{{conversation_id}}}:issued:{uuid.uuid4().hex}"
        number = int(await self._run("issue", [*self.keys_for(conversation_id), request_key], [lease_ms]))
        return _Ticket(number, request_key)

    async def _try(self, conversation_id: str, ticket: int, lease_ms: int) -> int:
        return int(await self._run("try", self.keys_for(conversation_id), [ticket, lease_ms]))

    async def _release(self, conversation_id: str, ticket: _Ticket) -> None:
        await self._run("release", [*self.keys_for(conversation_id), ticket.request_key], [ticket.number])

    async def _flush_unreleased(self) -> None:
        """Releases tickets whose release failed during an outage, so their conversations do not wait."""
        while self._unreleased:
            conversation_id, ticket = self._unreleased[0]
            await self._release(conversation_id, ticket)
            self._unreleased.pop(0)

    def _outage(self, error: Exception, conversation_id: str) -> None:
        if not self._degraded:
            logger.error(
                "The Redis lock store at %s is unreachable (%s: %s). Until it answers again, each replica "
                "serialises conversations on its own, so two replicas may interleave one conversation.",
                redis.connection.parse_url(self.url).get("host", self.url),
                error.__class__.__name__,
                error,
            )
        self._degraded = True
        logger.debug("Local lock for conversation '%s'.", conversation_id)

    def _recovered(self) -> None:
        if self._degraded:
            logger.warning("The Redis lock store answers again: conversations are serialised across replicas.")
        self._degraded = False

    # -- the lock ------------------------------------------------------------------------------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock across all replicas while the block runs.

        Args:
            conversation_id: the conversation (Rasa's sender id).
            lock_lifetime: the lease in seconds: how long a ticket outlives a replica that stopped renewing it.
            wait_time_in_seconds: Rasa's polling interval; ignored, because polling every second would add up to
                a second to every queued message. The next in line polls every 2 to 10 ms.

        Raises:
            LockError: when this message's ticket lapsed while it waited (its replica stalled for a whole lease).
        """
        del wait_time_in_seconds
        lease_ms = max(1000, int(lock_lifetime * 1000))
        ticket: _Ticket | None = None
        try:
            await self._flush_unreleased()
            ticket = await self._issue(conversation_id, lease_ms)
            served = await self._wait_for(conversation_id, ticket.number, lease_ms)
        except RedisError as error:
            self._outage(error, conversation_id)
            served = False
        except BaseException:  # cancelled or lapsed while waiting: give the place in the queue back at once
            if ticket is not None:
                await self._release_or_remember(conversation_id, ticket)
            raise
        if not served:  # Redis is unreachable: keep the conversation in order within this replica at least
            try:
                async with self._local.hold(conversation_id):
                    yield TicketLock(conversation_id)
            finally:
                if ticket is not None:
                    await self._release_or_remember(conversation_id, ticket)
            return
        assert ticket is not None
        self._recovered()
        renewal = asyncio.ensure_future(self._renew(conversation_id, ticket.number, lease_ms))
        try:
            yield TicketLock(conversation_id, deque([Ticket(ticket.number, time.time() + lock_lifetime)]))
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            await self._release_or_remember(conversation_id, ticket)

    async def _release_or_remember(self, conversation_id: str, ticket: _Ticket) -> None:
        """Releases the ticket even if the request is being cancelled; during an outage, retries later."""
        try:
            await asyncio.shield(self._release(conversation_id, ticket))
        except RedisError as error:
            logger.warning(
                "Could not release ticket %d of '%s' (%s); will retry.", ticket.number, conversation_id, error
            )
            self._unreleased.append((conversation_id, ticket))

    async def _wait_for(self, conversation_id: str, ticket: int, lease_ms: int) -> bool:
        """Waits until the ticket is served; False if Redis became unreachable meanwhile.

        The next in line polls every few milliseconds so the hand-over is quick; tickets further back poll
        less often, so a long queue does not flood Redis.
        """
        delay = FIRST_POLL_S
        while True:
            try:
                ahead = await self._try(conversation_id, ticket, lease_ms)
            except RedisError as error:
                self._outage(error, conversation_id)
                return False
            if ahead == 0:
                return True
            if ahead < 0:
                raise LockError(f"The lock ticket of conversation '{conversation_id}' lapsed while waiting.")
            delay = min(NEXT_POLL_S, delay * 1.5) if ahead == 1 else min(MAX_POLL_S, NEXT_POLL_S * ahead)
            await asyncio.sleep(delay)

    async def _renew(self, conversation_id: str, ticket: int, lease_ms: int) -> None:
        """Renews the served ticket's lease every third of a lease while the message is being handled."""
        while True:
            await asyncio.sleep(lease_ms / 3000)
            try:
                if await self._try(conversation_id, ticket, lease_ms) != 0:
                    logger.error("The lock of '%s' lapsed while held (stalled a whole lease).", conversation_id)
                    return
            except RedisError as error:
                logger.debug("Could not renew the lock of '%s': %s", conversation_id, error)

    # -- Rasa's synchronous interface, for inspection ------------------------------------------------

    def _sync(self) -> redis.Redis:
        if self._sync_client is None:
            self._sync_client = redis.Redis.from_url(
                self.url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S
            )
        return self._sync_client

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """A snapshot of the conversation's live tickets (Rasa's view), or None when there is no lock."""
        _, queue, lease = self.keys_for(conversation_id)
        client = self._sync()
        numbers = [int(n) for n in client.zrange(queue, 0, -1)]
        if not numbers:
            return None
        leases = {int(k): int(v) for k, v in client.hgetall(lease).items()}
        tickets = deque(Ticket(n, leases.get(n, 0) / 1000) for n in numbers)
        return TicketLock(conversation_id, tickets)

    def delete_lock(self, conversation_id: str) -> None:
        """Removes the conversation's lock and counter (an operator's reset; waiting messages then fail)."""
        self._log_deletion(conversation_id, bool(self._sync().delete(*self.keys_for(conversation_id))))

    def save_lock(self, lock: TicketLock) -> None:
        """Not supported: writing a whole lock back is exactly the race this store exists to avoid."""
        raise NotImplementedError("AtomicRedisLockStore changes locks only through its atomic scripts; use lock().")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Not supported synchronously: tickets are issued inside `lock()`, which also releases them."""
        raise NotImplementedError("AtomicRedisLockStore issues tickets inside lock(); use `async with lock()`.")
