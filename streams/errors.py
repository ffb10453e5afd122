"""The stages' error taxonomy.

- Poison (`Poison`): the record can never be processed. It goes to the
  stage's dead-letter topic with a stable code, the image is marked failed,
  and the stage moves on. Never retried.
- Retriable: anything else raised while processing (an engine briefly away,
  a timeout). The stage retries with backoff and does not move on, so
  nothing is lost.
- Expected skips are return values, not errors (e.g. the image was deleted
  before the stage got to it).
"""

from __future__ import annotations


class Poison(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
