"""`python -m bench.lock_race`: two "replicas" hammer one conversation's lock, ours and Rasa's stock one.

A replica is a thread with its own event loop and its own lock store instance, hence its own Redis
connections: exactly what two Rasa servers are to Redis. The critical section is a deliberately racy
read-sleep-write counter plus an "inside" gauge, so any overlap or lost update shows. `tests/test_lock_store.py`
asserts that `AtomicRedisLockStore` never overlaps, loses nothing and serves tickets in order. Against Rasa's
stock `RedisLockStore` the same hammer shows RasaHQ/rasa#11256 (overlaps, lost updates, failed messages or a
stall until a resurrected ticket expires), but only as often as the race happens to occur, so it is a figure
printed here rather than a test. Needs the local Redis (REDIS_URL, database 1).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis  # type: ignore[import-untyped,unused-ignore]
import redis.asyncio  # type: ignore[import-untyped,unused-ignore]
from rasa.core.lock_store import LockError

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 1


@dataclass
class HammerResult:
    """What the hammer saw: entries into the critical section, overlaps, lost updates, errors."""

    sections: int = 0
    overlaps: int = 0
    errors: list[str] = field(default_factory=list)
    final_counter: int = 0
    max_wait: float = 0.0
    hung: bool = False
    tickets_per_replica: list[list[int]] = field(default_factory=list)


def hammer(
    make_store: Any, prefix: str, replicas: int = 2, tasks: int = 6, rounds: int = 10, deadline_s: float = 60
) -> HammerResult:
    """`replicas` threads, each with its own loop and store, run `tasks` x `rounds` locked sections at once.

    After `deadline_s` the hammer stops issuing new sections and records that it hung (the stock store can
    livelock: stale write-backs keep resurrecting tickets).
    """
    result = HammerResult(tickets_per_replica=[[] for _ in range(replicas)])
    stopping = threading.Event()
    counter_key, inside_key = f"{prefix}:counter", f"{prefix}:inside"
    start = threading.Barrier(replicas)
    record = threading.Lock()

    def replica(index: int) -> None:
        store = make_store()
        client = redis.asyncio.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)

        async def section() -> None:
            for _ in range(rounds):
                if stopping.is_set():
                    return
                asked = time.monotonic()
                try:
                    async with store.lock("one-conversation", lock_lifetime=3, wait_time_in_seconds=0.002) as lock:
                        waited = time.monotonic() - asked
                        inside = await client.incr(inside_key)
                        value = int(await client.get(counter_key) or 0)
                        await asyncio.sleep(0.001)  # a racy read-modify-write: the lock must cover it
                        await client.set(counter_key, value + 1)
                        await client.decr(inside_key)
                        with record:
                            result.sections += 1
                            result.overlaps += inside > 1
                            result.max_wait = max(result.max_wait, waited)
                            if lock.tickets:
                                result.tickets_per_replica[index].append(lock.tickets[0].number)
                except LockError as error:
                    with record:
                        result.errors.append(f"{error.__class__.__name__}: {error}")

        async def main() -> None:
            start.wait()
            await asyncio.gather(*(section() for _ in range(tasks)))
            await client.close()

        asyncio.run(main())

    threads = [threading.Thread(target=replica, args=(i,), daemon=True) for i in range(replicas)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + deadline_s
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        result.hung = True
        stopping.set()
        for thread in threads:
            thread.join(timeout=30)  # waiting sections finish or their tickets expire
    result.final_counter = int(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).get(counter_key) or 0)
    return result


def main() -> None:
    """Runs the hammer against both stores and prints what each let happen."""
    from rasa.core.lock_store import RedisLockStore

    from bot.rasa_patches.lock_store import AtomicRedisLockStore

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    stores = {
        "AtomicRedisLockStore": lambda prefix: AtomicRedisLockStore(
            url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}", key_prefix=prefix
        ),
        "stock RedisLockStore": lambda prefix: RedisLockStore(
            host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=prefix
        ),
    }
    rounds = 3  # few rounds: each stall of the stock store costs a ticket lifetime
    for name, make in stores.items():
        prefix = f"bench{uuid.uuid4().hex[:10]}"
        result = hammer(lambda make=make, prefix=prefix: make(prefix), prefix, rounds=rounds, deadline_s=20)
        total = 2 * 6 * rounds
        print(
            f"{name}: {result.sections}/{total} sections, {result.overlaps} overlaps, {len(result.errors)} lock "
            f"errors, {total - result.final_counter} lost updates, longest wait {result.max_wait:.2f} s, "
            f"hung until the deadline: {result.hung}"
        )
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


if __name__ == "__main__":
    main()
