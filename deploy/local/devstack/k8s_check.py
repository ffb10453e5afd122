"""Whether deploy/k8s agrees with the stages streams/ declares: one
Deployment per stage running that stage from the app image, one KEDA
ScaledObject per stage scaling it on its own consumer group's lag over
every topic it reads, and a kustomization that applies every manifest.

`problems()` lists the disagreements, one sentence each; the tests in
tests/deploy/test_k8s.py ask it for none. A new stage shows up here, by
name, until its manifests are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connectors.settings import KafkaSettings
from devstack import images
from streams import registry
from streams.registry import Stage

K8S = images.ROOT / "deploy" / "k8s"
APP_IMAGE = images.APP.tag

Manifest = dict[str, Any]


def manifests(kind: str, k8s: Path = K8S) -> dict[str, Manifest]:
    """The documents of `kind` in stages.yaml, by name."""
    documents = [d for d in yaml.safe_load_all((k8s / "stages.yaml").read_text()) if d]
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def _unmatched(kind: str, found: dict[str, Manifest], stages: dict[str, Stage]) -> list[str]:
    wanted = {f"darkroom-{name}": name for name in stages}
    return ([f"stage {wanted[n]} has no {kind} {n}" for n in sorted(set(wanted) - set(found))]
            + [f"{kind} {n} runs no declared stage" for n in sorted(set(found) - set(wanted))])


def deployment_problems(stages: dict[str, Stage], k8s: Path = K8S) -> list[str]:
    deployments = manifests("Deployment", k8s)
    found = _unmatched("Deployment", deployments, stages)
    for name in sorted(stages):
        deployment = deployments.get(f"darkroom-{name}")
        if deployment is None:
            continue
        containers = deployment["spec"]["template"]["spec"]["containers"]
        if len(containers) != 1:
            found.append(f"Deployment darkroom-{name} has {len(containers)} containers, not one")
            continue
        [container] = containers
        if container.get("args") != ["worker", name]:
            found.append(f"Deployment darkroom-{name} runs {container.get('args')}, not ['worker', '{name}']")
        if container.get("image") != APP_IMAGE:
            found.append(f"Deployment darkroom-{name} runs {container.get('image')}, not {APP_IMAGE}")
    return found


def scaling_problems(stages: dict[str, Stage], k8s: Path = K8S, partitions: int | None = None) -> list[str]:
    """Each stage scales on its own group's lag over every topic it reads, and
    not beyond the partition count (more replicas would sit idle)."""
    partitions = partitions or KafkaSettings().partitions
    scaled = manifests("ScaledObject", k8s)
    found = _unmatched("ScaledObject", scaled, stages)
    for name, stage in sorted(stages.items()):
        manifest = scaled.get(f"darkroom-{name}")
        if manifest is None:
            continue
        spec, what = manifest["spec"], f"ScaledObject darkroom-{name}"
        if spec["scaleTargetRef"]["name"] != f"darkroom-{name}":
            found.append(f"{what} scales {spec['scaleTargetRef']['name']}, not darkroom-{name}")
        if spec["maxReplicaCount"] > partitions:
            found.append(f"{what} scales to {spec['maxReplicaCount']} replicas, past {partitions} partitions")
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        groups = {t["consumerGroup"] for t in triggers}
        if groups != {stage.group}:
            found.append(f"{what} watches the groups {sorted(groups)}, not {stage.group}")
        watched, read = {t["topic"] for t in triggers}, {t.name for t in stage.input_topics}
        if watched != read:
            found.append(f"{what} watches the topics {sorted(watched)}, the stage reads {sorted(read)}")
    return found


def kustomization_problems(k8s: Path = K8S) -> list[str]:
    listed = set(yaml.safe_load((k8s / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in k8s.glob("*.yaml") if p.name != "kustomization.yaml"}
    return ([f"kustomization.yaml does not apply {n}" for n in sorted(present - listed)]
            + [f"kustomization.yaml lists {n}, which is not there" for n in sorted(listed - present)])


def problems(stages: dict[str, Stage] | None = None, k8s: Path = K8S) -> list[str]:
    """Every disagreement between the stages (the declared ones unless
    given) and the manifests under `k8s`; empty when they agree."""
    stages = registry.discover() if stages is None else stages
    return deployment_problems(stages, k8s) + scaling_problems(stages, k8s) + kustomization_problems(k8s)
