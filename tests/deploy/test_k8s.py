"""deploy/k8s agrees with the code: one Deployment per stage running that
stage, scaled on its own consumer group's lag over the topics it reads
(devstack/k8s_check.py says where they disagree)."""

from __future__ import annotations

from devstack import k8s_check

from streams import registry


def test_one_deployment_per_stage_runs_that_stage():
    assert k8s_check.deployment_problems(registry.discover()) == []


def test_each_stage_scales_on_its_own_lag_over_every_topic_it_reads():
    assert k8s_check.scaling_problems(registry.discover()) == []


def test_kustomization_applies_every_manifest():
    assert k8s_check.kustomization_problems() == []


def test_the_check_sees_every_manifest_of_each_kind():
    # Guards the check itself: were it to read nothing, it would find nothing wrong.
    stages = registry.discover()
    assert set(k8s_check.manifests("Deployment")) == {f"darkroom-{name}" for name in stages}
    assert set(k8s_check.manifests("ScaledObject")) == {f"darkroom-{name}" for name in stages}


def test_the_check_names_a_manifest_that_runs_or_watches_the_wrong_thing(tmp_path):
    for manifest in k8s_check.K8S.glob("*.yaml"):
        (tmp_path / manifest.name).write_text(manifest.read_text())
    stages = (tmp_path / "stages.yaml").read_text()
    stages = stages.replace('args: ["worker", "resize"]', 'args: ["worker", "metadata"]', 1)
    stages = stages.replace("consumerGroup: darkroom-tagging", "consumerGroup: darkroom-resize", 1)
    (tmp_path / "stages.yaml").write_text(stages)
    assert k8s_check.problems(k8s=tmp_path) == [
        "Deployment darkroom-resize runs ['worker', 'metadata'], not ['worker', 'resize']",
        "ScaledObject darkroom-tagging watches the groups ['darkroom-resize'], not darkroom-tagging",
    ]
