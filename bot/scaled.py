"""The scaled bot: several Rasa servers and action servers behind nginx, on PostgreSQL and Redis.

`python -m bot.launcher run --scaled` (`make run-scaled`; `python -m bot.scaled` is the same) runs, on one
machine, the topology the Kubernetes manifests in `deploy/k8s/` run on a cluster:

    clients -> nginx :RASA_PORT  -> Rasa server 1..N  (shared PostgreSQL tracker store, Redis lock store)
    Rasa    -> nginx :ACTION_PORT -> action server 1..N (shared PostgreSQL content database)

Replica i listens on RASA_PORT + i and ACTION_PORT + i. Before starting anything it checks that PostgreSQL
and Redis answer and, if not, says which one and waits for it (a database that comes up late is normal when
a whole system starts). A replica that dies is restarted while nginx sends its traffic to the others; if
nginx dies, everything stops, like the single launcher. Ctrl-C or SIGTERM stops nginx first (no new
requests), then the Rasa servers, then the action servers. This module only says which servers to run and
prepares their services; starting, watching and stopping them is bot/supervisor.py's, as for `make run`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.config import INTERNAL_HOST, PROJECT_ROOT, VAR_DIR, Settings
from bot.emergency_numbers import DEFAULT as DEFAULT_NUMBERS
from bot.emergency_numbers import LocalNumbers
from bot.server_commands import action_server_command, child_env, rasa_command
from bot.sql_engine import make_engine, redact
from bot.supervisor import Server, SupervisorError, say
from bot.wording import GATEWAY_UNAVAILABLE

ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.scaled.yml"
NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
SCALED_DIR = VAR_DIR / "scaled"
READY_LINE = "The scaled spasticity bot is ready"
SERVICE_WAIT_S = 300.0
# How long one check of PostgreSQL may wait for a connection while the setup waits for its services.
SERVICE_PROBE_TIMEOUT_S = 3
NGINX_STARTUP_TIMEOUT_S = 30.0
ACTION_TIMEOUT = "30s"
# Open connections one client address may hold through nginx: a Socket.IO connection per open widget, plus
# the page's other requests; a household or an office behind one address stays far below it.
CLIENT_CONNECTIONS = 64


class SetupError(SupervisorError):
    """The scaled setup cannot start; the message says what to fix."""


def unavailable_action_response(numbers: LocalNumbers = DEFAULT_NUMBERS) -> str:
    """The action server's JSON reply the gateway sends when no action server can answer.

    Rasa sends each `responses` item as a bot message, so the person reads a plain explanation, with the
    deployment's emergency and crisis numbers (`numbers`: `Settings.local_numbers`). The JSON must sit inside a
    single-quoted nginx string, so apostrophes are written as JSON escapes.
    """
    body = json.dumps({"events": [], "responses": [{"text": numbers.localise(GATEWAY_UNAVAILABLE)}]})
    return body.replace("'", "\\u0027")


# The line of deploy/k8s/action-gateway.conf that holds the fallback reply (nginx cannot import it).
K8S_GATEWAY = PROJECT_ROOT / "deploy" / "k8s" / "action-gateway.conf"
K8S_FALLBACK = re.compile(r"(return 200 ')(.*)(';)")


def k8s_gateway_conf(numbers: LocalNumbers, conf: str) -> str:
    """deploy/k8s/action-gateway.conf with its fallback reply giving these numbers (`make k8s-gateway`).

    Raises:
        SetupError: when the file has no fallback reply, or more than one.
    """
    if len(K8S_FALLBACK.findall(conf)) != 1:
        raise SetupError(f"{K8S_GATEWAY} must have exactly one `return 200 '...';` fallback reply")
    return K8S_FALLBACK.sub(lambda m: f"{m[1]}{unavailable_action_response(numbers)}{m[3]}", conf)


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

    per_minute = settings.client_rate_per_minute
    limit_req = (
        f"        limit_req zone=per_client burst={max(1, settings.client_rate_burst)} nodelay;"
        if per_minute > 0
        else "        # no per-client rate: CLIENT_RATE_PER_MINUTE is 0"
    )
    values = {
        "prefix": str(prefix),
        "max_body": str(settings.max_request_bytes),
        "client_rate": f"{max(1, round(per_minute))}r/m",
        "limit_req": limit_req,
        "client_connections": str(CLIENT_CONNECTIONS),
        "user": "user root root;" if os.geteuid() == 0 else "",  # workers as root only when we are root
        "host": settings.host,
        "rasa_port": str(settings.rasa_port),
        "action_port": str(settings.action_port),
        "rasa_servers": upstream(settings.rasa_port),
        "action_servers": upstream(settings.action_port),
        "action_timeout": ACTION_TIMEOUT,
        "unavailable_json": unavailable_action_response(settings.local_numbers),
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

    problems = []
    for what, url in (("content database", settings.database_url), ("tracker store", settings.tracker_store_url)):
        engine = make_engine(url or "", connect_timeout=SERVICE_PROBE_TIMEOUT_S)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # OperationalError and friends: report, never crash
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            problems.append(f"PostgreSQL ({what}) at {redact(url or '')}: {reason}")
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

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa's declarative base warns about SQLAlchemy 2.0
        from rasa.core.tracker_store import SQLTrackerStore

    engine = make_engine(url)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


class ScaledBot:
    """The scaled bot's servers (N action servers, N Rasa servers, nginx) and what must happen before they start.

    Replica i listens on RASA_PORT + i and ACTION_PORT + i; nginx listens on RASA_PORT (clients) and
    ACTION_PORT (the action gateway). `prepare` checks the settings, waits for PostgreSQL and Redis, creates
    the tracker tables and writes nginx's configuration; bot/supervisor.py runs the servers of `stages`.
    """

    def __init__(
        self,
        settings: Settings,
        model: Path,
        endpoints: Path = ENDPOINTS,
        wait: float = SERVICE_WAIT_S,
        report: Callable[[str], None] = say,
    ) -> None:
        """Describes the servers; nothing is checked or started yet."""
        self.settings = settings
        self.model = model
        self.endpoints = endpoints
        self.wait = wait
        self.say = report
        self.prefix = SCALED_DIR / f"nginx-{settings.rasa_port}"

    def prepare(self) -> None:
        """Everything before the first server starts: checks, services, tracker tables, nginx configuration.

        Raises:
            SetupError: when the setup cannot run, with what to fix.
        """
        check_settings(self.settings)
        wait_for_services(self.settings, self.wait, self.say)
        create_tracker_tables(self.settings.tracker_store_url or "")
        shutil.rmtree(self.prefix, ignore_errors=True)
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(render_nginx(self.settings, self.prefix, self.settings.replicas), encoding="utf-8")
        checked = subprocess.run([*self.nginx_command(), "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise SetupError(f"nginx refused {config}:\n{checked.stderr}")

    def nginx_command(self) -> list[str]:
        """The nginx command line: the generated configuration, its pid and logs in the prefix folder."""
        config = self.prefix / "nginx.conf"
        return [NGINX, "-p", str(self.prefix), "-c", str(config), "-e", str(self.prefix / "error.log")]

    def stages(self) -> list[list[Server]]:
        """The action servers, then the Rasa servers, then nginx in front of both."""
        settings = self.settings
        env = child_env(settings)
        env.update(tracker_env(settings.tracker_store_url or ""))
        env.update(
            {
                "ACTION_ENDPOINT_URL": settings.action_endpoint_url,  # the gateway, not one action server
                "LOCK_STORE_URL": settings.lock_store_url,
                "LOCK_KEY_PREFIX": settings.lock_key_prefix,
                "DATABASE_URL": settings.database_url,
            }
        )
        actions, rasa = [], []
        for i in range(1, settings.replicas + 1):
            action = dataclasses.replace(settings, action_port=settings.action_port + i)
            health = f"http://127.0.0.1:{action.action_port}/health"
            actions.append(Server(f"action server {i}", action_server_command(action), health, env, restart=True))
            # Replicas are reached through nginx only: they listen on loopback whatever BOT_HOST says.
            replica = dataclasses.replace(settings, rasa_port=settings.rasa_port + i, host=INTERNAL_HOST)
            command = rasa_command(replica, self.model, "run", self.endpoints)
            health = f"http://127.0.0.1:{replica.rasa_port}/"
            rasa.append(Server(f"Rasa server {i}", command, health, env, restart=True))
        nginx = Server(
            "nginx gateway",
            self.nginx_command(),
            f"http://127.0.0.1:{settings.rasa_port}/",
            startup_timeout=NGINX_STARTUP_TIMEOUT_S,
            hint=f"; see {self.prefix}",
        )
        return [actions, rasa, [nginx]]

    def ready_message(self, started: float) -> str:
        """What the operator reads when everything answers."""
        settings, replicas = self.settings, self.settings.replicas
        host = "localhost" if settings.host in {"127.0.0.1", "0.0.0.0"} else settings.host
        base = f"http://{host}:{settings.rasa_port}"
        return (
            f"\n{READY_LINE} after {time.monotonic() - started:.1f} s: {replicas} Rasa servers and "
            f"{replicas} action servers behind nginx.\n"
            f'  REST:       POST {base}/webhooks/rest/webhook  {{"sender": "me", "message": "what is spasticity?"}}\n'
            f"  Socket.IO:  {base}/socket.io\n"
            f"  Rasa:       ports {settings.rasa_port + 1}-{settings.rasa_port + replicas}, "
            f"actions: ports {settings.action_port + 1}-{settings.action_port + replicas} "
            f"(gateway {settings.action_port})\n"
            f"  Stores:     tracker {redact(settings.tracker_store_url or 'sqlite://')}, "
            f"locks {settings.lock_store_url} (prefix {settings.lock_key_prefix!r})\n"
            f"  nginx:      {self.prefix}/nginx.conf, logs beside it.  Stop with Ctrl-C.\n"
        )


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.scaled [options]`: the same as `python -m bot.launcher run --scaled [options]`."""
    from bot.launcher import main as launch  # here, not at the top: the launcher imports this module

    return launch(["run", "--scaled", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
