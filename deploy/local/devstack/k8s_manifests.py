"""deploy/k8s as a cluster would take it: each overlay rendered by kustomize
(kubectl's own), checked offline by kubeconform against the schemas of
devstack/k8s_schemas.py, and then by a real kube-apiserver
(devstack/k8s_control.py): a server-side dry run, then a real apply.

Each step catches what the one before cannot: kubeconform wrong types and
unknown fields; the dry run a selector that misses its template's labels or
a pod that breaks the namespace's Pod Security profile; only the real apply
a NodePort outside the cluster's range.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack import k8s_schemas, k8s_tools
from devstack.k8s_check import K8S, OVERLAYS
from devstack.k8s_control import ControlPlane

Manifest = dict


def overlays() -> list[str]:
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").exists())


def render(folder: Path) -> str:
    """`kubectl kustomize` of a kustomization folder."""
    result = subprocess.run([str(k8s_tools.kubectl()), "kustomize", str(folder)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"kustomize {folder.relative_to(K8S.parent.parent)}: {result.stderr[-2000:]}")
    return result.stdout


def documents(text: str) -> list[Manifest]:
    return [d for d in yaml.safe_load_all(text) if d]


@dataclass(frozen=True)
class Verdict:
    valid: int
    problems: list[str]


def kubeconform(text: str) -> Verdict:
    """kubeconform -strict with the offline schemas; every resource must
    have a schema (none is skipped)."""
    schemas = k8s_schemas.ensure()
    result = subprocess.run([str(k8s_tools.go_tool("kubeconform")), "-strict", "-summary", "-output", "json",
                             "-schema-location", f"{schemas}/{k8s_schemas.TEMPLATE}", "-"],
                            input=text, capture_output=True, text=True)
    report = json.loads(result.stdout or "{}")
    problems = [f"{r['kind']} {r['name']}: {r['status']}: {r.get('msg', '')}"
                for r in report.get("resources", []) if r["status"] != "statusValid"]
    summary = report.get("summary", {})
    if result.returncode not in (0, 1) or summary.get("skipped"):
        problems.append(f"kubeconform: {result.stderr[-1000:] or summary}")
    return Verdict(summary.get("valid", 0), problems)


def keda_crds() -> list[Path]:
    """KEDA's CustomResourceDefinitions, from its module (no build needed)."""
    keda = k8s_tools.module_dir("github.com/kedacore/keda/v2", k8s_tools.KEDA_VERSION)
    return sorted((keda / "config" / "crd" / "bases").glob("*.yaml"))


def install_crds(plane: ControlPlane) -> None:
    for crd in keda_crds():
        plane.kubectl("apply", "--server-side", "-f", str(crd))
    plane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")


def namespaces(text: str) -> str:
    """The Namespace documents alone: a dry run cannot see a namespace it
    has not created, so they go first, for real."""
    return yaml.safe_dump_all([d for d in documents(text) if d["kind"] == "Namespace"])


def apply(plane: ControlPlane, text: str, *, dry_run: bool) -> subprocess.CompletedProcess[str]:
    args = ["apply", "-f", "-"] + (["--dry-run=server"] if dry_run else [])
    return plane.kubectl(*args, input=text, check=False)
