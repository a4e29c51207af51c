"""Who a request comes from and how often it may come: client addresses behind trusted proxies, and a limiter.

The Rasa server's per-address limit (`bot.rasa_server`) and the widget's connection limit
(`bot.channels.widget_socket`) count the same client: the socket's peer, or, when the peer is a trusted proxy
(`TRUSTED_PROXIES`), the client it forwarded the request for. Both use this module, so a channel does not import
the server module that hosts it.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# The machine's own clients, never rate-limited: the tests, `make eval`, `make bench`, health checks. Only the
# canonical loopback addresses: the rest of 127.0.0.0/8 is limited like anyone (`bench.flood` attacks from it).
UNLIMITED_CLIENTS = frozenset({"127.0.0.1", "::1"})
# How many client addresses the limiter remembers; the least recently seen are forgotten first.
MAX_TRACKED_CLIENTS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class ClientLimiter:
    """A token bucket per client address (one event loop, so no locking), forgetting the least recent first.

    Args:
        per_minute: sustained requests per minute per client; 0 or less turns the limit off.
        burst: requests a client may send at once (the bucket's size).
        max_clients: how many clients to remember.
        clock: seconds, monotonic (injected by tests).
    """

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_clients: int = MAX_TRACKED_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Creates the limiter; nobody is remembered yet."""
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, client: str) -> float | None:
        """Admits one request, or returns how many seconds the client should wait."""
        if self.rate <= 0:
            return None
        now = self.clock()
        bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
        self._buckets[client] = bucket  # most recent last
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return (1.0 - bucket.tokens) / self.rate
        bucket.tokens -= 1.0
        return None

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after_seconds(wait: float) -> int:
    """A limiter's wait as the whole seconds of a `Retry-After` header: rounded up, and at least 1.

    `Retry-After` takes whole seconds; rounding down would invite a retry that is refused again, and 0 would
    invite one at once.
    """
    return max(1, math.ceil(wait))


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _networks(trusted: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip().strip("[]"), strict=False))
        except ValueError:
            logger.warning("TRUSTED_PROXIES: %r is neither an address nor a network; ignored", entry)
    return networks


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address a request comes from: the peer, or the client a trusted proxy forwarded it for.

    Only a trusted peer's `X-Forwarded-For` is believed, read from the right (the hop nearest to us) and
    skipping the trusted proxies; an entry that is not an address stops the walk. Anyone else's header is
    ignored, so a client cannot choose its own address. `trusted` holds addresses or networks
    (`10.0.0.0/8`, e.g. a cluster's ingress controllers).
    """
    networks = _networks(trusted)

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address.version == net.version and address in net for net in networks)

    found = _address(peer)
    if found is None:
        return peer
    address = found
    if not is_trusted(address) or not forwarded_for:
        return str(address)
    for hop in reversed(forwarded_for.split(",")):
        parsed = _address(hop)
        if parsed is None:
            break
        address = parsed
        if not is_trusted(address):
            break
    return str(address)


def limit_key(address: str) -> str:
    """What the limiter counts: the address, or its /64 network for IPv6 (one subscriber's usual block)."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def is_local(address: str) -> bool:
    """True for a loopback address (the machine itself)."""
    parsed = _address(address)
    return parsed is not None and parsed.is_loopback
