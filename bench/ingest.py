"""Batch ingest through the three doors, side by side, with `darkroom upload`
against the running stack; then what a kill at 50 % costs a resumable run.

    .venv/bin/python bench/ingest.py [--photos 1000] [--doors post,tus,direct] [--concurrency 8]
                                     [--resume-photos 200] [--skip-drain] [--own-stack]

Runs against the stack of `./darkroom up`, or with `--own-stack` a throwaway
one (engines, tusd, the API and one worker per stage, as `up` runs them),
removed at the end. The API container is started again for the run with the
per-key rate limits lifted (a batch uploader's key sends far more than 600
requests a minute) and, on the local stack, put back as it was at the end.

Photos: `--photos` files of sizes uniform in 0.2-8 MB (seed 7), each a
noisy 1024x768 JPEG padded after its end marker with random bytes up to its
size, so every byte travels and is hashed while the stages decode a
1024x768 image; made once and kept under $DARKROOM_CACHE/bench. Each door
uploads the same set as a fresh user (no deduplication between doors).

Per door: photos/s accepted and MB/s from the tool's start (walk, hash,
bulk check included) to its last answer; CPU per photo of the API, tusd,
MinIO and Cassandra containers (their cgroup counters) and of the client.
Then the stages' backlog is followed until it drains. Resume: a folder run
through tus killed when half its bytes are in, run again: the bytes sent
twice; and one 48 MB file killed at half: the bytes the server had and the
second run sent again.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import docker
import httpx
from devstack import bootstrap, docker_engine, engines, ops
from devstack.stack import Stack
from PIL import Image

from connectors import tus
from connectors.settings import TusSettings

MB = 1_000_000
CACHE = Path(os.environ.get("DARKROOM_CACHE", "/var/cache/darkroom")) / "bench"
LIFTED = {"DARKROOM_API_UPLOADS_PER_MINUTE": "1000000", "DARKROOM_API_READS_PER_MINUTE": "1000000"}
MEASURED = ("api", "tus", "minio", "cassandra", "kafka")
PASSWORD = "benchmark-password-1"


def photo(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.effect_noise((1024, 768), 20 + seed % 60).convert("RGB")
    image.putpixel((0, 0), (seed % 256, seed // 256 % 256, 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    head = out.getvalue()
    return head + rng.randbytes(max(0, size - len(head)))


def photo_set(count: int, seed: int = 7) -> Path:
    folder = CACHE / f"ingest-{count}-{seed}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(seed)
        for i in range(count):
            path = folder / f"{i // 100:02d}" / f"photo_{i:05d}.jpg"
            path.parent.mkdir(exist_ok=True)
            if not path.exists():
                path.write_bytes(photo(rng.randint(int(0.2 * MB), 8 * MB), seed * 100_000 + i))
        done.write_text("ok")
    return folder


def new_key(api: str) -> tuple[str, str]:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=api, timeout=60) as http:
        http.post("/v1/auth/signup", json={"username": name, "password": PASSWORD}).raise_for_status()
        login = http.post("/v1/auth/login", json={"username": name, "password": PASSWORD})
        token = login.json()["access_token"]
        made = http.post("/v1/keys", headers={"Authorization": f"Bearer {token}"},
                         json={"name": "bench", "scopes": ["upload", "read"]})
        made.raise_for_status()
        return name, made.json()["key"]


def cpu_ns(client: docker.DockerClient, prefix: str) -> dict[str, int]:
    found = {}
    for name in MEASURED:
        stats = client.containers.get(f"{prefix}-{name}").stats(stream=False)
        found[name] = int(stats["cpu_stats"]["cpu_usage"]["total_usage"])
    return found


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def upload(api: str, key: str, folder: Path, door: str, concurrency: int, workdir: Path,
           extra: tuple[str, ...] = ()) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.upload", str(folder), "--api", api, "--key", key, "--via", door,
         "--concurrency", str(concurrency), "--quiet", "--journal", str(workdir / "journal.jsonl"),
         "--report", str(workdir / "report.jsonl"), *extra],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def report(workdir: Path) -> list[dict]:
    return [json.loads(line) for line in (workdir / "report.jsonl").read_text().splitlines()]


def one_door(client, prefix: str, api: str, folder: Path, door: str, concurrency: int) -> dict:
    _, key = new_key(api)
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{door}-") as tmp:
        before, client_before, started = cpu_ns(client, prefix), children_cpu_s(), time.monotonic()
        run = upload(api, key, folder, door, concurrency, Path(tmp))
        _, err = run.communicate()
        wall = time.monotonic() - started
        after, client_after = cpu_ns(client, prefix), children_cpu_s()
        lines = report(Path(tmp))
    accepted = [line for line in lines if line["status"] == "uploaded"]
    size = sum(line["sent"] for line in accepted)
    if run.returncode != 0:
        print(f"  {door}: exit {run.returncode}: {err[-500:]}", file=sys.stderr)
    per_photo = {name: (after[name] - before[name]) / 1e6 / max(1, len(accepted)) for name in MEASURED}
    return {"door": door, "accepted": len(accepted), "other": len(lines) - len(accepted), "wall_s": wall,
            "photos_s": len(accepted) / wall, "mb_s": size / MB / wall,
            "cpu_ms_per_photo": {**per_photo,
                                 "client": (client_after - client_before) * 1000 / max(1, len(accepted))}}


def drain(env: dict[str, str], timeout_s: float) -> float | None:
    """Seconds until every stage's lag is 0 (None: still lagging at the timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        lags = {s.stage: s.lag for s in ops.lag(env, interval_s=1)}
        print(f"  backlog {sum(lags.values())} {lags}", flush=True)
        if not any(lags.values()):
            return time.monotonic() - started
        time.sleep(10)
    return None


def resume_folder(api: str, count: int, concurrency: int) -> dict:
    """A tus run killed when half the bytes are in, run again: bytes sent twice."""
    folder = photo_set(count, seed=11)
    total = sum(p.stat().st_size for p in folder.rglob("*.jpg"))
    _, key = new_key(api)
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        work = Path(tmp)
        first = upload(api, key, folder, "tus", concurrency, work)
        sizes = {str(p): p.stat().st_size for p in folder.rglob("*.jpg")}
        while first.poll() is None:
            journal = work / "journal.jsonl"
            done = {json.loads(x)["path"] for x in journal.read_text().splitlines()
                    if '"status"' in x} if journal.exists() else set()
            if sum(sizes[p] for p in done if p in sizes) >= total / 2:
                first.kill()
                break
            time.sleep(0.05)
        first.wait()
        journal_lines = [json.loads(x) for x in (work / "journal.jsonl").read_text().splitlines()]
        second = upload(api, key, folder, "tus", concurrency, work)
        second.wait()
        lines = report(work)
    finished_first = {x["path"] for x in journal_lines if x.get("status")}
    started_first = {x["path"] for x in journal_lines if x.get("url")} - finished_first
    sent_second = sum(x["sent"] for x in lines)
    unfinished = sum(sizes[p] for p in sizes if p not in finished_first)
    return {"photos": count, "total_mb": total / MB, "done_at_kill": len(finished_first),
            "in_flight_at_kill": len(started_first), "second_run_sent_mb": sent_second / MB,
            "left_at_kill_mb": unfinished / MB,
            "resent_mb": max(0, sent_second - unfinished) / MB,
            "all_in": all(x["status"] in ("uploaded", "duplicate") for x in lines)}


def resume_file(api: str) -> dict:
    """One 48 MB file through tus, killed when the server has half: what the second run sends."""
    data = photo(48 * MB, seed=99)
    _, key = new_key(api)
    # tusd's own count of the bytes in, which (unlike a HEAD) does not interrupt the PATCH in flight
    tusd = TusSettings(url=httpx.get(f"{api}/v1/uploads/tus").json()["endpoint"].removesuffix(tus.BASE_PATH))

    def received() -> float:
        return tus.counters(tusd)["tusd_bytes_received"]

    with tempfile.TemporaryDirectory(prefix="bench-resume-one-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        (work / "in" / "big.jpg").write_bytes(data)
        before = received()
        first = upload(api, key, work / "in", "tus", 1, work, ("--chunk-mb", "4"))
        while first.poll() is None and received() - before < len(data) // 2:
            time.sleep(0.05)
        first.kill()
        first.wait()
        lines = [json.loads(x) for x in (work / "journal.jsonl").read_text().splitlines()]
        url = next(x["url"] for x in lines if x.get("url"))
        held = int(httpx.head(url, headers={"Tus-Resumable": "1.0.0"}).headers["Upload-Offset"])
        second = upload(api, key, work / "in", "tus", 1, work, ("--chunk-mb", "4"))
        second.wait()
        [line] = report(work)
    return {"file_mb": len(data) / MB, "server_had_mb": held / MB, "second_run_sent_mb": line["sent"] / MB,
            "resent_mb": max(0, line["sent"] - (len(data) - held)) / MB, "status": line["status"],
            "reason": line.get("reason")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--doors", default="post,tus,direct")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--resume-photos", type=int, default=200)
    parser.add_argument("--skip-drain", action="store_true")
    parser.add_argument("--drain-timeout", type=float, default=3600)
    parser.add_argument("--own-stack", action="store_true")
    args = parser.parse_args()

    client = docker_engine.client()
    stack = Stack.throwaway() if args.own_stack else Stack.local()
    try:
        if args.own_stack:
            addresses = stack.start(client)
            env = stack.env(addresses)
            bootstrap.run(env)
            print("starting the API (rate limits lifted) and the workers", flush=True)
            api = stack.start_services(client, addresses, extra_env=LIFTED)["api"]
        else:
            addresses = stack.saved_addresses()
            env = stack.env(addresses)
            print("restarting the API with the rate limits lifted", flush=True)
            api = stack.start_services(client, addresses, (engines.API,), extra_env=LIFTED)["api"]
        os.environ.update(env)
        engines.wait_ready(api)
        measure(args, client, stack, api, env)
    finally:
        if args.own_stack:
            stack.stop(client)
        else:
            print("putting the API back", flush=True)
            stack.start_services(client, addresses, (engines.API,))
    return 0


def measure(args: argparse.Namespace, client: docker.DockerClient, stack: Stack, api: str,
            env: dict[str, str]) -> None:
    folder = photo_set(args.photos)
    total = sum(p.stat().st_size for p in folder.rglob("*.jpg"))
    print(f"{args.photos} photos, {total / MB:.0f} MB (mean {total / MB / args.photos:.2f} MB)", flush=True)
    results = []
    for door in filter(None, args.doors.split(",")):  # --doors '' measures only the resumes
        result = one_door(client, stack.prefix, api, folder, door, args.concurrency)
        results.append(result)
        print(json.dumps(result), flush=True)
        if not args.skip_drain:
            drained = drain(env, args.drain_timeout)
            result["drain_s"] = drained
            print(f"  {door}: backlog drained in {drained if drained is None else round(drained)} s",
                  flush=True)
    if results:
        table(results)
    if args.resume_photos:
        print(json.dumps({"resume_folder": resume_folder(api, args.resume_photos, args.concurrency)}),
              flush=True)
    print(json.dumps({"resume_file": resume_file(api)}), flush=True)


def table(results: list[dict]) -> None:
    """Side by side, with each door's photos/s and API CPU against the first door's (post)."""
    print(f"\n{'door':<8}{'photos/s':>10}{'x':>6}{'MB/s':>8}{'API ms':>9}{'x':>6}{'tusd ms':>9}"
          f"{'MinIO ms':>10}{'Cass. ms':>10}{'Kafka ms':>10}{'client ms':>11}   (CPU per accepted photo)")
    base = results[0] if results else None
    for r in results:
        c = r["cpu_ms_per_photo"]
        assert base is not None
        speed = r["photos_s"] / base["photos_s"] if base["photos_s"] else 0
        api_cpu = c["api"] / base["cpu_ms_per_photo"]["api"] if base["cpu_ms_per_photo"]["api"] else 0
        print(f"{r['door']:<8}{r['photos_s']:>10.1f}{speed:>6.2f}{r['mb_s']:>8.1f}{c['api']:>9.1f}"
              f"{api_cpu:>6.2f}{c['tus']:>9.1f}{c['minio']:>10.1f}{c['cassandra']:>10.1f}{c['kafka']:>10.1f}"
              f"{c['client']:>11.1f}")


if __name__ == "__main__":
    sys.exit(main())
