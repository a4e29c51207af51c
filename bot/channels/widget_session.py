"""The website widget's session ids: issued by the server, signed, checked on every use, and kept out of logs.

A widget session id is a bearer secret: whoever holds it reads the conversation (the history route) and talks
in it. So the server makes it, never the browser: `session_request` without a valid id gets a fresh one. An id
is `<random>.<tag>`: 16 random bytes and a 16-byte HMAC-SHA256 tag over them, each in URL-safe base64 (22
characters). The tag is made with `WIDGET_SECRET` (or, when unset, a random secret generated once into
`var/widget-secret`, readable by its owner only), so any replica that shares the secret accepts the id, and
no replica needs a table of issued ids (a per-process table would break behind nginx's several replicas).

The tracker key is `web:<random>` (`bot.channels.conversation_ids`): the tag is never stored, so neither the
tracker store nor a log line that shows the key (Rasa's debug log, the lock store) gives anyone a usable id.
The browser keeps the id in `localStorage` and sends it only in Socket.IO payloads and POST bodies, never in a
URL.

A session idle for longer than the domain's `session_expiration_time` is over for the widget: the history
route refuses it, and `session_request` gives a fresh id instead, so the next person at a shared computer sees
nothing of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from functools import lru_cache
from typing import Any

from bot.channels.conversation_ids import widget_key
from bot.config import VAR_DIR, get_settings
from bot.feedback.privacy import load_or_create_salt

RANDOM_BYTES = 16  # 128 bits: never guessed, never repeated
TAG_BYTES = 16
SECRET_FILE_NAME = "widget-secret"
SESSION_ID = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")
_PURPOSE = b"spasticity-bot widget session\x00"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class SessionIds:
    """Issues widget session ids and tells the tracker key of a genuine one.

    Args:
        secret: the signing key; every replica must use the same one.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the widget session secret must hold at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_settings(cls) -> SessionIds:
        """From `WIDGET_SECRET`, else from `var/widget-secret` (created once, 0600, on first use)."""
        configured = get_settings().widget_secret
        secret = configured or load_or_create_salt(VAR_DIR / SECRET_FILE_NAME)
        return cls(secret.encode("utf-8"))

    def _tag(self, random_part: str) -> str:
        return _b64(hmac.new(self._secret, _PURPOSE + random_part.encode("ascii"), hashlib.sha256).digest()[:TAG_BYTES])

    def issue(self) -> str:
        """A new session id."""
        random_part = _b64(secrets.token_bytes(RANDOM_BYTES))
        return f"{random_part}.{self._tag(random_part)}"

    def key_of(self, session_id: Any) -> str | None:
        """The tracker key of a session id this server issued; None for anything else (forged, malformed)."""
        match = SESSION_ID.fullmatch(session_id) if isinstance(session_id, str) else None
        if match is None or _unb64(match.group(1)) is None:
            return None
        random_part, tag = match.groups()
        if not hmac.compare_digest(tag.encode("ascii"), self._tag(random_part).encode("ascii")):
            return None
        return widget_key(random_part)


@lru_cache(maxsize=1)
def default_session_ids() -> SessionIds:
    """The process's signer, from the settings, made on first use (never at import)."""
    return SessionIds.from_settings()


def idle_expired(events: list[Any], expiration_minutes: float, now: float | None = None) -> bool:
    """True when the conversation's latest event is older than the session expiry (0 or less: never).

    Args:
        events: the tracker's events, oldest first.
        expiration_minutes: the domain's `session_expiration_time`.
        now: seconds since the epoch (injected by tests).
    """
    if expiration_minutes <= 0 or not events:
        return False
    latest = getattr(events[-1], "timestamp", None)
    if not isinstance(latest, (int, float)):
        return False
    return (time.time() if now is None else now) - latest > expiration_minutes * 60
