"""The fault matrix: each fault, applied to the real containers of the
session's stack while a batch of photos goes through the API, and the
audit of what came out (audit.py).

A fault picks a random moment in the first part of the upload, does its
damage, undoes it, and says when the stack was whole again (`lifted`). Time
to recover is from then until the pipeline finishes an image again (for the
API: answers an upload; for nginx: serves a variant).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from schemas import topics
from tests.faults import audit, photos
from tests.faults.stackctl import StackControl
from tests.faults.traffic import Observer, Uploader, stage_lag

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Ctx:
    ctl: StackControl
    observer: Observer
    uploader: Uploader
    rng: random.Random
    upload_s: float  # how long the upload is planned to take
    t0: float  # time.time() of the first upload

    def random_moment(self, low: float = 0.2, high: float = 0.6) -> None:
        """Sleep until a random point of the upload, between `low` and `high` of it."""
        time.sleep(max(0.0, self.t0 + self.rng.uniform(low, high) * self.upload_s - time.time()))


@dataclass(frozen=True)
class Lifted:
    at: float  # time.time() when the fault was undone (restart issued, unpaused, worker started)
    proof: str = ""
    measure: str = "ready"  # what recovery is timed on: ready | upload
    recover_s: float | None = None  # when the fault measured it itself


@dataclass(frozen=True)
class Fault:
    name: str
    apply: Callable[[Ctx], Lifted]
    in_ci: bool = False


# -- the worker held unfinished work when it was killed ------------------------

def cpu_ticks(ctl: StackControl, name: str) -> int:
    ticks = 0
    for process in ctl.container(name).top().get("Processes") or []:
        try:
            with open(f"/proc/{process[1]}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks


def holding(ctx: Ctx, stage: str, timeout_s: float = 60) -> str:
    """Wait until the stage's worker holds unfinished work: records of its
    partitions that its group has not committed (faust commits every 2.8 s,
    after publishing what the records produced), while its processes work
    (CPU time growing). Returns the evidence."""
    name = f"worker-{stage}"
    deadline = time.monotonic() + timeout_s
    while True:
        before = cpu_ticks(ctx.ctl, name)
        held = stage_lag(ctx.ctl.stack.addresses["kafka"], [stage])[stage]
        busy = (cpu_ticks(ctx.ctl, name) - before) / CLK_TCK
        if held > 0 and busy > 0:
            return f"held {held} uncommitted records, busy"
        if time.monotonic() > deadline:
            return f"NOT PROVEN: held {held} uncommitted records, {busy:.2f} CPU-s"


def kill_worker(stage: str) -> Callable[[Ctx], Lifted]:
    def apply(ctx: Ctx) -> Lifted:
        ctx.random_moment()
        proof = holding(ctx, stage)
        ctx.ctl.kill(f"worker-{stage}")
        time.sleep(5)
        ctx.ctl.start(f"worker-{stage}")
        return Lifted(time.time(), proof)
    return apply


# -- engines ----------------------------------------------------------------------

def restart_engine(engine: str) -> Callable[[Ctx], Lifted]:
    def apply(ctx: Ctx) -> Lifted:
        ctx.random_moment()
        at = time.time()
        ctx.ctl.restart(engine)
        if engine == "nginx":  # not on the upload path: recovery is serving again
            return Lifted(at, "nginx restarted", recover_s=time.time() - at + ctx.ctl.delivery_probe())
        ctx.ctl.wait_engine(engine)
        if engine == "kafka":
            ctx.observer.reconnect()
        return Lifted(at, f"{engine} restarted, back on {ctx.ctl.stack.addresses[engine]}")
    return apply


def pause_engine(engine: str, seconds: float) -> Callable[[Ctx], Lifted]:
    def apply(ctx: Ctx) -> Lifted:
        ctx.random_moment()
        ctx.ctl.pause(engine)
        time.sleep(seconds)
        ctx.ctl.unpause(engine)
        return Lifted(time.time(), f"{engine} paused {seconds:.0f} s")
    return apply


def _in_flight(ctx: Ctx, timeout_s: float = 30) -> int:
    """Wait until some uploads are in the API's hands; how many."""
    deadline = time.monotonic() + timeout_s
    while (busy := ctx.uploader.started - ctx.uploader.done) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    return busy


def restart_api(signal: str | None) -> Callable[[Ctx], Lifted]:
    """docker restart (SIGTERM: uvicorn finishes what it holds), or a kill
    with `signal` then a start; clients retry with their Idempotency-Key."""
    def apply(ctx: Ctx) -> Lifted:
        ctx.random_moment()
        busy = _in_flight(ctx)
        at = time.time()
        if signal:
            ctx.ctl.container("api").kill(signal=signal)
            ctx.ctl.start("api")
        else:
            ctx.ctl.restart("api")
        ctx.ctl.wait_api()
        return Lifted(at, f"{busy} uploads in flight", recover_s=time.time() - at)
    return apply


def second_worker(stage: str) -> Callable[[Ctx], Lifted]:
    def apply(ctx: Ctx) -> Lifted:
        ctx.random_moment()
        service = next(s for s in ctx.ctl.workers() if s.command[1] == stage)
        ctx.ctl.run_service(service, name=f"{service.name}-2")
        return Lifted(time.time(), f"worker-{stage}-2 joined")
    return apply


# CI runs four (a plain run's budget); test_engines_away.py stops or pauses every engine there.
FAULTS = (
    *(Fault(f"kill -9 worker-{s}", kill_worker(s), in_ci=s == "resize")
      for s in ("resize", "metadata", "tagging", "indexing")),
    Fault("kafka restarted", restart_engine("kafka"), in_ci=True),
    Fault("cassandra paused 20 s", pause_engine("cassandra", 20)),
    Fault("elasticsearch restarted", restart_engine("elasticsearch")),
    Fault("minio restarted", restart_engine("minio")),
    Fault("nginx restarted", restart_engine("nginx")),
    Fault("api restarted", restart_api(None), in_ci=True),
    Fault("kill -9 api", restart_api("SIGKILL")),
    Fault("second worker-resize", second_worker("resize"), in_ci=True),
)


# -- one scenario -------------------------------------------------------------------

def recovered(lifted: Lifted, observer: Observer, uploader: Uploader) -> float | None:
    """Seconds from the lifting until the stack did its work again."""
    if lifted.recover_s is not None:
        return lifted.recover_s
    if lifted.measure == "upload":
        answers = [t for s in uploader.sent for t, status in s.attempts
                   if status.startswith("2") and t >= lifted.at]
        return min(answers) - lifted.at if answers else None
    ready = [r.at for r in observer.of(topics.IMAGE_READY.name) if r.at >= lifted.at]
    return min(ready) - lifted.at if ready else 0.0  # nothing left to finish after it: whole at once


def owner_for(fault: Fault, suite: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in fault.name.lower()).strip("-")
    return f"{suite}-{slug}"[:60]


def run(fault: Fault, ctl: StackControl, key: str, owner: str, count: int, rate: float, seed: int,
        poison_every: int = 100) -> audit.Row:
    batch = photos.batch(count, seed, poison_every)
    ctl.ensure_all()
    observer = Observer(lambda: ctl.stack.addresses["kafka"]).start()
    started = audit.now()
    uploader = Uploader(lambda: ctl.api_url, key, batch, rate).start()
    ctx = Ctx(ctl, observer, uploader, random.Random(seed), count / rate, time.time())
    lifted = fault.apply(ctx)
    uploader.join()
    engines = audit.Engines()
    try:
        audit.settle(engines.images, {s.image_id for s in uploader.sent if s.image_id}, 600)
        _quiesce(ctl)
        time.sleep(2)  # the observer reads what the stages wrote last
        row = audit.audit(fault.name, owner, uploader.sent, observer, engines, started)
        row.recover_s = recovered(lifted, observer, uploader)
    finally:
        observer.stop()
        engines.close()
    row.seconds, row.proof = time.time() - ctx.t0, lifted.proof
    return row


def _quiesce(ctl: StackControl, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while any(stage_lag(ctl.stack.addresses["kafka"]).values()) and time.monotonic() < deadline:
        time.sleep(2)
