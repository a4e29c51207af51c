"""`python -m bot.rasa_server run ...`: Rasa's own command line, with the bot's patches and server duties added.

Every Rasa server of the bot (`make run`, `make shell`, `make run-scaled`, the tests, Kubernetes) starts through
this module instead of `python -m rasa`, so the patches in `bot/rasa_patches/` hold in every process that
answers a person, and a Rasa other than 3.6.x is refused before anything starts. The arguments are Rasa's.

The app `rasa run` builds (`rasa.core.run.configure_app`, the function Rasa's `serve_application` calls) is
wrapped (`with_bot_duties`), so that on every route:

- **the API token comes from the environment** (`RASA_API_TOKEN`), never from the command line, where any
  user of the machine reads it with `ps`: `--enable-api` switches the API on only with that token, and a
  token given as `--auth-token` is refused. The API answers clients on this machine only (loopback, also
  when nginx forwards a request from elsewhere), so its `?token=` never crosses a network or a proxy's log;
  `token=` is scrubbed from the server's own request log;
- **CORS** allows only the origins of `CORS_ORIGINS`, or when it is unset those of Rasa's `--cors` (the
  Kubernetes manifest lists them there); none by default, `*` refused, and never with credentials;
- **bodies** over `MAX_REQUEST_BYTES` get 413 as soon as their `Content-Length` is read (Sanic's
  `REQUEST_MAX_SIZE`; Sanic's own default is 100 MB), before the body is;
- **each client address** gets a token bucket (`CLIENT_RATE_PER_MINUTE`, `CLIENT_RATE_BURST`): beyond it,
  429 with `Retry-After`. The address is the socket's peer, or, when the peer is a trusted proxy
  (`TRUSTED_PROXIES`, 127.0.0.1 by default: nginx in front), the last address of `X-Forwarded-For` that is
  not a trusted proxy. IPv6 clients are counted per /64 network, the block one subscriber usually has.
  Clients at 127.0.0.1 or ::1 are not limited: the tests, `make eval`, `make bench`, `make shell`'s terminal
  client and health checks are the machine's own;
- **security headers** go with every response (`SECURITY_HEADERS`): no MIME sniffing, no referrer, no
  framing (the widget is embedded as a script, never in a frame);
- the daily **retention purge** of the conversations the server stores and of old feedback
  (bot/retention.py).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot import rasa_patches
from bot.client_limits import (
    UNLIMITED_CLIENTS,
    ClientLimiter,
    client_address,
    is_local,
    limit_key,
    retry_after_seconds,
)
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

# Routes anyone may call: the health check, the channels and Socket.IO. Everything else Rasa serves (the HTTP
# API: /status, /domain, /version, /model..., /conversations/...) answers clients on this machine only.
PUBLIC_PATHS = frozenset({"/", "/webhooks", "/socket.io"})
PUBLIC_PREFIXES = ("/webhooks/", "/socket.io/")
# Sent with every response unless the route set its own (the editors' shell has a stricter CSP).
SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
# A web origin as browsers send it: scheme, host (a name, or an IPv6 address in brackets) and an optional port.
ORIGIN = re.compile(r"https?://(?:[a-z0-9.\-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?", re.IGNORECASE)
TOKEN_IN_URL = re.compile(r"(?i)([?&](?:token|auth_token)=)[^&\s\"']*")


def scrub(text: str) -> str:
    """`text` with the value of any `token=` query parameter hidden (for logs)."""
    return TOKEN_IN_URL.sub(r"\1***", text)


class TokenScrubber(logging.Filter):
    """Hides `?token=...` in log records: Sanic's access log writes each request's URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record in place; never drops it."""
        request = getattr(record, "request", None)
        if isinstance(request, str) and "token=" in request:
            setattr(record, "request", scrub(request))  # noqa: B010 - an `extra` field LogRecord does not declare
        message = record.getMessage()
        if "token=" in message:
            record.msg, record.args = scrub(message), None
        return True


def install_log_scrubber() -> None:
    """Adds `TokenScrubber` to the loggers that write URLs (Sanic's) and to every root handler."""
    scrubber = TokenScrubber()
    for name in ("sanic.access", "sanic.error", "sanic.root"):
        logging.getLogger(name).addFilter(scrubber)
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)


def is_public(path: str) -> bool:
    """True for the routes anyone may call (`PUBLIC_PATHS`, `PUBLIC_PREFIXES`)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def check_origins(origins: Sequence[str]) -> list[str]:
    """The CORS origins as Sanic-CORS compares them; refuses `*` and anything that is not an origin.

    Raises:
        ValueError: with what is wrong and what to write instead.
    """
    for origin in origins:
        if not ORIGIN.fullmatch(origin):
            raise ValueError(
                f"CORS_ORIGINS holds {origin!r}: list the sites allowed to call the bot, each as "
                "scheme://host[:port] (e.g. https://www.example.org), never *."
            )
    return [origin.lower() for origin in origins]


def _json_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Any:
    from sanic import response

    return response.json({"error": code, "message": message}, status=status, headers=dict(headers or {}))


def tracker_store_url(agent: Any) -> str | None:
    """The SQLAlchemy URL of the agent's tracker store (password included), or None if it is not SQL."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.conversation_store import stores_of

    # Rasa wraps the store it built twice (FailSafeTrackerStore around AwaitableTrackerStore).
    for store in stores_of(getattr(agent, "tracker_store", None)):
        if isinstance(store, SQLTrackerStore):
            return str(store.engine.url.render_as_string(hide_password=False))
    return None


def start_daily_purge(app: Any, settings: Settings) -> Any:
    """Schedules the retention purge of the conversations this server stores (bot/retention.py).

    Returns:
        The task (cancelled when the server stops), or None when the tracker store is not SQL.
    """
    from bot.retention import daily_purge

    url = tracker_store_url(getattr(app.ctx, "agent", None))
    if url is None:
        logger.warning("Retention: the tracker store is not SQL; conversations are not purged by this server")
        return None
    return app.add_task(daily_purge(settings, url))


def restrict_cors(app: Any, origins: Sequence[str]) -> None:
    """Makes the app's Sanic-CORS answer `origins` only, and never with credentials.

    Rasa's `configure_cors` always sets `CORS_SUPPORTS_CREDENTIALS`; Sanic-CORS computes each resource's
    options once, when Rasa builds the app, so they are changed there (`app.ctx.sanic_cors.resources`).
    """
    context = getattr(app.ctx, "sanic_cors", None)
    if context is None:
        raise RuntimeError("Rasa built the app without Sanic-CORS: CORS_ORIGINS cannot be applied")
    for _pattern, options in context.resources:
        options["origins"] = list(origins)
        options["supports_credentials"] = False


def prepare_app(app: Any, settings: Settings, origins: Sequence[str] | None = None) -> Any:
    """Adds the bot's limits, headers and duties to the Sanic app Rasa built (see the module docstring).

    Args:
        app: the app.
        settings: the limits and the retention.
        origins: the CORS origins (default: `CORS_ORIGINS`).
    """
    app.config.REQUEST_MAX_SIZE = settings.max_request_bytes
    restrict_cors(app, check_origins(settings.cors_origins if origins is None else origins))
    limiter = ClientLimiter(settings.client_rate_per_minute, settings.client_rate_burst)
    trusted = settings.trusted_proxies

    async def limit(request: Any) -> Any:
        address = client_address(request.ip, request.headers.get("x-forwarded-for"), trusted)
        if address not in UNLIMITED_CLIENTS:
            wait = limiter.acquire(limit_key(address))
            if wait is not None:
                seconds = retry_after_seconds(wait)
                return _json_error(
                    429,
                    "rate_limited",
                    f"Too many requests from your address; try again in {seconds} s.",
                    {"Retry-After": str(seconds)},
                )
        if not is_public(request.path) and not is_local(address):
            return _json_error(403, "forbidden", "This part of the bot answers on its own machine only.")
        return None

    async def secure(_request: Any, response: Any) -> None:
        if getattr(response, "headers", None) is None:  # a WebSocket upgrade has no HTTP response to mark
            return
        for name, value in SECURITY_HEADERS.items():
            if name not in response.headers:
                response.headers[name] = value

    async def after_start(running: Any, _loop: Any) -> None:
        install_log_scrubber()
        running.ctx.bot_tasks = [task for task in [start_daily_purge(running, settings)] if task is not None]

    async def before_stop(running: Any, _loop: Any) -> None:
        for task in getattr(running.ctx, "bot_tasks", []):
            task.cancel()

    app.register_middleware(limit, "request")
    app.register_middleware(secure, "response")
    app.register_listener(after_start, "after_server_start")
    app.register_listener(before_stop, "before_server_stop")
    return app


class ServerSetupError(SystemExit):
    """The server cannot start as configured; the message says what to change."""


def with_bot_duties(
    configure_app: Callable[..., Any], settings_of: Callable[[], Settings] = get_settings
) -> Callable[..., Any]:
    """Wraps Rasa's `configure_app`: token and CORS from the settings, then `prepare_app` on the app it builds.

    Args:
        configure_app: Rasa's function.
        settings_of: where the settings come from when an app is built (the process's, by default).

    Raises (from the wrapped function):
        ServerSetupError: a token on the command line, the API switched on without `RASA_API_TOKEN`, or
            `CORS_ORIGINS` with `*` or something that is not an origin.
    """
    signature = inspect.signature(configure_app)

    @functools.wraps(configure_app)
    def configure(*args: Any, **kwargs: Any) -> Any:
        settings = settings_of()
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        given = bound.arguments
        if given.get("auth_token"):
            raise ServerSetupError(
                "The API token was given on the command line (--auth-token), where every user of the machine "
                "can read it: set RASA_API_TOKEN in the environment instead."
            )
        if given.get("enable_api") and not settings.rasa_api_token:
            raise ServerSetupError("--enable-api needs RASA_API_TOKEN: the API is never open without a token.")
        argued = given.get("cors") or ()
        if settings.cors_origins and argued:
            logger.warning("Rasa's --cors is ignored: CORS_ORIGINS is set and lists the allowed origins")
        try:
            origins = check_origins(settings.cors_origins or ([argued] if isinstance(argued, str) else list(argued)))
        except ValueError as exc:
            raise ServerSetupError(str(exc)) from None
        given["auth_token"] = settings.rasa_api_token if given.get("enable_api") else None
        given["cors"] = origins or None
        return prepare_app(configure_app(*bound.args, **bound.kwargs), settings, origins)

    configure.__wrapped_by_bot__ = True  # type: ignore[attr-defined]
    return configure


def install_server_duties() -> None:
    """Makes `rasa run` build its app with `with_bot_duties`; calling it again does nothing."""
    import rasa.core.run

    if not getattr(rasa.core.run.configure_app, "__wrapped_by_bot__", False):
        rasa.core.run.configure_app = with_bot_duties(rasa.core.run.configure_app)


def profile_to(path: str) -> None:
    """Profiles this whole process with cProfile and writes the statistics to `path` when it exits.

    A measuring switch (`RASA_PROFILE=var/bench/rasa.prof`), for finding where a turn's or the start-up's time
    goes (`bench/turn_cost.py`); read the file with `python -m pstats`. Off unless the variable is set.
    """
    import atexit
    import cProfile

    profile = cProfile.Profile()

    def dump() -> None:
        profile.disable()
        profile.dump_stats(path)

    atexit.register(dump)
    profile.enable()


def main(argv: Sequence[str] | None = None) -> None:
    """Runs Rasa's command line (`rasa run`, `rasa shell`, ...) with the patches and the server duties.

    Exits with status 2 and the guard's message when the installed Rasa is not 3.6.x, or with what is wrong
    when a setting is invalid (say, `EMERGENCY_NUMBERS`): a server that would give the wrong numbers or fail
    at its first reply never starts.
    """
    if os.environ.get("RASA_PROFILE"):
        profile_to(os.environ["RASA_PROFILE"])
    try:
        Settings.from_env()
        rasa_patches.install()
    except (ValueError, rasa_patches.UnsupportedRasaVersion) as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    install_server_duties()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
