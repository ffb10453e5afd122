"""What a cluster from a provider already has and the local one needs first:
its DNS (deploy/k8s/cluster/coredns.yaml) and KEDA, installed from KEDA's
own manifests (its module's config/minimal: CRDs, RBAC, operator, metrics
API server, APIService) with the images this machine built. The admission
webhooks are left out (another binary, and nothing here needs them)."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from devstack import k8s_check, k8s_tools

COREDNS = k8s_check.K8S / "cluster" / "coredns.yaml"
KEDA_IMAGE = k8s_tools.KEDA.tag


def keda_manifests() -> str:
    """KEDA's minimal install, pointed at the local image and never pulling."""
    config = k8s_tools.keda() / "config" / "minimal"
    result = subprocess.run([str(k8s_tools.kubectl()), "kustomize", str(config)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kustomize KEDA's config: {result.stderr[-2000:]}")
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    for document in documents:
        if document["kind"] == "Deployment":
            _local(document)
    return yaml.safe_dump_all(documents)


def _local(deployment: dict[str, Any]) -> None:
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        container["image"] = KEDA_IMAGE
        container["imagePullPolicy"] = "IfNotPresent"
        if container["name"] == "keda-operator":
            # No admission webhooks are installed: there is nothing to patch.
            container["args"] = [*container.get("args", []), "--enable-webhook-patching=false"]
        # One node shared with everything else: token requests.
        container.setdefault("resources", {}).setdefault("requests", {})["cpu"] = "10m"
        # KEDA's probes allow 1 s; on a busy 2-core node the metrics server
        # missed that, was restarted again and again, and the HPA, left without
        # metrics, froze resize at 6 replicas.
        for probe in ("livenessProbe", "readinessProbe"):
            if probe in container:
                container[probe] |= {"timeoutSeconds": 10, "periodSeconds": 15, "failureThreshold": 6}
