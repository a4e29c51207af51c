"""The deployment policy (#15 point 5): the real manifests pass it, and each rule fails a copy that breaks it.

Each case copies deploy/k8s and the kustomization into a temporary folder, breaks one thing (a YAML edit, or a
text edit of the nginx file that must find its target) and expects the policy's message for it. The Dockerfile
and .dockerignore are checked here too, statically: no image can be pulled or built in this environment.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.tools import k8s_network, k8s_pods, k8s_policy
from bot.tools.k8s_manifests import SAFE_LOADER, Deployment, Manifest, command_line, selects
from bot.tools.nginx_conf import Directive, NginxSyntaxError, effective_headers, locations, parse, servers
from tests.conftest import missing

DEPLOY = PROJECT_ROOT / "deploy"
Docs = list[dict[str, Any]]
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture
def k8s(tmp_path: Path) -> Path:
    """A copy of deploy/k8s with the kustomization beside it, as `make lint-k8s` sees them."""
    shutil.copytree(DEPLOY / "k8s", tmp_path / "deploy" / "k8s")
    shutil.copy(DEPLOY / "kustomization.yaml", tmp_path / "deploy" / "kustomization.yaml")
    return tmp_path / "deploy" / "k8s"


def edit(folder: Path, file: str, change: Callable[[Docs], object]) -> None:
    """Loads every document of a manifest file, lets `change` break them, writes them back."""
    path = folder / file
    docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) if d]
    before = yaml.dump_all(docs, Dumper=DUMPER)
    change(docs)
    after = yaml.dump_all(docs, Dumper=DUMPER)
    assert after != before, f"the change to {file} changed nothing"
    path.write_text(after, encoding="utf-8")


def replace(folder: Path, file: str, old: str, new: str) -> None:
    """Replaces the first occurrence of text that must be there (so a case never passes by missing its target)."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def doc(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def container(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in [*spec.get("initContainers", []), *spec["containers"]] if c["name"] == name)


def env(item: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in item["env"] if e["name"] == name)


# The pod specs, containers and objects the cases break.
def rasa_pod(d: Docs) -> dict[str, Any]:
    return doc(d, "Deployment", "spasticity-rasa")["spec"]["template"]["spec"]


def actions_pod(d: Docs) -> dict[str, Any]:
    return doc(d, "Deployment", "spasticity-actions")["spec"]["template"]["spec"]


def job_pod(d: Docs) -> dict[str, Any]:
    return doc(d, "Job", "spasticity-content-load")["spec"]["template"]["spec"]


def rasa(d: Docs) -> dict[str, Any]:
    return container(rasa_pod(d), "rasa")


def proxy(d: Docs) -> dict[str, Any]:
    return container(rasa_pod(d), "proxy")


def actions(d: Docs) -> dict[str, Any]:
    return container(actions_pod(d), "actions")


def grants(d: Docs) -> dict[str, Any]:
    return container(job_pod(d), "grants")


def notes(d: Docs) -> dict[str, Any]:
    return dict(doc(d, "Ingress", "spasticity-rasa")["metadata"]["annotations"])


def set_notes(d: Docs, **changes: str | None) -> None:
    """Sets (or, with None, removes) the Ingress's annotations named without their prefix, `_` for `-`."""
    annotations = doc(d, "Ingress", "spasticity-rasa")["metadata"]["annotations"]
    for key, value in changes.items():
        name = f"nginx.ingress.kubernetes.io/{key.replace('_', '-')}"
        annotations.pop(name, None) if value is None else annotations.update({name: value})


def route(d: Docs, index: int) -> dict[str, Any]:
    return doc(d, "Ingress", "spasticity-rasa")["spec"]["rules"][0]["http"]["paths"][index]


def rule(d: Docs, name: str) -> dict[str, Any]:
    """The first ingress rule of a NetworkPolicy."""
    return doc(d, "NetworkPolicy", name)["spec"]["ingress"][0]


def secret(d: Docs, name: str) -> dict[str, Any]:
    return doc(d, "Secret", name)["stringData"]


def set_arg(item: dict[str, Any], flag: str, value: str) -> None:
    item["command"][item["command"].index(flag) + 1] = value


def drop(mapping: dict[str, Any], key: str) -> None:
    del mapping[key]


def case(name: str, file: str, change: Callable[[Docs], object], message: str) -> Any:
    """A case that breaks one manifest file with a YAML edit."""
    return pytest.param(lambda folder: edit(folder, file, change), message, id=name)


def text_case(name: str, old: str, new: str, message: str, file: str = "action-gateway.conf") -> Any:
    """A case that breaks a file (the nginx configuration by default) with a text edit."""
    return pytest.param(lambda folder: replace(folder, file, old, new), message, id=name)


def _add_secret_file(folder: Path) -> None:
    (folder / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: spasticity-db\nstringData:\n  FEEDBACK_SALT: CHANGE-ME\n",
        encoding="utf-8",
    )


HSTS = '        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;\n'
NOSNIFF = "        add_header X-Content-Type-Options nosniff always;\n"
REFERRER = "        add_header Referrer-Policy no-referrer always;\n        # JSON"
OWNER_URL = "postgresql+psycopg2://spasticity:CHANGE-ME@h/db"
EDITOR = "        location /webhooks/editor/ {\n            proxy_pass http://127.0.0.1:5005;\n        }\n"
CATCH_ALL = "        location / {\n            return 404;\n        }\n\n"
OWNER_REF = {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "spasticity-db", "key": "DATABASE_URL"}}}

# Each case: what is broken, how (a function of the copied folder), and the policy's message for it.
CASES = [
    # -- pods ---------------------------------------------------------------------------------------------------
    case("service account token", "rasa.yaml", lambda d: drop(rasa_pod(d), "automountServiceAccountToken"),
         "Deployment/spasticity-rasa: automountServiceAccountToken must be false"),
    case("root allowed", "actions.yaml", lambda d: drop(actions_pod(d)["securityContext"], "runAsNonRoot"),
         "container actions: runAsNonRoot must be true"),
    case("uid 0", "content-job.yaml", lambda d: job_pod(d)["securityContext"].update(runAsUser=0),
         "container content: runAsUser must be a fixed non-zero UID"),
    case("no seccomp", "actions.yaml", lambda d: drop(actions_pod(d)["securityContext"], "seccompProfile"),
         "container actions: seccompProfile must be RuntimeDefault"),
    case("unconfined", "rasa.yaml", lambda d: proxy(d)["securityContext"].update(seccompProfile={"type": "Unconfined"}),
         "container proxy: seccompProfile must be RuntimeDefault"),
    case("writable root", "rasa.yaml", lambda d: rasa(d)["securityContext"].update(readOnlyRootFilesystem=False),
         "container rasa: readOnlyRootFilesystem must be true"),
    case("escalation", "rasa.yaml", lambda d: drop(proxy(d)["securityContext"], "allowPrivilegeEscalation"),
         "container proxy: allowPrivilegeEscalation must be false"),
    case("capabilities kept", "content-job.yaml", lambda d: drop(grants(d)["securityContext"], "capabilities"),
         "container grants: capabilities must drop ALL"),
    case("capability added", "actions.yaml",
         lambda d: actions(d)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
         "container actions: capabilities must add nothing"),
    case("privileged", "actions.yaml", lambda d: actions(d)["securityContext"].update(privileged=True),
         "container actions: must not be privileged"),
    case("host network", "actions.yaml", lambda d: actions_pod(d).update(hostNetwork=True),
         "hostNetwork must not be set"),
    case("no /tmp", "actions.yaml", lambda d: actions(d).update(volumeMounts=[]),
         "container actions: needs an emptyDir at /tmp"),
    case("latest image", "actions.yaml", lambda d: actions(d).update(image="spasticity-bot:latest"),
         "image spasticity-bot:latest is not pinned to a version"),
    case("untagged image", "content-job.yaml", lambda d: grants(d).update(image="postgres"),
         "image postgres is not pinned to a version"),
    case("root nginx", "rasa.yaml", lambda d: proxy(d).update(image="nginx:1.27.0"),
         "nginx must be nginxinc/nginx-unprivileged pinned to an exact version"),
    case("nginx minor tag", "rasa.yaml", lambda d: proxy(d).update(image="nginxinc/nginx-unprivileged:1.30-alpine"),
         "exact version (x.y.z), not nginxinc/nginx-unprivileged:1.30-alpine"),
    case("whole secret", "rasa.yaml", lambda d: rasa(d).update(envFrom=[{"secretRef": {"name": "spasticity-db"}}]),
         "container rasa: envFrom takes a whole Secret"),
    case("plain password", "rasa.yaml",
         lambda d: env(rasa(d), "TRACKER_DB_PASSWORD").update(value="hunter2", valueFrom=None),
         "container rasa: TRACKER_DB_PASSWORD is a secret in plain text"),
    case("token in a url", "rasa.yaml",
         lambda d: env(rasa(d), "ACTION_ENDPOINT_URL").update(value="http://127.0.0.1:5056/webhook?token=abc"),
         "container rasa: ACTION_ENDPOINT_URL is a secret in plain text"),
    case("unknown secret key", "actions.yaml",
         lambda d: env(actions(d), "FEEDBACK_SALT")["valueFrom"]["secretKeyRef"].update(key="SALT"),
         "FEEDBACK_SALT reads spasticity-feedback/SALT, which the Secret example does not define"),
    case("salt missing", "actions.yaml", lambda d: actions(d)["env"].remove(env(actions(d), "FEEDBACK_SALT")),
         "container actions: FEEDBACK_SALT must come from a Secret"),
    case("salt in plain text", "actions.yaml",
         lambda d: env(actions(d), "FEEDBACK_SALT").update(value="x" * 64, valueFrom=None),
         "container actions: FEEDBACK_SALT must come from a Secret"),
    case("actions as owner", "actions.yaml",
         lambda d: env(actions(d), "DATABASE_URL")["valueFrom"]["secretKeyRef"].update(key="DATABASE_URL"),
         "container actions: DATABASE_URL must be the read-only content role's"),
    case("owner outside jobs", "rasa.yaml", lambda d: rasa(d)["env"].append(OWNER_REF),
         "container rasa: only the content Job may use the owner role"),
    case("api on", "rasa.yaml", lambda d: rasa(d)["command"].append("--enable-api"),
         "container rasa: Rasa's HTTP API must stay off"),
    case("token in argv", "rasa.yaml", lambda d: rasa(d)["command"].extend(["--auth-token", "abc"]),
         "container rasa: a Rasa token on the command line (--auth-token)"),
    case("cors star", "rasa.yaml", lambda d: set_arg(rasa(d), "--cors", "*"),
         "container rasa: CORS origin '*' is not allowed"),
    case("cors http", "rasa.yaml", lambda d: set_arg(rasa(d), "--cors", "http://spasticity-bot.example.org"),
         "CORS origin 'http://spasticity-bot.example.org' is not allowed"),
    case("rasa on all interfaces", "rasa.yaml", lambda d: set_arg(rasa(d), "--interface", "0.0.0.0"),
         "container rasa: Rasa must listen on 127.0.0.1 behind the pod's nginx, not 0.0.0.0"),
    case("no grants", "content-job.yaml", lambda d: grants(d)["command"].remove("reader=spasticity_reader"),
         "Deployment/spasticity-actions: no Job grants the read-only role spasticity_reader its tables"),
    # -- Secrets ------------------------------------------------------------------------------------------------
    pytest.param(_add_secret_file, "secret.yaml: Secret/spasticity-db: a Secret belongs in a *.example.yaml file",
                 id="secret committed"),
    case("real salt", "secret.example.yaml", lambda d: secret(d, "spasticity-feedback").update(FEEDBACK_SALT="ab" * 32),
         "Secret/spasticity-feedback: FEEDBACK_SALT holds a value instead of the CHANGE-ME placeholder"),
    case("real password in a url", "secret.example.yaml",
         lambda d: secret(d, "spasticity-db").update(LOCK_STORE_URL="redis://:pw@r:6379/1"),
         "LOCK_STORE_URL holds a value instead of the CHANGE-ME placeholder"),
    case("unused api token", "secret.example.yaml",
         lambda d: secret(d, "spasticity-db").update(RASA_API_TOKEN="CHANGE-ME"),
         "RASA_API_TOKEN: Rasa's HTTP API stays off"),
    case("salt not defined", "secret.example.yaml", lambda d: d.remove(doc(d, "Secret", "spasticity-feedback")),
         "Secret: the Secret example defines no FEEDBACK_SALT"),
    case("reader is the owner", "secret.example.yaml",
         lambda d: secret(d, "spasticity-db").update(CONTENT_READER_DATABASE_URL=OWNER_URL),
         "CONTENT_READER_DATABASE_URL must use the read-only role, not the owner's user"),
    # -- Ingress ------------------------------------------------------------------------------------------------
    case("no tls", "ingress.yaml", lambda d: drop(doc(d, "Ingress", "spasticity-rasa")["spec"], "tls"),
         "host spasticity-bot.example.org has no TLS"),
    case("no redirect", "ingress.yaml", lambda d: set_notes(d, ssl_redirect=None, force_ssl_redirect=None),
         "plain HTTP must be redirected to HTTPS"),
    case("redirect off", "ingress.yaml", lambda d: set_notes(d, ssl_redirect="false"),
         "plain HTTP must be redirected to HTTPS"),
    case("everything routed", "ingress.yaml", lambda d: route(d, 2).update(path="/"),
         "path / (Prefix) is not a public route"),
    case("editor routed", "ingress.yaml", lambda d: route(d, 0).update(path="/webhooks/editor", pathType="Prefix"),
         "path /webhooks/editor (Prefix) is not a public route"),
    case("snippet", "ingress.yaml", lambda d: set_notes(d, configuration_snippet="more_set_headers 'X: y';"),
         "configuration-snippet: snippets run arbitrary nginx configuration"),
    case("cookie not secure", "ingress.yaml", lambda d: set_notes(d, session_cookie_secure=None),
         "the affinity cookie must be Secure"),
    case("straight to rasa", "rasa.yaml",
         lambda d: doc(d, "Service", "spasticity-rasa")["spec"]["ports"][0].update(targetPort=5005),
         "does not reach the pods' nginx (container port 8080)"),
    # -- NetworkPolicy ------------------------------------------------------------------------------------------
    case("pods not isolated", "networkpolicy.yaml",
         lambda d: d.remove(doc(d, "NetworkPolicy", "spasticity-default-deny")),
         "Job/spasticity-content-load: no NetworkPolicy limits who may connect to its pods"),
    case("actions policy gone", "networkpolicy.yaml",
         lambda d: d.remove(doc(d, "NetworkPolicy", "spasticity-actions")),
         "Deployment/spasticity-rasa: cannot reach the action servers"),
    case("actions open to all", "networkpolicy.yaml", lambda d: drop(rule(d, "spasticity-actions"), "from"),
         "lets everyone connect to the action servers"),
    case("actions from any namespace", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-actions")["from"][0].update(namespaceSelector={}),
         "connect to the action servers: only its clients' pods may"),
    case("actions from every pod", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-actions")["from"][0].update(podSelector={}),
         "lets Deployment/spasticity-actions, Job/spasticity-content-load connect to the action servers, which do not"),
    case("actions every port", "networkpolicy.yaml", lambda d: drop(rule(d, "spasticity-actions"), "ports"),
         "must open only port(s) [5055] of the action servers"),
    case("postgres unguarded", "networkpolicy.yaml",
         lambda d: d.remove(doc(d, "NetworkPolicy", "spasticity-postgresql")),
         "no NetworkPolicy limits who may connect to PostgreSQL"),
    case("postgres lacks a client", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-postgresql")["from"][0]["podSelector"]["matchExpressions"][0]["values"].remove(
             "spasticity-actions"),
         "Deployment/spasticity-actions: cannot reach PostgreSQL"),
    case("postgres from the internet", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-postgresql")["from"].append({"ipBlock": {"cidr": "0.0.0.0/0"}}),
         "connect to PostgreSQL: only its clients' pods may"),
    case("redis unguarded", "networkpolicy.yaml", lambda d: d.remove(doc(d, "NetworkPolicy", "spasticity-redis")),
         "no NetworkPolicy limits who may connect to Redis"),
    case("redis for the actions", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-redis")["from"].append(
             {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "spasticity-actions"}}}),
         "lets Deployment/spasticity-actions connect to Redis, which do not use it"),
    case("rasa from any pod", "networkpolicy.yaml",
         lambda d: drop(rule(d, "spasticity-rasa")["from"][0], "namespaceSelector"),
         "the Rasa pods must take connections only from the ingress controller's namespace, on port 8080"),
    case("rasa port opened", "networkpolicy.yaml",
         lambda d: rule(d, "spasticity-rasa")["ports"].append({"protocol": "TCP", "port": 5005}),
         "the Rasa pods must take connections only from the ingress controller's namespace, on port 8080"),
    # -- nginx --------------------------------------------------------------------------------------------------
    text_case("server tokens", "    server_tokens off;\n", "", "nginx: server_tokens off is missing"),
    text_case("no hsts", HSTS, "", "location = /webhooks/rest/webhook: no Strict-Transport-Security"),
    text_case("short hsts", HSTS, HSTS.replace("31536000", "300"),
              "location /socket.io/: no Strict-Transport-Security with a max-age of a year or more"),
    text_case("headers lost in a location", "proxy_read_timeout 3600s;\n",
              "proxy_read_timeout 3600s;\n            add_header X-Frame-Options DENY;\n",
              "location /socket.io/: no Strict-Transport-Security"),
    text_case("no nosniff", HSTS + NOSNIFF, HSTS, "location /webhooks/widget/: no X-Content-Type-Options: nosniff"),
    text_case("no referrer policy", REFERRER, "        # JSON", "location /: no Referrer-Policy"),
    text_case("demo page without csp", "add_header Content-Security-Policy \"default-src 'none'; script-src",
              "add_header X-Demo \"default-src 'none'; script-src",
              "the widget's demo page (location = /webhooks/widget/) needs a CSP with script-src 'self' only"),
    text_case("demo page inline scripts", "script-src 'self';", "script-src 'self' 'unsafe-inline';",
              "needs a CSP with script-src 'self' only"),
    text_case("everything proxied", CATCH_ALL, CATCH_ALL.replace("return 404", "proxy_pass http://127.0.0.1:5005"),
              "location /: passes on a route that is not public"),
    text_case("editor proxied", CATCH_ALL, EDITOR + CATCH_ALL,
              "location /webhooks/editor/: passes on a route that is not public"),
    text_case("gateway on all interfaces", "listen 127.0.0.1:5056;", "listen 5056;",
              "server 5056: passes / on beyond 127.0.0.1"),
    text_case("gateway without listen", "        listen 127.0.0.1:5056;\n", "",
              "server 80: passes / on beyond 127.0.0.1"),
    text_case("nginx unreadable", "server_tokens off;", "server_tokens off; }", "nginx: cannot be read"),
    # -- kustomization ------------------------------------------------------------------------------------------
    text_case("policy not applied", "  - k8s/networkpolicy.yaml\n", "", "networkpolicy.yaml is not in resources",
              file="../kustomization.yaml"),
    text_case("example applied", "k8s/content-job.yaml\n", "k8s/content-job.yaml\n  - k8s/secret.example.yaml\n",
              "applies the example secret.example.yaml", file="../kustomization.yaml"),
    text_case("nginx file not mounted", "k8s/action-gateway.conf", "k8s/other.conf",
              "action-gateway.conf is checked but no configMapGenerator mounts it", file="../kustomization.yaml"),
]  # fmt: skip


def test_the_real_manifests_follow_the_policy() -> None:
    assert [str(f) for f in k8s_policy.check(DEPLOY / "k8s")] == []


@pytest.mark.parametrize(("breaks", "message"), CASES)
def test_each_rule_fails_a_manifest_that_breaks_it(k8s: Path, breaks: Callable[[Path], None], message: str) -> None:
    breaks(k8s)
    failures = [str(f) for f in k8s_policy.check(k8s)]
    assert any(message in f for f in failures), f"expected {message!r} among {failures}"


def test_every_rule_group_has_cases_that_break_it(tmp_path: Path) -> None:
    """A group of rules that no case breaks could pass anything: each must own at least one case."""
    broken: set[str] = set()
    for number, param in enumerate(CASES):
        breaks, message = param.values
        folder = tmp_path / str(number) / "deploy" / "k8s"
        shutil.copytree(DEPLOY / "k8s", folder)
        shutil.copy(DEPLOY / "kustomization.yaml", folder.parent)
        breaks(folder)
        deployment = Deployment.load(folder)
        broken |= {r.__name__ for r in k8s_policy.RULES if any(message in str(f) for f in r(deployment))}
    assert broken == {r.__name__ for r in k8s_policy.RULES}


def test_the_command_prints_file_object_and_message_and_exits_1(k8s: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert k8s_policy.main([str(DEPLOY / "k8s")]) == 0
    assert "follow the deployment policy" in capsys.readouterr().out
    edit(k8s, "actions.yaml", lambda d: drop(actions_pod(d), "automountServiceAccountToken"))
    assert k8s_policy.main([str(k8s)]) == 1
    out, err = capsys.readouterr()
    assert f"{k8s / 'actions.yaml'}: Deployment/spasticity-actions: automountServiceAccountToken must be false" in out
    assert "1 problem(s)" in err
    assert k8s_policy.main([str(k8s / "missing")]) == 2


def test_what_kustomize_renders_follows_the_policy_too() -> None:
    """`kubectl apply -k deploy/` applies kustomize's output (labels added, ConfigMap names hashed), not the files."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        missing("kubectl is not installed")
    rendered = subprocess.run(
        [str(kubectl), "kustomize", str(DEPLOY)], capture_output=True, text=True, check=True, timeout=120
    )
    bodies = [d for d in yaml.load_all(rendered.stdout, Loader=SAFE_LOADER) if d]
    assert {"ConfigMap", "Deployment", "Job", "Ingress", "NetworkPolicy"} <= {b["kind"] for b in bodies}
    assert "Secret" not in {b["kind"] for b in bodies}, "the Secret example is never applied"
    files = Deployment.load(DEPLOY / "k8s")
    deployment = Deployment(files.folder, [Manifest("kustomize", b) for b in bodies], files.nginx)
    rules = (k8s_pods.pod_rules, k8s_network.ingress_rules, k8s_network.network_rules, k8s_network.nginx_rules)
    assert [str(f) for rule in rules for f in rule(deployment)] == []


# -- the pieces the rules stand on ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"a": "1"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": "x"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "x"}, False),
    ],
)
def test_label_selectors_match_as_in_kubernetes(
    selector: dict[str, Any], labels: dict[str, str], expected: bool
) -> None:
    assert selects(selector, labels) is expected


NGINX = """
http { # a comment; with a semicolon
    add_header A "1; still one" always;
    server {
        listen 127.0.0.1:8080;
        location = /x { return 200 'a { b } c'; }
        location /y { add_header B 2; location /y/z { proxy_pass http://h; } }
    }
}
"""


def test_the_nginx_reader_follows_quotes_comments_and_nesting() -> None:
    tree = parse(NGINX)
    (server,) = servers(tree)
    chains = list(locations(server, (tree[0],)))
    assert [c[-1].args for c in chains] == [("=", "/x"), ("/y",), ("/y/z",)]
    assert chains[0][-1].all("return")[0].args == ("200", "a { b } c")
    assert effective_headers(chains[0]) == {"a": "1; still one"}, "inherited from http"
    assert effective_headers(chains[1]) == {"b": "2"}, "a level with its own add_header inherits none"
    assert effective_headers(chains[2]) == {"b": "2"}
    assert Directive("x", ()).all("y") == []


@pytest.mark.parametrize("text", ["http {", "http { }}", "server_tokens off", "a 'unterminated;", ";"])
def test_the_nginx_reader_refuses_broken_configurations(text: str) -> None:
    with pytest.raises(NginxSyntaxError):
        parse(text)


# -- the image: Dockerfile and .dockerignore, read statically (nothing can be pulled or built here) -------------

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
STAGES = re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)[1:]


def _instructions(stage: str, name: str) -> list[str]:
    """The arguments of every `name` instruction of a stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", stage)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(f"{name} ")]


def _base_images() -> list[str]:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", DOCKERFILE, flags=re.MULTILINE))
    images = [stage.split()[0] for stage in STAGES]
    return [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image) for image in images]


def test_every_base_image_is_pinned_to_a_version() -> None:
    images = _base_images()
    assert len(images) == 3
    for image in images:
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", image), image
    assert all(i.startswith("python:3.10.") for i in images[1:]), "Rasa 3.6 needs Python 3.10"


def _image_pods() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(object, pod spec, container) for every container that runs the bot's image."""
    deployment = Deployment.load(DEPLOY / "k8s")
    return [
        (pod.owner.ref, dict(pod.spec), dict(c))
        for pod in deployment.pods()
        for c in pod.containers
        if str(c.get("image", "")).startswith("spasticity-bot:")
    ]


def test_the_image_runs_as_the_non_root_user_the_manifests_name() -> None:
    final = STAGES[-1]
    (user,) = _instructions(final, "USER")
    uid, gid = (int(part) for part in user.split(":"))
    assert uid >= 10000 and gid >= 10000, "a numeric, non-root user outside the range of system users"
    assert f"--uid {uid}" in final and f"--gid {gid}" in final
    pods = _image_pods()
    assert len(pods) >= 4
    for ref, spec, item in pods:
        context = {**spec.get("securityContext", {}), **item.get("securityContext", {})}
        assert (context.get("runAsUser"), context.get("runAsGroup")) == (uid, gid), ref


def test_the_manifests_name_the_projects_version_as_the_image_tag() -> None:
    match = re.search(r'^version = "([^"]+)"', (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert match
    version = match.group(1)
    assert {item["image"] for _, _, item in _image_pods()} == {f"spasticity-bot:{version}"}


def _copied(stage: str) -> set[str]:
    """Where a stage's COPY instructions put things, relative to the working directory /app."""
    found = set()
    for copy in _instructions(stage, "COPY"):
        *sources, target = [part for part in copy.split() if not part.startswith("--")]
        target = target.removeprefix("./")
        found |= {Path(s).name for s in sources} if target in {"", "."} or target.endswith("/") else {target}
    return found


def test_the_image_holds_what_the_manifests_run() -> None:
    """Each `python -m` module is copied into the final stage or installed, and each file the servers open is there."""
    copied = _copied(STAGES[-1])
    requirements = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    for ref, _, item in _image_pods():
        line = command_line(item)
        module = line[line.index("-m") + 1].split(".")[0]
        assert module in copied or f"{module.replace('_', '-')}==" in requirements, (ref, module)
        for flag in ("--model", "--credentials", "--actions"):
            if flag in line:
                assert line[line.index(flag) + 1] in copied, (ref, flag)
    assert {"var/nlp", "widget/dist", "widget/demo", "content", "credentials.yml"} <= copied


def _dockerignore_excludes(path: str) -> bool:
    """Whether Docker leaves `path` out of the build context (last matching pattern wins; parents count)."""
    excluded = False
    for raw in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = "".join(
            "(.*/)?" if part == "**/" else ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
            for part in re.findall(r"\*\*/|\*\*|\*|[^*]+", pattern)
        )
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "var/tracker.db",
        "var/feedback-salt",
        "var/nlp/spasticity_en/meta.json",
        "models/spasticity.tar.gz",
        ".git/config",
        "tests/eval/answers.yml",
        "tests/test_k8s_policy.py",
        ".env",
        "content/.env",
        "secret.yaml",
        "deploy/k8s/secret.yaml",
        "bot/__pycache__/config.cpython-310.pyc",
        "widget/node_modules/esbuild/package.json",
        "widget/dist/widget.js",
        "server.key",
    ],
)
def test_the_build_context_leaves_out_local_state_and_secrets(path: str) -> None:
    assert _dockerignore_excludes(path), path


def test_the_build_context_holds_every_file_the_dockerfile_copies() -> None:
    sources = [
        part
        for stage in STAGES
        for copy in _instructions(stage, "COPY")
        if not copy.startswith("--from")
        for part in copy.split()[:-1]
    ]
    assert "bot" in sources and "requirements.txt" in sources
    for source in sources:
        path = PROJECT_ROOT / source
        assert path.exists(), source
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            relative = file.relative_to(PROJECT_ROOT).as_posix()
            if "__pycache__" not in relative and "node_modules" not in relative:
                assert not _dockerignore_excludes(relative), relative
