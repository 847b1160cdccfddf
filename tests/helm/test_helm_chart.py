"""The Helm chart, rendered offline by Helm's own engine and checked against Kubernetes' schemas.

Helm runs in-process through `helm-python-sdk` (Helm's Go SDK behind a C ABI, bundled in the
wheel): no helm binary, no cluster, no network. Every value set in helm/origin502/ci/ (the
chart-testing convention) is linted, rendered, validated with `kubernetes-validate` against the
oldest and newest Kubernetes the chart supports, and held to the security properties the chart
promises. Bad values must be refused by values.schema.json before anything renders.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

# Both come with the `test` extra; a missing one fails the run rather than skipping the chart.
import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from workers import __version__

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "origin502"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
CASES = {path.name.removesuffix("-values.yaml"): path for path in CI_VALUES}
RELEASE, NAMESPACE = "oncall", "origin502"
PREFIX = f"{RELEASE}-origin502"

# Oldest (Chart.yaml kubeVersion) and newest Kubernetes that kubernetes-validate knows.
KUBE_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())

# Custom resources: kubernetes-validate has no schema for CRDs; their shape is checked below.
CUSTOM_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
}

BUILT_IN_APIS = {"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}

MUST_BLOCK_V4 = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
]
MUST_BLOCK_V6 = ["fc00::/7", "fe80::/10"]

# EKS Pod Identity agent, the only link-local destination the chart may open (aws.podIdentity).
POD_IDENTITY_AGENT = ["169.254.170.23/32", "fd00:ec2::23/128"]

SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|REDIS_URL", re.IGNORECASE)


def load_values(case: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(CASES[case].read_text())
    return values


@pytest.fixture(scope="module")
def chart() -> Iterator[Any]:
    with helm.Chart.load(CHART) as loaded:
        yield loaded


@cache
def _render_cached(case: str) -> tuple[tuple[str, str], ...]:
    with helm.Chart.load(CHART) as loaded:
        rendered = loaded.render(load_values(case), name=RELEASE, namespace=NAMESPACE)
    return tuple(sorted(rendered.items()))


def rendered_files(case: str) -> dict[str, str]:
    return dict(_render_cached(case))


def manifests(case: str) -> list[dict[str, Any]]:
    docs = []
    for name, text in rendered_files(case).items():
        if name.endswith(".yaml"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def by_kind(case: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests(case) if d["kind"] == kind}


def deployments(case: str) -> dict[str, dict[str, Any]]:
    return by_kind(case, "Deployment")


def containers(case: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, deployment in deployments(case).items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            yield name, pod, container


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_strings(case: str) -> list[str]:
    """The secret values a case sets inline (tokens, and a Redis URL that holds a password)."""
    values = load_values(case)
    slack = values.get("slack", {})
    found = [slack.get(key, "") for key in ("botToken", "signingSecret", "appToken")]
    url = values.get("redis", {}).get("url", "")
    password = re.search(r"://[^:/@]*:([^@]+)@", url)
    found += [url, password.group(1)] if password else [url]
    return [secret for secret in found if secret]


all_cases = pytest.mark.parametrize("case", sorted(CASES))


def test_every_realistic_value_set_is_present() -> None:
    assert {"default", "existing-secret", "ingress", "keda", "hpa-off", "socket-mode",
            "aws"} <= set(CASES)


def test_chart_loads_with_helm_sdk_and_matches_the_project_version(chart: Any) -> None:
    # The version is written once, in workers/__init__.py; pyproject.toml reads it from there.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "workers.__version__"}
    assert chart.name == "origin502"
    assert chart.metadata["apiVersion"] == "v2"
    assert chart.metadata["appVersion"] == __version__
    assert chart.schema is not None


@all_cases
def test_lint_is_clean(case: str) -> None:
    report = helm.lint(CHART, load_values(case), strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [], report
    assert problems == []


def test_lint_without_values_names_the_missing_redis_url() -> None:
    report = helm.lint(CHART)
    assert any("/redis/url" in error for error in report["errors"]), report


@all_cases
def test_values_pass_the_schema(chart: Any, case: str) -> None:
    chart.validate_schema(load_values(case))


@all_cases
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_manifest_validates_against_kubernetes_schemas(case: str, kube_version: str) -> None:
    checked = 0
    for manifest in manifests(case):
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_KINDS:
            continue  # a CRD: kubernetes-validate has no schema; see the shape tests below
        kubernetes_validate.validate(manifest, kube_version, strict=True)
        checked += 1
    assert checked >= 10


@all_cases
def test_every_manifest_is_namespaced_labelled_and_custom_kinds_are_known(case: str) -> None:
    for manifest in manifests(case):
        kind, metadata = manifest["kind"], manifest["metadata"]
        assert metadata["namespace"] == NAMESPACE, kind
        assert metadata["name"].startswith(PREFIX), kind
        assert len(metadata["name"]) <= 63
        assert metadata["labels"]["app.kubernetes.io/instance"] == RELEASE
        assert metadata["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        api = manifest["apiVersion"]
        assert api in BUILT_IN_APIS or (api, kind) in CUSTOM_KINDS, (api, kind)


@all_cases
def test_notes_render(case: str) -> None:
    notes = rendered_files(case)["origin502/templates/NOTES.txt"]
    assert f"release {RELEASE}" in notes
    assert "/origin502 origin.example.com" in notes


# --- the three roles ---------------------------------------------------------------------


ROLES = {f"{PREFIX}-bot", f"{PREFIX}-worker", f"{PREFIX}-scheduler"}


def roles(case: str) -> set[str]:
    split = load_values(case).get("deliveryWorker", {}).get("enabled", False)
    return ROLES | ({f"{PREFIX}-delivery"} if split else set())


@all_cases
def test_one_deployment_per_role_all_from_one_image(case: str) -> None:
    found = deployments(case)
    assert set(found) == roles(case)
    images = {c["image"] for _, _, c in containers(case)}
    assert len(images) == 1
    (image,) = images
    assert image.startswith("registry.example.com/platform/origin502")
    args = {name: c["args"] for name, _, c in containers(case)}
    assert args[f"{PREFIX}-bot"][:3] == ["serve", "--port", "3000"]
    assert args[f"{PREFIX}-worker"][:2] == ["worker", "--queues"]
    assert args[f"{PREFIX}-worker"][3:5] == ["--metrics-port", "9100"]
    assert args[f"{PREFIX}-scheduler"][:3] == ["scheduler", "--metrics-port", "9101"]


@all_cases
def test_liveness_is_healthz_and_readiness_is_readyz_on_the_served_port(case: str) -> None:
    for name, _, container in containers(case):
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        args = container["args"]
        flag = "--port" if "serve" in args else "--metrics-port"
        served_port = int(args[args.index(flag) + 1])
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http_get = container[probe]["httpGet"]
            assert http_get["path"] == path, (name, probe)
            assert ports[http_get["port"]] == served_port, (name, probe)


@all_cases
def test_scrape_annotations_point_at_metrics_on_the_served_port(case: str) -> None:
    for name, deployment in deployments(case).items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/path"] == "/metrics", name
        assert int(annotations["prometheus.io/port"]) == container["ports"][0]["containerPort"]


@all_cases
def test_every_container_has_requests_and_limits(case: str) -> None:
    for name, _, container in containers(case):
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert "memory" in container["resources"]["limits"], name


def test_scheduler_is_one_replica_by_default() -> None:
    assert deployments("default")[f"{PREFIX}-scheduler"]["spec"]["replicas"] == 1


# --- security ----------------------------------------------------------------------------


@all_cases
def test_pods_run_non_root_with_a_locked_down_security_context(case: str) -> None:
    for name, pod, container in containers(case):
        pod_sc, sc = pod["securityContext"], container["securityContext"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["runAsUser"] > 0, name
        assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc.get("privileged", False) is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert "add" not in sc["capabilities"], name
        assert pod.get("hostNetwork", False) is False, name
        # A read-only root still needs a writable /tmp.
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name


@all_cases
def test_service_account_mounts_no_token(case: str) -> None:
    for account in by_kind(case, "ServiceAccount").values():
        assert account["automountServiceAccountToken"] is False


@all_cases
def test_no_secret_reaches_a_plain_env_value(case: str) -> None:
    for name, _, container in containers(case):
        for var, entry in env_of(container).items():
            if SECRET_ENV.search(var):
                assert "value" not in entry, (name, var)
                assert "secretKeyRef" in entry["valueFrom"], (name, var)
    secrets = secret_strings(case)
    for manifest in manifests(case):
        if manifest["kind"] == "Secret":
            continue
        text = yaml.safe_dump(manifest)
        for secret in secrets:
            assert secret not in text, (manifest["kind"], manifest["metadata"]["name"])


@all_cases
def test_chart_secret_holds_exactly_the_inline_secrets(case: str) -> None:
    values = load_values(case)
    secrets = by_kind(case, "Secret")
    if values["slack"].get("existingSecret") and values["redis"].get("existingSecret"):
        assert secrets == {}
        return
    (secret,) = secrets.values()
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    for value in secret_strings(case):
        assert value in decoded.values() or any(value in v for v in decoded.values())
    for _, _, container in containers(case):
        for entry in env_of(container).values():
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] == secret["metadata"]["name"]:
                assert ref["key"] in decoded, ref


def test_existing_secrets_are_referenced_and_no_secret_is_created() -> None:
    found = {name: env_of(c) for name, _, c in containers("existing-secret")}
    bot = found[f"{PREFIX}-bot"]
    assert bot["SLACK_BOT_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "origin502-slack",
        "key": "bot-token",
    }
    assert bot["SLACK_SIGNING_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "signing-secret"
    for env in found.values():
        assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "origin502-redis",
            "key": "url",
        }
    annotations = deployments("existing-secret")[f"{PREFIX}-bot"]["spec"]["template"]["metadata"]
    assert "checksum/secret" not in annotations["annotations"]
    image = next(c["image"] for _, _, c in containers("existing-secret"))
    assert image.endswith(
        "@sha256:" + "4b825dc642cb6eb9a060e54bf8d69288fbee4904b825dc642cb6eb9a060e54bf"
    )


def test_workers_deliver_to_slack_by_default_so_they_hold_the_token() -> None:
    (worker,) = (c for n, _, c in containers("default") if n.endswith("-worker"))
    assert worker["args"][:3] == ["worker", "--queues", "probe,delivery"]
    assert "secretKeyRef" in env_of(worker)["SLACK_BOT_TOKEN"]["valueFrom"]


def test_split_delivery_keeps_the_slack_token_away_from_probe_workers() -> None:
    found = {name: c for name, _, c in containers("hpa-off")}
    worker, delivery = found[f"{PREFIX}-worker"], found[f"{PREFIX}-delivery"]
    assert worker["args"][:3] == ["worker", "--queues", "probe"]
    assert delivery["args"][:3] == ["worker", "--queues", "delivery"]
    assert not any(SECRET_ENV.search(v) for v in env_of(worker) if v != "REDIS_URL")
    assert "SLACK_BOT_TOKEN" in env_of(delivery)
    assert "SLACK_BOT_TOKEN" in env_of(found[f"{PREFIX}-bot"])
    # Delivery reaches the internet on HTTPS only; probe workers on any port.
    policies = by_kind("hpa-off", "NetworkPolicy")
    for rule, block in _egress_ip_blocks(policies[f"{PREFIX}-delivery"]):
        if block["cidr"] in ("0.0.0.0/0", "::/0"):
            assert rule["ports"] == [{"protocol": "TCP", "port": 443}]


# --- network policy ----------------------------------------------------------------------


def _egress_ip_blocks(policy: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for rule in policy["spec"].get("egress", []):
        for peer in rule.get("to", []):
            if "ipBlock" in peer:
                yield rule, peer["ipBlock"]


def _allowed_private(case: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    values = load_values(case)
    allowed = list(values.get("networkPolicy", {}).get("allowedPrivateCIDRs", []))
    for peer in values.get("redis", {}).get("networkPolicyPeers", []):
        if "ipBlock" in peer:
            allowed.append(peer["ipBlock"]["cidr"])
    aws = values.get("aws", {})
    if aws.get("enabled") and aws.get("podIdentity"):
        allowed += POD_IDENTITY_AGENT  # checked to be port 80 and workers only, below
    return [ipaddress.ip_network(cidr) for cidr in allowed]


@all_cases
def test_network_policies_select_each_role_and_default_deny(case: str) -> None:
    policies = by_kind(case, "NetworkPolicy")
    assert set(policies) == roles(case)
    for name, policy in policies.items():
        component = name.removeprefix(f"{PREFIX}-")
        spec = policy["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        pod_labels = deployments(case)[name]["spec"]["template"]["metadata"]["labels"]
        assert spec["podSelector"]["matchLabels"].items() <= pod_labels.items()


@all_cases
def test_no_policy_opens_private_or_cluster_ranges_except_redis_and_chosen_ones(case: str) -> None:
    allowed = _allowed_private(case)
    must_block = [ipaddress.ip_network(c) for c in MUST_BLOCK_V4 + MUST_BLOCK_V6]
    for name, policy in by_kind(case, "NetworkPolicy").items():
        for _, block in _egress_ip_blocks(policy):
            cidr = ipaddress.ip_network(block["cidr"])
            if any(cidr.version == a.version and cidr.subnet_of(a) for a in allowed):
                continue  # Redis or an internal range the operator allowed on purpose
            excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
            for private in must_block:
                if private.version != cidr.version or not private.overlaps(cidr):
                    continue
                assert any(
                    private.subnet_of(e) for e in excepted if e.version == private.version
                ), f"{name}: {cidr} opens {private}"


@all_cases
def test_workers_reach_the_internet_on_any_port_and_dns_and_redis(case: str) -> None:
    policy = by_kind(case, "NetworkPolicy")[f"{PREFIX}-worker"]
    internet = [
        (rule, block)
        for rule, block in _egress_ip_blocks(policy)
        if block["cidr"] in ("0.0.0.0/0", "::/0")
    ]
    assert {block["cidr"] for _, block in internet} == {"0.0.0.0/0", "::/0"}
    for rule, block in internet:
        assert "ports" not in rule  # origins listen on custom ports
        required = MUST_BLOCK_V4 if block["cidr"] == "0.0.0.0/0" else MUST_BLOCK_V6
        assert set(required) <= set(block["except"])
    egress = policy["spec"]["egress"]
    dns = [rule for rule in egress if {p["port"] for p in rule.get("ports", [])} == {53}]
    assert dns
    assert {p["protocol"] for p in dns[0]["ports"]} == {"UDP", "TCP"}
    redis_port = load_values(case)["redis"].get("port", 6379)
    redis = [rule for rule in egress if [p["port"] for p in rule.get("ports", [])] == [redis_port]]
    assert redis
    assert redis[0]["to"] == load_values(case)["redis"].get(
        "networkPolicyPeers",
        [
            {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
                "namespaceSelector": {},
            }
        ],
    )


@all_cases
def test_only_probe_workers_reach_the_internet_beyond_https(case: str) -> None:
    for name, policy in by_kind(case, "NetworkPolicy").items():
        if name == f"{PREFIX}-worker":
            continue
        for rule, block in _egress_ip_blocks(policy):
            if block["cidr"] in ("0.0.0.0/0", "::/0"):
                assert rule["ports"] == [{"protocol": "TCP", "port": 443}], name


def test_allowed_private_ranges_open_only_for_workers() -> None:
    policies = by_kind("hpa-off", "NetworkPolicy")
    worker_cidrs = {b["cidr"] for _, b in _egress_ip_blocks(policies[f"{PREFIX}-worker"])}
    assert "10.20.0.0/16" in worker_cidrs
    for role in ("bot", "scheduler", "delivery"):
        cidrs = {b["cidr"] for _, b in _egress_ip_blocks(policies[f"{PREFIX}-{role}"])}
        assert "10.20.0.0/16" not in cidrs
    worker = env_of(next(c for n, _, c in containers("hpa-off") if n.endswith("-worker")))
    assert worker["ORIGIN502_ALLOW_PRIVATE_TARGETS"]["value"] == "1"
    assert worker["ORIGIN502_CA_FILE"]["value"] == "/etc/origin502/ca/corp-root.pem"


def test_ingress_controller_alone_may_reach_the_bot() -> None:
    policy = by_kind("ingress", "NetworkPolicy")[f"{PREFIX}-bot"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 3000}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]


# --- scaling and availability ------------------------------------------------------------


@all_cases
def test_every_role_has_a_disruption_budget_matching_its_pods(case: str) -> None:
    budgets = by_kind(case, "PodDisruptionBudget")
    assert set(budgets) == set(deployments(case))
    for name, budget in budgets.items():
        pod_labels = deployments(case)[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_default_scales_workers_with_a_cpu_hpa() -> None:
    (hpa,) = by_kind("default", "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{PREFIX}-worker"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # The HPA owns the replica count; a fixed one would fight it on every upgrade.
    assert "replicas" not in deployments("default")[f"{PREFIX}-worker"]["spec"]


def test_hpa_off_gives_fixed_replicas_and_a_pod_monitor() -> None:
    assert by_kind("hpa-off", "HorizontalPodAutoscaler") == {}
    assert deployments("hpa-off")[f"{PREFIX}-worker"]["spec"]["replicas"] == 4
    assert deployments("hpa-off")[f"{PREFIX}-scheduler"]["spec"]["replicas"] == 2
    pdb = by_kind("hpa-off", "PodDisruptionBudget")[f"{PREFIX}-worker"]["spec"]
    assert pdb == {**pdb, "minAvailable": 2}
    assert "maxUnavailable" not in pdb
    (monitor,) = by_kind("hpa-off", "PodMonitor").values()
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]} == {"http", "metrics"}
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["podMetricsEndpoints"])
    selector = monitor["spec"]["selector"]["matchLabels"]
    for deployment in deployments("hpa-off").values():
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_keda_scales_workers_on_the_rq_queue_lists() -> None:
    assert by_kind("keda", "HorizontalPodAutoscaler") == {}  # KEDA owns the HPA
    assert "replicas" not in deployments("keda")[f"{PREFIX}-worker"]["spec"]
    (scaled,) = by_kind("keda", "ScaledObject").values()
    (auth,) = by_kind("keda", "TriggerAuthentication").values()
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"{PREFIX}-worker",
    }
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 30)
    assert [t["metadata"]["listName"] for t in spec["triggers"]] == [
        "rq:queue:origin502-probe",
        "rq:queue:origin502-watch",
        "rq:queue:origin502-delivery",
    ]
    for trigger in spec["triggers"]:
        assert trigger["type"] == "redis"
        metadata = trigger["metadata"]
        # KEDA wants every metadata value as a string.
        assert all(isinstance(v, str) for v in metadata.values()), metadata
        assert metadata["address"] == "redis-master.redis.svc:6379"
        assert metadata["listLength"] == "5"
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "redis", "key": "redis-password"}
    ]


# --- Slack modes -------------------------------------------------------------------------


def test_ingress_publishes_only_the_slack_endpoint_to_the_bot_service() -> None:
    (ingress,) = by_kind("ingress", "Ingress").values()
    (service,) = by_kind("ingress", "Service").values()
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [
        {"secretName": "origin502-tls", "hosts": ["origin502.example.com"]}
    ]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "origin502.example.com"
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/slack/events", "Exact")
    assert path["backend"]["service"] == {
        "name": service["metadata"]["name"],
        "port": {"name": "http"},
    }
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    bot = deployments("ingress")[f"{PREFIX}-bot"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= bot.items()
    notes = rendered_files("ingress")["origin502/templates/NOTES.txt"]
    assert "https://origin502.example.com/slack/events" in notes


def test_no_ingress_by_default() -> None:
    assert by_kind("default", "Ingress") == {}


def test_socket_mode_uses_the_app_token_and_no_signing_secret() -> None:
    (bot,) = (c for n, _, c in containers("socket-mode") if n.endswith("-bot"))
    assert "--socket-mode" in bot["args"]
    env = env_of(bot)
    assert env["SLACK_APP_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "SLACK_APP_TOKEN"
    assert "SLACK_SIGNING_SECRET" not in env
    assert by_kind("socket-mode", "Ingress") == {}
    assert "Socket Mode" in rendered_files("socket-mode")["origin502/templates/NOTES.txt"]


# --- bad values are refused ----------------------------------------------------------------

BASE = {
    "redis": {"url": "redis://origin502:test-password@redis:6379/0"},
    "slack": {"botToken": "xoxb-1-2-abc", "signingSecret": "0123abcd"},
}


def _with(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {key: dict(value) for key, value in BASE.items()}
    for dotted, value in overrides.items():
        node = values
        *parents, leaf = dotted.split("__")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return values


REJECTED = {
    "unknown top-level key": ({**BASE, "replicas": 3}, "additional properties 'replicas'"),
    "typo in a nested key": (_with(bot__replicaCont=2), "replicaCont"),
    "negative replicas": (_with(bot__replicaCount=-1), "/bot/replicaCount"),
    "zero scheduler replicas": (_with(scheduler__replicaCount=0), "/scheduler/replicaCount"),
    "worker on no queue": (_with(worker__queues=[]), "/worker/queues"),
    "replicas as a string": (_with(worker__replicaCount="3"), "/worker/replicaCount"),
    "fractional replicas": (_with(bot__replicaCount=1.5), "/bot/replicaCount"),
    "missing redis url": (
        {"slack": BASE["slack"]},
        "/redis/url",
    ),
    "redis url without a redis scheme": (
        _with(redis__url="http://redis:6379"),
        "/redis/url",
    ),
    "missing slack bot token": ({"redis": BASE["redis"]}, "/slack/botToken"),
    "socket mode without an app token": (_with(slack__socketMode=True), "/slack/appToken"),
    "bot token of the wrong kind": (_with(slack__botToken="xoxp-user-token"), "/slack/botToken"),
    "image tag as a number": (_with(image__tag=1.0), "/image/tag"),
    "unknown pull policy": (_with(image__pullPolicy="Sometimes"), "/image/pullPolicy"),
    "port out of range": (_with(bot__port=70000), "/bot/port"),
    "root allowed": (
        _with(podSecurityContext__runAsNonRoot=False),
        "/podSecurityContext/runAsNonRoot",
    ),
    "privilege escalation": (
        _with(securityContext__allowPrivilegeEscalation=True),
        "/securityContext/allowPrivilegeEscalation",
    ),
    "resources as a string": (_with(worker__resources="lots"), "/worker/resources"),
    "bad memory quantity": (
        _with(worker__resources={"requests": {"memory": "lots"}}),
        "/worker/resources/requests/memory",
    ),
    "aws role that is not a role arn": (
        _with(aws={"enabled": True, "roleArn": "CloudFrontReadOnly"}), "/aws/roleArn"),
    "irsa role that is not a role arn": (
        _with(aws={"enabled": True, "irsaRoleArn": "arn:aws:iam::1:user/x"}), "/aws/irsaRoleArn"),
    "unknown aws key": (_with(aws={"enabled": True, "profile": "x"}), "profile"),
    "keda without a redis address": (
        _with(worker__keda={"enabled": True}),
        "/worker/keda/redisAddress",
    ),
    "keda on a queue that is not origin502's": (
        _with(worker__keda={"queues": ["default"]}),
        "/worker/keda/queues",
    ),
    "keda redis address as a url": (
        _with(worker__keda={"redisAddress": "redis://redis:6379"}),
        "/worker/keda/redisAddress",
    ),
    "blocked range that is not a cidr": (
        _with(networkPolicy__blockedCIDRs=["ten-slash-eight"]),
        "/networkPolicy/blockedCIDRs",
    ),
    "ingress path without a slash": (
        _with(ingress={"enabled": True, "hosts": [{"host": "a", "paths": [{"path": "x"}]}]}),
        "/ingress/hosts/0/paths/0",
    ),
    "no serving process": (_with(bot__processes=0), "/bot/processes"),
    "processes as a string": (_with(bot__processes="2"), "/bot/processes"),
    "processes neither a number nor auto": (_with(bot__processes="max"), "/bot/processes"),
    "processes auto capitalised": (_with(bot__processes="Auto"), "/bot/processes"),
    "too many serving processes": (_with(bot__processes=65), "/bot/processes"),
    "env var with both value and valueFrom": (
        _with(bot__extraEnv=[{"name": "X", "value": "1", "valueFrom": {}}]),
        "/bot/extraEnv/0",
    ),
}


@pytest.mark.parametrize("label", sorted(REJECTED))
def test_schema_rejects_bad_values(chart: Any, label: str) -> None:
    values, message = REJECTED[label]
    with pytest.raises(helm.HelmValuesError) as rejected:
        chart.validate_schema(values)
    assert message in str(rejected.value)
    # `helm install` and `helm template` refuse them the same way, before rendering.
    with pytest.raises(helm.HelmValuesError):
        chart.render(values, name=RELEASE, namespace=NAMESPACE)


def test_schema_accepts_the_minimal_values(chart: Any) -> None:
    chart.validate_schema(BASE)
    assert deployments("default")


TEMPLATE_FAILURES = {
    "only delivery queue while delivery is split off": (
        _with(worker__queues=["delivery"], deliveryWorker={"enabled": True}),
        "worker.queues is empty",
    ),
    "ingress in socket mode": (
        _with(
            slack__socketMode=True,
            slack__appToken="xapp-1-abc",
            ingress={"enabled": True},
        ),
        "ingress.enabled and slack.socketMode are both true",
    ),
    "several serving processes in socket mode": (
        _with(slack__socketMode=True, slack__appToken="xapp-1-abc", bot__processes=2),
        "bot.processes is 2, but Socket Mode runs in one process",
    ),
    "more serving processes than cores": (
        _with(bot__processes=2),  # the default limit: 500m
        "bot.processes is 2 but bot.resources.limits.cpu is 500m",
    ),
    "more serving processes than a fractional limit": (
        _with(bot__processes=3, bot__resources={"limits": {"cpu": 2.5}}),
        "bot.processes is 3 but bot.resources.limits.cpu is 2.5",
    ),
    "hpa minimum above maximum": (
        _with(worker__autoscaling={"minReplicas": 5, "maxReplicas": 2}),
        "minReplicas (5) is greater than maxReplicas (2)",
    ),
    "keda on a queue the workers do not take": (
        _with(
            worker__keda={
                "enabled": True,
                "redisAddress": "redis:6379",
                "queues": ["origin502-reports"],
            }
        ),
        "worker.keda.queues lists origin502-reports, which these workers do not take",
    ),
    "keda minimum above maximum": (
        _with(
            worker__keda={
                "enabled": True,
                "redisAddress": "redis:6379",
                "minReplicaCount": 9,
                "maxReplicaCount": 3,
            }
        ),
        "minReplicaCount (9) is greater than maxReplicaCount (3)",
    ),
}


@pytest.mark.parametrize("label", sorted(TEMPLATE_FAILURES))
def test_contradictory_values_fail_the_render_with_a_clear_message(chart: Any, label: str) -> None:
    values, message = TEMPLATE_FAILURES[label]
    chart.validate_schema(values)  # each value is fine alone; together they make no sense
    with pytest.raises(helm.HelmError) as failed:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(failed.value)


# --- Redis is locked down by default ---------------------------------------------------------


@pytest.mark.parametrize("url", ["redis://redis:6379/0", "redis://origin502@redis:6379/0",
                                 "rediss://redis:6380/0"])
def test_an_open_redis_is_refused_by_default(chart: Any, url: str) -> None:
    with pytest.raises(helm.HelmError) as refused:
        chart.render(_with(redis__url=url), name=RELEASE, namespace=NAMESPACE)
    assert "redis.url carries no password" in str(refused.value)


def test_an_open_redis_is_accepted_only_when_asked(chart: Any) -> None:
    values = _with(redis__url="redis://redis:6379/0", redis__requireAuth=False)
    assert chart.render(values, name=RELEASE, namespace=NAMESPACE)


@pytest.mark.parametrize("url", ["redis://:pw@redis:6379/0", "rediss://origin502:pw@r:6380/0"])
def test_redis_with_a_password_or_acl_user_renders(chart: Any, url: str) -> None:
    assert chart.render(_with(redis__url=url), name=RELEASE, namespace=NAMESPACE)


# --- AWS read access (CloudFront lookups) --------------------------------------------------


def test_aws_lookups_off_by_default_leave_no_trace() -> None:
    for _, _, container in containers("default"):
        assert not {"ORIGIN502_AWS", "ORIGIN502_AWS_ROLE_ARN"} & set(env_of(container))
    (account,) = by_kind("default", "ServiceAccount").values()
    assert "eks.amazonaws.com/role-arn" not in (account["metadata"].get("annotations") or {})


def test_aws_values_annotate_the_service_account_and_set_the_environment() -> None:
    (account,) = by_kind("aws", "ServiceAccount").values()
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/origin502-irsa",
        "team": "sre"}
    assert account["automountServiceAccountToken"] is False
    for name, pod, container in containers("aws"):
        env = env_of(container)
        assert pod["serviceAccountName"] == account["metadata"]["name"], name
        assert env["ORIGIN502_AWS"]["value"] == "1", name
        assert env["ORIGIN502_AWS_ROLE_ARN"]["value"] == \
            "arn:aws:iam::444455556666:role/CloudFrontReadOnly"
        assert env["AWS_REGION"]["value"] == "eu-west-1"


def test_pod_identity_agent_is_opened_for_probe_workers_only_on_port_80() -> None:
    policies = by_kind("aws", "NetworkPolicy")
    for name, policy in policies.items():
        agent_rules = [rule for rule, block in _egress_ip_blocks(policy)
                       if block["cidr"] in POD_IDENTITY_AGENT]
        if name == f"{PREFIX}-worker":
            assert agent_rules and all(
                rule["ports"] == [{"protocol": "TCP", "port": 80}] for rule in agent_rules)
            assert {b["cidr"] for r in agent_rules for b in
                    (p["ipBlock"] for p in r["to"])} == set(POD_IDENTITY_AGENT)
        else:
            assert not agent_rules, name
    # Without podIdentity the metadata range stays closed for every role.
    for policy in by_kind("default", "NetworkPolicy").values():
        assert not [b for _, b in _egress_ip_blocks(policy) if b["cidr"] in POD_IDENTITY_AGENT]


# --- serving processes of the bot (serve --processes) ----------------------------------------


def _bot_container(values: dict[str, Any]) -> dict[str, Any]:
    with helm.Chart.load(CHART) as loaded:
        rendered = loaded.render(values, name=RELEASE, namespace=NAMESPACE)
    for name, text in rendered.items():
        if name.endswith("deployment-bot.yaml"):
            (deployment,) = [doc for doc in yaml.safe_load_all(text) if doc]
            (container,) = deployment["spec"]["template"]["spec"]["containers"]
            return dict(container)
    raise AssertionError("no bot deployment")


def test_auto_by_default_one_process_under_the_default_limit_no_multiprocess_metrics() -> None:
    """The default limit (500m) makes auto one process: no metrics directory to add up."""
    (bot,) = (c for n, _, c in containers("default") if n.endswith("-bot"))
    assert bot["args"][:5] == ["serve", "--port", "3000", "--processes", "auto"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(bot)


def test_one_serving_process_given_has_no_multiprocess_metrics() -> None:
    bot = _bot_container(_with(bot__processes=1, bot__resources={"limits": {"cpu": 4}}))
    assert bot["args"][:5] == ["serve", "--port", "3000", "--processes", "1"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(bot)


@pytest.mark.parametrize("resources", [
    {"limits": {"cpu": "2"}}, {"limits": {"cpu": "2500m"}}, {"limits": {"cpu": 8}},
    {"limits": {"cpu": None}}])  # null drops the default limit
def test_auto_with_two_cpus_or_no_cpu_limit_adds_up_metrics(resources: Any) -> None:
    """Two CPUs or more (or no limit: the node's CPUs) and auto may fork: the processes add
    up their metrics on the /tmp emptyDir."""
    bot = _bot_container(_with(bot__resources=resources))
    assert bot["args"][:5] == ["serve", "--port", "3000", "--processes", "auto"]
    assert env_of(bot)["PROMETHEUS_MULTIPROC_DIR"]["value"].startswith("/tmp/")


@pytest.mark.parametrize("cpu", ["1", "1500m", 1.9])
def test_auto_under_two_cpus_has_no_multiprocess_metrics(cpu: Any) -> None:
    bot = _bot_container(_with(bot__resources={"limits": {"cpu": cpu}}))
    assert bot["args"][:5] == ["serve", "--port", "3000", "--processes", "auto"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(bot)


@pytest.mark.parametrize("cpu", ["2", 2, "2000m", "3"])
def test_several_serving_processes_with_a_core_each(cpu: Any) -> None:
    bot = _bot_container(_with(bot__processes=2,
                               bot__resources={"requests": {"cpu": "1"}, "limits": {"cpu": cpu}}))
    assert bot["args"][:5] == ["serve", "--port", "3000", "--processes", "2"]
    # Their metrics add up in a directory on the /tmp emptyDir.
    assert env_of(bot)["PROMETHEUS_MULTIPROC_DIR"]["value"].startswith("/tmp/")


def test_socket_mode_passes_no_process_count() -> None:
    (bot,) = (c for n, _, c in containers("socket-mode") if n.endswith("-bot"))
    assert "--processes" not in bot["args"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(bot)


def test_socket_mode_with_auto_and_many_cpus_stays_one_process() -> None:
    bot = _bot_container(_with(slack__socketMode=True, slack__appToken="xapp-1-abc",
                               bot__processes="auto", bot__resources={"limits": {"cpu": 4}}))
    assert "--processes" not in bot["args"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_of(bot)
