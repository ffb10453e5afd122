"""Steady load on the whole stack: generated photos (0.1-2 MP, JPEG and PNG)
posted to the API at a fixed rate for ten minutes, each timed from upload
to `image.ready`, while the consumer lag of every stage and the RSS of every
process (the API, the workers with their pools, the engines) are sampled.

    .venv/bin/python bench/load.py --own-stack [--rate 4] [--seconds 600] [--find-rate]

`--own-stack` starts a throwaway stack with the API and workers (as the
tests do) and removes it afterwards; without it, the stack of `./darkroom
up` is used (`eval "$(./darkroom env)"` first). `--find-rate` first tries
rising rates for a minute each and keeps the highest one the stack holds
(the lag at the end of the minute is under ten seconds of uploads).

Writes three plots to docs/ (latency p50/p99 over time, lag per stage,
RSS per process) and prints the figures, and whether any process's memory
keeps growing (its median RSS in the last third of the run against the
middle third).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from devstack import bootstrap, docker_engine  # noqa: E402
from devstack.stack import Stack  # noqa: E402

from schemas import topics  # noqa: E402
from tests.faults import photos  # noqa: E402
from tests.faults.stackctl import StackControl, Users  # noqa: E402
from tests.faults.traffic import Observer, stage_lag  # noqa: E402
from tests.streams.photos import with_segments  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
POOL = 120  # distinct base photos; each upload adds its own comment segment, so none is a duplicate
WINDOW_S = 30


@dataclass
class Run:
    rate: float
    sent: dict[str, float] = field(default_factory=dict)  # image id -> when posted
    errors: int = 0
    samples: list[tuple[float, dict[str, int], dict[str, int]]] = field(default_factory=list)  # t, lag, rss


def _unique(base: bytes, n: int) -> bytes:
    if base.startswith(b"\xff\xd8"):
        comment = f"load {n} {uuid.uuid4().hex}".encode()
        return with_segments(base, b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment)
    return base[:-12] + photos_text_chunk(n) + base[-12:]  # PNG: a tEXt chunk before IEND


def photos_text_chunk(n: int) -> bytes:
    import struct
    import zlib

    body = b"Comment\0" + f"load {n} {uuid.uuid4().hex}".encode()
    return struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))


def post(api: str, key: str, data: bytes) -> str | None:
    for attempt in range(10):
        try:
            response = httpx.post(f"{api}/v1/images", headers={"Authorization": f"Bearer {key}",
                                                               "Idempotency-Key": uuid.uuid4().hex},
                                  files={"file": ("photo", data)}, timeout=60)
            if response.status_code in (200, 202):
                return response.json()["id"]
            if response.status_code != 503:
                return None
        except httpx.TransportError:
            pass
        time.sleep(0.5 * (attempt + 1))
    return None


def sample(ctl: StackControl, names: list[str], run: Run, stop: threading.Event, every_s: float) -> None:
    while not stop.is_set():
        rss: dict[str, int] = {}
        for name in names:
            for process, size in ctl.rss(name).items():
                pid, _, command = process.partition(" ")
                rss[f"{name}: {_short(command)} ({pid})"] = size
        run.samples.append((time.time(), stage_lag(ctl.stack.addresses["kafka"]), rss))
        stop.wait(every_s)


def _short(command: str) -> str:
    if "forkserver" in command or "multiprocessing" in command:
        return "pool" if "forkserver" in command else "resource tracker"
    return command.split()[0].rpartition("/")[2] if command else "?"


def load(ctl: StackControl, api: str, key: str, rate: float, seconds: float, bases: list[bytes],
         names: list[str], sample_every_s: float = 5.0) -> tuple[Run, Observer]:
    run = Run(rate)
    observer = Observer(lambda: ctl.stack.addresses["kafka"]).start()
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(ctl, names, run, stop, sample_every_s), daemon=True)
    sampler.start()
    started = time.time()

    def one(n: int) -> None:
        at = time.time()
        image_id = post(api, key, _unique(bases[n % len(bases)], n))
        if image_id:
            run.sent[image_id] = at
        else:
            run.errors += 1

    with ThreadPoolExecutor(16) as pool:
        n = 0
        while time.time() - started < seconds:
            time.sleep(max(0.0, started + n / rate - time.time()))
            pool.submit(one, n)
            n += 1
    drain_deadline = time.time() + 300
    while time.time() < drain_deadline:
        ready = {r.key for r in observer.of(topics.IMAGE_READY.name, set(run.sent))}
        failed = {r.key for r in observer.of(topics.IMAGE_FAILED.name, set(run.sent))}
        if len(ready | failed) >= len(run.sent):
            break
        time.sleep(2)
    stop.set()
    sampler.join()
    observer.stop()
    return run, observer


def latencies(run: Run, observer: Observer) -> list[tuple[float, float]]:
    """(posted at, seconds to ready) per image."""
    ready = {r.key: r.at for r in observer.of(topics.IMAGE_READY.name, set(run.sent))}
    return sorted((run.sent[i], ready[i] - run.sent[i]) for i in ready)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def plots(run: Run, done: list[tuple[float, float]], t0: float, out: Path, label: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    windows: dict[int, list[float]] = defaultdict(list)
    for at, seconds in done:
        windows[int((at - t0) // WINDOW_S)].append(seconds)
    xs = [(w + 0.5) * WINDOW_S / 60 for w in sorted(windows)]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(xs, [pct(windows[w], 0.5) for w in sorted(windows)], label="p50")
    ax.plot(xs, [pct(windows[w], 0.99) for w in sorted(windows)], label="p99")
    ax.set(xlabel="minutes (by upload time)", ylabel="upload → ready, s",
           title=f"Upload to ready at {run.rate:g} photos/s ({label})")
    ax.legend()
    ax.grid(alpha=0.3)
    paths.append(_save(fig, out / "load-latency.png"))

    fig, ax = plt.subplots(figsize=(9, 4.5))
    times = [(t - t0) / 60 for t, _, _ in run.samples]
    for stage in sorted({s for _, lag, _ in run.samples for s in lag}):
        ax.plot(times, [lag.get(stage, 0) for _, lag, _ in run.samples], label=stage)
    ax.set(xlabel="minutes", ylabel="records behind", title=f"Consumer lag per stage ({label})")
    ax.legend()
    ax.grid(alpha=0.3)
    paths.append(_save(fig, out / "load-lag.png"))

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 9), sharex=True)
    for process in sorted({p for _, _, rss in run.samples for p in rss}):
        ys = [rss.get(process, float("nan")) / 2**20 for _, _, rss in run.samples]
        engine = process.split(":")[0].rpartition("-")[2] in ("kafka", "cassandra", "elasticsearch", "minio",
                                                               "nginx")
        (top if engine else bottom).plot(times, ys, label=process, linewidth=1)
    top.set(ylabel="RSS, MiB", title=f"RSS of every process ({label}): engines")
    bottom.set(xlabel="minutes", ylabel="RSS, MiB", title="API and workers (pools included)")
    for ax in (top, bottom):
        ax.legend(fontsize=6, ncol=2)
        ax.grid(alpha=0.3)
    paths.append(_save(fig, out / "load-rss.png"))
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def growth(run: Run) -> dict[str, float]:
    """Median RSS in the last third over the middle third, per process (1.0: flat)."""
    third = len(run.samples) // 3
    found = {}
    for process in {p for _, _, rss in run.samples for p in rss}:
        middle = [rss[process] for _, _, rss in run.samples[third:2 * third] if process in rss]
        last = [rss[process] for _, _, rss in run.samples[2 * third:] if process in rss]
        if middle and last:
            found[process] = statistics.median(last) / statistics.median(middle)
    return found


def find_rate(ctl, api, key, bases, names, rates: list[float], step_s: float) -> float:
    held = rates[0]
    for rate in rates:
        run, _ = load(ctl, api, key, rate, step_s, bases, names, sample_every_s=2.0)
        tail = [sum(lag.values()) for t, lag, _ in run.samples if t > run.samples[0][0] + step_s - 10
                and t <= run.samples[0][0] + step_s]
        behind = max(tail or [0])
        print(f"  {rate:g}/s for {step_s:.0f} s: {len(run.sent)} accepted, "
              f"records behind at the end {behind}", flush=True)
        if behind > rate * 10 * 4:  # four stages; more than ten seconds of uploads each
            break
        held = rate
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--find-rate", action="store_true")
    parser.add_argument("--rates", default="3,4,5,6")
    parser.add_argument("--own-stack", action="store_true")
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()

    client = docker_engine.client()
    users = Users()
    key = users.key("load")
    own = Stack.throwaway() if args.own_stack else None
    try:
        if own is not None:
            own.addresses = own.start(client)
            env = own.env(own.addresses)
            bootstrap.run(env)
            os.environ.update(env)
            users.provision()
            ctl = StackControl(client, own)
            ctl.start_services()
            api = ctl.api_url
        else:
            stack = Stack.local()
            stack.addresses = stack.saved_addresses()
            ctl = StackControl(client, stack)
            api = stack.saved_services()["api"]
            key = stack.api_key
        names = [c.name.removeprefix(f"{ctl.stack.prefix}-") for c in client.containers.list(
            filters={"label": f"org.darkroom.stack={ctl.stack.prefix}"})]
        print(f"generating {POOL} base photos", flush=True)
        bases = [p.data for p in photos.batch(POOL, seed=int(time.time()) % 10**6, poison_every=0)]
        rate = args.rate
        if args.find_rate:
            rate = find_rate(ctl, api, key, bases, names, [float(r) for r in args.rates.split(",")], 60)
            print(f"the stack holds {rate:g} photos/s", flush=True)
        print(f"load: {rate:g} photos/s for {args.seconds:.0f} s", flush=True)
        t0 = time.time()
        run, observer = load(ctl, api, key, rate, args.seconds, bases, names)
        done = latencies(run, observer)
        seconds = [s for _, s in done]
        last = [s for at, s in done if at > t0 + args.seconds * 2 / 3]
        print(f"posted {len(run.sent)} ({run.errors} not accepted), ready {len(done)}")
        print(f"upload -> ready: p50 {pct(seconds, 0.5):.1f} s, p99 {pct(seconds, 0.99):.1f} s; "
              f"last third p50 {pct(last, 0.5):.1f} s, p99 {pct(last, 0.99):.1f} s")
        lags = [sum(lag.values()) for _, lag, _ in run.samples]
        print(f"records behind (all stages): max {max(lags)}, at the end of the uploads "
              f"{lags[min(len(lags) - 1, int(args.seconds / 5))]}")
        for process, ratio in sorted(growth(run).items(), key=lambda kv: -kv[1]):
            peak = max(rss.get(process, 0) for _, _, rss in run.samples) / 2**20
            flag = "  GROWING" if ratio > 1.10 else ""
            print(f"  {process:<60} peak {peak:7.0f} MiB, last/middle third {ratio:5.2f}{flag}")
        for path in plots(run, done, t0, args.out, f"{len(os.sched_getaffinity(0))} cores"):
            print(f"wrote {path}")
    finally:
        if own is not None:
            own.stop(client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
