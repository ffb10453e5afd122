"""What the suites that run the whole deployed stack share (tests/faults,
tests/e2e, tests/hostile): their API and workers as containers of the app
image on the session's stack, run after every other test.

They run last because their workers join the stages' consumer groups
(which tests/streams fills with its own workers) and because a restarted
engine comes back on a new host port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from devstack.stack import Stack

from tests.faults.stackctl import StackControl, Users

LAST = ("e2e", "hostile", "faults")  # folders under tests/, in this order at the end
TESTS = Path(__file__).resolve().parents[1]


def run_last(items: list[pytest.Item]) -> None:
    """After every other test, but before the whole-cluster test (`k8s`), which
    must stay last (tests/deploy/conftest.py)."""
    def rank(item: pytest.Item) -> tuple[bool, int]:
        parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
        return (item.get_closest_marker("k8s") is not None,
                LAST.index(parts[0]) + 1 if parts and parts[0] in LAST else 0)

    items.sort(key=rank)  # stable: the order within each group is kept


def deselect_heavy(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `faults` (1,000-image batches, the full hostile corpus)
    run only when asked for: `./darkroom test -m faults`."""
    if "faults" in (config.option.markexpr or ""):
        return
    heavy = [i for i in items if i.get_closest_marker("faults")]
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        items[:] = [i for i in items if not i.get_closest_marker("faults")]


def deployed(client: docker.DockerClient, stack: Stack, owners: list[str],
             env: dict[str, str] | None = None) -> Iterator[StackControl]:
    """The API (knowing a key for each of `owners`) and one worker per stage,
    for one test module; removed afterwards, with the engines made whole."""
    users = Users()
    for owner in owners:
        users.key(owner)
    users.provision()
    control = StackControl(client, stack, env)
    control.users = users
    control.start_services()
    try:
        yield control
    finally:
        control.ensure_engines()
        control.stop_services()
