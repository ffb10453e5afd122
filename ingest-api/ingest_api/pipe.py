"""Chunks from the event loop to a worker thread, with backpressure.

The request body arrives on the event loop; the MinIO client pulls its data
from a blocking file-like in a worker thread. A Pipe joins the two: the loop
`send`s chunks (waiting while the queue is full, so a slow store slows the
uploader rather than filling memory) and the thread iterates over them.
Either side can stop: the reader by `close_reader()` (its upload failed, the
rest is unwanted), the writer by `finish()` (end of the part) or `abort()`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

from ingest_api.errors import Aborted

_END, _ABORT = object(), object()


class Pipe:
    def __init__(self, loop: asyncio.AbstractEventLoop, depth: int = 8) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[object] = asyncio.Queue(depth)
        self._reader_gone = threading.Event()

    # -- event loop side ---------------------------------------------------

    async def send(self, chunk: bytes) -> bool:
        """Queue a chunk; False once the reader has stopped (drop the rest)."""
        if self._reader_gone.is_set():
            return False
        await self._queue.put(chunk)
        return not self._reader_gone.is_set()

    async def finish(self) -> None:
        """The part is complete: the reader sees the end of its file."""
        if not self._reader_gone.is_set():
            await self._queue.put(_END)

    def abort(self) -> None:
        """Stop the reader with Aborted; never waits (safe while unwinding)."""
        if self._reader_gone.is_set():
            return
        if self._queue.full():  # what is queued no longer matters: make room for the marker
            self._queue.get_nowait()
        self._queue.put_nowait(_ABORT)

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    # -- worker thread side ------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = asyncio.run_coroutine_threadsafe(self._queue.get(), self._loop).result()
            if item is _END:
                return
            if item is _ABORT:
                raise Aborted("the upload was interrupted")
            yield item  # type: ignore[misc]

    def close_reader(self) -> None:
        """Called by the thread when it stops reading, however it stops: a
        writer blocked on a full queue is released and later sends are dropped."""
        self._reader_gone.set()
        self._loop.call_soon_threadsafe(self._drain)
