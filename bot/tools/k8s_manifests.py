"""The Kubernetes deployment as the policy checker reads it: manifests, pod templates, Secrets and nginx files.

`bot.tools.k8s_policy` loads a folder of manifests (`deploy/k8s`) once into a `Deployment` and hands it to its
rules; this module holds that model and the few questions every rule asks (which pods run Rasa, which Secret
keys a container reads, which pods a label selector picks), so the rules stay short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Kinds whose objects carry a pod template, and where it sits in them.
POD_TEMPLATE_PATHS: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# The Secret keys of the deployment (deploy/k8s/secret.example.yaml).
OWNER_DB_KEY = "DATABASE_URL"  # the owner role: content loads only
READER_DB_KEY = "CONTENT_READER_DATABASE_URL"  # the action servers' role (db-roles.sql)
SALT_KEY = "FEEDBACK_SALT"
REDIS_KEYS = frozenset({"LOCK_STORE_URL", "REDIS_URL"})
# Secret files are examples with placeholders; the filled-in copy is never committed.
EXAMPLE_SUFFIX = ".example.yaml"
PLACEHOLDER = "CHANGE-ME"
# libyaml's safe loader when PyYAML has it (ten times faster), else the pure-Python one: the same documents.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Failure:
    """One broken rule, said so that it can be found: the file, the object and what is wrong."""

    file: str
    obj: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.obj}: {self.message}"


@dataclass(frozen=True)
class Manifest:
    """One YAML document of a manifest file."""

    file: str
    body: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """The object's kind, e.g. `Deployment`."""
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        """The object's name."""
        return str((self.body.get("metadata") or {}).get("name", "?"))

    @property
    def ref(self) -> str:
        """`Kind/name`, as failures name an object."""
        return f"{self.kind}/{self.name}"

    def fail(self, message: str) -> Failure:
        """A failure of this object."""
        return Failure(self.file, self.ref, message)


@dataclass(frozen=True)
class Pod:
    """The pod template of a workload, with its containers (init containers included)."""

    owner: Manifest
    template: Mapping[str, Any]

    @property
    def spec(self) -> Mapping[str, Any]:
        """The template's pod spec."""
        return self.template.get("spec") or {}

    @property
    def labels(self) -> Mapping[str, str]:
        """The labels the pods get (what NetworkPolicies select)."""
        return (self.template.get("metadata") or {}).get("labels") or {}

    @property
    def containers(self) -> list[Mapping[str, Any]]:
        """Init containers first, then the containers, as the pod runs them."""
        return [*(self.spec.get("initContainers") or []), *(self.spec.get("containers") or [])]

    def secret_keys(self) -> set[str]:
        """Every Secret key any of its containers reads."""
        return {key for container in self.containers for _, (_, key) in secret_refs(container)}


@dataclass
class Deployment:
    """Everything the rules read: the manifests of one folder, its nginx files and the kustomization beside it."""

    folder: Path
    manifests: list[Manifest]
    nginx: dict[str, str] = field(default_factory=dict)
    kustomization: Mapping[str, Any] | None = None

    @classmethod
    def load(cls, folder: Path) -> Deployment:
        """Reads `folder/*.yaml`, `folder/*.conf` and `folder/../kustomization.yaml` (when there is one)."""
        manifests = [
            Manifest(str(path), body)
            for path in sorted(folder.glob("*.yaml"))
            for body in yaml.load_all(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
            if isinstance(body, dict)
        ]
        nginx = {str(path): path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.conf"))}
        kustomization_file = folder.parent / "kustomization.yaml"
        kustomization = (
            yaml.load(kustomization_file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
            if kustomization_file.is_file()
            else None
        )
        return cls(folder, manifests, nginx, kustomization)

    def of_kind(self, kind: str) -> list[Manifest]:
        """The objects of one kind."""
        return [m for m in self.manifests if m.kind == kind]

    def pods(self) -> list[Pod]:
        """The pod template of every workload."""
        found = []
        for manifest in self.manifests:
            path = POD_TEMPLATE_PATHS.get(manifest.kind)
            if path is None:
                continue
            node: Any = manifest.body
            for step in path:
                node = (node or {}).get(step)
            if isinstance(node, dict):
                found.append(Pod(manifest, node))
        return found

    def secret_values(self) -> dict[tuple[str, str], str]:
        """(Secret name, key) -> value of every Secret in the folder (the examples)."""
        values = {}
        for secret in self.of_kind("Secret"):
            for section in ("stringData", "data"):
                for key, value in (secret.body.get(section) or {}).items():
                    values[(secret.name, str(key))] = str(value)
        return values


def command_line(container: Mapping[str, Any]) -> list[str]:
    """The container's command and arguments, as one list of strings."""
    return [str(part) for part in (*(container.get("command") or []), *(container.get("args") or []))]


def runs_rasa(container: Mapping[str, Any]) -> bool:
    """Whether the container runs a Rasa server (through bot.rasa_server, or Rasa's own `rasa run`)."""
    line = " ".join(command_line(container))
    return "bot.rasa_server" in line or bool(re.search(r"\brasa run\b", line))


def runs_actions(container: Mapping[str, Any]) -> bool:
    """Whether the container runs the action server (rasa-sdk)."""
    return "rasa_sdk" in " ".join(command_line(container))


def secret_refs(container: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str, str]]]:
    """(variable, (Secret name, key)) for every variable the container takes from a Secret key."""
    for item in container.get("env") or []:
        ref = ((item.get("valueFrom") or {}).get("secretKeyRef")) or {}
        if ref:
            yield str(item.get("name")), (str(ref.get("name")), str(ref.get("key")))


def env_source(container: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The container's `env` entry for `name`, or None."""
    return next((item for item in container.get("env") or [] if item.get("name") == name), None)


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels and matchExpressions) picks an object with `labels`.

    An empty selector picks everything, as in Kubernetes.
    """
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and present and labels.get(key) in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True
