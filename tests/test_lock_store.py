"""The race-free lock store: hermetic checks, then the real Redis with two "replicas" hammering one lock.

A replica here is a thread with its own event loop and its own lock store instance, hence its own Redis
connections: exactly what two Rasa servers are to Redis. The critical section is a deliberately racy
read-sleep-write counter plus an "inside" gauge, so any overlap or lost update shows. The hammer lives in
`bench/lock_race.py`, which also runs it against Rasa's stock `RedisLockStore` as evidence of
RasaHQ/rasa#11256 (a race shows only by chance, so that evidence is a benchmark's figure, not a test).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator

import pytest
import redis  # type: ignore[import-untyped,unused-ignore]
import redis.asyncio  # type: ignore[import-untyped,unused-ignore]
from rasa.utils.endpoints import EndpointConfig

from bench.lock_race import hammer
from bot.rasa_patches.lock_store import AtomicRedisLockStore
from tests.conftest import _service_missing
from tests.support.fault_proxy import FaultProxy
from tests.support.servers import free_port

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 1
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


# -- hermetic --------------------------------------------------------------------------------------

CLOSED = RuntimeError(
    "unable to perform operation on <TCPTransport closed=True reading=False 0x55>; the handler is closed"
)


class _Pool:
    def __init__(self) -> None:
        self.disconnects = 0

    async def disconnect(self, inuse_connections: bool = True) -> None:
        self.disconnects += 1


@pytest.mark.parametrize(
    ("failures", "outcome"),
    [
        ([CLOSED], "ok"),  # uvloop's word for a dead pooled connection: retried on a fresh one
        ([redis.exceptions.ConnectionError("reset")], "ok"),
        ([CLOSED, CLOSED], "connection error"),  # still dead: the lock's fall-back handles a ConnectionError
        ([RuntimeError("something else")], "runtime error"),  # not a dead connection: not hidden
    ],
)
def test_a_dead_connection_is_retried_once_whatever_the_event_loop_calls_it(
    failures: list[Exception], outcome: str
) -> None:
    store = AtomicRedisLockStore()
    pool = _Pool()
    store._client = type("Client", (), {"connection_pool": pool})()
    calls = list(failures)

    async def script(keys: list[str], args: list[object]) -> int:
        if calls:
            raise calls.pop(0)
        return 7

    store._script = lambda name: script  # type: ignore[method-assign]
    if outcome == "ok":
        assert asyncio.run(store._run("try", ["k"], [1])) == 7
        assert pool.disconnects == 1
    elif outcome == "connection error":
        with pytest.raises(redis.exceptions.ConnectionError):
            asyncio.run(store._run("try", ["k"], [1]))
    else:
        with pytest.raises(RuntimeError, match="something else"):
            asyncio.run(store._run("try", ["k"], [1]))
        assert pool.disconnects == 0


def test_endpoint_config_is_read_like_rasa_passes_it() -> None:
    config = EndpointConfig(url="redis://example:6380/3", key_prefix="bot7", type="bot.rasa_patches.lock_store.X")
    store = AtomicRedisLockStore(config)
    assert store.url == "redis://example:6380/3"
    assert store.key_prefix == "bot7:"


def test_defaults_when_the_endpoint_gives_nothing() -> None:
    store = AtomicRedisLockStore(EndpointConfig(url=""))
    assert store.url == "redis://127.0.0.1:6379/1"
    assert store.key_prefix == "lock:"


def test_a_url_that_is_not_redis_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="must be a redis:// URL"):
        AtomicRedisLockStore(EndpointConfig(url="127.0.0.1:6379"))


def test_one_conversation_keys_share_a_cluster_hash_tag() -> None:
    keys = AtomicRedisLockStore(key_prefix="p").keys_for("we{ird}id")
    assert keys == ["p:{we{ird}id}:next", "p:{we{ird}id}:queue", "p:{we{ird}id}:lease"]
    tags = {k[k.index("{") + 1 : k.index("}")] for k in keys}
    assert len(tags) == 1


def test_writing_a_whole_lock_back_is_refused() -> None:
    store = AtomicRedisLockStore()
    with pytest.raises(NotImplementedError, match="atomic scripts"):
        store.save_lock(store.create_lock("c"))
    with pytest.raises(NotImplementedError, match="inside lock"):
        store.issue_ticket("c")


def test_without_redis_one_replica_still_serialises_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens on the port: the store falls back to an in-process lock and logs the outage once."""
    store = AtomicRedisLockStore(url=f"redis://127.0.0.1:{free_port()}/0")
    inside, overlaps, order = 0, 0, []

    async def message(i: int) -> None:
        nonlocal inside, overlaps
        async with store.lock("conv"):
            inside += 1
            overlaps += inside > 1
            order.append(i)
            await asyncio.sleep(0.005)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(message(i) for i in range(8)))

    with caplog.at_level(logging.ERROR, logger="bot.rasa_patches.lock_store"):
        asyncio.run(main())
    assert overlaps == 0
    assert sorted(order) == list(range(8))
    outage_logs = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_logs) == 1, "the outage is logged once, not once per message"
    assert store._local._locks == {}, "unused local locks are forgotten"


# -- the real Redis --------------------------------------------------------------------------------


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of our own in the local Redis; every key under it is deleted afterwards."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _service_missing(f"Redis at {REDIS_URL}", exc)
    name = f"test{uuid.uuid4().hex[:10]}"
    yield name
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    client.close()


@pytest.mark.redis
def test_two_replicas_never_overlap_and_lose_nothing(prefix: str) -> None:
    result = hammer(lambda: AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix), prefix)
    total = 2 * 6 * 10
    print(f"\natomic lock store: {result.sections} sections, {result.overlaps} overlaps, "
          f"{len(result.errors)} errors, counter {result.final_counter}/{total}, "
          f"longest wait {result.max_wait:.2f} s")  # fmt: skip
    assert not result.hung, "the hammer did not finish within its deadline"
    assert result.errors == []
    assert result.overlaps == 0
    assert result.sections == total
    assert result.final_counter == total, "an update was lost: two replicas were inside at once"
    for tickets in result.tickets_per_replica:
        assert tickets == sorted(tickets), "a replica's messages were served out of ticket order"
    leftover = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).keys(f"{prefix}:*one-conversation*")
    assert leftover == [], "the last ticket out removes the lock"


@pytest.mark.redis
def test_tickets_are_served_in_the_order_they_were_issued(prefix: str) -> None:
    store = AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix)
    served: list[int] = []

    async def message() -> None:
        async with store.lock("ordered") as lock:
            served.append(lock.tickets[0].number)
            await asyncio.sleep(0.005)

    async def main() -> None:
        await asyncio.gather(*(message() for _ in range(12)))

    asyncio.run(main())
    assert served == sorted(served)
    assert len(set(served)) == 12, "no two messages share a ticket"


@pytest.mark.redis
def test_a_dead_replicas_ticket_lapses_after_one_lease(prefix: str) -> None:
    """A ticket nobody renews (its replica died holding it) blocks the conversation for one lease, no longer."""
    store = AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix)

    async def main() -> float:
        await store._issue("orphaned", 1000)  # issued, then the replica "dies": never renewed or released
        started = time.monotonic()
        async with store.lock("orphaned", lock_lifetime=5):
            return time.monotonic() - started

    waited = asyncio.run(main())
    assert 0.9 <= waited < 3.0


@pytest.mark.redis
def test_a_slow_holder_keeps_its_lease_so_the_next_message_waits(prefix: str) -> None:
    """Rasa's fixed lifetime would let the next message in after 1 s; a live holder's lease is renewed."""
    store = AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix)
    events: list[str] = []

    async def slow() -> None:
        async with store.lock("slow", lock_lifetime=1):
            events.append("slow in")
            await asyncio.sleep(2.2)
            events.append("slow out")

    async def next_message() -> None:
        await asyncio.sleep(0.1)
        async with store.lock("slow", lock_lifetime=1):
            events.append("next in")

    async def main() -> None:
        await asyncio.gather(slow(), next_message())

    asyncio.run(main())
    assert events == ["slow in", "slow out", "next in"]


@pytest.mark.redis
def test_redis_outage_and_recovery(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    """Redis goes away mid-conversation and comes back: messages keep flowing, then Redis serialises again."""
    with FaultProxy(REDIS_HOST, REDIS_PORT) as proxy:
        store = AtomicRedisLockStore(url=f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}", key_prefix=prefix)
        direct = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
        queue_key = store.keys_for("c")[1]

        async def main() -> list[str]:
            seen = []
            async with store.lock("c"):
                seen.append("before" if direct.zcard(queue_key) == 1 else "before: not in redis")
                proxy.cut()  # Redis disappears while the lock is held: the release must be retried later
            with caplog.at_level(logging.ERROR, logger="bot.rasa_patches.lock_store"):
                async with store.lock("c"):
                    seen.append("during")
            proxy.restore()
            async with store.lock("c"):
                seen.append("after" if direct.zcard(queue_key) == 1 else "after: not in redis")
            return seen

        assert asyncio.run(main()) == ["before", "during", "after"]
        assert any("unreachable" in r.getMessage() for r in caplog.records)
        assert direct.exists(queue_key) == 0, "the ticket stranded by the outage was released on recovery"
        direct.close()


@pytest.mark.redis
def test_after_an_outage_every_pooled_connection_is_replaced_before_a_lock_falls_back(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Once Redis is back, no lock falls back to the local lock because it met a connection the outage killed.

    Busy replicas pool many connections and an outage kills them all; a fall-back after Redis is back lets two
    replicas interleave one conversation (seen as lost turns in tests/test_faults.py, in random order).
    """
    with FaultProxy(REDIS_HOST, REDIS_PORT) as proxy:
        store = AtomicRedisLockStore(url=f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}", key_prefix=prefix)

        async def hold(conversation: str) -> None:
            async with store.lock(conversation):
                await asyncio.sleep(0.05)

        async def main() -> None:
            await asyncio.gather(*(hold(f"c{i}") for i in range(12)))  # twelve pooled connections
            assert store._client is not None
            pooled = len(store._client.connection_pool._available_connections)
            assert pooled >= 6, f"the pool should hold many connections, holds {pooled}"
            proxy.cut()
            proxy.restore()
            with caplog.at_level(logging.ERROR, logger="bot.rasa_patches.lock_store"):
                await asyncio.gather(*(hold(f"c{i}") for i in range(12)))

        asyncio.run(main())
        assert not [r for r in caplog.records if "unreachable" in r.getMessage()], "every lock was Redis's"


@pytest.mark.redis
def test_issuing_is_keyed_by_the_request_so_a_retry_takes_no_second_place(prefix: str) -> None:
    """The issue script run twice for one request (a retry after a lost reply) returns the same ticket."""
    store = AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix)
    direct = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    keys = [*store.keys_for("c"), f"{prefix}:{{c}}:issued:request-1"]

    second = [*keys[:3], f"{prefix}:{{c}}:issued:request-2"]

    async def main() -> list[int]:
        issue = store._script("issue")
        numbers = [int(await issue(keys=k, args=[60_000])) for k in (keys, keys, second)]
        assert direct.zcard(keys[1]) == 2, "two requests, two places in the queue"
        release = store._script("release")
        for number, request_keys in zip((1, 2), (keys, second), strict=True):
            await release(keys=request_keys, args=[number])
        return numbers

    assert asyncio.run(main()) == [1, 1, 2]
    assert list(direct.scan_iter(f"{prefix}:*")) == [], "releasing the last ticket leaves no key behind"
    direct.close()
