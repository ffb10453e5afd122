"""The event-loop-to-thread pipe: order, end, abort, and a reader that quits."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from ingest_api.errors import Aborted
from ingest_api.pipe import Pipe

POOL = ThreadPoolExecutor(2)


async def _run(reader, chunks, *, abort: bool = False):
    loop = asyncio.get_running_loop()
    pipe = Pipe(loop, depth=2)

    def work():
        try:
            return reader(pipe)
        finally:
            pipe.close_reader()

    job = loop.run_in_executor(POOL, work)
    sent = 0
    for chunk in chunks:
        if not await pipe.send(chunk):
            break
        sent += 1
    if abort:
        pipe.abort()
    else:
        await pipe.finish()
    return await asyncio.wait_for(job, 5), sent


def test_chunks_arrive_in_order_and_end():
    chunks = [bytes([i]) * 100 for i in range(50)]
    result, sent = asyncio.run(_run(lambda p: b"".join(p), chunks))
    assert result == b"".join(chunks) and sent == 50


def test_a_reader_that_stops_early_releases_the_writer():
    def reads_three(pipe):
        got = []
        for chunk in pipe:
            got.append(chunk)
            if len(got) == 3:
                return got

    result, sent = asyncio.run(_run(reads_three, [b"x"] * 1000))
    assert len(result) == 3
    assert sent < 1000  # the writer noticed and stopped instead of blocking forever


def test_abort_raises_in_the_reader():
    with pytest.raises(Aborted):
        asyncio.run(_run(lambda p: b"".join(p), [b"a", b"b"], abort=True))
