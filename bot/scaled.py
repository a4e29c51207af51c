"""The scaled bot: several Rasa servers and action servers behind nginx, on PostgreSQL and Redis.

`python -m bot.scaled` (`make run-scaled`) runs, on one machine, the topology the Kubernetes manifests in
`deploy/k8s/` run on a cluster:

    clients -> nginx :RASA_PORT  -> Rasa server 1..N  (shared PostgreSQL tracker store, Redis lock store)
    Rasa    -> nginx :ACTION_PORT -> action server 1..N (shared PostgreSQL content database)

Replica i listens on RASA_PORT + i and ACTION_PORT + i. Before starting anything it checks that PostgreSQL
and Redis answer and, if not, says which one and waits for it (a database that comes up late is normal when
a whole system starts). A replica that dies is restarted while nginx sends its traffic to the others; if
nginx dies, everything stops, like the single launcher. Ctrl-C or SIGTERM stops nginx first (no new
requests), then the Rasa servers, then the action servers. The process handling is bot/launcher.py's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import PROJECT_ROOT, VAR_DIR, Settings, get_settings
from bot.launcher import _on_signal, _Stop, action_server_command, child_env, rasa_command, stop, wait_until_up
from bot.replies import CRISIS_LINES, EMERGENCY_NUMBERS
from bot.training import MODEL_NAME, model_path

ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.scaled.yml"
NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
SCALED_DIR = VAR_DIR / "scaled"
READY_LINE = "The scaled spasticity bot is ready"
SERVICE_WAIT_S = 300.0
RESTART_DELAY_S = 2.0
ACTION_TIMEOUT = "30s"

UNAVAILABLE_TEXT = (
    "I'm sorry, I can't answer right now because part of this service is not working. Please try again in a "
    f"few minutes. {EMERGENCY_NUMBERS} {CRISIS_LINES}"
)


class SetupError(RuntimeError):
    """The scaled setup cannot start; the message says what to fix."""


def unavailable_action_response() -> str:
    """The action server's JSON reply the gateway sends when no action server can answer.

    Rasa sends each `responses` item as a bot message, so the person reads a plain explanation. The JSON
    must sit inside a single-quoted nginx string, so apostrophes are written as JSON escapes.
    """
    body = json.dumps({"events": [], "responses": [{"text": UNAVAILABLE_TEXT}]})
    return body.replace("'", "\\u0027")


def tracker_env(url: str) -> dict[str, str]:
    """The TRACKER_DB_* variables of deploy/endpoints.scaled.yml, from one SQLAlchemy URL.

    Raises:
        SetupError: when the URL is not a PostgreSQL URL.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SetupError(f"The tracker store must be PostgreSQL in the scaled setup, got {parsed.drivername!r}.")
    options = parsed.query.get("options", "")
    return {
        "TRACKER_DB_HOST": parsed.host or "127.0.0.1",
        "TRACKER_DB_PORT": str(parsed.port or 5432),
        "TRACKER_DB_NAME": parsed.database or "",
        "TRACKER_DB_USER": parsed.username or "",
        "TRACKER_DB_PASSWORD": parsed.password or "",
        "TRACKER_DB_OPTIONS": options if isinstance(options, str) else " ".join(options),
    }


def render_nginx(settings: Settings, prefix: Path, replicas: int) -> str:
    """The nginx configuration for `replicas` Rasa and action servers, from deploy/nginx.conf.template."""

    def upstream(first_port: int) -> str:
        ports = range(first_port + 1, first_port + replicas + 1)
        return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports)

    values = {
        "prefix": str(prefix),
        "user": "user root root;" if os.geteuid() == 0 else "",  # workers as root only when we are root
        "host": settings.host,
        "rasa_port": str(settings.rasa_port),
        "action_port": str(settings.action_port),
        "rasa_servers": upstream(settings.rasa_port),
        "action_servers": upstream(settings.action_port),
        "action_timeout": ACTION_TIMEOUT,
        "unavailable_json": unavailable_action_response(),
    }
    template = NGINX_TEMPLATE.read_text(encoding="utf-8")
    missing = set(re.findall(r"\{\{(\w+)\}\}", template)) - values.keys()
    if missing:
        raise SetupError(f"{NGINX_TEMPLATE} has placeholders nobody fills: {sorted(missing)}")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def service_problems(settings: Settings) -> list[str]:
    """What is unreachable among PostgreSQL (content and tracker store) and Redis; empty when all answer."""
    import redis  # type: ignore[import-untyped,unused-ignore]
    from sqlalchemy import text
    from sqlalchemy.future import create_engine

    problems = []
    for what, url in (("content database", settings.database_url), ("tracker store", settings.tracker_store_url)):
        engine = create_engine(url or "", future=True, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # OperationalError and friends: report, never crash
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            problems.append(f"PostgreSQL ({what}) at {engine.url.render_as_string(hide_password=True)}: {reason}")
        finally:
            engine.dispose()
    client = redis.Redis.from_url(settings.lock_store_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        problems.append(f"Redis (lock store) at {settings.lock_store_url}: {exc}")
    finally:
        client.close()
    return problems


def check_settings(settings: Settings) -> None:
    """Refuses a configuration the scaled setup cannot run, with what to set instead.

    Raises:
        SetupError: on a SQLite content database, no tracker store, too few replicas or no nginx.
    """
    if not settings.database_url.startswith("postgresql"):
        raise SetupError(
            "The scaled setup needs the content in PostgreSQL: set DATABASE_URL, e.g. "
            "postgresql+psycopg2://127.0.0.1:5432/spasticity, and run `make content` with it."
        )
    if not settings.tracker_store_url:
        raise SetupError("The scaled setup needs TRACKER_STORE_URL (a PostgreSQL URL).")
    if settings.replicas < 1:
        raise SetupError(f"REPLICAS must be at least 1, got {settings.replicas}.")
    if not (Path(NGINX).is_file() and os.access(NGINX, os.X_OK)):
        raise SetupError(f"nginx is not installed at {NGINX}: install Debian's package (apt-get install nginx).")


def wait_for_services(settings: Settings, timeout: float, say: Callable[[str], None]) -> None:
    """Waits until PostgreSQL and Redis answer, saying what is missing (once per change).

    Raises:
        SetupError: when they still do not answer after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    told: list[str] = []
    while problems := service_problems(settings):
        if problems != told:
            say("Waiting for services that do not answer yet:\n  " + "\n  ".join(problems))
            told = problems
        if time.monotonic() > deadline:
            raise SetupError("Gave up waiting for:\n  " + "\n  ".join(problems))
        time.sleep(2)
    if told:
        say("PostgreSQL and Redis answer now; starting.")


def create_tracker_tables(url: str) -> None:
    """Creates Rasa's `events` table before the replicas start.

    Every Rasa server creates it on start-up; several starting at once on an empty database race to do so
    and all but one log a scary "Could not create tables" error. One creation here, from Rasa's own table
    definition, avoids that.
    """
    import warnings

    from sqlalchemy import create_engine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa's declarative base warns about SQLAlchemy 2.0
        from rasa.core.tracker_store import SQLTrackerStore

    engine = create_engine(url)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


@dataclass
class Replica:
    """One supervised server: its name, how to start it, where it answers, and its current process."""

    name: str
    command: list[str]
    health: str
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    died_at: float | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> subprocess.Popen[bytes]:
        """Starts (or restarts) the server in its own process group, like the single launcher."""
        self.process = subprocess.Popen(self.command, cwd=PROJECT_ROOT, env=self.env, start_new_session=True)
        self.died_at = None
        return self.process


class ScaledBot:
    """Starts, supervises and stops nginx and the replicas."""

    def __init__(
        self,
        settings: Settings,
        model: Path,
        replicas: int,
        say: Callable[[str], None],
        endpoints: Path = ENDPOINTS,
    ) -> None:
        """Prepares the commands and environments; nothing starts until `start`."""
        self.settings = settings
        self.say = say
        base_env = child_env(settings)
        base_env.update(tracker_env(settings.tracker_store_url or ""))
        base_env.update(
            {
                "ACTION_ENDPOINT_URL": settings.action_endpoint_url,  # the gateway, not one action server
                "LOCK_STORE_URL": settings.lock_store_url,
                "LOCK_KEY_PREFIX": settings.lock_key_prefix,
                "DATABASE_URL": settings.database_url,
            }
        )
        self.actions: list[Replica] = []
        self.rasa: list[Replica] = []
        for i in range(1, replicas + 1):
            action = dataclasses.replace(settings, action_port=settings.action_port + i)
            self.actions.append(
                Replica(
                    f"action server {i}",
                    action_server_command(action),
                    f"http://127.0.0.1:{action.action_port}/health",
                    env=base_env,
                )
            )
            rasa = dataclasses.replace(settings, rasa_port=settings.rasa_port + i)
            self.rasa.append(
                Replica(
                    f"Rasa server {i}",
                    rasa_command(rasa, model, "run", endpoints),
                    f"http://127.0.0.1:{rasa.rasa_port}/",
                    env=base_env,
                )
            )
        self.prefix = SCALED_DIR / f"nginx-{settings.rasa_port}"
        self.nginx: subprocess.Popen[bytes] | None = None

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """Every live child, in start order (launcher.stop stops them newest first)."""
        children = [r.process for r in (*self.actions, *self.rasa) if r.process is not None]
        return [*children, *([self.nginx] if self.nginx else [])]

    def start(self) -> None:
        """Starts the action servers, then the Rasa servers, then nginx, each waiting for health.

        Raises:
            SetupError: when a server does not come up.
        """
        for group in (self.actions, self.rasa):
            for replica in group:
                replica.start()
            for replica in group:
                assert replica.process is not None
                if not wait_until_up(replica.health, replica.process):
                    raise SetupError(f"The {replica.name} did not start ({replica.health}; port busy?).")
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(render_nginx(self.settings, self.prefix, len(self.rasa)), encoding="utf-8")
        command = [NGINX, "-p", str(self.prefix), "-c", str(config), "-e", str(self.prefix / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise SetupError(f"nginx refused {config}:\n{checked.stderr}")
        self.nginx = subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True)
        if not wait_until_up(f"http://127.0.0.1:{self.settings.rasa_port}/", self.nginx, timeout=30):
            raise SetupError(f"nginx did not start (port {self.settings.rasa_port} busy? see {self.prefix}).")

    def supervise_once(self) -> None:
        """Restarts replicas that died (after a short pause, so a crash loop does not spin).

        Raises:
            SetupError: when nginx itself stopped.
        """
        if self.nginx is not None and self.nginx.poll() is not None:
            raise SetupError(f"nginx stopped unexpectedly (exit {self.nginx.returncode}); see {self.prefix}.")
        now = time.monotonic()
        for replica in (*self.actions, *self.rasa):
            process = replica.process
            if process is None or process.poll() is None:
                continue
            if replica.died_at is None:
                replica.died_at = now
                self.say(f"The {replica.name} stopped unexpectedly (exit {process.returncode}); restarting it.")
            elif now - replica.died_at >= RESTART_DELAY_S:
                replica.restarts += 1
                replica.start()
                self.say(f"The {replica.name} is starting again (restart {replica.restarts}).")

    def ready_message(self, started: float) -> str:
        """What the operator reads when everything answers."""
        host = "localhost" if self.settings.host in {"127.0.0.1", "0.0.0.0"} else self.settings.host
        base = f"http://{host}:{self.settings.rasa_port}"
        return (
            f"\n{READY_LINE} after {time.monotonic() - started:.1f} s: {len(self.rasa)} Rasa servers and "
            f"{len(self.actions)} action servers behind nginx.\n"
            f'  REST:       POST {base}/webhooks/rest/webhook  {{"sender": "me", "message": "what is spasticity?"}}\n'
            f"  Socket.IO:  {base}/socket.io\n"
            f"  Rasa:       ports {self.settings.rasa_port + 1}-{self.settings.rasa_port + len(self.rasa)}, "
            f"actions: ports {self.settings.action_port + 1}-{self.settings.action_port + len(self.actions)} "
            f"(gateway {self.settings.action_port})\n"
            f"  Stores:     tracker {_redact(self.settings.tracker_store_url or '')}, "
            f"locks {self.settings.lock_store_url} (prefix {self.settings.lock_key_prefix!r})\n"
            f"  nginx:      {self.prefix}/nginx.conf, logs beside it.  Stop with Ctrl-C.\n"
        )


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def _say(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Runs the scaled bot until interrupted; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.scaled", description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="trained model (default: models/spasticity)")
    parser.add_argument("--replicas", type=int, default=None, help="Rasa and action servers (default: REPLICAS)")
    parser.add_argument("--wait", type=float, default=SERVICE_WAIT_S, help="seconds to wait for PostgreSQL/Redis")
    parser.add_argument(
        "--endpoints", type=Path, default=ENDPOINTS, help="endpoints file (default: deploy/endpoints.scaled.yml)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.replicas is not None:
        settings = dataclasses.replace(settings, replicas=args.replicas)
    model = args.model or model_path(settings.model_dir, MODEL_NAME)
    if not model.is_file():
        print(f"No trained model at {model}: run `make train` (or `make run-scaled`, which trains).", file=sys.stderr)
        return 1
    started = time.monotonic()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    bot: ScaledBot | None = None
    try:
        check_settings(settings)
        wait_for_services(settings, args.wait, _say)
        create_tracker_tables(settings.tracker_store_url or "")
        bot = ScaledBot(settings, model, settings.replicas, _say, args.endpoints)
        shutil.rmtree(bot.prefix, ignore_errors=True)
        bot.start()
        _say(bot.ready_message(started))
        while True:
            bot.supervise_once()
            time.sleep(0.5)
    except SetupError as error:
        print(f"The scaled bot cannot run: {error}", file=sys.stderr, flush=True)
        return 1
    except _Stop as reason:
        print(f"\nStopping ({reason})...", flush=True)
        return 0
    finally:
        if bot is not None:
            stop(bot.processes)


if __name__ == "__main__":
    sys.exit(main())
