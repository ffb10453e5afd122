"""Every overlay of deploy/k8s, rendered, is valid: for kubeconform (offline
schemas from the Kubernetes module and KEDA's CRDs), for a real
kube-apiserver's server-side dry run, and then for a real apply. Runs on
every CI run: etcd and kube-apiserver alone start in seconds once built
(about 7 minutes once per machine, cached under $DARKROOM_CACHE/k8s).

Each check is also shown to catch what it is there for, so a check that
silently stopped checking would fail here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from devstack import k8s_check, k8s_control, k8s_manifests

from streams import registry

pytestmark = pytest.mark.apiserver

OVERLAYS = k8s_manifests.overlays()


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {name: k8s_manifests.render(k8s_check.OVERLAYS / name) for name in OVERLAYS}


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[k8s_control.ControlPlane]:
    with k8s_control.apiserver_alone(tmp_path_factory.mktemp("apiserver")) as started:
        k8s_manifests.install_crds(started)
        yield started


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_there_are_the_two_overlays():
    assert OVERLAYS == ["local", "production"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_as_rendered_agrees_with_the_stages(rendered, overlay):
    stages, documents = registry.discover(), k8s_manifests.documents(rendered[overlay])
    assert k8s_check.deployment_problems(stages, documents) == []
    assert k8s_check.scaling_problems(stages, documents) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubeconform_finds_every_resource_valid(rendered, overlay):
    verdict = k8s_manifests.kubeconform(rendered[overlay])
    assert verdict.problems == []
    assert verdict.valid == len(k8s_manifests.documents(rendered[overlay]))


def test_kubeconform_refuses_an_unknown_field_and_a_wrong_type(rendered):
    broken = _replace(rendered["local"], "terminationGracePeriodSeconds: 60",
                      "terminationGracePeriodSeconds: sixty")
    broken = _replace(broken, "readOnlyRootFilesystem: true",
                      "readOnlyRootFilesystem: true\n          runAsRoot: true")
    problems = " ".join(k8s_manifests.kubeconform(broken).problems)
    assert "got string, want integer" in problems and "'runAsRoot' not allowed" in problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_apiserver_takes_each_overlay_dry_then_for_real(plane, rendered, overlay):
    text = rendered[overlay]
    assert k8s_manifests.apply(plane, k8s_manifests.namespaces(text), dry_run=False).returncode == 0
    # As the README's upgrade says: a Job's pod template cannot change, so the
    # bootstrap Job of another release goes first (here: the other overlay's).
    plane.kubectl("delete", "job", "--all", "-n", "darkroom")
    dry = k8s_manifests.apply(plane, text, dry_run=True)
    assert dry.returncode == 0, dry.stderr
    assert "PodSecurity" not in dry.stderr  # every pod meets its namespace's profile
    real = k8s_manifests.apply(plane, text, dry_run=False)
    assert real.returncode == 0, real.stderr
    for document in k8s_manifests.documents(text):
        namespace = document["metadata"].get("namespace")
        got = plane.kubectl("get", document["kind"], document["metadata"]["name"],
                            *(["-n", namespace] if namespace else []), "-o", "name", check=False)
        assert got.returncode == 0, got.stderr


def test_the_dry_run_refuses_a_selector_that_misses_its_labels(plane, rendered):
    text = rendered["local"]
    plane.kubectl("apply", "-f", "-", input=k8s_manifests.namespaces(text))
    [api] = [d for d in k8s_manifests.documents(text)
             if d["kind"] == "Deployment" and d["metadata"]["name"] == "darkroom-api"]
    api["metadata"]["name"] = "darkroom-api-mislabelled"
    api["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] = "apis"
    dry = k8s_manifests.apply(plane, yaml.safe_dump(api), dry_run=True)
    assert dry.returncode != 0 and "selector` does not match template `labels`" in dry.stderr


def test_the_dry_run_warns_of_a_pod_that_breaks_the_security_profile(plane, rendered):
    text = rendered["local"]
    plane.kubectl("apply", "-f", "-", input=k8s_manifests.namespaces(text))
    [api] = [d for d in k8s_manifests.documents(text)
             if d["kind"] == "Deployment" and d["metadata"]["name"] == "darkroom-api"]
    api["metadata"]["name"] = "darkroom-api-as-root"
    api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False
    dry = k8s_manifests.apply(plane, yaml.safe_dump(api), dry_run=True)
    assert 'would violate PodSecurity "restricted:latest"' in dry.stderr


def test_only_a_real_apply_refuses_a_node_port_out_of_range(plane, rendered):
    text = rendered["local"]
    plane.kubectl("apply", "-f", "-", input=k8s_manifests.namespaces(text))
    [service] = [d for d in k8s_manifests.documents(text)
                 if d["kind"] == "Service" and d["metadata"]["name"] == "darkroom-api"]
    service["metadata"]["name"] = "darkroom-api-far"
    service["spec"]["ports"][0]["nodePort"] = 40800
    assert k8s_manifests.apply(plane, yaml.safe_dump(service), dry_run=True).returncode == 0
    real = k8s_manifests.apply(plane, yaml.safe_dump(service), dry_run=False)
    assert real.returncode != 0 and "provided port is not in the valid range" in real.stderr
