"""`./darkroom ops` from the command line, against the session's stack
(its DARKROOM_* settings in the environment win over the local stack's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from streams import registry

pytestmark = pytest.mark.integration


def _ops(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, "DARKROOM_STATE": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "devstack", "ops", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_command_line_reads_lag_pauses_resumes_and_lists(tmp_path):
    lag = _ops(tmp_path, "lag", "--json", "--interval", "0.5")
    assert lag.returncode == 0, lag.stderr
    assert {entry["stage"] for entry in json.loads(lag.stdout)} == set(registry.discover())
    paused = _ops(tmp_path, "pause", "tagging", "--reason", "new model")
    assert paused.returncode == 0 and "tagging: paused" in paused.stdout, paused.stderr
    [entry] = json.loads(_ops(tmp_path, "lag", "tagging", "--json", "--interval", "0.1").stdout)
    assert entry["paused"] is True
    resumed = _ops(tmp_path, "resume", "tagging")
    assert resumed.returncode == 0 and "tagging: running" in resumed.stdout
    listed = _ops(tmp_path, "dlq", "list", "tagging", "--json")
    assert listed.returncode == 0 and isinstance(json.loads(listed.stdout), list), listed.stderr
    table = _ops(tmp_path, "lag", "--interval", "0.1")
    assert table.returncode == 0 and "drains in" in table.stdout
    unknown = _ops(tmp_path, "pause", "nosuchstage")
    assert unknown.returncode == 2 and "no stage 'nosuchstage'" in unknown.stderr
    neither = _ops(tmp_path, "reprocess", "tagging")
    assert neither.returncode == 2 and "--since" in neither.stderr
