"""Upload to processed latency through the running stack: photos posted to
the API at a steady rate, each timed until its event arrives (by default
`image.variants.ready`; `--until ready` waits for `image.ready`, every stage;
`--until searchable` goes on until GET /v1/search finds the image by a word
of its title, Elasticsearch's refresh included).

    eval "$(./darkroom env)"; .venv/bin/python bench/pipeline.py [--rates 0.5,1,2] [--seconds 180]

Needs the stack of `./darkroom up` (API and workers). Prints p50/p99 per rate
and whether the rate was held: the stage kept up when, after uploads stop,
the backlog drains within a few seconds instead of growing with the run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from PIL import Image, ImageDraw

from connectors import kafka
from connectors.settings import KafkaSettings
from schemas import topics

SENDERS = 16  # uploads in flight at most; more than the API's workers, so the API sets the pace
BASES = 24  # distinct base photos per run
UNTIL = {"variants": topics.IMAGE_VARIANTS_READY, "ready": topics.IMAGE_READY,
         "searchable": topics.IMAGE_READY}  # then polled through the search API


def photo(seed: int, width: int, height: int) -> bytes:
    """A distinct photo-like JPEG per seed (dedup would answer a repeat at once)."""
    image = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(24):
        x, y = (seed * 7919 + i * 104729) % width, (seed * 31 + i * 1297) % height
        draw.rectangle((x, y, x + width // 8, y + height // 8), fill=((seed + 37 * i) % 256, 120, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


class Arrivals:
    """Reads the finishing topic from now on and notes when each image shows up."""

    def __init__(self, topic: str) -> None:
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._consumer = kafka.consumer(KafkaSettings(), group=f"bench-{uuid.uuid4().hex[:8]}",
                                        **{"auto.offset.reset": "latest"})
        self._consumer.subscribe([topic])
        while not self._consumer.assignment():  # joined: later events are ours
            self._consumer.poll(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._consumer.poll(0.2)
            if message is not None and not message.error() and message.key():
                self.seen.setdefault(message.key().decode(), time.monotonic())

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


class Searchable:
    """Notes when the search API first finds each image that is ready: polls
    the few that are ready but not yet found (by the unique word of their title)."""

    def __init__(self, ready: Arrivals, http: httpx.Client) -> None:
        self.seen: dict[str, float] = {}
        self.words: dict[str, str] = {}  # image id -> its title's unique word
        self._ready, self._http, self._stop = ready, http, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            ready = list(self._ready.seen)  # a copy: the consumer thread adds to it
            for image_id in [i for i in ready if i in self.words and i not in self.seen]:
                found = self._http.get("/v1/search", params={"q": self.words[image_id], "limit": 5})
                if found.is_success and any(item["id"] == image_id for item in found.json()["items"]):
                    self.seen[image_id] = time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def run_rate(http: httpx.Client, arrivals: Arrivals | Searchable, rate: float, seconds: float,
             photos: list[bytes], drain_s: float) -> None:
    """Posts at `rate` from a pool of senders, so a slow answer does not hold
    back the next upload (one sender posting in turn could not keep 10/s).
    Each upload is a base photo with its own trailing bytes: distinct to
    dedup, the same pixels to render."""
    posted: dict[str, float] = {}
    refused: list[str] = []
    lock = threading.Lock()

    def send(n: int, due: float) -> None:
        word = f"bench{uuid.uuid4().hex[:12]}"
        data = photos[n % len(photos)] + word.encode()
        response = http.post("/v1/images", files={"file": (f"bench-{n}.jpg", data)},
                             data={"title": f"Pipeline {word}"})
        with lock:
            if not response.is_success:
                refused.append(f"{response.status_code} {response.text[:120]}")
                return
            image_id = response.json()["id"]
            if isinstance(arrivals, Searchable):
                arrivals.words[image_id] = word
            posted[image_id] = due  # from when it was due: a late sender counts against the stack

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        n = 0
        while (due := start + n / rate) < start + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(send, n, due)
            n += 1
    ended = time.monotonic()
    while time.monotonic() < ended + drain_s and not posted.keys() <= arrivals.seen.keys():
        time.sleep(0.2)
    done = [arrivals.seen[i] - t for i, t in posted.items() if i in arrivals.seen]
    missing = len(posted) - len(done)
    last = max((arrivals.seen[i] for i in posted if i in arrivals.seen), default=ended)
    held = not refused and missing == 0 and last - ended < max(5.0, 3 / rate)
    p50 = statistics.median(done) if done else float("nan")
    p99 = statistics.quantiles(done, n=100)[98] if len(done) >= 2 else float("nan")
    print(f"  {rate:5.2f}/s  {len(posted):5d} posted  p50 {p50:6.2f} s  p99 {p99:6.2f} s  "
          f"backlog drained {last - ended:5.1f} s after the last upload  "
          f"{'held' if held else 'NOT held'}{f' ({missing} unfinished)' if missing else ''}", flush=True)
    if refused:
        print(f"         {len(refused)} refused, first: {refused[0]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0.5,1,2", help="uploads per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=180, help="per rate")
    parser.add_argument("--size", default="3000x2000", help="photo size, WxH (6 MP by default)")
    parser.add_argument("--until", choices=sorted(UNTIL), default="variants")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for stragglers")
    parser.add_argument("--api", default="http://localhost:18000", help="the API of `./darkroom up`")
    args = parser.parse_args()
    api = args.api
    key = os.environ["DARKROOM_API_DEV_API_KEY"]
    size = tuple(int(v) for v in args.size.split("x"))
    photos = [photo(os.getpid() * 100 + i, *size) for i in range(BASES)]
    sample = sum(map(len, photos)) // len(photos) // 1024
    print(f"upload -> {args.until} ({UNTIL[args.until].name}): {size[0]}x{size[1]} JPEGs (~{sample} KB), "
          f"{args.seconds:.0f} s per rate, API {api}")
    arrivals = Arrivals(UNTIL[args.until].name)
    headers = {"Authorization": f"Bearer {key}"}
    with (httpx.Client(base_url=api, headers=headers, timeout=60,
                       limits=httpx.Limits(max_connections=SENDERS)) as http,
          httpx.Client(base_url=api, headers=headers, timeout=60) as searching):
        finish = Searchable(arrivals, searching) if args.until == "searchable" else arrivals
        try:
            for rate in (float(r) for r in args.rates.split(",")):
                run_rate(http, finish, rate, args.seconds, photos, args.drain)
        finally:
            if finish is not arrivals:
                finish.close()
            arrivals.close()


if __name__ == "__main__":
    main()
