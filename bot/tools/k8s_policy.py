"""The deployment's security policy, checked on the manifests: `python -m bot.tools.k8s_policy deploy/k8s`.

`make lint-k8s` runs it after the schema check, so a manifest that loses a piece of the hardening of #15 point 5
fails CI with the file, the object and what is missing. The rules, by what they read:

- pods (bot/tools/k8s_pods.py): securityContext, no service-account token, pinned images, unprivileged nginx,
  secrets from Secrets only, Rasa's API off and its CORS origins listed, the action servers' salt and read-only
  database role;
- network (bot/tools/k8s_network.py): TLS and public routes at the Ingress, NetworkPolicies, the pods' nginx
  (security headers, `server_tokens off`, only public routes);
- Secrets (here): only examples with placeholders in the repository, with the keys the pods need, the two
  database roles under two users, no unused API token;
- the kustomization (here): it applies every manifest but the Secret examples, and mounts every nginx file.

It prints each failure as `file: object: message` and exits with 1 when there is any, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from bot.tools.k8s_manifests import (
    EXAMPLE_SUFFIX,
    OWNER_DB_KEY,
    PLACEHOLDER,
    READER_DB_KEY,
    SALT_KEY,
    Deployment,
    Failure,
    runs_actions,
)
from bot.tools.k8s_network import ingress_rules, network_rules, nginx_rules
from bot.tools.k8s_pods import SECRET_NAME, pod_rules

UNUSED_KEYS = {"RASA_API_TOKEN": "Rasa's HTTP API stays off, so its token has no use here"}


def secret_rules(deployment: Deployment) -> Iterator[Failure]:
    """Secrets only as examples with placeholders, defining what the pods need, one user per database role."""
    for secret in deployment.of_kind("Secret"):
        if not secret.file.endswith(EXAMPLE_SUFFIX):
            yield secret.fail(f"a Secret belongs in a *{EXAMPLE_SUFFIX} file with placeholders, never its real values")
        for section in ("stringData", "data"):
            for key, value in (secret.body.get(section) or {}).items():
                if (SECRET_NAME.search(str(key)) or "@" in str(value)) and PLACEHOLDER not in str(value):
                    yield secret.fail(f"{key} holds a value instead of the {PLACEHOLDER} placeholder")
                if key in UNUSED_KEYS:
                    yield secret.fail(f"{key}: {UNUSED_KEYS[key]}")
    values = {key: value for (_, key), value in deployment.secret_values().items()}
    if any(runs_actions(c) for pod in deployment.pods() for c in pod.containers):
        for key in (SALT_KEY, READER_DB_KEY):
            if key not in values:
                yield Failure(str(deployment.folder), "Secret", f"the Secret example defines no {key}")
    owner, reader = urlsplit(values.get(OWNER_DB_KEY, "")), urlsplit(values.get(READER_DB_KEY, ""))
    if owner.username and owner.username == reader.username:
        yield Failure(
            str(deployment.folder), "Secret", f"{READER_DB_KEY} must use the read-only role, not the owner's user"
        )


def kustomization_rules(deployment: Deployment) -> Iterator[Failure]:
    """`kubectl apply -k` applies every manifest checked here, never a Secret example, and mounts the nginx files."""
    where = str(deployment.folder.parent / "kustomization.yaml")
    if deployment.kustomization is None:
        yield Failure(where, "Kustomization", "missing: nothing says which manifests are applied")
        return
    listed = {Path(str(r)).name for r in deployment.kustomization.get("resources") or []}
    for path in sorted(deployment.folder.glob("*.yaml")):
        if path.name.endswith(EXAMPLE_SUFFIX) and path.name in listed:
            yield Failure(where, "Kustomization", f"applies the example {path.name} with its placeholders")
        elif not path.name.endswith(EXAMPLE_SUFFIX) and path.name not in listed:
            yield Failure(where, "Kustomization", f"{path.name} is not in resources: `kubectl apply -k` would skip it")
    generated = {
        Path(str(entry).split("=")[-1]).name
        for generator in deployment.kustomization.get("configMapGenerator") or []
        for entry in generator.get("files") or []
    }
    for file in deployment.nginx:
        if Path(file).name not in generated:
            yield Failure(where, "Kustomization", f"{Path(file).name} is checked but no configMapGenerator mounts it")


RULES: tuple[Callable[[Deployment], Iterator[Failure]], ...] = (
    pod_rules,
    secret_rules,
    ingress_rules,
    network_rules,
    nginx_rules,
    kustomization_rules,
)


def check(folder: Path) -> list[Failure]:
    """Every failure of the manifests in `folder` (and the kustomization beside it), in rule order."""
    deployment = Deployment.load(folder)
    failures = [failure for rule in RULES for failure in rule(deployment)]
    if not deployment.pods():
        failures.append(Failure(str(folder), "-", "no workloads found: nothing was checked"))
    return list(dict.fromkeys(failures))


def main(argv: list[str] | None = None) -> int:
    """Checks the folder; prints the failures; returns 1 when there is any, 2 when the folder is missing."""
    parser = argparse.ArgumentParser(prog="python -m bot.tools.k8s_policy", description=__doc__)
    parser.add_argument("folder", type=Path, help="the folder of Kubernetes manifests, e.g. deploy/k8s")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder} is not a folder of manifests.", file=sys.stderr)
        return 2
    failures = check(args.folder)
    for failure in failures:
        print(failure)
    if failures:
        print(f"{len(failures)} problem(s) with the deployment policy (#15 point 5).", file=sys.stderr)
        return 1
    count = len(Deployment.load(args.folder).manifests)
    print(f"{args.folder}: {count} objects follow the deployment policy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
