"""The network rules of the deployment policy (#15 point 5): who may reach what, and what the public sees.

- Ingress: TLS for every host, HTTP redirected to HTTPS, only the public routes (`PUBLIC_ROUTES`), no
  configuration snippets, a Secure affinity cookie, and backends that reach the pods' nginx, not Rasa.
- NetworkPolicy: every pod of the bot is isolated; the Rasa pods take connections only from the ingress
  controller, on nginx's port; the action servers only from the Rasa pods; PostgreSQL and Redis only from the
  pods that use them. No rule lets in every address or opens every port.
- nginx (the pods' sidecar, `*.conf`): `server_tokens off`; on the public server, HSTS, `nosniff`, a
  Referrer-Policy and a Content-Security-Policy on every answer (the widget's demo page with its own), and only
  the public routes passed on; every other server on 127.0.0.1, or health only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.tools.k8s_manifests import (
    OWNER_DB_KEY,
    READER_DB_KEY,
    REDIS_KEYS,
    Deployment,
    Failure,
    Manifest,
    Pod,
    runs_actions,
    runs_rasa,
    selects,
)
from bot.tools.nginx_conf import (
    Directive,
    NginxSyntaxError,
    effective_headers,
    listen_addresses,
    location_path,
    locations,
    parse,
    servers,
)

# The bot's routes the public may reach: path -> Kubernetes pathType. Everything else (the editors' shell,
# Rasa's `/` with its version) stays inside the cluster.
PUBLIC_ROUTES: Mapping[str, str] = {
    "/webhooks/rest/webhook": "Exact",
    "/webhooks/telegram/webhook": "Exact",
    "/webhooks/widget": "Prefix",
    "/socket.io": "Prefix",
}
DEMO_PAGE = "/webhooks/widget/"
PROXY_PORT = 8080  # the pods' nginx, the only port the ingress reaches
ACTION_PORT = 5055
HSTS_MIN_AGE = 31_536_000  # a year, in seconds
# How the managed services' pods are labelled (deploy/k8s/networkpolicy.yaml says to adjust them).
POSTGRES_LABELS: Mapping[str, str] = {"app.kubernetes.io/name": "postgresql"}
REDIS_LABELS: Mapping[str, str] = {"app.kubernetes.io/name": "redis"}
ANNOTATION = "nginx.ingress.kubernetes.io/"
DB_KEYS = frozenset({OWNER_DB_KEY, READER_DB_KEY})


def _under_prefix(path: str) -> bool:
    return any(path == p or path.startswith(f"{p}/") for p, kind in PUBLIC_ROUTES.items() if kind == "Prefix")


def is_public(path: str, exact: bool) -> bool:
    """Whether an exact path, or every path under a prefix, is one of the public routes."""
    if exact and PUBLIC_ROUTES.get(path) == "Exact":
        return True
    return _under_prefix(path.rstrip("/") if not exact and path != "/" else path)


def _service_port(deployment: Deployment, service: str, port: Mapping[str, Any]) -> int | None:
    """The container port an Ingress backend (Service name and port) leads to; named target ports are resolved."""
    for svc in deployment.of_kind("Service"):
        spec = svc.body.get("spec") or {}
        wanted = [
            item
            for item in spec.get("ports") or []
            if svc.name == service
            and (item.get("name") == port["name"] if "name" in port else item.get("port") == port.get("number"))
        ]
        for item in wanted:
            target = item.get("targetPort", item.get("port"))
            if isinstance(target, int):
                return target
            for pod in deployment.pods():
                if selects({"matchLabels": spec.get("selector") or {}}, pod.labels):
                    for declared in (p for c in pod.containers for p in c.get("ports") or []):
                        if declared.get("name") == target:
                            return int(declared.get("containerPort", 0))
    return None


def ingress_rules(deployment: Deployment) -> Iterator[Failure]:
    """TLS, redirects, public routes only, no snippets, a Secure cookie, backends on the pods' nginx."""
    for ingress in deployment.of_kind("Ingress"):
        spec = ingress.body.get("spec") or {}
        notes = (ingress.body.get("metadata") or {}).get("annotations") or {}
        tls_hosts = {host for tls in spec.get("tls") or [] if tls.get("secretName") for host in tls.get("hosts") or []}
        if spec.get("defaultBackend"):
            yield ingress.fail("a defaultBackend would expose every route")
        redirects = [notes.get(f"{ANNOTATION}{n}") for n in ("ssl-redirect", "force-ssl-redirect")]
        if "true" not in redirects or "false" in redirects:
            yield ingress.fail(f'plain HTTP must be redirected to HTTPS ({ANNOTATION}force-ssl-redirect: "true")')
        for key in notes:
            if key.endswith("-snippet") or key.endswith("-snippets"):
                yield ingress.fail(f"{key}: snippets run arbitrary nginx configuration in the controller")
        if notes.get(f"{ANNOTATION}affinity") == "cookie" and notes.get(f"{ANNOTATION}session-cookie-secure") != "true":
            yield ingress.fail(f'the affinity cookie must be Secure ({ANNOTATION}session-cookie-secure: "true")')
        for rule in spec.get("rules") or []:
            host = rule.get("host")
            if host not in tls_hosts:
                yield ingress.fail(f"host {host or '(any)'} has no TLS (spec.tls with its host and a secretName)")
            for item in (rule.get("http") or {}).get("paths") or []:
                path, kind = str(item.get("path", "/")), str(item.get("pathType", "Prefix"))
                if not is_public(path, kind == "Exact"):
                    yield ingress.fail(f"path {path} ({kind}) is not a public route; only {', '.join(PUBLIC_ROUTES)}")
                backend = (item.get("backend") or {}).get("service") or {}
                if _service_port(deployment, str(backend.get("name")), backend.get("port") or {}) != PROXY_PORT:
                    yield ingress.fail(f"path {path} does not reach the pods' nginx (container port {PROXY_PORT})")


def _ingress_peers(policy: Manifest) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    """(peer, ports) of every ingress rule; a rule without `from` gives an empty peer (everyone)."""
    for rule in (policy.body.get("spec") or {}).get("ingress") or []:
        for peer in rule.get("from") or [{}]:
            yield peer, rule.get("ports") or []


def _limits_ingress(policy: Manifest) -> bool:
    return "Ingress" in ((policy.body.get("spec") or {}).get("policyTypes") or ["Ingress"])


def _guards(deployment: Deployment, labels: Mapping[str, str]) -> list[Manifest]:
    """The NetworkPolicies that limit who may connect to pods with `labels`."""
    return [
        p
        for p in deployment.of_kind("NetworkPolicy")
        if _limits_ingress(p) and selects((p.body.get("spec") or {}).get("podSelector"), labels)
    ]


def _only_from(
    deployment: Deployment, what: str, targets: list[Mapping[str, str]], clients: list[Pod], ports: set[int]
) -> Iterator[Failure]:
    """Pods with `targets` labels take connections only from `clients`' pods of this namespace, on `ports`."""
    pods = deployment.pods()
    guards = {p.ref: p for labels in targets for p in _guards(deployment, labels)}
    if not guards:
        yield Failure(str(deployment.folder), "NetworkPolicy", f"no NetworkPolicy limits who may connect to {what}")
    allowed: set[str] = set()
    for policy in guards.values():
        for peer, rule_ports in _ingress_peers(policy):
            if set(peer) != {"podSelector"}:
                yield policy.fail(f"lets {dict(peer) or 'everyone'} connect to {what}: only its clients' pods may")
                continue
            let_in = {p.owner.ref for p in pods if selects(peer["podSelector"], p.labels)}
            strangers = let_in - {c.owner.ref for c in clients}
            if strangers:
                yield policy.fail(f"lets {', '.join(sorted(strangers))} connect to {what}, which do not use it")
            opened = {p.get("port") for p in rule_ports}
            if not opened or not opened <= ports:
                yield policy.fail(f"must open only port(s) {sorted(ports)} of {what}, not {sorted(map(str, opened))}")
            allowed |= let_in
    for client in clients:
        if guards and client.owner.ref not in allowed:
            yield client.owner.fail(f"cannot reach {what}: no NetworkPolicy rule lets its pods in")


def network_rules(deployment: Deployment) -> Iterator[Failure]:
    """Every pod isolated; Rasa from the ingress controller; actions from Rasa; the stores from their users."""
    pods = deployment.pods()
    for pod in pods:
        if not _guards(deployment, pod.labels):
            yield pod.owner.fail("no NetworkPolicy limits who may connect to its pods")

    def running(test: Callable[[Any], bool]) -> list[Pod]:
        return [pod for pod in pods if any(test(c) for c in pod.containers)]

    rasa, actions = running(runs_rasa), running(runs_actions)
    for policy in {p.ref: p for pod in rasa for p in _guards(deployment, pod.labels)}.values():
        for peer, rule_ports in _ingress_peers(policy):
            opened = {p.get("port") for p in rule_ports}
            if not (peer.get("namespaceSelector") or {}).get("matchLabels") or opened != {PROXY_PORT}:
                yield policy.fail(
                    f"the Rasa pods must take connections only from the ingress controller's namespace, "
                    f"on port {PROXY_PORT}"
                )
    yield from _only_from(deployment, "the action servers", [p.labels for p in actions], rasa, {ACTION_PORT})
    database = [p for p in pods if any(k in DB_KEYS or k.startswith("TRACKER_DB_") for k in p.secret_keys())]
    yield from _only_from(deployment, "PostgreSQL", [POSTGRES_LABELS], database, {5432})
    redis = [p for p in pods if p.secret_keys() & REDIS_KEYS]
    yield from _only_from(deployment, "Redis", [REDIS_LABELS], redis, {6379})


def _port(address: str) -> int | None:
    match = re.search(r"(\d+)$", address)
    return int(match.group(1)) if match else None


def _loopback(address: str) -> bool:
    return address.startswith(("127.", "[::1]", "localhost"))


def _public_server(file: str, chain: tuple[Directive, ...]) -> Iterator[Failure]:
    """Headers on every answer of the public server, the demo page's CSP, and only public routes passed on."""
    demo_csp = None
    for location_chain in locations(chain[-1], chain[:-1]):
        location = location_chain[-1]
        modifier, path = location_path(location)
        obj = f"location {modifier} {path}" if modifier and modifier != "@" else f"location {path}"
        headers = effective_headers(location_chain)
        age = re.search(r"max-age=(\d+)", headers.get("strict-transport-security", ""))
        if not age or int(age.group(1)) < HSTS_MIN_AGE:
            yield Failure(file, obj, "no Strict-Transport-Security with a max-age of a year or more")
        if headers.get("x-content-type-options", "").lower() != "nosniff":
            yield Failure(file, obj, "no X-Content-Type-Options: nosniff")
        for name in ("Referrer-Policy", "Content-Security-Policy"):
            if name.lower() not in headers:
                yield Failure(file, obj, f"no {name}")
        if location.all("proxy_pass") and modifier != "@" and not is_public(path, modifier == "="):
            yield Failure(file, obj, "passes on a route that is not public")
        if (modifier, path) == ("=", DEMO_PAGE):
            demo_csp = headers.get("content-security-policy", "")
    script_src = re.search(r"script-src([^;]*)", demo_csp or "")
    sources = script_src.group(1).split() if script_src else []
    if "'self'" not in sources or {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources):
        yield Failure(
            file, "nginx", f"the widget's demo page (location = {DEMO_PAGE}) needs a CSP with script-src 'self' only"
        )


def nginx_rules(deployment: Deployment) -> Iterator[Failure]:
    """server_tokens off; the public server's headers and routes; every other server internal or health only."""
    for file, text in deployment.nginx.items():
        try:
            tree = parse(text)
        except NginxSyntaxError as error:
            yield Failure(file, "nginx", f"cannot be read: {error}")
            continue
        http = [top for top in tree if top.name == "http"]
        if not any(d.args == ("off",) for block in http for d in block.all("server_tokens")):
            yield Failure(file, "nginx", "server_tokens off is missing: every error page would name nginx's version")
        public = 0
        for block in http:
            for server in block.all("server"):
                addresses = listen_addresses(server)
                if any(_port(a) == PROXY_PORT and not _loopback(a) for a in addresses):
                    public += 1
                    yield from _public_server(file, (block, server))
                elif not all(_loopback(a) for a in addresses):
                    for location_chain in locations(server):
                        _, path = location_path(location_chain[-1])
                        if location_chain[-1].all("proxy_pass") and not path.startswith("/healthz"):
                            yield Failure(file, f"server {' '.join(addresses)}", f"passes {path} on beyond 127.0.0.1")
        if not public and servers(tree):
            yield Failure(file, "nginx", f"no public server on port {PROXY_PORT}")
