"""Benchmark of the resize stage's ladder: Darkroom's pipeline against the plain
Pillow way, side by side in one run. Prints figures; not a test.

    PYTHONPATH=. python bench/ladder.py           # ~3 minutes
    PYTHONPATH=. python bench/ladder.py --quick   # ~20 s smoke run

Inputs are 12 MP and 24 MP photo-like JPEGs (colour blobs, texture, grain:
flat colour would decode and compress unrealistically fast), generated on the
first run and kept in the temp dir.

Pipelines, all producing the same rungs in JPEG q85 and WebP q80:
  reference  open; per rung: copy, thumbnail((s, s), LANCZOS), save JPEG,
             save WebP (Pillow defaults otherwise); one process
  darkroom   streams.imaging.render_ladder, one process, then a pool of
             os.cpu_count() workers (one image per task, as the stage runs)
Rates are wall-clock; the two single-process pipelines alternate image by
image so a busy machine slows both alike.
"""

import argparse
import io
import os
import random
import tempfile
import time
from concurrent.futures import wait

from PIL import Image, ImageChops

from streams.imaging import RUNGS, new_pool, render_ladder

SIZES = {"12MP": (4000, 3000), "24MP": (6000, 4000)}


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


def reference(data: bytes) -> int:
    """The straightforward Pillow ladder; returns bytes written."""
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


def darkroom(data: bytes) -> int:
    return sum(len(r.data) for r in render_ladder(data).renditions)


# ------------------------------------------------------------ measurement


def timed(fn, data: bytes) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, bytes out) of one ladder."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(data)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def timed_darkroom(data: bytes) -> tuple[float, float, int]:
    return timed(darkroom, data)  # runs in a pool worker


def alternate(data: bytes, budget: float, min_runs: int) -> dict:
    """Reference and darkroom in turn until each has used `budget` s of wall
    time; returns name -> (images/s wall, images per CPU-second, bytes)."""
    totals = {"reference": [0, 0.0, 0.0, 0], "darkroom": [0, 0.0, 0.0, 0]}
    fns = {"reference": reference, "darkroom": darkroom}
    while min(t[0] for t in totals.values()) < min_runs or min(t[1] for t in totals.values()) < budget:
        for name, t in totals.items():
            wall, cpu, out = timed(fns[name], data)
            t[0] += 1
            t[1] += wall
            t[2] += cpu
            t[3] = out
    return {n: (t[0] / t[1], t[0] / t[2], t[3]) for n, t in totals.items()}


def pooled(pool, workers: int, data: bytes, budget: float, min_runs: int) -> tuple[float, float]:
    """(images/s wall for the whole pool, images per worker CPU-second)."""
    wait([pool.submit(render_ladder, data) for _ in range(workers)])  # warm every worker
    done, cpu, start = 0, 0.0, time.perf_counter()
    while done < max(min_runs, workers) or time.perf_counter() - start < budget:
        for f in [pool.submit(timed_darkroom, data) for _ in range(workers)]:
            cpu += f.result()[1]
            done += 1
    return done / (time.perf_counter() - start), done / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~20 s smoke run: 12 MP only, one pass")
    args = parser.parse_args()
    names = ["12MP"] if args.quick else ["12MP", "24MP"]
    budget, min_runs = (0.0, 1) if args.quick else (20.0, 2)
    workers = os.cpu_count() or 1

    print(f"cores: {workers}   load average at start: {os.getloadavg()[0]:.1f}")
    inputs = {n: cached_photo(n) for n in names}
    header = (
        f"{'input':5} {'pipeline':19} {'procs':>5} {'img/s':>6} {'img/s/core':>10}"
        f" {'img/CPU-s':>9} {'KB out/img':>10}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    with new_pool(workers) as pool:
        for name in names:
            data = inputs[name]
            single = alternate(data, budget, min_runs)
            machine, machine_cpu = pooled(pool, workers, data, budget, min_runs)
            (ref, ref_cpu, ref_bytes), (own, own_cpu, own_bytes) = single["reference"], single["darkroom"]
            rows = [
                ("reference (Pillow)", 1, ref, ref_cpu, ref_bytes),
                ("darkroom", 1, own, own_cpu, own_bytes),
                ("darkroom pool", workers, machine, machine_cpu, own_bytes),
            ]
            for label, procs, rate, cpu_rate, size in rows:
                print(
                    f"{name:5} {label:19} {procs:5} {rate:6.3f} {rate / procs:10.3f}"
                    f" {cpu_rate:9.3f} {size / 1024:10.0f}"
                )
            results[name] = (ref, ref_cpu, own, own_cpu, machine, machine_cpu)
    print()
    print("img/s: wall clock; img/CPU-s: images per CPU-second actually used, which other")
    print("load on the machine does not change. Ratios darkroom / reference:")
    for name, (ref, ref_cpu, own, own_cpu, machine, machine_cpu) in results.items():
        print(
            f"  {name}: one core {own / ref:.2f}x wall, {own_cpu / ref_cpu:.2f}x CPU;"
            f" whole machine ({workers} workers) {machine / ref:.2f}x wall,"
            f" {workers * machine_cpu / ref_cpu:.2f}x CPU  (target >= 3x)"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
