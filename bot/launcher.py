"""Starts the action server and the Rasa server, waits until both answer, and stops both cleanly.

`python -m bot.launcher run` serves the REST and Socket.IO channels (`make run`); `python -m bot.launcher
shell` chats in the terminal (`make shell`). Both children run in their own process groups, so Ctrl-C or
SIGTERM reaches the launcher once and it stops them in order; if either child dies, the other is stopped
too and the launcher exits with an error, rather than leaving half a bot running.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.training import MODEL_NAME, model_path

STARTUP_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 15.0


def child_env(settings: Settings) -> dict[str, str]:
    """The environment both servers run with: endpoints.yml reads its values from here."""
    env = dict(os.environ)
    env.setdefault("ACTION_ENDPOINT_URL", settings.action_endpoint_url)
    env["TRACKER_DB"] = str(settings.tracker_db)
    env["SANIC_HOST"] = settings.host  # rasa-sdk's action server listens here
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # rasa-sdk's Sanic drops idle keep-alive connections after 5 s; Rasa may reuse one just as it closes and
    # the turn goes silent ("Can not write request body", seen in load tests; RasaHQ/rasa-sdk#1047).
    env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", "120")
    # One TensorFlow/OpenMP thread per process: replicas, not threads, use the cores, and they do not fight.
    for name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS", "OMP_NUM_THREADS"):
        env.setdefault(name, "1")
    settings.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    return env


def action_server_command(settings: Settings) -> list[str]:
    """The action server, serving the `actions` package."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.action_port)]


def rasa_command(settings: Settings, model: Path, mode: str, endpoints: Path | None = None) -> list[str]:
    """`rasa run` with the REST and Socket.IO channels, or `rasa shell`, through `bot.rasa_server`.

    The HTTP API is enabled only with a token, so it can never be open without one. `endpoints` defaults to
    the offline `endpoints.yml`; the scaled setup (bot/scaled.py) passes `deploy/endpoints.scaled.yml`.
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
        "--cors", "*",
    ]  # fmt: skip
    if settings.rasa_api_token:
        command += ["--enable-api", "--auth-token", settings.rasa_api_token]
    return command


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = STARTUP_TIMEOUT_S) -> bool:
    """Polls `url` until it answers 200; False if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    return False


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stops the children, newest first: SIGTERM, then SIGKILL after a grace period."""
    for process in reversed(processes):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class _Stop(Exception):
    """Raised by the signal handler to unwind to the clean-up code."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """Runs the servers until interrupted; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.launcher", description=__doc__)
    parser.add_argument("mode", choices=["run", "shell"], nargs="?", default="run")
    parser.add_argument("--model", type=Path, default=None, help="trained model (default: models/spasticity)")
    args = parser.parse_args(argv)
    settings = get_settings()
    model = args.model or model_path(settings.model_dir, MODEL_NAME)
    if not model.is_file():
        print(f"No trained model at {model}: run `make train` (or `make run`, which trains).", file=sys.stderr)
        return 1
    env = child_env(settings)
    started = time.monotonic()
    processes: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        actions = subprocess.Popen(action_server_command(settings), cwd=PROJECT_ROOT, env=env, start_new_session=True)
        processes.append(actions)
        action_health = f"http://127.0.0.1:{settings.action_port}/health"
        if not wait_until_up(action_health, actions):
            print(f"The action server did not start (port {settings.action_port} busy?).", file=sys.stderr)
            return 1
        if args.mode == "shell":
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the shell in the foreground
            return subprocess.call(rasa_command(settings, model, "shell"), cwd=PROJECT_ROOT, env=env)
        rasa = subprocess.Popen(rasa_command(settings, model, "run"), cwd=PROJECT_ROOT, env=env, start_new_session=True)
        processes.append(rasa)
        if not wait_until_up(f"http://127.0.0.1:{settings.rasa_port}/", rasa):
            print(f"The Rasa server did not start (port {settings.rasa_port} busy?).", file=sys.stderr)
            return 1
        base = (
            f"http://{'localhost' if settings.host in {'127.0.0.1', '0.0.0.0'} else settings.host}:{settings.rasa_port}"
        )
        api = "on (token required)" if settings.rasa_api_token else "off (set RASA_API_TOKEN to enable it)"
        editors = f"{base}/webhooks/editor/" if settings.editor_token else "off (set EDITOR_TOKEN to enable it)"
        telegram = (
            f"POST {base}/webhooks/telegram/webhook  (register it once: `make telegram-webhook`)"
            if settings.telegram_bot_token
            else "off (set TELEGRAM_BOT_TOKEN to enable it)"
        )
        print(
            f"\nThe spasticity bot is ready after {time.monotonic() - started:.1f} s.\n"
            f'  REST:       POST {base}/webhooks/rest/webhook  {{"sender": "me", "message": "what is spasticity?"}}\n'
            f"  Socket.IO:  {base}/socket.io  (events user_uttered / bot_uttered)\n"
            f"  Widget:     {base}/webhooks/widget/  (demo page: the website widget on a mock community page)\n"
            f"  Actions:    http://127.0.0.1:{settings.action_port}/webhook\n"
            f"  HTTP API:   {api}\n"
            f"  Editors:    {editors}\n"
            f"  Telegram:   {telegram}\n"
            f"  Terminal chat: `make shell`.  Stop with Ctrl-C.\n",
            flush=True,
        )
        while True:
            for process in processes:
                if process.poll() is not None:
                    name = "action server" if process is actions else "Rasa server"
                    print(f"The {name} stopped unexpectedly (exit {process.returncode}).", file=sys.stderr)
                    return 1
            time.sleep(1)
    except _Stop as reason:
        print(f"\nStopping ({reason})...", flush=True)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
