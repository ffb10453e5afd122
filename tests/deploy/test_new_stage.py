"""A stage is declared once, in its module: the bootstrap, the runner, the
local stack and the deploy/k8s check find it without a list to edit. Checked
with a trivial stage declared here, in the test."""

from __future__ import annotations

import random
import string
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from devstack import bootstrap, engines, k8s_check

from schemas.events import ImageUploaded
from schemas.topics import DEAD_LETTER_PREFIX, IMAGE_UPLOADED
from streams import __main__ as streams_main
from streams import registry
from streams.runner import stage_app


def _name() -> str:
    # Letters only, as a stage's name must be to make a namespaced topic (tests/schemas).
    return "probe" + "".join(random.choices(string.ascii_lowercase, k=8))


@pytest.fixture
def probe() -> Iterator[str]:
    name = _name()

    async def process(event: ImageUploaded, deps: SimpleNamespace) -> None:
        return None

    stage_app(name, [ImageUploaded], lambda: SimpleNamespace(images=None), process)
    try:
        yield name
    finally:
        registry.forget(name)


def test_bootstrap_creates_the_new_stages_dead_letter_topic(probe):
    names = [t.name for t in bootstrap.wanted_topics()]
    assert f"{DEAD_LETTER_PREFIX}{probe}" in names
    assert IMAGE_UPLOADED.name in names
    assert len(names) == len(set(names))


def test_the_runner_finds_the_new_stage_and_runs_it_in_its_own_group(probe, monkeypatch):
    stage = registry.discover()[probe]
    assert stage.input_topics == (IMAGE_UPLOADED,)
    assert stage.group == f"darkroom-{probe}"
    # `python -m streams <stage>` looks the stage up and hands faust its worker command.
    started = []
    monkeypatch.setattr(stage.app, "main", lambda: started.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["streams", probe, "--loglevel", "debug"])
    streams_main.main()
    assert started == [[stage.group, "worker", "--loglevel", "info", "--without-web", "--loglevel", "debug"]]


def test_the_local_stack_runs_a_worker_for_the_new_stage(probe):
    assert engines.Service(f"worker-{probe}", ("worker", probe)) in engines.services()


def test_the_k8s_check_reports_the_new_stage_until_its_manifests_exist(probe):
    assert k8s_check.problems() == [
        f"stage {probe} has no Deployment darkroom-{probe}",
        f"stage {probe} has no ScaledObject darkroom-{probe}",
    ]


def test_forgetting_the_stage_leaves_nothing_behind():
    name = _name()

    async def process(event: ImageUploaded, deps: SimpleNamespace) -> None:
        return None

    stage_app(name, [ImageUploaded], lambda: SimpleNamespace(images=None), process)
    registry.forget(name)
    assert name not in registry.discover()
    assert f"{DEAD_LETTER_PREFIX}{name}" not in {t.name for t in bootstrap.wanted_topics()}
    assert k8s_check.problems() == []
