"""A cleanup guard: undo what a multi-step path did, unless it got to the end.

Each step that leaves something behind (an object, a claim, a row) registers
how to undo it. Leaving the `with` block armed, by an exception or by an
early return, undoes the steps newest first; `disarm()` is the last line of
the success path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class Guard:
    def __init__(self, path: str) -> None:
        self._path = path
        self._undo: list[tuple[str, Callable[[], object]]] = []
        self._armed = True

    def __enter__(self) -> Guard:
        return self

    def add(self, what: str, undo: Callable[[], object]) -> None:
        self._undo.append((what, undo))

    def disarm(self) -> None:
        self._armed = False

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._armed:
            return
        for what, undo in reversed(self._undo):
            try:
                undo()
            except Exception:  # noqa: BLE001 - best effort: one failed undo must not stop the others
                # What stays behind is found later: staging by sweep_staging,
                # a claim without a record by the stale-claim takeover.
                log.exception("cleanup failed path=%s step=%r", self._path, what)
        if self._undo:
            log.info("cleaned up path=%s steps=%d reason=%s", self._path, len(self._undo),
                     exc_type.__name__ if exc_type else "early return")
