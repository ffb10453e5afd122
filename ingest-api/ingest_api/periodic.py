"""Work that an API process repeats in the background (the relay, the reconciler)."""

from __future__ import annotations

import logging
import threading

from connectors.errors import is_unavailable

log = logging.getLogger(__name__)


class Periodic:
    """Calls `run_once` every `interval_s` in a daemon thread until stopped.
    A pass that fails is logged (a warning when an engine is away, an error
    with its traceback otherwise) and the next pass runs on time: the loop
    must outlive any one failure."""

    def __init__(self, name: str, interval_s: float) -> None:
        self._name, self._interval_s = name, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_once(self) -> object:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - see the class
                away = is_unavailable(exc)
                log.log(logging.WARNING if away else logging.ERROR, "%s pass failed: %s", self._name, exc,
                        exc_info=not away)
