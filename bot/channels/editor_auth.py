"""Who is asking, in the editors' shell: a named account's session cookie, or the shared `EDITOR_TOKEN`.

With no accounts file (a one-person setup) the shell works as before: HTTP Basic or Bearer with
`EDITOR_TOKEN`. Once accounts exist (`python -m bot.tools.editors add`), a browser gets a login page instead
of the Basic prompt and each person logs in with their own name and password; the change log then says who
did what. `EDITOR_TOKEN` still works for the operator and for scripts, and is logged as "token": an editor
who can never sign off.

The session cookie is HttpOnly, SameSite=Strict, limited to the shell's path, and Secure when the shell is
served over https. A request that relies on the cookie to change anything must also carry the header
`X-Editor-Shell: 1`, which a page on another site cannot add without a CORS preflight that this server never
grants; with SameSite=Strict and the same-origin check that makes cross-site request forgery fail three ways.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.editor_preview import EDITOR_CHANNEL
from bot.editing import sessions
from bot.editing.accounts import Account, AccountFile, Editor, Role

CSRF_HEADER = "x-editor-shell"
COOKIE_PATH = f"/webhooks/{EDITOR_CHANNEL}/"
TOKEN_EDITOR = Editor(name="token", role=Role.EDITOR.value, display="the shared EDITOR_TOKEN", via="token")
# Wrong passwords allowed per window, per login name and per client address, before a 429.
FAILURES_PER_NAME = 5
FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_S = 15 * 60.0
CONCURRENT_CHECKS = 2  # each check takes 128 MiB and about a second: at most this many at once


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (a cross-site form or script)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by a browser (curl, tests) or a same-origin GET
    return urlsplit(origin).netloc == request.headers.get("host", "")


def editor_of(account: Account) -> Editor:
    """The editor an account acts as."""
    return Editor(name=account.name, role=account.role.value, display=account.display, via="account")


class LoginThrottle:
    """Counts recent wrong passwords per login name and per client, so guessing is slow."""

    def __init__(self) -> None:
        """Starts with no failures."""
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > FAILURE_WINDOW_S:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def wait(self, name: str, client: str, now: float | None = None) -> int:
        """Seconds until this name may be tried from this client again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        waits = []
        for key, limit in ((f"name:{name}", FAILURES_PER_NAME), (f"client:{client}", FAILURES_PER_CLIENT)):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(int(times[0] + FAILURE_WINDOW_S - now) + 1)
        return max(waits, default=0)

    def failed(self, name: str, client: str, now: float | None = None) -> None:
        """Records a wrong password."""
        now = time.monotonic() if now is None else now
        self._failures[f"name:{name}"].append(now)
        self._failures[f"client:{client}"].append(now)

    def succeeded(self, name: str) -> None:
        """Forgets the name's failures (the client's stay)."""
        self._failures.pop(f"name:{name}", None)


class EditorAuth:
    """Reads a request's editor from its token or session, and logs people in and out."""

    def __init__(self, token: str, accounts_file: Path) -> None:
        """The shell's token (which also keys the session cookies) and the accounts file."""
        self.token = token
        self.accounts = AccountFile(accounts_file)
        self.key = sessions.session_key(token)
        self.throttle = LoginThrottle()
        self._checks: asyncio.Semaphore | None = None

    def accounts_mode(self) -> bool:
        """Whether named accounts exist (then browsers get the login page, not the Basic prompt)."""
        return bool(self.accounts.accounts())

    def identify(self, request: Request, token_matches: bool) -> Editor | None:
        """The editor making the request, or None.

        Args:
            request: the request.
            token_matches: whether its Authorization header carries `EDITOR_TOKEN`.
        """
        if token_matches:
            return TOKEN_EDITOR
        session = sessions.read(self.key, request.cookies.get(sessions.COOKIE_NAME), self.accounts)
        if session is None:
            return None
        if request.method not in ("GET", "HEAD") and request.headers.get(CSRF_HEADER) != "1":
            return None  # a cookie alone never changes anything
        return editor_of(session.account)

    async def log_in(self, name: str, password: str, client: str) -> tuple[Account | None, int]:
        """The account when the password is right, else None; and seconds to wait when throttled."""
        wait = self.throttle.wait(name, client)
        if wait:
            return None, wait
        if self._checks is None:
            self._checks = asyncio.Semaphore(CONCURRENT_CHECKS)
        async with self._checks:
            loop = asyncio.get_running_loop()
            account = await loop.run_in_executor(None, self.accounts.verify, name, password)
        if account is None:
            self.throttle.failed(name, client)
            return None, 0
        self.throttle.succeeded(name)
        return account, 0

    def set_cookie(self, request: Request, response: HTTPResponse, account: Account | None) -> None:
        """Sets the session cookie for `account`, or clears it (None)."""
        value = sessions.issue(self.key, account) if account is not None else ""
        response.cookies[sessions.COOKIE_NAME] = value
        cookie = response.cookies[sessions.COOKIE_NAME]
        cookie["path"] = COOKIE_PATH
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["max-age"] = sessions.SESSION_SECONDS if account is not None else 0
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if request.scheme == "https" or forwarded == "https":
            cookie["secure"] = True
