"""How the bot's two servers are started: their command lines and their environment.

The single bot (bot/launcher.py) and the scaled bot (bot/scaled.py) start the same action server and Rasa
server with these commands; only the ports, the endpoints file and a few variables differ.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.config import INTERNAL_HOST, PROCESS_ENV, PROJECT_ROOT, Settings


def child_env(settings: Settings) -> dict[str, str]:
    """The environment both servers run with: endpoints.yml reads its values from here.

    The process settings (`bot.config.PROCESS_ENV`) apply unless the environment sets them already.
    """
    env = dict(os.environ)
    env.setdefault("ACTION_ENDPOINT_URL", settings.action_endpoint_url)
    env["TRACKER_DB"] = str(settings.tracker_db)
    # Read by bot.rasa_server in the Rasa server, never passed on its command line.
    if settings.rasa_api_token:
        env["RASA_API_TOKEN"] = settings.rasa_api_token
    else:
        env.pop("RASA_API_TOKEN", None)
    # rasa-sdk's action server listens here: loopback only, whatever BOT_HOST says (it has no authentication).
    env["SANIC_HOST"] = INTERNAL_HOST
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    for name, value in PROCESS_ENV.items():
        env.setdefault(name, value)
    return env


def action_server_command(settings: Settings) -> list[str]:
    """The action server, serving the `actions` package."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.action_port)]


def rasa_command(settings: Settings, model: Path, mode: str, endpoints: Path | None = None) -> list[str]:
    """`rasa run` with the REST and Socket.IO channels, or `rasa shell`, through `bot.rasa_server`.

    The HTTP API is enabled only with a token, so it can never be open without one; the token itself stays in
    the environment (`RASA_API_TOKEN`, read by `bot.rasa_server`), off the command line that `ps` shows to
    every user. CORS comes from `CORS_ORIGINS` the same way. `endpoints` defaults to the offline
    `endpoints.yml`; the scaled setup (bot/scaled.py) passes `deploy/endpoints.scaled.yml`.
    """
    endpoints = endpoints or PROJECT_ROOT / "endpoints.yml"
    common = ["--model", str(model), "--endpoints", str(endpoints)]
    if mode == "shell":
        return [sys.executable, "-m", "bot.rasa_server", "shell", *common]
    command = [
        sys.executable, "-m", "bot.rasa_server", "run", *common,
        "--credentials", str(PROJECT_ROOT / "credentials.yml"),
        "--interface", settings.host,
        "--port", str(settings.rasa_port),
    ]  # fmt: skip
    if settings.rasa_api_token:
        command.append("--enable-api")
    return command
