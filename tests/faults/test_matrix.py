"""The fault matrix (scenarios.py) on the session's stack: each fault hits
real containers while a batch of generated photos goes through the API,
and afterwards every accepted image is ready (or failed with a reason, for
the poison ones), with no duplicate, no orphan, and the dead-letter topics
holding exactly the poison.

By default a CI-sized run: 50 photos per fault (two of them poison), the
four faults marked `in_ci`. `./darkroom test -m faults` runs every fault on
1,000 photos (ten poison) instead. Each run prints the fault table.
"""

from __future__ import annotations

import random

import pytest

from tests.faults import scenarios, session
from tests.faults.scenarios import FAULTS, Fault

pytestmark = pytest.mark.integration

SUITES = {  # suite: (photos per fault, uploads per second, one poison in so many)
    "ci": (50, 4.0, 25),
    "full": (1000, 4.0, 100),
}


# An upload whose API process is killed leaves its staging object; the API's sweeper
# removes it once it is this old (an hour by default): soon enough for the audit.
SWEEP = {"DARKROOM_API_STAGING_MAX_AGE_S": "20", "DARKROOM_API_RELAY_INTERVAL_S": "5"}


@pytest.fixture(scope="module")
def control(docker_client, stack):
    owners = [scenarios.owner_for(f, suite) for f in FAULTS for suite in SUITES]
    yield from session.deployed(docker_client, stack, owners, SWEEP)


def _run(suite: str, fault: Fault, control, fault_table) -> None:
    count, rate, poison_every = SUITES[suite]
    owner = scenarios.owner_for(fault, suite)
    row = scenarios.run(fault, control, control.users.key(owner), owner, count, rate,
                        seed=random.randrange(10**6), poison_every=poison_every)
    fault_table.add(suite, row)
    assert "NOT PROVEN" not in row.proof, row.proof
    assert row.ok, "\n".join(row.problems)


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.in_ci], ids=lambda f: f.name)
def test_a_fault_loses_duplicates_and_leaks_nothing(fault, control, fault_table):
    _run("ci", fault, control, fault_table)


@pytest.mark.faults
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_a_fault_on_a_1000_photo_batch(fault, control, fault_table):
    _run("full", fault, control, fault_table)
