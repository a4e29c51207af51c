"""The pod rules of the deployment policy (#15 point 5): how each container runs, from which image, with what.

Every workload's pod template (Deployments, Jobs, CronJobs, ...) is checked, init containers included:

- no service-account token, no host namespaces; every container non-root with a fixed UID, seccomp
  `RuntimeDefault`, a read-only root filesystem (with an emptyDir on /tmp), no privilege escalation, all
  capabilities dropped;
- images pinned to a version; nginx only as `nginxinc/nginx-unprivileged` at an exact version;
- secrets only key by key from a Secret (no `envFrom`, no plain values, no secrets on the command line), and
  only keys the Secret example defines;
- the Rasa server: HTTP API off (its token could only go on the command line and in URLs), CORS limited to
  listed https origins, listening on 127.0.0.1 behind the pod's nginx;
- the action servers: `FEEDBACK_SALT` from a Secret and the read-only database role, which a Job grants its
  tables; the owner role only in Jobs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.tools.k8s_manifests import (
    OWNER_DB_KEY,
    READER_DB_KEY,
    SALT_KEY,
    Deployment,
    Failure,
    Pod,
    command_line,
    env_source,
    runs_actions,
    runs_rasa,
    secret_refs,
)

IMAGE = re.compile(r"^(?P<repo>[^@]+?)(?::(?P<tag>[\w][\w.-]*))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
VERSION_TAG = re.compile(r"^v?\d+\.\d+")
EXACT_VERSION_TAG = re.compile(r"^\d+\.\d+\.\d+(?:-[\w.]+)?$")
NGINX_IMAGE = "nginxinc/nginx-unprivileged"
# Variables that hold a secret by their name, and values that carry credentials in a URL or a query string.
SECRET_NAME = re.compile(r"(PASSWORD|TOKEN|SECRET|SALT|_KEY|DATABASE_URL|LOCK_STORE_URL|REDIS_URL)$")
SECRET_VALUE = re.compile(r"://[^/\s@]+@|[?&](token|password|secret)=", re.IGNORECASE)
RASA_TOKEN_FLAGS = ("--auth-token", "--jwt-secret", "--jwt-private-key")
JOB_KINDS = ("Job", "CronJob")


def _security(pod: Pod, container: Mapping[str, Any], key: str) -> Any:
    """A securityContext setting as it applies to the container: its own, else the pod's."""
    own = container.get("securityContext") or {}
    return own[key] if key in own else (pod.spec.get("securityContext") or {}).get(key)


def _is_pinned(image: str) -> bool:
    match = IMAGE.match(image)
    if match is None:
        return False
    tag = match.group("tag") or ""
    return bool(match.group("digest")) or (bool(VERSION_TAG.match(tag)) and "latest" not in tag)


def _image_problems(image: str) -> Iterator[str]:
    if not _is_pinned(image):
        yield f"image {image} is not pinned to a version"
    match = IMAGE.match(image)
    repo = match.group("repo") if match else image
    if "nginx" in repo.rsplit("/", 1)[-1]:
        tag = (match.group("tag") if match else "") or ""
        if repo.removeprefix("docker.io/") != NGINX_IMAGE or not EXACT_VERSION_TAG.match(tag):
            yield f"nginx must be {NGINX_IMAGE} pinned to an exact version (x.y.z), not {image}"


def _hardening(pod: Pod, container: Mapping[str, Any]) -> Iterator[str]:
    """How the container runs: user, seccomp, filesystem, privileges."""
    if _security(pod, container, "runAsNonRoot") is not True:
        yield "runAsNonRoot must be true"
    uid = _security(pod, container, "runAsUser")
    if not isinstance(uid, int) or uid == 0:
        yield "runAsUser must be a fixed non-zero UID"
    if (_security(pod, container, "seccompProfile") or {}).get("type") != "RuntimeDefault":
        yield "seccompProfile must be RuntimeDefault"
    own = container.get("securityContext") or {}
    if own.get("readOnlyRootFilesystem") is not True:
        yield "readOnlyRootFilesystem must be true"
    if own.get("allowPrivilegeEscalation") is not False:
        yield "allowPrivilegeEscalation must be false"
    if own.get("privileged"):
        yield "must not be privileged"
    capabilities = own.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        yield "capabilities must drop ALL"
    if capabilities.get("add"):
        yield f"capabilities must add nothing, not {capabilities['add']}"
    volumes = {v.get("name"): v for v in pod.spec.get("volumes") or []}
    tmp = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
    if not any("emptyDir" in volumes.get(m.get("name"), {}) for m in tmp):
        yield "needs an emptyDir at /tmp (the root filesystem is read-only)"


def _secrets(deployment: Deployment, container: Mapping[str, Any]) -> Iterator[str]:
    """Secrets key by key from a Secret the example defines; none in plain values or on the command line."""
    for source in container.get("envFrom") or []:
        if "secretRef" in source:
            yield "envFrom takes a whole Secret; name each key with secretKeyRef"
    for item in container.get("env") or []:
        name, value = str(item.get("name")), item.get("value")
        if value is not None and (SECRET_NAME.search(name) or SECRET_VALUE.search(str(value))):
            yield f"{name} is a secret in plain text; take it from a Secret (secretKeyRef)"
    known = deployment.secret_values()
    for name, (secret, key) in secret_refs(container):
        if known and (secret, key) not in known:
            yield f"{name} reads {secret}/{key}, which the Secret example does not define"
    for part in command_line(container):
        if SECRET_VALUE.search(part):
            yield f"a secret on the command line: {part}"


def _rasa(container: Mapping[str, Any]) -> Iterator[str]:
    """The Rasa server: API off, no token on the command line, listed https origins, loopback only."""
    line = command_line(container)
    if "--enable-api" in line:
        yield "Rasa's HTTP API must stay off (--enable-api): Rasa 3.6 takes its token only in argv and URLs"
    for flag in RASA_TOKEN_FLAGS:
        if any(part == flag or part.startswith(f"{flag}=") for part in line):
            yield f"a Rasa token on the command line ({flag})"
    if "--cors" in line:
        start = line.index("--cors") + 1
        origins = []
        for part in line[start:]:
            if part.startswith("-"):
                break
            origins.append(part)
        for origin in origins or ["(none)"]:
            parts = urlsplit(origin)
            if parts.scheme != "https" or not parts.netloc or "*" in origin or parts.path not in ("", "/"):
                yield f"CORS origin {origin!r} is not allowed: list each site as https://host, never '*'"
    interface = line[line.index("--interface") + 1] if "--interface" in line[:-1] else "0.0.0.0"
    if interface != "127.0.0.1":
        yield f"Rasa must listen on 127.0.0.1 behind the pod's nginx, not {interface} (--interface)"


def _actions(container: Mapping[str, Any]) -> Iterator[str]:
    """The action server: the salt from a Secret, the read-only database role."""
    salt = env_source(container, SALT_KEY) or {}
    if not (salt.get("valueFrom") or {}).get("secretKeyRef"):
        yield f"{SALT_KEY} must come from a Secret (secretKeyRef)"
    database = env_source(container, "DATABASE_URL") or {}
    ref = (database.get("valueFrom") or {}).get("secretKeyRef") or {}
    if ref.get("key") != READER_DB_KEY:
        yield f"DATABASE_URL must be the read-only content role's ({READER_DB_KEY} of the Secret)"


def _grants(deployment: Deployment) -> Iterator[Failure]:
    """The read-only role is granted its tables by a Job, under the name its URL in the Secret uses."""
    users = sorted(
        {urlsplit(v).username or "" for (_, key), v in deployment.secret_values().items() if key == READER_DB_KEY}
        - {""}
    )
    granted: set[str] = set()
    for pod in deployment.pods():
        for container in pod.containers if pod.owner.kind in JOB_KINDS else []:
            line = command_line(container)
            if any(part.endswith("db-grants.sql") for part in line):
                granted |= {part.split("=", 1)[1] for part in line if part.startswith("reader=")}
    for pod in deployment.pods():
        if READER_DB_KEY in pod.secret_keys() and (not granted or any(u not in granted for u in users)):
            wanted = ", ".join(users) or "<reader>"
            yield pod.owner.fail(
                f"no Job grants the read-only role {wanted} its tables (psql -v reader={wanted} -f db-grants.sql)"
            )


def pod_rules(deployment: Deployment) -> Iterator[Failure]:
    """Every pod rule, for every workload of the deployment."""
    for pod in deployment.pods():
        if pod.spec.get("automountServiceAccountToken") is not False:
            yield pod.owner.fail("automountServiceAccountToken must be false (no service-account token)")
        for shared in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.spec.get(shared):
                yield pod.owner.fail(f"{shared} must not be set: the pod must not share the host's namespaces")
        for container in pod.containers:
            problems = [
                *_hardening(pod, container),
                *_image_problems(str(container.get("image", ""))),
                *_secrets(deployment, container),
            ]
            if runs_rasa(container):
                problems += _rasa(container)
            if runs_actions(container):
                problems += _actions(container)
            if pod.owner.kind not in JOB_KINDS and any(k == OWNER_DB_KEY for _, (_, k) in secret_refs(container)):
                problems.append(f"only the content Job may use the owner role ({OWNER_DB_KEY} of the Secret)")
            yield from (pod.owner.fail(f"container {container.get('name')}: {p}") for p in problems)
    yield from _grants(deployment)
