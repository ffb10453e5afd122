"""Whether deploy/k8s agrees with the stages streams/ declares: one
Deployment per stage running that stage from the app image (and labelled so
it gets the workers' defaults), one KEDA ScaledObject per stage scaling it
on its own consumer group's lag over what it reads and never past the
partition count, and kustomizations that apply every manifest they sit
beside.

`problems()` lists the disagreements, one sentence each; the tests in
tests/deploy/test_k8s.py ask it for none, on the base as written and on each
overlay as kustomize renders it (tests/deploy/test_k8s_manifests.py). A new
stage shows up here, by name, until its manifests are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from devstack import images
from streams import registry
from streams.registry import Stage

K8S = images.ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = K8S / "overlays"
APP_IMAGE = images.APP.tag
APP_REPOSITORY = APP_IMAGE.rpartition(":")[0]  # an overlay may move it to a registry and retag it
WORKER_LABEL = ("darkroom-role", "worker")  # what base/kustomization.yaml patches the defaults into
CONFIG = "darkroom-config"

Manifest = dict[str, Any]


def load(path: Path) -> list[Manifest]:
    """The documents of a file, or of every manifest in a folder (not the
    kustomization itself)."""
    files = [path] if path.is_file() else sorted(p for p in path.glob("*.yaml")
                                                   if p.name != "kustomization.yaml")
    return [d for f in files for d in yaml.safe_load_all(f.read_text()) if d]


def by_kind(documents: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in documents if d.get("kind") == kind}


def manifests(kind: str, k8s: Path = BASE) -> dict[str, Manifest]:
    """The documents of `kind` in the base's stages.yaml, by name."""
    return by_kind(load(k8s / "stages.yaml"), kind)


def partitions(documents: list[Manifest]) -> int:
    """DARKROOM_KAFKA_PARTITIONS of darkroom-config: the partitions of every topic
    that declares none, so the most replicas a stage can use."""
    config = by_kind(documents, "ConfigMap")[CONFIG]
    return int(config["data"]["DARKROOM_KAFKA_PARTITIONS"])


def _unmatched(kind: str, found: dict[str, Manifest], stages: dict[str, Stage]) -> list[str]:
    wanted = {f"darkroom-{name}": name for name in stages}
    return ([f"stage {wanted[n]} has no {kind} {n}" for n in sorted(set(wanted) - set(found))]
            + [f"{kind} {n} runs no declared stage" for n in sorted(set(found) - set(wanted))])


def deployment_problems(stages: dict[str, Stage], documents: list[Manifest]) -> list[str]:
    deployments = {n: d for n, d in by_kind(documents, "Deployment").items()
                   if d["metadata"].get("labels", {}).get(WORKER_LABEL[0]) == WORKER_LABEL[1]}
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
        image = container.get("image", "")
        if not image.rpartition(":")[0].endswith(APP_REPOSITORY):
            found.append(f"Deployment darkroom-{name} runs {image}, not {APP_IMAGE}")
    return found


def scaling_problems(stages: dict[str, Stage], documents: list[Manifest],
                     partition_count: int | None = None) -> list[str]:
    """Each stage scales on its own group's lag over what it reads (the one
    topic it reads, or, reading several, every topic of its group), and
    not beyond the partition count (more replicas would sit idle)."""
    default = partition_count or partitions(documents)
    scaled = by_kind(documents, "ScaledObject")
    found = _unmatched("ScaledObject", scaled, stages)
    for name, stage in sorted(stages.items()):
        manifest = scaled.get(f"darkroom-{name}")
        if manifest is None:
            continue
        spec, what = manifest["spec"], f"ScaledObject darkroom-{name}"
        if spec["scaleTargetRef"]["name"] != f"darkroom-{name}":
            found.append(f"{what} scales {spec['scaleTargetRef']['name']}, not darkroom-{name}")
        most = max(topic.partitions or default for topic in stage.input_topics)
        if spec["maxReplicaCount"] > most:
            found.append(f"{what} scales to {spec['maxReplicaCount']} replicas, past {most} partitions")
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        groups = {t["consumerGroup"] for t in triggers}
        if groups != {stage.group}:
            found.append(f"{what} watches the groups {sorted(groups)}, not {stage.group}")
        if any(t.get("limitToPartitionsWithLag") == "true" and not t.get("topic") for t in triggers):
            # KEDA's own rule, which only its admission webhook would check.
            found.append(f"{what} limits to partitions with lag without naming a topic: KEDA refuses that")
        watched = {t.get("topic") for t in triggers}
        read = {t.name for t in stage.input_topics}
        wanted = read if len(read) == 1 else {None}
        if watched != wanted:
            shown = sorted(str(t) for t in watched)
            found.append(f"{what} watches the topics {shown}, the stage reads {sorted(read)}"
                         + ("" if len(read) == 1 else ": leave `topic` out to watch them all"))
    return found


def kustomization_problems(folder: Path = BASE) -> list[str]:
    """Every manifest beside the kustomization is applied (as a resource or a patch)."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = set(kustomization.get("resources", [])) | {p["path"] for p in kustomization.get("patches", [])
                                                         if "path" in p}
    listed_here = {n for n in listed if "/" not in n}
    present = {p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"}
    where = folder.relative_to(K8S) if folder.is_relative_to(K8S) else Path(folder.name)
    return ([f"{where}/kustomization.yaml does not apply {n}" for n in sorted(present - listed_here)]
            + [f"{where}/kustomization.yaml lists {n}, which is not there"
               for n in sorted(listed_here - present)])


def problems(stages: dict[str, Stage] | None = None, k8s: Path = BASE) -> list[str]:
    """Every disagreement between the stages (the declared ones unless
    given) and the manifests of the base at `k8s`; empty when they agree."""
    stages = registry.discover() if stages is None else stages
    documents = load(k8s)
    return (deployment_problems(stages, documents) + scaling_problems(stages, documents)
            + kustomization_problems(k8s))
