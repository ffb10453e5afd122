"""Progress lines for the command line: short, flushed, on stderr."""

import sys
import time

_START = time.monotonic()


def step(message: str) -> None:
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)
