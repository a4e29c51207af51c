"""Who may call the REST channel: integrators' API keys, and requests made on the bot's own machine.

REST is an integrator API (a clinic's portal, an app), so each integrator gets a key and a namespace of its
own: `REST_API_KEYS` holds `name=key` pairs, the request sends `Authorization: Bearer <key>`, and the key's name
becomes the `<integrator>` of its conversations' keys (`rest:<integrator>:<sender>`,
`bot.channels.conversation_ids`). Keys are compared as SHA-256 digests with `hmac.compare_digest`, every key
every time, so neither a key's length nor which key matched shows in the time taken.

The bot's own clients (`make eval`, `make eval-dialogues`, the load test and the benchmark) send the key in
`REST_API_KEY` when it is set (`client_headers`), so they also work against a bot that requires one.

Without `REST_API_KEYS`, a request needs no key only when it is local: the server listens on loopback
(`BOT_HOST`) and the request comes straight from this machine (a loopback peer, and only loopback addresses in
any `X-Forwarded-For`, `X-Real-IP` or `Forwarded` header, so a request relayed by a proxy from elsewhere is not
local). Its namespace is then `local`. That keeps the README's curl example, `make eval` and the load test
working against `make run` with nothing to configure, and refuses everything else.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Iterable, Mapping
from typing import Any

from sanic.request import Request

from bot.channels.conversation_ids import INTEGRATOR_NAME, LOCAL_INTEGRATOR

# A key shorter than this is a password someone typed, not a secret (`secrets.token_urlsafe(32)` is 43).
MIN_API_KEY_CHARS = 24
FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")
# The one key the bot's own REST clients (evaluation, load test, benchmark) send, when set.
CLIENT_KEY_ENV = "REST_API_KEY"


def client_headers() -> dict[str, str]:
    """The `Authorization` header for the bot's own REST clients: `REST_API_KEY`, or none when it is unset."""
    key = os.environ.get(CLIENT_KEY_ENV, "").strip()
    return {"Authorization": f"Bearer {key}"} if key else {}


class ApiKeyError(ValueError):
    """`REST_API_KEYS` is malformed; the message says which pair and why."""


def parse_api_keys(raw: str | None) -> dict[str, str]:
    """The integrators' keys from `REST_API_KEYS`: `name=key` pairs separated by commas, name -> key.

    Raises:
        ApiKeyError: a pair without `=`, a name that cannot be a namespace (lower-case letters, digits, `-`
            and `_`, at most 32; `local` is the keyless namespace), a short key, or a name or key given twice.
    """
    keys: dict[str, str] = {}
    for number, pair in enumerate((raw or "").split(","), start=1):
        if not pair.strip():
            continue
        name, separator, key = (part.strip() for part in pair.partition("="))
        if not separator:
            raise ApiKeyError(f"REST_API_KEYS pair {number} has no '=': write name=key")
        if not INTEGRATOR_NAME.fullmatch(name) or name == LOCAL_INTEGRATOR:
            raise ApiKeyError(
                f"REST_API_KEYS pair {number}: {name!r} is not an integrator name (lower-case letters, digits, "
                f"'-' and '_', at most 32, not {LOCAL_INTEGRATOR!r})"
            )
        if len(key) < MIN_API_KEY_CHARS:
            raise ApiKeyError(f"REST_API_KEYS: the key of {name!r} is shorter than {MIN_API_KEY_CHARS} characters")
        if name in keys or key in keys.values():
            raise ApiKeyError(f"REST_API_KEYS: {name!r} or its key is given twice")
        keys[name] = key
    return keys


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a header or socket value ("::ffff:127.0.0.1", "[::1]:80", '"127.0.0.1:5"'), or None."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(value: str) -> bool:
    """True for a loopback address or `localhost`; False for anything else, unparsable values included."""
    if value.strip().lower() == "localhost":
        return True
    address = _address(value)
    return address is not None and address.is_loopback


def forwarded_addresses(headers: Any) -> Iterable[str]:
    """Every client address a proxy header names (`X-Forwarded-For`, `X-Real-IP`, `Forwarded`'s `for=`).

    Args:
        headers: the request's headers (Sanic's case-insensitive multi-dict: each header may come twice).
    """
    for name in FORWARDING_HEADERS:
        for value in headers.getall(name, []):
            for part in str(value).split(","):
                if name != "forwarded":
                    yield part
                    continue
                fields = {k.strip().lower(): v for k, _, v in (f.partition("=") for f in part.split(";"))}
                yield fields.get("for", "")


def is_local_request(request: Request) -> bool:
    """True when the request comes straight from this machine: a loopback peer, only loopback forwarded."""
    return is_loopback(request.ip or "") and all(is_loopback(a) for a in forwarded_addresses(request.headers))


class Integrators:
    """Tells whose namespace a REST request talks in, from its API key or its being local.

    Args:
        api_keys: integrator name -> API key; with any, every request needs one.
        public: the server listens beyond loopback (`BOT_HOST`), so no request is local.
    """

    def __init__(self, api_keys: Mapping[str, str] | None = None, public: bool = False) -> None:
        # Digests of equal length, compared in constant time: neither a key's length nor its bytes leak.
        self._keys = [(name, hashlib.sha256(key.encode("utf-8")).digest()) for name, key in (api_keys or {}).items()]
        self.public = public

    @property
    def keyed(self) -> bool:
        """Whether any API key is configured (then every request needs one)."""
        return bool(self._keys)

    def of(self, request: Request) -> str | None:
        """The request's integrator: its API key's name, `local`, or None when it must be refused."""
        scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer" and given.strip():
            digest = hashlib.sha256(given.strip().encode("utf-8")).digest()
            found = None
            for name, key in self._keys:  # every key is compared, so the time says nothing about which matched
                if hmac.compare_digest(digest, key):
                    found = name
            return found
        if self._keys or self.public or not is_local_request(request):
            return None
        return LOCAL_INTEGRATOR
