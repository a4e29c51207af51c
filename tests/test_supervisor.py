"""One supervisor for `make run` and `make run-scaled`: start in stages, restart replicas, stop in order.

The children here are tiny HTTP servers (a few lines of Python), not Rasa: the supervisor is tested in
seconds. The real launcher and scaled bot are run by the system tier (tests/test_e2e.py's SIGTERM test,
tests/test_scaled.py, tests/test_faults.py).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import launcher
from bot.config import VAR_DIR, get_settings
from bot.scaled import ScaledBot
from bot.supervisor import RESTART_DELAY_S, Server, Supervisor, SupervisorError, make_private
from tests.support.servers import free_port, port_is_free

# Answers 200 to every GET on the port given as its argument, until stopped.
CHILD = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers()\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
)


def child(name: str, restart: bool = False) -> Server:
    port = free_port()
    return Server(name, [sys.executable, "-c", CHILD, str(port)], f"http://127.0.0.1:{port}/", restart=restart)


def port_of(server: Server) -> int:
    return int(server.command[-1])


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    """Supervisors made by a test; whatever they started is stopped afterwards."""
    made: list[Supervisor] = []
    yield made
    for supervisor in made:
        supervisor.stop()


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """`Supervisor.run` installs its own SIGINT/SIGTERM handlers: pytest gets its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_stages_start_in_order_and_stop_newest_first(supervisors: list[Supervisor]) -> None:
    first, second = child("action server"), child("Rasa server")
    supervisor = Supervisor([[first], [second]], say=lambda _: None)
    supervisors.append(supervisor)
    supervisor.start()
    assert [p.pid for p in supervisor.processes] == [first.process.pid, second.process.pid]  # type: ignore[union-attr]
    supervisor.watch_once()  # both alive: nothing happens
    supervisor.stop()
    assert all(p.poll() is not None for p in supervisor.processes)
    assert port_is_free(port_of(first)) and port_is_free(port_of(second))


def test_a_dead_replica_is_restarted_after_a_pause(supervisors: list[Supervisor]) -> None:
    said: list[str] = []
    replica = child("Rasa server 1", restart=True)
    supervisor = Supervisor([[replica]], say=said.append)
    supervisors.append(supervisor)
    supervisor.start()
    assert replica.process is not None
    first_pid = replica.process.pid
    os.killpg(first_pid, signal.SIGKILL)
    replica.process.wait()
    supervisor.watch_once(now=100.0)
    assert said == ["The Rasa server 1 stopped unexpectedly (exit -9); restarting it."]
    supervisor.watch_once(now=100.0 + RESTART_DELAY_S / 2)  # still pausing
    assert replica.restarts == 0
    supervisor.watch_once(now=100.0 + RESTART_DELAY_S)
    assert said[-1] == "The Rasa server 1 is starting again (restart 1)."
    assert replica.process.pid != first_pid and replica.process.poll() is None


def test_the_death_of_a_server_that_is_no_replica_stops_the_bot(supervisors: list[Supervisor]) -> None:
    actions, rasa = child("action server"), child("Rasa server")
    supervisor = Supervisor([[actions], [rasa]], say=lambda _: None)
    supervisors.append(supervisor)
    supervisor.start()
    assert actions.process is not None
    os.killpg(actions.process.pid, signal.SIGTERM)
    actions.process.wait()
    with pytest.raises(SupervisorError, match=r"The action server stopped unexpectedly \(exit -15\)"):
        supervisor.watch_once()


def test_a_server_that_never_answers_is_reported_with_its_port(supervisors: list[Supervisor]) -> None:
    broken = Server("action server", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/health")
    supervisor = Supervisor([[broken]], say=lambda _: None)
    supervisors.append(supervisor)
    with pytest.raises(SupervisorError, match=r"The action server did not start \(http://127.0.0.1:9/health; port"):
        supervisor.start()


def test_run_says_ready_then_stops_everything_on_sigterm(restore_signals: None) -> None:
    said: list[str] = []
    servers = [child("action server"), child("Rasa server")]
    supervisor = Supervisor([[servers[0]], [servers[1]]], say=said.append)

    def ready(_started: float) -> str:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return "ready"

    assert supervisor.run(ready) == 0
    assert said == ["ready", "\nStopping (SIGTERM)..."]
    assert all(p.poll() is not None for p in supervisor.processes)
    assert all(port_is_free(port_of(s)) for s in servers)


def test_run_reports_a_failed_preparation_and_starts_nothing(
    restore_signals: None, capsys: pytest.CaptureFixture[str]
) -> None:
    server = child("action server")

    def prepare() -> None:
        raise SupervisorError("The scaled setup needs TRACKER_STORE_URL (a PostgreSQL URL).")

    assert Supervisor([[server]], say=lambda _: None).run(lambda _: "ready", prepare=prepare) == 1
    assert "needs TRACKER_STORE_URL" in capsys.readouterr().err
    assert server.process is None


# -- what the servers write is readable by its owner only ------------------------------------------------------


def test_what_a_server_writes_is_readable_by_its_owner_only(supervisors: list[Supervisor], tmp_path: Path) -> None:
    writes = (
        "import pathlib, sys\n"
        f"folder = pathlib.Path({str(tmp_path)!r})\n"
        "(folder / 'logs').mkdir(); (folder / 'logs' / 'server.log').write_text('x')\n"
        "(folder / 'tracker.db-journal').write_bytes(b'')\n"
    )
    server = child("Rasa server")
    server.command[2] = writes + CHILD
    supervisor = Supervisor([[server]], say=lambda _: None)
    supervisors.append(supervisor)
    old = os.umask(0o022)  # what a shell usually has: files 0644, folders 0755
    try:
        supervisor.start()
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    assert modes == {"logs": 0o700, "server.log": 0o600, "tracker.db-journal": 0o600}


def test_make_private_takes_the_groups_and_others_permissions_off(tmp_path: Path) -> None:
    var = tmp_path / "var"
    (var / "scaled").mkdir(parents=True)
    files = {var / "tracker.db": 0o644, var / "scaled" / "access.log": 0o664, var / "run.sh": 0o755}
    for path, mode in files.items():
        path.write_text("x")
        path.chmod(mode)
    (var / "scaled").chmod(0o755)
    outside = tmp_path / "shared.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    (var / "link").symlink_to(outside)
    make_private([var, tmp_path / "missing.db"])
    assert {p.name: p.stat().st_mode & 0o777 for p in (var, var / "scaled", *files)} == {
        "var": 0o700, "scaled": 0o700, "tracker.db": 0o600, "access.log": 0o600, "run.sh": 0o700,
    }  # fmt: skip
    assert outside.stat().st_mode & 0o777 == 0o644  # a link's target outside is not ours to change


def test_the_launcher_makes_var_and_every_sqlite_database_private(tmp_path: Path) -> None:
    settings = dataclasses.replace(
        get_settings(), tracker_db=tmp_path / "t.db", database_url=f"sqlite:///{tmp_path / 'content.db'}"
    )
    paths = launcher.private_paths(settings)
    assert paths[0] == VAR_DIR
    assert {p.name for p in paths[1:]} == {
        f"{name}{side}" for name in ("t.db", "content.db") for side in ("", "-journal", "-wal", "-shm")
    }
    on_postgres = dataclasses.replace(settings, database_url="postgresql+psycopg2://127.0.0.1:5432/spasticity")
    assert {p.name for p in launcher.private_paths(on_postgres)[1:]} == {"t.db", "t.db-journal", "t.db-wal", "t.db-shm"}


# -- the launcher's two shapes: one server of each, or N replicas behind nginx ---------------------------------


def test_the_single_bot_starts_one_action_server_and_one_rasa_server_together() -> None:
    settings = get_settings()
    stages = launcher.single_bot(settings, Path("m.tar.gz"))
    # One stage: the two start at once and the bot is ready when both answer (issue 17 point 5: start-up).
    assert [[s.name for s in stage] for stage in stages] == [["action server", "Rasa server"]]
    assert not any(s.restart for stage in stages for s in stage)
    assert stages[0][0].health == f"http://127.0.0.1:{settings.action_port}/health"
    assert stages[0][1].health == f"http://127.0.0.1:{settings.rasa_port}/"


def test_the_scaled_bot_is_the_same_servers_as_replicas_behind_nginx() -> None:
    settings = dataclasses.replace(
        get_settings(), rasa_port=18000, action_port=18100, replicas=3, tracker_store_url="postgresql://db/x"
    )
    actions, rasa, front = ScaledBot(settings, Path("m.tar.gz")).stages()
    assert [s.name for s in actions] == ["action server 1", "action server 2", "action server 3"]
    assert [s.health for s in rasa] == [f"http://127.0.0.1:{18000 + i}/" for i in (1, 2, 3)]
    assert [s.command[-1] for s in actions] == ["18101", "18102", "18103"]
    assert all(s.restart for s in (*actions, *rasa))
    assert [s.name for s in front] == ["nginx gateway"] and not front[0].restart
    assert front[0].health == "http://127.0.0.1:18000/"
    single = launcher.single_bot(settings, Path("m.tar.gz"))
    # The same commands as the single bot's, on the replica's port.
    assert rasa[0].command[:4] == single[0][1].command[:4]
    assert actions[0].command[:-1] == single[0][0].command[:-1]


def test_a_missing_model_is_reported_before_anything_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert launcher.main(["run", "--model", str(tmp_path / "none.tar.gz")]) == 1
    assert "No trained model" in capsys.readouterr().err
    assert launcher.main(["run", "--scaled", "--model", str(tmp_path / "none.tar.gz")]) == 1
