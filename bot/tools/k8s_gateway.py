"""`python -m bot.tools.k8s_gateway` (`make k8s-gateway`): the Kubernetes gateway's fallback reply, local numbers.

The Rasa pods' nginx (`deploy/k8s/action-gateway.conf`, mounted by the kustomization's ConfigMap) answers for
the action servers when none can, with a fixed reply that gives the emergency and crisis numbers. nginx cannot
read the bot's settings, so the file holds the reply as text: this rewrites that one line from the
environment's `EMERGENCY_NUMBERS` (and `CRISIS_NUMBERS`), as `make run-scaled` does for its own nginx. Run it
with the same values the pods get, then `kubectl apply -k deploy/` regenerates the ConfigMap and rolls the
pods. The committed file gives the default numbers (`tests/test_scaled.py` checks it); `--check` says whether
the file gives the environment's numbers, without writing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from unittest import mock

from bot.config import PROJECT_ROOT, Settings
from bot.scaled import K8S_GATEWAY, SetupError, k8s_gateway_conf

COMMUNITY_ENV = PROJECT_ROOT / "deploy" / "community.env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as kustomize's configMapGenerator reads them: `#` comments, no quote removal.

    Raises:
        ValueError: a line that is not KEY=value, or a quoted value (kustomize would keep the quotes, and
            the pods would get `"Australia: 000"` with its quotes).
    """
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"{path.name} line {number}: expected KEY=value")
        if value[:1] in {'"', "'"}:
            raise ValueError(f"{path.name} line {number}: no quotes around the value (kustomize keeps them)")
        values[key.strip()] = value
    return values


def main(argv: list[str] | None = None) -> int:
    """Rewrites (or checks) the fallback reply; 0 when the file gives the configured numbers, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m bot.tools.k8s_gateway", description=__doc__)
    parser.add_argument("--conf", type=Path, default=K8S_GATEWAY, help="the pods' nginx file")
    parser.add_argument("--check", action="store_true", help="only check that the file gives these numbers")
    parser.add_argument("--env-file", type=Path, default=COMMUNITY_ENV, help="the pods' community settings")
    args = parser.parse_args(argv)
    try:
        pods = read_env_file(args.env_file) if args.env_file.is_file() else {}
        with mock.patch.dict(os.environ, pods):  # what the pods get wins over this shell's values
            numbers = Settings.from_env().local_numbers
        current = args.conf.read_text(encoding="utf-8")
        wanted = k8s_gateway_conf(numbers, current)
    except (ValueError, OSError, SetupError) as error:
        print(f"Cannot write the gateway's fallback reply: {error}", file=sys.stderr)
        return 1
    if wanted == current:
        print(f"{args.conf}: the fallback reply gives the configured numbers.")
        return 0
    if args.check:
        print(f"{args.conf}: the fallback reply gives other numbers; run `make k8s-gateway`.", file=sys.stderr)
        return 1
    args.conf.write_text(wanted, encoding="utf-8")
    print(f"{args.conf}: the fallback reply now gives the configured numbers; apply the kustomization.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
