"""`./darkroom status`: what it reports of each engine, checked on the
session's stack (the report of the long-lived stack is made the same way)."""

import pytest
from devstack import engines, status

pytestmark = pytest.mark.integration

VERSIONS = {e.name: e.image.version for e in engines.ALL}  # what each image is built from


@pytest.mark.parametrize("engine", engines.ALL, ids=lambda e: e.name)
def test_a_running_engine_is_healthy_with_the_version_it_runs(stack_env, engine):
    assert status._engine(engine, stack_env, "where") == {
        "healthy": True, "version": VERSIONS[engine.name], "address": "where"}


@pytest.mark.parametrize("engine", engines.ALL, ids=lambda e: e.name)
def test_an_engine_that_does_not_answer_is_unhealthy(stack_env, engine):
    # Port 9 (discard) on the loopback: nothing listens there.
    nowhere = engines.client_env({e.name: e.address(9) for e in engines.ALL}, {})
    assert status._engine(engine, {**stack_env, **nowhere}, "nowhere") == {
        "healthy": False, "version": None, "address": "nowhere"}
