"""Runs the bot: an action server and a Rasa server (`make run`), or N of each behind nginx (`make run-scaled`).

`python -m bot.launcher run` serves the REST and Socket.IO channels on RASA_PORT with its action server on
ACTION_PORT; `python -m bot.launcher shell` chats in the terminal (`make shell`); `python -m bot.launcher run
--scaled` runs REPLICAS Rasa servers and action servers behind nginx on PostgreSQL and Redis
(bot/scaled.py). All three are one supervisor (bot/supervisor.py) with different servers: it waits until
they answer, stops them in order on Ctrl-C or SIGTERM, and never leaves half a bot running.

The launcher and every server it starts run with umask 077, and at start it takes the group's and others'
permissions off what already exists in `var/` and off the SQLite databases (conversations, content and
feedback), so that no other user of the machine can read what people asked.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT, VAR_DIR, Settings, get_settings
from bot.scaled import ENDPOINTS, SERVICE_WAIT_S, ScaledBot
from bot.server_commands import action_server_command, child_env, rasa_command
from bot.sql_engine import is_sqlite_file, prepare_sqlite_file
from bot.supervisor import PRIVATE_UMASK, Server, Supervisor, make_private
from bot.training import MODEL_NAME, model_path

__all__ = ["action_server_command", "child_env", "main", "rasa_command"]


# SQLite keeps a database's uncommitted writes beside it in files named after it.
SQLITE_SIDE_FILES = ("", "-journal", "-wal", "-shm")


def private_paths(settings: Settings) -> list[Path]:
    """What holds people's words or the bot's logs: `var/`, and the SQLite databases wherever they are."""
    from sqlalchemy.engine import make_url

    databases = [settings.tracker_db]
    content = make_url(settings.database_url)
    if is_sqlite_file(content):
        databases.append(Path(str(content.database)))
    return [VAR_DIR, *(db.with_name(db.name + side) for db in databases for side in SQLITE_SIDE_FILES)]


def single_bot(settings: Settings, model: Path) -> list[list[Server]]:
    """The action server and the Rasa server, started together, on SQLite; either one dying stops both.

    One stage: neither needs the other to start (Rasa calls the action server only for a message, and the
    bot is ready only once both answer), so the start-up takes the longer of the two instead of their sum.
    """
    env = child_env(settings)
    actions = Server(
        "action server", action_server_command(settings), f"http://127.0.0.1:{settings.action_port}/health", env
    )
    rasa = Server("Rasa server", rasa_command(settings, model, "run"), f"http://127.0.0.1:{settings.rasa_port}/", env)
    return [[actions, rasa]]


def ready_message(settings: Settings, started: float) -> str:
    """What the operator reads when the single bot answers: where to chat, and what is on or off."""
    host = "localhost" if settings.host in {"127.0.0.1", "0.0.0.0"} else settings.host
    base = f"http://{host}:{settings.rasa_port}"
    api = (
        "on (token required, from this machine only)"
        if settings.rasa_api_token
        else "off (set RASA_API_TOKEN to enable it)"
    )
    editors = f"{base}/webhooks/editor/" if settings.editor_token else "off (set EDITOR_TOKEN to enable it)"
    telegram = (
        f"POST {base}/webhooks/telegram/webhook  (register it once: `make telegram-webhook`)"
        if settings.telegram_bot_token
        else "off (set TELEGRAM_BOT_TOKEN to enable it)"
    )
    return (
        f"\nThe spasticity bot is ready after {time.monotonic() - started:.1f} s.\n"
        f'  REST:       POST {base}/webhooks/rest/webhook  {{"sender": "me", "message": "what is spasticity?"}}\n'
        f"  Socket.IO:  {base}/socket.io  (events user_uttered / bot_uttered)\n"
        f"  Widget:     {base}/webhooks/widget/  (demo page: the website widget on a mock community page)\n"
        f"  Actions:    http://127.0.0.1:{settings.action_port}/webhook\n"
        f"  HTTP API:   {api}\n"
        f"  Editors:    {editors}\n"
        f"  Telegram:   {telegram}\n"
        f"  Terminal chat: `make shell`.  Stop with Ctrl-C.\n"
    )


def _shell(settings: Settings, model: Path, env: dict[str, str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the shell in the foreground
    return subprocess.call(rasa_command(settings, model, "shell"), cwd=PROJECT_ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    """Runs the servers until interrupted; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.launcher", description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"], nargs="?", default="run")
    parser.add_argument("--model", type=Path, default=None, help="trained model (default: models/spasticity)")
    parser.add_argument("--scaled", action="store_true", help="replicas behind nginx, on PostgreSQL and Redis")
    parser.add_argument("--replicas", type=int, default=None, help="scaled: Rasa and action servers (REPLICAS)")
    parser.add_argument("--wait", type=float, default=SERVICE_WAIT_S, help="scaled: seconds to wait for services")
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS, help="scaled: endpoints file")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as error:  # a bad setting (e.g. EMERGENCY_NUMBERS): say which, start nothing
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    model = args.model or model_path(settings.model_dir, MODEL_NAME)
    if not model.is_file():
        print(f"No trained model at {model}: run `make train` (or `make run`, which trains).", file=sys.stderr)
        return 1
    os.umask(PRIVATE_UMASK)  # for what the launcher writes itself (nginx's configuration, the database files)
    make_private(private_paths(settings))
    if args.scaled or args.replicas is not None:
        if args.mode == "shell":
            parser.error("the terminal chat runs on the single bot; leave out --scaled and --replicas")
        if args.replicas is not None:
            settings = dataclasses.replace(settings, replicas=args.replicas)
        scaled = ScaledBot(settings, model, args.endpoints, args.wait)
        supervisor = Supervisor([])

        def prepare() -> None:
            scaled.prepare()
            supervisor.stages = scaled.stages()  # described once the settings are known to be usable

        return supervisor.run(scaled.ready_message, prepare=prepare)
    prepare_sqlite_file(settings.tracker_db)  # the conversations: readable by their owner only
    stages = single_bot(settings, model)
    if args.mode == "shell":  # the terminal chat is the Rasa server, in the foreground: only the action server here
        env = child_env(settings)
        actions = [[server for server in stages[0] if server.name == "action server"]]
        return Supervisor(actions).run(lambda _: "", foreground=lambda: _shell(settings, model, env))
    return Supervisor(stages).run(lambda started: ready_message(settings, started))


if __name__ == "__main__":
    sys.exit(main())
