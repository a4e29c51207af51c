"""Login sessions of the editors' shell: a signed, expiring value in an HttpOnly, SameSite=Strict cookie.

The value names the account, its role, the account's password version and the expiry, signed with
HMAC-SHA256 under a key derived from `EDITOR_TOKEN`. Nothing is stored on the server, so every Rasa replica
that shares `EDITOR_TOKEN` accepts the same cookie; changing `EDITOR_TOKEN` ends every session, and changing a
password or removing an account ends that account's sessions (the version or the account no longer matches).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from bot.editing.accounts import Account, AccountFile

COOKIE_NAME = "editor_session"
SESSION_SECONDS = 8 * 3600  # one working day; then the editor logs in again
_KEY_LABEL = b"spasticity-bot editors' session cookie v1"


def session_key(editor_token: str) -> bytes:
    """The signing key: derived from `EDITOR_TOKEN`, so it is never the token itself."""
    return hmac.new(editor_token.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """Who a valid cookie says is logged in, and until when (Unix seconds)."""

    account: Account
    expires: int


def issue(key: bytes, account: Account, now: float | None = None) -> str:
    """A cookie value for `account`, valid for `SESSION_SECONDS`."""
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    claims = {"u": account.name, "r": account.role.value, "v": account.session_version, "e": expires}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signature = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{signature}"


def read(key: bytes, value: str | None, accounts: AccountFile, now: float | None = None) -> Session | None:
    """The session a cookie carries, or None: unsigned, forged, expired, or its account gone or changed."""
    if not value or value.count(".") != 1 or len(value) > 1024:
        return None
    body, signature = value.split(".")
    expected = _b64(hmac.new(key, body.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode("ascii")):
        return None
    try:
        claims = json.loads(_unb64(body))
        name, role, version, expires = str(claims["u"]), str(claims["r"]), str(claims["v"]), int(claims["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires <= (now if now is not None else time.time()):
        return None
    account = accounts.get(name)
    if account is None or account.role.value != role or not hmac.compare_digest(account.session_version, version):
        return None
    return Session(account, expires)
