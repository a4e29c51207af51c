"""How long the bot takes to start, whole and stage by stage (`make bench-startup`), best of `--runs`.

Issue 17 point 5 asks that `make run` with everything up to date be ready in at most 15 s, and a Rasa replica
in at most 10 s. What `make run` does when nothing changed, each measured on its own (free ports, this
machine only, a fresh SQLite content database in `var/bench/startup/`):

- `content`: `python -m bot.content load` (make runs it every time);
- `train check`: `python -m bot.training` finding the model up to date (on a copy of the model's folder, so a
  stale fingerprint can never retrain or replace anyone's model);
- `action server`: from its start to `/health` answering;
- `Rasa server`: from its start to `/` answering (a replica's figure), and inside it (`--stages`, in this
  process) the import of Rasa, and the load of each node of the model's graph (the spaCy pipeline in
  `SpacyNLP`, TED, the intent classifier...), as Rasa's `Agent.load` does it;
- `launcher`: `python -m bot.launcher run` until it prints that the bot is ready (both servers answering).

The `make run` figure is the sum of the first two and the launcher's. Each figure is the best of the runs, as
wall time and as the CPU time of the processes (on a shared machine the wall time grows with others' work;
a start-up is mostly one thread, so its CPU time is close to what the wall time is on an idle machine).

Usage: `python -m bench.startup [--runs 3] [--model PATH] [--stages]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.common import descendants
from bot.config import PROJECT_ROOT

OUT = PROJECT_ROOT / "var" / "bench" / "startup"
TIMEOUT_S = 300.0


def _env(folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a server started here: its own content and tracker databases, the process settings."""
    from bot.config import PROCESS_ENV

    env = {**os.environ, **PROCESS_ENV}
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "DATABASE_URL": f"sqlite:///{folder / 'content.db'}",
            "TRACKER_DB": str(folder / "tracker.db"),
            "EDITOR_ACCOUNTS": str(folder / "editors.json"),
            "EDITOR_AUDIT_LOG": str(folder / "editor-audit.jsonl"),
            **extra,
        }
    )
    env.pop("RASA_PROFILE", None)
    return env


Timing = tuple[float, float]  # wall seconds, CPU seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants, every thread (`bench.turn_cost.cpu_ns`)."""
    from bench.turn_cost import cpu_ns

    return cpu_ns([pid, *descendants(pid)]) / 1e9


def timed_command(command: list[str], env: Mapping[str, str]) -> Timing:
    """Runs a command to completion; its wall and CPU time in seconds. Raises when it fails."""
    began, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=dict(env), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.monotonic() - began, _children_cpu() - cpu


def time_to_answer(command: list[str], url: str, env: Mapping[str, str], log: Path) -> Timing:
    """Starts a server, polls `url` every 50 ms until it answers 200, stops it; wall and CPU seconds until then."""
    with log.open("w") as handle:
        began = time.monotonic()
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            while time.monotonic() - began < TIMEOUT_S:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[2:4]} exited during start-up; see {log}")
                with (
                    contextlib.suppress(urllib.error.URLError, OSError),
                    urllib.request.urlopen(url, timeout=1) as response,
                ):
                    if response.status == 200:
                        return time.monotonic() - began, _tree_cpu(process.pid)
                time.sleep(0.05)
            raise RuntimeError(f"{url} did not answer in {TIMEOUT_S:.0f} s")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            process.wait(timeout=60)


def launcher_ready(model: Path, folder: Path) -> Timing:
    """`python -m bot.launcher run` on free ports until it prints that the bot is ready; seconds."""
    from tests.support.servers import READY_LINE, free_port

    env = _env(folder, RASA_PORT=str(free_port()), ACTION_PORT=str(free_port()))
    env.pop("ACTION_ENDPOINT_URL", None)
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.launcher", "run", "--model", str(model)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if READY_LINE in line:
                return time.monotonic() - began, _tree_cpu(process.pid)
        raise RuntimeError("the launcher exited before the bot was ready")
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=60)


def rasa_stages(model: Path) -> dict[str, Timing]:
    """In this process: importing Rasa, then loading each node of the model's prediction graph (wall, CPU)."""
    began, cpu = time.monotonic(), time.process_time()
    from bot import rasa_patches

    rasa_patches.install()
    import rasa.core.agent  # noqa: F401 - the import is what is timed
    from rasa.engine import graph

    stages = {"import Rasa (and TensorFlow)": (time.monotonic() - began, time.process_time() - cpu)}
    original = graph.GraphNode._load_component

    def timed_load(self: Any, **kwargs: Any) -> None:
        started, cpu = time.monotonic(), time.process_time()
        original(self, **kwargs)
        name = f"load {self._node_name}"
        wall0, cpu0 = stages.get(name, (0.0, 0.0))
        stages[name] = (wall0 + time.monotonic() - started, cpu0 + time.process_time() - cpu)

    graph.GraphNode._load_component = timed_load
    try:
        from rasa.core.agent import Agent

        started, cpu = time.monotonic(), time.process_time()
        Agent.load(str(model))
        stages["Agent.load, total"] = (time.monotonic() - started, time.process_time() - cpu)
    finally:
        graph.GraphNode._load_component = original
    return stages


def best_of(runs: int, measure: Callable[[], Timing]) -> Timing:
    """The shortest wall time of `runs` measurements, and the least CPU time (the machine is shared)."""
    timings = [measure() for _ in range(runs)]
    return min(t[0] for t in timings), min(t[1] for t in timings)


def main(argv: list[str] | None = None) -> int:
    """Measures every stage (best of the runs) and prints them with the load average."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None, help="default: the full model, else the test model")
    parser.add_argument("--stages", action="store_true", help="also time the Rasa server's stages in this process")
    parser.add_argument("--only", choices=["content", "train", "actions", "rasa", "launcher"], action="append")
    args = parser.parse_args(argv)
    from bench.turn_cost import default_model
    from tests.support.servers import free_port

    model = args.model or default_model()
    if not model.is_file():
        parser.error(f"no trained model at {model}")
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["content", "train", "actions", "rasa", "launcher"])
    figures: dict[str, Timing] = {}
    load_before = os.getloadavg()[0]
    env = _env(OUT)
    if "content" in only:
        figures["content load (make content)"] = best_of(
            args.runs, lambda: timed_command([sys.executable, "-m", "bot.content", "load"], env)
        )
    if "train" in only:
        copy = OUT / "model-copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(model.parent, copy)
        figures["train check (make train, up to date)"] = best_of(
            args.runs,
            lambda: timed_command(
                [sys.executable, "-m", "bot.training", "--out", str(copy), "--name", model.name.split(".")[0]]
                + (["--epochs", "40"] if "test" in str(model.parent) else []),
                env,
            ),
        )
    if "actions" in only:

        def actions() -> Timing:
            port = free_port()
            command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
            return time_to_answer(command, f"http://127.0.0.1:{port}/health", env, OUT / "actions.log")

        figures["action server until /health"] = best_of(args.runs, actions)
    if "rasa" in only:

        def rasa() -> Timing:
            port = free_port()
            from bot.config import get_settings
            from bot.server_commands import rasa_command

            settings = get_settings()
            command = rasa_command(settings, model, "run")
            command[command.index("--port") + 1] = str(port)
            command[command.index("--interface") + 1] = "127.0.0.1"
            rasa_env = {**env, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}/webhook"}
            return time_to_answer(command, f"http://127.0.0.1:{port}/", rasa_env, OUT / "rasa.log")

        figures["Rasa server until / (a replica)"] = best_of(args.runs, rasa)
    if "launcher" in only:
        figures["launcher until ready (both servers)"] = best_of(args.runs, lambda: launcher_ready(model, OUT))
    load_after = os.getloadavg()[0]
    print(f"Start-up, best of {args.runs} (load average {load_before:.1f} before, {load_after:.1f} after; {model})")
    print(f"  {'':<42}{'wall':>7}{'CPU':>8}")
    for name, (wall, cpu) in figures.items():
        print(f"  {name:<42}{wall:6.1f} s{cpu:6.1f} s")
    if {"content", "train", "launcher"} <= only:
        parts = [v for k, v in figures.items() if not k.startswith(("action", "Rasa"))]
        wall, cpu = sum(p[0] for p in parts), sum(p[1] for p in parts)
        print(f"  {'make run, everything up to date (sum)':<42}{wall:6.1f} s{cpu:6.1f} s")
    if args.stages:
        stages = rasa_stages(model)
        print("Rasa server stages (in this process, one run):")
        for name, (wall, cpu) in sorted(stages.items(), key=lambda item: -item[1][0]):
            if wall >= 0.05:
                print(f"  {name:<60}{wall:6.1f} s{cpu:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
