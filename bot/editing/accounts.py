"""Named editor accounts: who may log in to the editors' shell, as an editor or a clinician.

A small patient charity has a few volunteer editors and a part-time clinician. Each has an account in one
JSON file (`EDITOR_ACCOUNTS`, default var/editors.json, readable by its owner only), managed with
`python -m bot.tools.editors`. Passwords are stored as scrypt hashes with a random salt per account, with the
parameters in the stored string so they can be raised later without breaking older hashes, and compared in
constant time. Only an account with the clinician role may give a clinical sign-off, under the name and role
it was created with (`display`), which the content loader must accept as a sign-off's `by`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import stat
import threading
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from bot.content.fields import Collector, ContentProblem, signoff

logger = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True)
class HashCost:
    """scrypt's parameters: `n` (CPU and memory), `r` (block size), `p` (parallelism)."""

    n: int
    r: int
    p: int

    @property
    def maxmem(self) -> int:
        """Memory scrypt may use: it needs 128 * n * r bytes, plus room."""
        return 2 * 128 * self.n * self.r


# OWASP's password-storage minimum for scrypt: 128 MiB and about a second per check on a small server. That
# cost is paid at each login only (a session cookie follows), and is what makes a stolen file expensive.
DEFAULT_COST = HashCost(n=2**17, r=8, p=1)
SALT_BYTES = 16
KEY_BYTES = 32


class Role(str, Enum):
    """What an account may do: editors write and publish; a clinician may also sign passages off."""

    EDITOR = "editor"
    CLINICIAN = "clinician"


@dataclass(frozen=True)
class Editor:
    """Who is making a change: an account, or whoever holds the shared `EDITOR_TOKEN`."""

    name: str
    role: str
    display: str
    via: str  # "account" or "token"

    @property
    def may_sign_off(self) -> bool:
        """Only a named clinician's account may sign off; the shared token never can."""
        return self.via == "account" and self.role == Role.CLINICIAN.value

    def public(self) -> dict[str, Any]:
        """What the page shows about who is logged in."""
        return {
            "name": self.name,
            "role": self.role,
            "display": self.display,
            "via": self.via,
            "may_sign_off": self.may_sign_off,
        }


class AccountError(ValueError):
    """A request the accounts file cannot carry out (a taken name, a weak password); the message says why."""


@dataclass(frozen=True)
class Account:
    """One person who may log in: a login name, a role, the name shown in the log, and the password hash."""

    name: str
    role: Role
    display: str
    password_hash: str
    created: str

    @property
    def session_version(self) -> str:
        """Changes when the password changes, so a new password ends every session signed for the old one."""
        return hashlib.sha256(self.password_hash.encode("ascii")).hexdigest()[:16]

    def public(self) -> dict[str, str]:
        """What the shell may show about the account (never the hash)."""
        return {"name": self.name, "role": self.role.value, "display": self.display}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, cost: HashCost = DEFAULT_COST) -> str:
    """The stored form of a password: `scrypt$n$r$p$salt$key`, salt and key in base64."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=KEY_BYTES
    )
    return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(key)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from; the keys are compared in constant time."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        cost = HashCost(int(n), int(r), int(p))
        expected = base64.b64decode(key, validate=True)
        derived = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=cost.n,
            r=cost.r,
            p=cost.p,
            maxmem=cost.maxmem,
            dklen=len(expected),
        )
    except (ValueError, TypeError):  # a damaged entry never matches
        return False
    return hmac.compare_digest(derived, expected)


def password_problem(name: str, password: str) -> str | None:
    """Why a new password is not good enough, or None (length first, as NCSC and NIST advise)."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"the password must have at least {MIN_PASSWORD_CHARS} characters (three random words work well)"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"the password must have at most {MAX_PASSWORD_CHARS} characters"
    if password.strip().lower() == name.lower() or name.lower() in password.lower():
        return "the password must not contain the login name"
    return None


def signs_as_problems(display: str, today: dt.date | None = None) -> list[str]:
    """What the content loader would say about `display` as a sign-off's `by` (the same check, same words)."""
    problems: list[ContentProblem] = []
    day = today or dt.date.today()
    signoff({"clinical_signoff": {"by": display, "date": day}}, "account", Collector("", problems), day)
    return [p.problem for p in problems]


class AccountFile:
    """The accounts in one JSON file, re-read when it changes, written whole and atomically with mode 0600."""

    def __init__(self, path: Path, cost: HashCost = DEFAULT_COST) -> None:
        """Opens (without reading yet) the accounts file at `path`; a missing file means no accounts.

        Args:
            path: the JSON file.
            cost: the scrypt cost of new passwords (tests lower it; stored hashes keep their own).
        """
        self.path = path
        self.cost = cost
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._accounts: dict[str, Account] = {}

    def accounts(self) -> dict[str, Account]:
        """Every account by login name (read again only when the file's size or time changed)."""
        with self._lock:
            try:
                info = self.path.stat()
            except FileNotFoundError:
                self._seen, self._accounts = None, {}
                return {}
            seen = (info.st_mtime_ns, info.st_size)
            if seen != self._seen:
                if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                    logger.warning("%s can be read by other users: chmod 600 it", self.path)
                self._accounts = self._read()
                self._seen = seen
            return dict(self._accounts)

    def _read(self) -> dict[str, Account]:
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        accounts: dict[str, Account] = {}
        for entry in data.get("accounts", []):
            account = Account(
                name=str(entry["name"]),
                role=Role(entry["role"]),
                display=str(entry["display"]),
                password_hash=str(entry["password_hash"]),
                created=str(entry.get("created", "")),
            )
            accounts[account.name] = account
        return accounts

    def get(self, name: str) -> Account | None:
        """The account with this login name, if any."""
        return self.accounts().get(name)

    def verify(self, name: str, password: str) -> Account | None:
        """The account when the password is right; None otherwise, after the same work either way."""
        account = self.get(name)
        stored = account.password_hash if account else _DUMMY_HASH.get()
        matches = password_matches(password, stored)
        return account if account is not None and matches else None

    def add(self, name: str, role: Role, password: str, display: str, cost: HashCost | None = None) -> Account:
        """Creates an account.

        Raises:
            AccountError: the name is taken or malformed, the password is weak, or a clinician's `display`
                would not be accepted as a sign-off's name and role.
        """
        if not NAME_PATTERN.match(name):
            raise AccountError("the login name must be 2 to 32 lower-case letters, digits, '.', '_' or '-'")
        if (why := password_problem(name, password)) is not None:
            raise AccountError(why)
        display = " ".join(display.split()) or name
        if role is Role.CLINICIAN and (problems := signs_as_problems(display)):
            raise AccountError("a clinician signs off under their name and role: " + "; ".join(problems))
        created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        account = Account(name, role, display, hash_password(password, cost or self.cost), created)
        with self._lock:
            current = self._read() if self.path.exists() else {}
            if name in current:
                raise AccountError(f"there is already an account called {name!r}")
            current[name] = account
            self._write(current)
        return account

    def set_password(self, name: str, password: str, cost: HashCost | None = None) -> Account:
        """Replaces an account's password, which also ends its open sessions."""
        if (why := password_problem(name, password)) is not None:
            raise AccountError(why)
        with self._lock:
            current = self._read() if self.path.exists() else {}
            if name not in current:
                raise AccountError(f"there is no account called {name!r}")
            old = current[name]
            stored = hash_password(password, cost or self.cost)
            current[name] = Account(old.name, old.role, old.display, stored, old.created)
            self._write(current)
        return current[name]

    def remove(self, name: str) -> None:
        """Deletes an account; its sessions end at their next request."""
        with self._lock:
            current = self._read() if self.path.exists() else {}
            if current.pop(name, None) is None:
                raise AccountError(f"there is no account called {name!r}")
            self._write(current)

    def _write(self, accounts: dict[str, Account]) -> None:
        """Writes a new file beside the old one (mode 0600 from the start) and renames it over the old one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows: list[dict[str, Any]] = [{**asdict(a), "role": a.role.value} for a in accounts.values()]
        text = json.dumps({"accounts": rows}, indent=2, ensure_ascii=False) + "\n"
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)
        self._seen = None


class _DummyHash:
    """A hash to check unknown names against, so a wrong name takes as long as a wrong password."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self) -> str:
        if self._value is None:
            self._value = hash_password(secrets.token_urlsafe(16))
        return self._value


_DUMMY_HASH = _DummyHash()
