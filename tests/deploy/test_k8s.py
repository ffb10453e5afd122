"""deploy/k8s agrees with the code: one Deployment per stage running that
stage, scaled on its own consumer group's lag over what it reads, never past
the partition count (devstack/k8s_check.py says where they disagree). These
read the base as written; tests/deploy/test_k8s_manifests.py renders each
overlay and checks it against a real apiserver."""

from __future__ import annotations

import shutil

import pytest
from devstack import k8s_check

from streams import registry


def test_one_deployment_per_stage_runs_that_stage():
    assert k8s_check.deployment_problems(registry.discover(), k8s_check.load(k8s_check.BASE)) == []


def test_each_stage_scales_on_its_own_lag_over_what_it_reads():
    assert k8s_check.scaling_problems(registry.discover(), k8s_check.load(k8s_check.BASE)) == []


@pytest.mark.parametrize("folder", ["base", "overlays/local", "overlays/production"])
def test_each_kustomization_applies_every_manifest_beside_it(folder):
    assert k8s_check.kustomization_problems(k8s_check.K8S / folder) == []


def test_the_check_sees_every_manifest_of_each_kind():
    # Guards the check itself: were it to read nothing, it would find nothing wrong.
    stages = registry.discover()
    assert set(k8s_check.manifests("Deployment")) == {f"darkroom-{name}" for name in stages}
    assert set(k8s_check.manifests("ScaledObject")) == {f"darkroom-{name}" for name in stages}
    assert k8s_check.partitions(k8s_check.load(k8s_check.BASE)) >= 1


def test_the_check_names_a_manifest_that_runs_or_watches_the_wrong_thing(tmp_path):
    base = tmp_path / "base"
    shutil.copytree(k8s_check.BASE, base)
    stages = (base / "stages.yaml").read_text()
    stages = stages.replace('args: ["worker", "resize"]', 'args: ["worker", "metadata"]', 1)
    stages = stages.replace("consumerGroup: darkroom-tagging", "consumerGroup: darkroom-resize", 1)
    stages = stages.replace("maxReplicaCount: 6", "maxReplicaCount: 7", 1)
    stages = stages.replace("consumerGroup: darkroom-indexing",
                            "consumerGroup: darkroom-indexing\n        topic: darkroom.image.uploaded", 1)
    stages = stages.replace("topic: darkroom.image.variants.ready", "limitToPartitionsWithLag: \"true\"", 1)
    (base / "stages.yaml").write_text(stages)
    (base / "forgotten.yaml").write_text("kind: Secret\nmetadata: {name: forgotten}\n")
    problems = k8s_check.problems(k8s=base)
    read = sorted(t.name for t in registry.discover()["indexing"].input_topics)
    assert problems == [
        "Deployment darkroom-resize runs ['worker', 'metadata'], not ['worker', 'resize']",
        "ScaledObject darkroom-indexing watches the topics ['darkroom.image.uploaded'], the stage reads "
        f"{read}: leave `topic` out to watch them all",
        "ScaledObject darkroom-resize scales to 7 replicas, past 6 partitions",
        "ScaledObject darkroom-tagging watches the groups ['darkroom-resize'], not darkroom-tagging",
        "ScaledObject darkroom-tagging limits to partitions with lag without naming a topic: "
        "KEDA refuses that",
        "ScaledObject darkroom-tagging watches the topics ['None'], the stage reads "
        "['darkroom.image.variants.ready']",
        "base/kustomization.yaml does not apply forgotten.yaml",
    ]
