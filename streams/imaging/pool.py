"""A process pool for render_ladder, and an asyncio helper for the caller
(the faust agent). One task = one image's whole ladder: decoding once and
cascading needs the pixels in one process, and shipping bytes in and
variants out is cheap next to the work (~1 MB each way)."""

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import ParamSpec, TypeVar

from .model import Ladder, LadderOptions

_DEFAULTS = LadderOptions()
P = ParamSpec("P")
R = TypeVar("R")


def new_pool(workers: int | None = None, max_tasks_per_child: int = 500) -> ProcessPoolExecutor:
    """One worker per core by default. forkserver, not fork: the caller runs
    an event loop with threads, and forking that is unsafe. Workers are
    recycled now and then to hand big decode buffers back to the OS."""
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_init_worker,
        max_tasks_per_child=max_tasks_per_child,
    )


def _init_worker() -> None:
    # The pool already uses every core; codec threads would only contend.
    import pillow_heif

    from . import ladder  # noqa: F401 - load libvips (one thread, vips.py) and the codecs once

    pillow_heif.options.DECODE_THREADS = 1


async def render_in(pool: ProcessPoolExecutor, data: bytes, options: LadderOptions = _DEFAULTS) -> Ladder:
    """Await one ladder from the pool. UndecodableImage comes back as is."""
    from .ladder import render_ladder

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, render_ladder, data, options)


async def run_in(pool: ProcessPoolExecutor, work: Callable[P, R], *args: P.args, **_: P.kwargs) -> R:
    """Await `work(*args)` in the pool (a module-level function: it is pickled
    by name). Its exceptions come back as they were raised."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, work, *args)
