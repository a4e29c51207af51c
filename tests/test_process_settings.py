"""One table of process settings (`bot.config.PROCESS_ENV`): the launcher, the benchmark and Kubernetes agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROCESS_ENV, PROJECT_ROOT, get_settings
from bot.scaled import ScaledBot
from bot.server_commands import child_env

MANIFESTS = sorted((PROJECT_ROOT / "deploy" / "k8s").glob("*.yaml"))


def server_containers() -> list[tuple[str, dict[str, Any]]]:
    """(file name, container) for every container of the manifests that runs a Rasa or action server."""
    found = []
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            spec = (document or {}).get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                command = " ".join(container.get("command", []))
                if "bot.rasa_server" in command or "rasa_sdk" in command:
                    found.append((path.name, container))
    return found


def test_both_kinds_of_server_are_found_in_the_manifests() -> None:
    commands = {" ".join(c["command"]) for _, c in server_containers()}
    assert any("bot.rasa_server run" in c for c in commands) and any("rasa_sdk" in c for c in commands)


@pytest.mark.parametrize(("manifest", "container"), server_containers(), ids=lambda v: getattr(v, "get", str)("name"))
def test_every_kubernetes_server_sets_the_process_settings(manifest: str, container: dict[str, Any]) -> None:
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    assert {name: env.get(name) for name in PROCESS_ENV} == dict(PROCESS_ENV), manifest


def test_the_launcher_sets_the_process_settings_unless_the_environment_does(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROCESS_ENV:
        monkeypatch.delenv(name, raising=False)
    env = child_env(get_settings())
    assert {name: env[name] for name in PROCESS_ENV} == dict(PROCESS_ENV)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # an operator's choice wins
    assert child_env(get_settings())["OMP_NUM_THREADS"] == "2"


def test_every_scaled_replica_gets_the_process_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROCESS_ENV:
        monkeypatch.delenv(name, raising=False)
    settings = dataclasses.replace(
        get_settings(), tracker_store_url="postgresql+psycopg2://bot@127.0.0.1/db", replicas=2
    )
    servers = [s for stage in ScaledBot(settings, Path("m.tar.gz")).stages()[:2] for s in stage]
    assert len(servers) == 4
    for server in servers:
        assert server.env is not None and {n: server.env[n] for n in PROCESS_ENV} == dict(PROCESS_ENV)


def test_the_benchmark_runs_this_bot_with_the_same_table() -> None:
    from bench.run import RECOMMENDED_ENV

    assert dict(PROCESS_ENV) == RECOMMENDED_ENV


def test_only_the_public_server_listens_on_bot_host() -> None:
    """The action servers and the scaled replicas stay on loopback when BOT_HOST opens the bot (#15 point 4).

    The action servers have no authentication, and the replicas are meant to be reached through nginx only.
    """
    from bot.scaled import render_nginx
    from bot.server_commands import rasa_command

    public = dataclasses.replace(get_settings(), host="0.0.0.0", tracker_store_url="postgresql://x@h/db", replicas=2)
    assert child_env(public)["SANIC_HOST"] == "127.0.0.1"
    assert public.action_endpoint_url.startswith("http://127.0.0.1:")
    single = rasa_command(public, Path("m.tar.gz"), "run")
    assert single[single.index("--interface") + 1] == "0.0.0.0", "the one public Rasa server of `make run`"
    actions, replicas = ScaledBot(public, Path("m.tar.gz")).stages()[:2]
    for server in replicas:
        assert server.command[server.command.index("--interface") + 1] == "127.0.0.1", server.name
    assert all(s.env is not None and s.env["SANIC_HOST"] == "127.0.0.1" for s in actions)
    nginx = render_nginx(public, Path("/tmp/nginx"), 2)
    assert "listen 0.0.0.0:" in nginx and "listen 127.0.0.1:" in nginx, "clients reach nginx, actions stay inside"
