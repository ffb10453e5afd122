"""Runs on the deployed stack after every other test (tests/faults/session.py)."""

from __future__ import annotations

import pytest

from tests.faults import session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session.deselect_heavy(config, items)
    session.run_last(items)
