"""The whole-cluster test runs last: its time-budget check (CI) then knows
how long everything else took."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("k8s") is not None)  # stable: the rest keep order
