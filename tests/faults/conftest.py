"""The fault suite runs on the session's stack (tests/conftest.py) with the
API and the workers as containers (session.py), last; its 1,000-image
matrix only with `-m faults`. The fault table is printed at the end of the
session and written to a file for the record (FAULT_TABLE)."""

from __future__ import annotations

import pytest

from tests.faults import report, session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session.deselect_heavy(config, items)
    session.run_last(items)


@pytest.fixture(scope="session")
def fault_table() -> report.Table:
    return report.TABLE


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    for suite, rows in report.TABLE.rows.items():
        text = report.render(suite, rows)
        path = report.save(suite, text)
        terminalreporter.write_sep("=", f"fault table ({suite}), also in {path}")
        terminalreporter.write_line(text)
