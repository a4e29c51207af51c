"""Starts the bot's server processes, waits until they answer, watches them and stops them: one supervisor.

`make run` (bot/launcher.py: one action server, one Rasa server) and `make run-scaled` (bot/scaled.py: N of
each behind nginx) are the same supervisor with different servers:

- servers start in stages, each stage waiting until every server's health URL answers 200: the single bot's
  action server and Rasa server together, the scaled bot's action servers, then Rasa servers, then nginx;
- each child runs in its own process group, so Ctrl-C or SIGTERM reaches the supervisor once, and it stops
  them in reverse order (nginx first, then the Rasa servers, then the action servers): SIGTERM, then
  SIGKILL after `STOP_TIMEOUT_S`;
- a server that dies is restarted after `RESTART_DELAY_S` if it is a replica (`restart=True`: nginx sends
  its traffic to the others meanwhile); any other server's death stops everything with exit 1, rather than
  leaving half a bot running;
- every child runs with umask 077 (`PRIVATE_UMASK`), so what the servers write (the tracker database and its
  journal, logs, nginx's files) is readable by its owner only; `make_private` takes the same bits off files
  that exist already.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bot.config import PROJECT_ROOT

STARTUP_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 15.0
# A replica that died is started again after this pause, so a crash loop does not spin.
RESTART_DELAY_S = 2.0
WATCH_INTERVAL_S = 0.5
# Files and folders the bot's processes create are readable and writable by their owner only (0600 / 0700):
# they hold conversations word for word, feedback and logs.
PRIVATE_UMASK = 0o077

Say = Callable[[str], None]


class SupervisorError(RuntimeError):
    """The bot cannot start or go on; the message says what happened and what to fix."""


class Stop(Exception):
    """Raised by the signal handler to unwind to the clean-up code."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def stop_on_signals() -> None:
    """Makes SIGINT (Ctrl-C) and SIGTERM raise `Stop` in the main thread."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def say(message: str) -> None:
    """Prints an operator message at once (the supervisor's output is often piped)."""
    print(message, flush=True)


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


def make_private(paths: Iterable[Path]) -> None:
    """Takes the group's and others' permissions off each existing path, and off everything inside a folder.

    What the owner may do is unchanged; symbolic links are left alone (their mode means nothing on Linux).
    """
    for path in paths:
        if path.is_symlink() or not path.exists():
            continue
        targets = [path]
        if path.is_dir():
            for root, folders, files in os.walk(path):
                targets += [Path(root, name) for name in (*folders, *files)]
        for target in targets:
            if not target.is_symlink():
                mode = stat.S_IMODE(target.stat().st_mode)
                if mode & PRIVATE_UMASK:
                    os.chmod(target, mode & ~PRIVATE_UMASK)


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stops the children, newest first: SIGTERM to each process group, then SIGKILL after a grace period."""
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


@dataclass
class Server:
    """One supervised server process.

    Attributes:
        name: how messages call it ("Rasa server 1").
        command: its command line, run from the project root.
        health: a URL that answers 200 once it serves.
        env: its environment (None: the supervisor's own).
        restart: restart it when it dies (a replica behind nginx) instead of stopping everything.
        startup_timeout: how long it may take to answer `health`.
        hint: added to messages about it, e.g. where its logs are.
    """

    name: str
    command: list[str]
    health: str
    env: Mapping[str, str] | None = None
    restart: bool = False
    startup_timeout: float = STARTUP_TIMEOUT_S
    hint: str = ""
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    died_at: float | None = None

    def start(self) -> subprocess.Popen[bytes]:
        """Starts (or restarts) the server in its own process group, with umask 077."""
        env = dict(self.env) if self.env is not None else None
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=env, start_new_session=True, umask=PRIVATE_UMASK
        )
        self.died_at = None
        return self.process


class Supervisor:
    """Starts servers stage by stage, keeps them running, and stops them in reverse order.

    Args:
        stages: groups of servers; a group starts when every server of the previous one answers.
        say: where operator messages go.
    """

    def __init__(self, stages: Sequence[Sequence[Server]], say: Say = say) -> None:
        self.stages = [list(stage) for stage in stages]
        self.say = say

    @property
    def servers(self) -> list[Server]:
        """Every server, in start order."""
        return [server for stage in self.stages for server in stage]

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """Every started child, in start order (`stop` stops them newest first)."""
        return [s.process for s in self.servers if s.process is not None]

    def start(self) -> None:
        """Starts each stage and waits until its servers answer.

        Raises:
            SupervisorError: when a server does not come up (it died, or its port is busy).
        """
        for stage in self.stages:
            for server in stage:
                server.start()
            for server in stage:
                assert server.process is not None
                if not wait_until_up(server.health, server.process, server.startup_timeout):
                    problem = f"({server.health}; port busy?){server.hint}"
                    raise SupervisorError(f"The {server.name} did not start {problem}.")

    def watch_once(self, now: float | None = None) -> None:
        """Restarts replicas that died (after `RESTART_DELAY_S`); any other server's death is fatal.

        Raises:
            SupervisorError: when a server that is not a replica stopped.
        """
        now = time.monotonic() if now is None else now
        for server in self.servers:
            process = server.process
            if process is None or process.poll() is None:
                continue
            if not server.restart:
                raise SupervisorError(
                    f"The {server.name} stopped unexpectedly (exit {process.returncode}){server.hint}."
                )
            if server.died_at is None:
                server.died_at = now
                self.say(f"The {server.name} stopped unexpectedly (exit {process.returncode}); restarting it.")
            elif now - server.died_at >= RESTART_DELAY_S:
                server.restarts += 1
                server.start()
                self.say(f"The {server.name} is starting again (restart {server.restarts}).")

    def stop(self) -> None:
        """Stops every child, newest first."""
        stop(self.processes)

    def run(
        self,
        ready: Callable[[float], str],
        prepare: Callable[[], None] | None = None,
        foreground: Callable[[], int] | None = None,
    ) -> int:
        """Prepares, starts, then watches the servers until a signal or a fatal death; returns the exit code.

        Args:
            ready: the message for the operator once everything answers, given the start time.
            prepare: checks and set-up before any server starts (may raise `SupervisorError`).
            foreground: run in the foreground once the servers answer, instead of watching them; its
                return value is the exit code (the terminal chat).
        """
        started = time.monotonic()
        stop_on_signals()
        try:
            if prepare is not None:
                prepare()
            self.start()
            if foreground is not None:
                return foreground()
            self.say(ready(started))
            while True:
                self.watch_once()
                time.sleep(WATCH_INTERVAL_S)
        except SupervisorError as error:
            print(error, file=sys.stderr, flush=True)
            return 1
        except Stop as reason:
            self.say(f"\nStopping ({reason})...")
            return 0
        finally:
            self.stop()
