"""`./darkroom k8s up|status|down`: a real single-node Kubernetes cluster on
this machine, with KEDA, running the local overlay of deploy/k8s.

`up` builds what is missing (Kubernetes, KEDA and CoreDNS from the Go module
proxy, once, cached; the images as `./darkroom build` does), starts the
control plane (devstack/k8s_control.py) and the node (devstack/k8s_node.py),
imports the images into the node's containerd (no registry: `docker save`
into `ctr import`, only those that changed), installs CoreDNS and KEDA,
creates the Secrets, applies the overlay and waits until the bootstrap Job
is done, every Deployment is available and the API answers on its NodePort.
Running it again on a running cluster brings it up to date.

State lives in $DARKROOM_K8S_STATE (/var/lib/darkroom-k8s); `down` stops
every process it started and removes the cluster's state, keeping the
certificates and the image store for the next `up` (`--wipe`: those too).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import httpx
import yaml

from devstack import docker_engine, engines, images, k8s_addons, k8s_manifests, k8s_node, k8s_tools, log
from devstack.k8s_check import OVERLAYS
from devstack.k8s_control import ControlPlane
from devstack.k8s_node import NODE_IP, NODE_NAME, Node
from devstack.stack import SECRETS

STATE = Path(os.environ.get("DARKROOM_K8S_STATE", "/var/lib/darkroom-k8s"))
API_PORT, ETCD_PORT, ETCD_PEER_PORT = 6443, 12379, 12380
API_URL = f"http://{NODE_IP}:30800"  # the API's NodePort (overlays/local/nodeports.yaml)
# Where the host reaches each engine of overlays/local: its NodePort on the node's address.
HOST_PORTS = {"kafka": 30092, "cassandra": 30042, "elasticsearch": 30920, "minio": 30900, "nginx": 30080,
              "tus": 30070}
ENGINES = "darkroom-engines"  # overlays/local/engines.yaml
NAMESPACES = ("darkroom", ENGINES)
ENGINE_SECRET = "DARKROOM_MINIO_SECRET_KEY"  # the one secret every workload needs (darkroom-credentials)
# What a fresh machine spends the first time, to decide whether a test fits a time budget.
# Measured here (the cache's file times): about 6, 9 and 6 minutes; the stack
# notes saw 8.5 and 14 for the first two: the larger of each.
COLD_SECONDS = {"kubernetes": 510, "keda": 840, "coredns": 360}


class ClusterError(RuntimeError):
    """The cluster did not come up; the message says which part and why."""


@dataclass
class Cluster:
    folder: Path = STATE
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def plane(self) -> ControlPlane:
        return ControlPlane(self.folder, NODE_IP, API_PORT, ETCD_PORT, ETCD_PEER_PORT, NODE_NAME)

    @property
    def node(self) -> Node:
        return Node(self.folder, self.folder / "pki")

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
        return self.plane.kubectl(*args, input=input, check=check, timeout_s=timeout_s)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        log.step(f"k8s: {name}")
        started = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - started, 1)

    # -- up ---------------------------------------------------------------

    def up(self, build: bool = True) -> dict[str, str]:
        """Start or update the cluster. `build=False` takes the images as they
        are (`./darkroom test` has just built them), building only missing ones:
        on a tree others keep editing, a second build would rarely be the last."""
        if os.geteuid() != 0:
            raise ClusterError("the local cluster needs root (network namespaces, iptables, "
                               "a private containerd)")
        self.timings.clear()
        with self.step("build (binaries and images; cached after the first time)"):
            client = docker_engine.client()  # exports DOCKER_HOST for `docker build` and `save` too
            k8s_tools.kube()
            k8s_tools.keda()
            text = k8s_manifests.render(OVERLAYS / "local")
            wanted = _images_used(text)
            images.build_all(client, wanted if build else _missing(client, wanted))
        with self.step("control plane"):
            self.folder.mkdir(parents=True, exist_ok=True)
            k8s_node.add_address()  # the apiserver listens on the node's address
            self.plane.start(whole=True)
        with self.step("node"):
            self.node.start(f"docker.io/{k8s_tools.PAUSE.tag}")
            self._wait_node()
            k8s_node.block_egress()  # after kube-proxy wrote its rules
        with self.step("images into the node"):
            changed = self._import_images(client, wanted)
        with self.step("CoreDNS and KEDA"):
            self.kubectl("apply", "-f", str(k8s_addons.COREDNS))
            self.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-",
                         input=k8s_addons.keda_manifests())
            for namespace, name in (("kube-system", "coredns"), ("keda", "keda-operator"),
                                    ("keda", "keda-metrics-apiserver")):
                self.kubectl("-n", namespace, "rollout", "status", f"deployment/{name}", "--timeout=300s")
            self.kubectl("wait", "--for=condition=Available", "apiservice/v1beta1.external.metrics.k8s.io",
                         "--timeout=300s")
        with self.step("Darkroom (overlays/local)"):
            self._apply_darkroom(text, changed)
        with self.step("API answers"):
            self._wait_api()
        (self.folder / "timings.json").write_text(json.dumps(self.timings, indent=2))
        return {"api": API_URL, "dev_api_key": self.secrets()["DARKROOM_API_DEV_API_KEY"]}

    def _wait_node(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
            if got.returncode == 0:
                conditions = json.loads(got.stdout)["status"].get("conditions", [])
                if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                    return
            time.sleep(1)
        kubelet = self.node.daemons()[1]
        raise ClusterError(f"node {NODE_NAME} not Ready in {timeout_s:.0f} s; "
                           f"kubelet's log:\n{kubelet.tail()}")

    def _import_images(self, client: docker.DockerClient, wanted: tuple[images.Image, ...]) -> set[str]:
        """`docker save | ctr import` each image whose id changed since its last
        import into this node; returns the tags imported."""
        stamps_path = self.folder / "containerd" / "imported.json"
        stamps = json.loads(stamps_path.read_text()) if stamps_path.exists() else {}
        changed = set()
        for image in wanted:
            image_id = client.images.get(image.tag).id
            if stamps.get(image.tag) == image_id:
                continue
            log.step(f"k8s: importing {image.tag}")
            save = subprocess.Popen(["docker", "save", image.tag], stdout=subprocess.PIPE)
            imported = subprocess.run(["ctr", "--address", str(self.node.socket), "--namespace", "k8s.io",
                                       "images", "import", "-"], stdin=save.stdout, capture_output=True,
                                      text=True)
            save.wait()
            if save.returncode != 0 or imported.returncode != 0:
                raise ClusterError(f"importing {image.tag}: {imported.stderr[-2000:]}")
            stamps[image.tag] = image_id
            stamps_path.write_text(json.dumps(stamps, indent=2))
            changed.add(image.tag)
        return changed

    def secrets(self) -> dict[str, str]:
        """The cluster's secrets (stack.SECRETS' names), made once and kept."""
        path = self.folder / "secrets.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        made = {name: kept.get(name) or make() for name, make in SECRETS.items()}
        if made != kept:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(made, indent=2))
            path.chmod(0o600)
        return made

    def _secret_manifests(self) -> str:
        values = self.secrets()
        documents = [
            _secret("darkroom", "darkroom-credentials", {ENGINE_SECRET: values[ENGINE_SECRET]}),
            _secret("darkroom", "darkroom-keys", {k: v for k, v in values.items() if k != ENGINE_SECRET}),
            _secret("darkroom-engines", "minio-root", {"password": values[ENGINE_SECRET]}),
        ]
        return yaml.safe_dump_all(documents)

    def _apply_darkroom(self, text: str, changed: set[str]) -> None:
        self.kubectl("apply", "-f", "-", input=k8s_manifests.namespaces(text))
        self.kubectl("apply", "-f", "-", input=self._secret_manifests())
        # The bootstrap runs on every `up` (it is idempotent): the app image may
        # have changed under its fixed tag, and a Job's pod cannot change.
        self.kubectl("-n", "darkroom", "delete", "job", "darkroom-bootstrap", "--ignore-not-found")
        fresh_engines = bool(changed & _tags(text, ENGINES))
        if fresh_engines:
            # A new engine image under the same tag: start the engines afresh
            # (their data is in emptyDirs), before the bootstrap runs on them.
            self.kubectl("-n", ENGINES, "delete", "deployments", "--all", "--ignore-not-found")
        running = self.kubectl("-n", "darkroom", "get", "deployments", "-o", "name").stdout.split()
        self.kubectl("apply", "-f", "-", input=text)
        if running and (fresh_engines or changed & _tags(text, "darkroom")):
            # Same tag, new image (pods started before would keep the old one), or
            # engines started afresh (topics made again): start Darkroom's pods anew;
            # their init containers wait for the new bootstrap.
            self.kubectl("-n", "darkroom", "rollout", "restart", *running)
        # The bootstrap waits for the engines: a fresh Elasticsearch beside a
        # busy machine's other work took more than 15 minutes to answer.
        self.kubectl("-n", "darkroom", "wait", "--for=condition=Complete", "job/darkroom-bootstrap",
                     "--timeout=1800s", timeout_s=1860)
        for namespace in NAMESPACES:
            for name in self.kubectl("-n", namespace, "get", "deployments", "-o", "name").stdout.split():
                self.kubectl("-n", namespace, "rollout", "status", name, "--timeout=600s", timeout_s=660)

    def _wait_api(self, timeout_s: float = 120) -> None:
        try:
            engines.wait_ready(API_URL, timeout_s)
        except TimeoutError as exc:
            raise ClusterError(f"the API does not answer: {exc}") from None

    def host_env(self) -> dict[str, str]:
        """DARKROOM_* settings for a process on the host: tests, `./darkroom
        ops --k8s`, bench scripts."""
        env = dict(self.secrets())
        for engine in engines.ALL:
            if engine.name in HOST_PORTS:  # an engine the local overlay does not run has no address here
                address = f"{engine.scheme}{NODE_IP}:{HOST_PORTS[engine.name]}"
                env.update(engine.settings_env(engine.points_at(address)))
        return env

    # -- status -----------------------------------------------------------

    def status(self) -> dict[str, Any]:
        plane = self.plane
        cluster: dict[str, object] = {"healthy": False, "version": None, "address": plane.server,
                                      "node": NODE_NAME, "node_ready": False}
        deployments: dict[str, dict[str, int]] = {}
        if plane.kubeconfig.exists() and (self.folder / "run" / "kube-apiserver.pid").exists():
            version = self.kubectl("version", "-o", "json", check=False, timeout_s=10)
            if version.returncode == 0:
                cluster["version"] = json.loads(version.stdout)["serverVersion"]["gitVersion"]
                node = self.kubectl("get", "node", NODE_NAME, "-o", "json", check=False, timeout_s=10)
                if node.returncode == 0:
                    conditions = json.loads(node.stdout)["status"].get("conditions", [])
                    cluster["node_ready"] = any(c["type"] == "Ready" and c["status"] == "True"
                                                for c in conditions)
                cluster["healthy"] = bool(cluster["node_ready"])
                listed = self.kubectl("get", "deployments", "-A", "-o", "json", check=False, timeout_s=10)
                for item in json.loads(listed.stdout or '{"items": []}')["items"]:
                    key = f"{item['metadata']['namespace']}/{item['metadata']['name']}"
                    deployments[key] = {"ready": item["status"].get("readyReplicas", 0),
                                        "desired": item["spec"].get("replicas", 0)}
        try:
            api_healthy = httpx.get(f"{API_URL}/healthz", timeout=3).status_code == 200
        except httpx.HTTPError:
            api_healthy = False
        made = (self.folder / "secrets.json").exists()
        dev_key = self.secrets()["DARKROOM_API_DEV_API_KEY"] if made else None
        return {"cluster": cluster, "deployments": deployments,
                "api": {"healthy": api_healthy, "address": API_URL, "dev_api_key": dev_key}}

    # -- down -------------------------------------------------------------

    def down(self, wipe: bool = False) -> None:
        """Stop everything `up` started; remove the cluster's state."""
        if self.plane.kubeconfig.exists() and (self.folder / "run" / "kubelet.pid").exists():
            # The kubelet tears the pods' sandboxes down (their network too) while it still runs.
            # An apiserver too busy to answer in time: stopping the node below still removes the pods.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.kubectl("delete", "pods", "--all", "--all-namespaces", "--force", "--grace-period=0",
                             "--wait=false", check=False, timeout_s=60)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.node.ctr("tasks", "ls", "-q",
                                                                 check=False).stdout.strip():
                time.sleep(1)
        self.node.stop()
        self.plane.stop()
        kept = () if wipe else ("pki", "containerd", "secrets.json", "logs", "timings.json")
        if self.folder.exists():
            k8s_node.unmount_below(self.folder)
            for path in self.folder.iterdir():
                if path.name in kept:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            if wipe:
                shutil.rmtree(self.folder, ignore_errors=True)
        containerd = self.folder / "containerd"
        for transient in ("state", "opt"):  # sockets and mounts of a containerd that is gone
            shutil.rmtree(containerd / transient, ignore_errors=True)

    def cold_seconds(self) -> float:
        """About how long `up` would spend building what is not cached yet."""
        kube = k8s_tools.CACHE / "k8s" / f"kubernetes-{k8s_tools.KUBE_VERSION}"
        missing = {
            "kubernetes": not all((kube / n).exists() for n in k8s_tools.CONTROL_PLANE + k8s_tools.NODE),
            "keda": not (k8s_tools.CACHE / "k8s" / f"keda-{k8s_tools.KEDA_VERSION}" / "keda").exists(),
            "coredns": not any((k8s_tools.CACHE / "k8s").glob("coredns-*/coredns")),
        }
        return sum(COLD_SECONDS[name] for name, gone in missing.items() if gone)


def _tags(text: str, namespace: str) -> set[str]:
    """The images the rendered manifests run in `namespace`."""
    return {container["image"] for document in k8s_manifests.documents(text)
            if document["kind"] in ("Deployment", "Job")
            and document["metadata"].get("namespace") == namespace
            for spec in [document["spec"]["template"]["spec"]]
            for container in spec["containers"] + spec.get("initContainers", [])}


def _missing(client: docker.DockerClient, wanted: tuple[images.Image, ...]) -> tuple[images.Image, ...]:
    present = {tag for image in client.images.list() for tag in image.tags}
    return tuple(image for image in wanted if image.tag not in present)


def _images_used(text: str) -> tuple[images.Image, ...]:
    """The images the local cluster runs: the overlay's and the cluster's own."""
    known = {image.tag: image for image in (*engines.images_to_build(app=True), *k8s_tools.CLUSTER_IMAGES)}
    used = _tags(text, "darkroom") | _tags(text, ENGINES)
    unknown = used - set(known)
    if unknown:
        raise ClusterError(f"overlays/local runs {', '.join(sorted(unknown))}, which no image here builds")
    return (*(known[tag] for tag in sorted(used)), *k8s_tools.CLUSTER_IMAGES)


def _secret(namespace: str, name: str, values: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}

