"""deploy/k8s agrees with the code: one Deployment per stage running that
stage, scaled on its own consumer group's lag over the topics it reads."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from connectors.settings import KafkaSettings
from streams.__main__ import STAGES

K8S = Path(__file__).parents[2] / "deploy" / "k8s"


def _manifests(kind: str) -> dict[str, dict]:
    documents = [d for d in yaml.safe_load_all((K8S / "stages.yaml").read_text()) if d]
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def _inputs(stage: str) -> set[str]:
    app = importlib.import_module(STAGES[stage]).app
    return {name for agent in app.agents.values() for name in agent.channel.topics}


def test_one_deployment_per_stage_runs_that_stage():
    deployments = _manifests("Deployment")
    assert set(deployments) == {f"darkroom-{stage}" for stage in STAGES}
    for stage in STAGES:
        [container] = deployments[f"darkroom-{stage}"]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["worker", stage]
        assert container["image"] == "darkroom/app:dev"


def test_each_stage_scales_on_its_own_lag_over_every_topic_it_reads():
    scaled = _manifests("ScaledObject")
    assert set(scaled) == {f"darkroom-{stage}" for stage in STAGES}
    for stage in STAGES:
        spec = scaled[f"darkroom-{stage}"]["spec"]
        assert spec["scaleTargetRef"]["name"] == f"darkroom-{stage}"
        assert spec["maxReplicaCount"] <= KafkaSettings().partitions  # more would sit idle
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        assert {t["consumerGroup"] for t in triggers} == {importlib.import_module(STAGES[stage]).app.conf.id}
        assert {t["topic"] for t in triggers} == _inputs(stage)


def test_kustomization_applies_every_manifest():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
