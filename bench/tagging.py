"""Benchmark of the tagging stage's classifier: milliseconds per image and the
worker's resident memory. Prints figures; not a test.

    PYTHONPATH=. python bench/tagging.py            # ~30 s
    PYTHONPATH=. python bench/tagging.py --images 20

Input: scikit-image's sample photos as 320x240 JPEGs, the variant the stage
reads. Per image: decode + preprocess (Pillow, numpy) and inference
(onnxruntime, one thread, as the worker runs), timed apart. RSS is read from
/proc before the model loads, after it loads, and after the run (its peak).
"""

import argparse
import io
import statistics
import time

from PIL import Image
from skimage import data as samples

from streams.classify import Classifier, TaggingSettings
from streams.classify.model import preprocess


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process, MiB."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def variants() -> list[bytes]:
    out = []
    for photo in (samples.chelsea, samples.coffee, samples.astronaut, samples.rocket, samples.retina):
        buffer = io.BytesIO()
        Image.fromarray(photo()).convert("RGB").resize((320, 240)).save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100, help="images classified (cycling the samples)")
    args = parser.parse_args()
    settings = TaggingSettings()
    inputs = variants()
    before, _ = rss_mib()
    started = time.perf_counter()
    classifier = Classifier(settings.model_path, settings.threads)
    load_s = time.perf_counter() - started
    loaded, _ = rss_mib()
    for data in inputs:  # warm-up: first runs allocate onnxruntime's arenas
        classifier.classify(data, settings.min_confidence, settings.max_labels)
    prep_ms, total_ms = [], []
    for i in range(args.images):
        data = inputs[i % len(inputs)]
        t0 = time.perf_counter()
        preprocess(data)
        t1 = time.perf_counter()
        classifier.classify(data, settings.min_confidence, settings.max_labels)
        t2 = time.perf_counter()
        prep_ms.append((t1 - t0) * 1000)
        total_ms.append((t2 - t1) * 1000)
    after, peak = rss_mib()
    total_ms.sort()
    p90, rate = total_ms[int(len(total_ms) * 0.9) - 1], 1000 / statistics.mean(total_ms)
    print(f"model {settings.model_path.name}: loaded in {load_s * 1000:.0f} ms, threads={settings.threads}")
    print(f"images: {args.images} (320x240 JPEG variants)")
    print(f"ms per image (decode + preprocess + inference): median {statistics.median(total_ms):.1f}, "
          f"p90 {p90:.1f}, images/s {rate:.1f}")
    print(f"  of which decode + preprocess: median {statistics.median(prep_ms):.1f} ms")
    print(f"RSS MiB: before model {before:.0f}, after load {loaded:.0f}, after run {after:.0f}, "
          f"peak {peak:.0f}")


if __name__ == "__main__":
    main()
