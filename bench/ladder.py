"""Benchmark of the resize stage's ladder: the seeds' way, the Pillow ladder
Darkroom had before libvips, and the libvips core (full ladder, and the small
rungs an upload will render eagerly), side by side in one run. Prints
figures; not a test.

    PYTHONPATH=. python bench/ladder.py               # ~4 minutes
    PYTHONPATH=. python bench/ladder.py --quick       # ~30 s smoke run
    PYTHONPATH=. python bench/ladder.py --seconds 20  # steadier figures

Inputs are 12 MP and 24 MP photo-like JPEGs (colour blobs, texture, grain:
flat colour would decode and compress unrealistically fast), generated on the
first run and kept in the temp dir.

Pipelines (JPEG q85 and WebP q80 per rung):
  reference  the seeds' way: open; per rung 2048...150: copy, thumbnail((s, s),
             LANCZOS), save JPEG, save WebP (Pillow defaults otherwise)
  pillow     BASELINE ONLY: Darkroom's Pillow ladder before libvips, condensed
             below to what a plain RGB JPEG goes through (draft, BICUBIC to the
             top rung, LANCZOS cascade, WebP method 1, placeholders)
  libvips    streams.imaging.render_ladder: rungs 2048...150, placeholders
  eager      the same, rungs 640, 320, 150 only: what an upload renders at once
             (the larger rungs will be rendered on first request)

"1 core" runs the four in one process, image by image in turn, so a busy
machine slows all alike; "machine" runs each in a pool of one process per
core (os.cpu_count()), one image per task, as the resize stage does. CPU is
the CPU time of the process that rendered the image (libvips runs one
thread: streams/imaging/vips.py).
"""

import argparse
import io
import os
import random
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import wait

from PIL import Image, ImageChops

from streams.imaging import RUNGS, LadderOptions, new_pool, plan_sizes, render_ladder
from streams.imaging import placeholder as placeholders

SIZES = {"12MP": (4000, 3000), "24MP": (6000, 4000)}
EAGER = LadderOptions(rungs=(150, 320, 640))


# ----------------------------------------------------------------- inputs


def photo(width: int, height: int, seed: int) -> bytes:
    """Photo-like JPEG: smooth colour fields, mid-scale texture, fine grain."""
    rnd = random.Random(seed)

    def noise(w, h):
        return Image.frombytes("L", (w, h), rnd.randbytes(w * h))

    fields = Image.merge("RGB", [noise(12, 9).resize((width, height), Image.BICUBIC) for _ in range(3)])
    texture = noise(width // 6, height // 6).resize((width, height), Image.BICUBIC)
    grain = noise(width, height).point(lambda v: 118 + v // 12)
    detail = ImageChops.overlay(texture.point(lambda v: 64 + v // 2), grain)
    img = ImageChops.overlay(fields, Image.merge("RGB", (detail,) * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def cached_photo(name: str) -> bytes:
    width, height = SIZES[name]
    path = os.path.join(tempfile.gettempdir(), f"darkroom-bench-{width}x{height}-v1.jpg")
    if not os.path.exists(path):
        data = photo(width, height, seed=width)
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
    with open(path, "rb") as f:
        return f.read()


# -------------------------------------------------------------- pipelines
# Each returns the bytes it wrote.


def reference(data: bytes) -> int:
    """The seeds' way."""
    out = 0
    im = Image.open(io.BytesIO(data))
    for size in RUNGS:
        if size > max(im.size):
            continue
        small = im.copy()
        small.thumbnail((size, size), Image.LANCZOS)
        for fmt, kw in (("JPEG", {"quality": 85}), ("WEBP", {"quality": 80})):
            buf = io.BytesIO()
            small.save(buf, fmt, **kw)
            out += buf.tell()
    return out


def pillow(data: bytes) -> int:
    """BASELINE ONLY, not Darkroom's code any more: the Pillow ladder of
    streams/imaging before libvips (commit 23d4003), condensed to the path of
    a plain RGB JPEG without orientation or profile, same settings."""
    im = Image.open(io.BytesIO(data), formats=["JPEG"])
    sizes = plan_sizes(*im.size)
    im.draft(None, sizes[0])  # DCT scaling to >= the top rung
    im.load()
    im.getexif()  # orientation was read from it
    work = im.resize(sizes[0], Image.Resampling.BICUBIC, reducing_gap=3.0) if im.size != sizes[0] else im
    work.info = {}  # strip_metadata
    rungs = [work]
    for size in sizes[1:]:
        rungs.append(rungs[-1].resize(size, Image.Resampling.LANCZOS))
    out = 0
    for rung in reversed(rungs):
        for fmt, kw in (("JPEG", {"quality": 85, "subsampling": "4:2:0", "optimize": False}),
                        ("WEBP", {"quality": 80, "method": 1})):
            buf = io.BytesIO()
            rung.save(buf, fmt, **kw)
            out += buf.tell()
    placeholders.thumbhash_base64(rungs[-1])
    placeholders.dominant_color(rungs[-1])
    return out


def libvips(data: bytes) -> int:
    return sum(len(r.data) for r in render_ladder(data).renditions)


def eager(data: bytes) -> int:
    return sum(len(r.data) for r in render_ladder(data, EAGER).renditions)


PIPELINES: dict[str, Callable[[bytes], int]] = {
    "reference": reference, "pillow": pillow, "libvips": libvips, "eager": eager}
LABELS = {
    "reference": "reference (seeds' way)",
    "pillow": "Pillow ladder (baseline)",
    "libvips": "libvips full ladder",
    "eager": "libvips eager <=640",
}


# ------------------------------------------------------------ measurement


def timed(name: str, data: bytes) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, bytes out) of one image."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = PIPELINES[name](data)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def one_core(data: bytes, budget: float, min_runs: int) -> dict[str, tuple[float, int]]:
    """name -> (CPU s per image, bytes out). The pipelines take turns, image
    by image, each until it has used `budget` s and made `min_runs` images."""
    runs = {name: [0, 0.0, 0] for name in PIPELINES}
    while unmet := [n for n, (count, cpu, _) in runs.items() if count < min_runs or cpu < budget]:
        for name in unmet:
            _, cpu, out = timed(name, data)
            runs[name][0] += 1
            runs[name][1] += cpu
            runs[name][2] = out
    return {name: (cpu / count, out) for name, (count, cpu, out) in runs.items()}


def machine(pool, workers: int, name: str, data: bytes, budget: float,
            min_runs: int) -> tuple[float, float]:
    """(images/s of the whole pool, CPU s per image in its workers)."""
    wait([pool.submit(timed, name, data) for _ in range(workers)])  # warm every worker
    done, cpu, start = 0, 0.0, time.perf_counter()
    while done < max(min_runs, workers) or time.perf_counter() - start < budget:
        for future in [pool.submit(timed, name, data) for _ in range(workers)]:
            cpu += future.result()[1]
            done += 1
    return done / (time.perf_counter() - start), cpu / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~30 s smoke run: 12 MP only, one image each")
    parser.add_argument("--seconds", type=float, default=8.0, help="CPU budget per pipeline and input")
    args = parser.parse_args()
    names = ["12MP"] if args.quick else ["12MP", "24MP"]
    budget, min_runs = (0.0, 1) if args.quick else (args.seconds, 3)
    workers = os.cpu_count() or 1

    print(f"cores: {workers}   load average at start: {os.getloadavg()[0]:.1f}")
    inputs = {n: cached_photo(n) for n in names}
    header = (f"{'input':5} {'pipeline':25} {'CPU ms/img':>10} {'less CPU':>8} │ {'pool CPU ms/img':>15}"
              f" {'img/s':>6} {'faster':>6} │ {'KB out':>6}")
    print()
    print(f"{'':32}{'── one core ──':^20} │ {'── whole machine (' + str(workers) + ' procs) ──':^30} │")
    print(header)
    print("─" * len(header))
    results = {}
    with new_pool(workers) as pool:
        for size in names:
            data = inputs[size]
            single = one_core(data, budget, min_runs)
            pooled = {name: machine(pool, workers, name, data, budget, min_runs) for name in PIPELINES}
            ref_cpu, ref_rate = single["reference"][0], pooled["reference"][0]
            for name in PIPELINES:
                (cpu, out), (rate, pool_cpu) = single[name], pooled[name]
                print(f"{size:5} {LABELS[name]:25} {cpu * 1000:10.0f} {ref_cpu / cpu:7.1f}x │"
                      f" {pool_cpu * 1000:15.0f} {rate:6.2f} {rate / ref_rate:5.1f}x │ {out / 1024:6.0f}")
            results[size] = (single, pooled)
            print()
    print("CPU ms/img: CPU time per image of the process that rendered it, which other load on the")
    print("machine does not change; 'less CPU' and 'faster' are against the reference. img/s is wall clock.")
    print()
    for size, (single, pooled) in results.items():
        cpu = {name: single[name][0] for name in PIPELINES}
        rate = {name: pooled[name][0] for name in PIPELINES}
        print(f"{size}: ingest (eager) {cpu['reference'] / cpu['eager']:.1f}x less CPU per core than the"
              f" reference (target >= 5x, aim 10x), {rate['eager'] / rate['reference']:.1f}x the images/s"
              f" on the machine")
        print(f"      full ladder libvips {cpu['pillow'] / cpu['libvips']:.2f}x less CPU than the Pillow"
              f" ladder, {rate['libvips'] / rate['pillow']:.2f}x the images/s on the machine;"
              f" {cpu['reference'] / cpu['libvips']:.1f}x less CPU than the reference")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
