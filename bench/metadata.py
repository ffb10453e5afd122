"""Benchmark of the metadata stage's extraction (streams.extract): images per
second on one core. Prints figures; not a test.

    PYTHONPATH=. python bench/metadata.py [--seconds 10]

Inputs: 12 MP photo-like JPEGs (4000x3000, q92, about 5 MB) carrying full
EXIF with GPS, an IPTC block and an ICC profile, made as the tests make them
(tests/streams/photos.py). Only headers are parsed, so the cost is per file,
not per pixel: the figure should barely change with the size.
"""

import argparse
import io
import time

from PIL import Image, ImageChops

from streams.extract import extract
from tests.streams.photos import app13, full_exif, full_iptc, srgb, with_segments


def photo(seed: int) -> bytes:
    grain = Image.effect_noise((4000, 3000), 30 + seed).convert("RGB")
    fields = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    out = io.BytesIO()
    ImageChops.overlay(fields, grain).save(out, "JPEG", quality=92, exif=full_exif(), icc_profile=srgb())
    return with_segments(out.getvalue(), app13(full_iptc()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    inputs = [photo(seed) for seed in range(4)]
    metadata, skipped = extract(inputs[0], keep_gps=True)
    assert metadata.camera_make and metadata.gps and metadata.keywords and not skipped
    print(f"inputs: {len(inputs)} x 12 MP JPEG, {sum(map(len, inputs)) / len(inputs) / 1e6:.1f} MB each, "
          "full EXIF + GPS, IPTC, ICC")
    done, start = 0, time.perf_counter()
    cpu_start = time.process_time()
    while time.perf_counter() - start < args.seconds:
        extract(inputs[done % len(inputs)], keep_gps=True)
        done += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"extract: {done} images in {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  {done / wall:.0f} images/s wall on one core; {done / cpu:.0f} images/s per CPU-second")
    print(f"  {wall / done * 1e3:.2f} ms per image")


if __name__ == "__main__":
    main()
