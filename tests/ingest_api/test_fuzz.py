"""The API against its own OpenAPI document, fuzzed by schemathesis on the
real engines: every operation, with a key and anonymously. No answer may be
a server error, and every answer must be one the document promises (status,
content type, body schema, headers).

Driven through schemathesis' strategies with hypothesis rather than its
pytest plugin, so every operation runs and every finding is reported at
once. The summary is written to $DARKROOM_FUZZ_REPORT (default
/tmp/darkroom-fuzz.txt).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as sc
from schemathesis.specs.openapi import checks as oc

from tests.ingest_api.conftest import bearer, new_key, sign_in

pytestmark = pytest.mark.integration

# Bounded for CI; DARKROOM_FUZZ_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("DARKROOM_FUZZ_EXAMPLES", "25"))
CHECKS = [sc.not_a_server_error, oc.status_code_conformance, oc.content_type_conformance,
          oc.response_schema_conformance, oc.response_headers_conformance]
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzzer_key(client) -> str:
    """A user of its own: what the fuzzer uploads, edits or deletes is no other test's data."""
    return new_key(client, sign_in(client, "fuzzer"))


@pytest.mark.parametrize("who", ["key", "anonymous"])
def test_every_operation_keeps_its_promises(client, fuzzer_key, who):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    headers = bearer(fuzzer_key) if who == "key" else {}
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    findings: dict[str, str] = {}
    def fuzzer(operation):
        @given(case=operation.as_strategy())
        @BOUNDED
        def fuzz(case) -> None:
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses[response.status_code] += 1
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - a finding, reported below
                findings.setdefault(operation.label, str(exc)[:1500])
            calls[operation.label] += 1
        return fuzz

    for result in schema.get_all_operations():
        fuzzer(result.ok())()
    report = [f"{who}: {sum(calls.values())} calls over {len(calls)} operations; statuses "
              + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
              *(f"FINDING {label}: {text}" for label, text in findings.items())]
    path = Path(os.environ.get("DARKROOM_FUZZ_REPORT", "/tmp/darkroom-fuzz.txt"))
    with path.open("a") as out:
        out.write("\n".join(report) + "\n")
    assert len(calls) >= 20  # every operation ran
    assert not [s for s in statuses if s >= 500]
    assert findings == {}, "\n\n".join(report)
