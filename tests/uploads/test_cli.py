"""`darkroom upload` over a folder of 200 photos with duplicates and bad
files, killed half way and run again with the same arguments: every good
photo exactly once, nothing done sent twice, every bad file reported with
its reason."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from connectors import tus
from connectors.settings import TusSettings
from tests.ingest_api import samples
from tests.uploads import photos
from tests.uploads.conftest import sha256, wait_for

pytestmark = pytest.mark.integration
MB = 1024 * 1024


def _cli(api, user, folder: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.upload", str(folder), "--api", api.url, "--key", user.key,
         "--concurrency", "3", "--tags", "batch", "--quiet", *extra],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _journal(cwd: Path) -> Path:
    found = list((cwd / ".darkroom-upload").glob("*[0-9a-f].jsonl"))
    assert len(found) <= 1
    return found[0] if found else cwd / "not yet"


def _lines(cwd: Path) -> list[dict]:
    """The journal's lines so far (one being written is left out)."""
    journal, found = _journal(cwd), []
    for line in journal.read_text().splitlines() if journal.exists() else []:
        with contextlib.suppress(ValueError):
            found.append(json.loads(line))
    return found


def _report(cwd: Path) -> dict[str, dict]:
    [found] = (cwd / ".darkroom-upload").glob("*.report.jsonl")
    return {line["path"]: line for line in map(json.loads, found.read_text().splitlines())}


def test_a_killed_batch_upload_resumes_and_uploads_every_good_photo_once(hook_api, user, tmp_path):
    folder, cwd = tmp_path / "photos", tmp_path / "run"
    cwd.mkdir()
    made = photos.folder_of_photos(folder, good=180, copies=10)
    # Some are in Darkroom already: the bulk check finds them and nothing is sent.
    for path in made["good"][:5]:
        sent = httpx.post(f"{hook_api.url}/v1/images", headers=user.headers, timeout=30,
                          files={"file": (path.name, path.read_bytes(), "image/jpeg")})
        assert sent.status_code == 202, sent.text

    first = _cli(hook_api, user, folder, cwd)
    wait_for(lambda: len([line for line in _lines(cwd) if line.get("status")]) >= 60, timeout_s=240,
             every_s=0.05)
    first.kill()  # a crash half way: no clean-up runs
    first.wait(timeout=30)
    finished_before = {line["path"] for line in _lines(cwd)
                       if line.get("status") in ("uploaded", "duplicate", "refused", "skipped")}
    assert 60 <= len(finished_before) < 200

    second = _cli(hook_api, user, folder, cwd)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 1, err  # some files were refused: said so by the exit status
    report = _report(cwd)
    assert len(report) == 200
    # Nothing that was done before the kill was sent again.
    assert all(report[path]["sent"] == 0 for path in finished_before)

    good = {str(p): sha256(p.read_bytes()) for p in made["good"] + made["copy"]}
    ids = {report[path]["id"] for path in good}
    assert all(report[path]["status"] in ("uploaded", "duplicate") for path in good)
    records, _ = hook_api.state.images.list_by_owner(user.name, None, 500)
    assert len(records) == 180 == len(ids)  # every distinct photo exactly once
    assert {r.sha256 for r in records} == set(good.values())
    # 180 distinct photos, 5 of them in Darkroom before: 175 sent, the other 15 files duplicates (which
    # of two copies is sent first depends on the walk's order). A file whose upload finished just
    # before the kill, before its journal line, is found by the second run's check and reported a
    # duplicate: at most one per upload in flight (--concurrency 3).
    statuses = Counter(report[path]["status"] for path in good)
    assert statuses["uploaded"] + statuses["duplicate"] == 190
    assert 175 - 3 <= statuses["uploaded"] <= 175, statuses
    expected = {"corrupt": ("refused", "corrupt_image"), "huge": ("refused", "too_many_pixels"),
                "empty": ("skipped", "empty file"), "text": ("skipped", "not an image")}
    for kind, (status, reason) in expected.items():
        for path in made[kind]:
            line = report[str(path)]
            assert line["status"] == status and reason in line["reason"], line
    assert "uploaded" in out and "refused" in out  # the summary


def _interrupted(tusd: str) -> float:
    return sum(v for k, v in tus.counters(TusSettings(url=tusd)).items() if "ERR_UPLOAD_INTERRUPTED" in k)


def test_an_upload_another_request_interrupts_carries_on_from_the_servers_offset(tusd, hook_api, user,
                                                                                 tmp_path):
    # A HEAD (a second client looking, or resuming) takes the upload's lock, and tusd ends the
    # PATCH in flight with a 400: the uploader must carry on, not report the file refused.
    data = photos.big_jpeg(24 * MB, seed=21)
    folder = tmp_path / "one"
    photos.write(folder / "big.jpg", data)
    before = _interrupted(tusd)
    run = _cli(hook_api, user, folder, tmp_path, "--chunk-mb", "4")
    url = wait_for(lambda: next((x["url"] for x in _lines(tmp_path) if x.get("url")), None), every_s=0.02)
    while run.poll() is None and _interrupted(tusd) == before:
        httpx.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=10)
        time.sleep(0.02)
    out, err = run.communicate(timeout=300)
    assert _interrupted(tusd) > before, "no PATCH was interrupted: the test proved nothing"
    assert run.returncode == 0, err
    [line] = _report(tmp_path).values()
    assert line["status"] == "uploaded", line
    records, _ = hook_api.state.images.list_by_owner(user.name, None, 10)
    assert [r.sha256 for r in records] == [sha256(data)]


def _few(folder: Path, seed: int) -> Path:
    for i in range(3):
        photos.write(folder / f"p{i}.jpg", samples.noisy_jpeg((96, 72), seed + i))
    return folder


def _run(api, user, folder: Path, tmp_path: Path, door: str, *extra: str) -> tuple[str, list[dict]]:
    report = tmp_path / f"{folder.name}-{door}.jsonl"
    run = subprocess.run([sys.executable, "-m", "devstack.upload", str(folder), "--api", api.url,
                          "--key", user.key, "--via", door, "--quiet", "--report", str(report), *extra],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout, [json.loads(x) for x in report.read_text().splitlines()]


def test_the_cli_takes_the_other_doors_and_waits_until_ready(hook_api, user, tmp_path):
    images = hook_api.state.images
    stop = threading.Event()

    def indexing_stage() -> None:
        # No workers run in this session: make each new image ready as the indexing stage would.
        while not stop.wait(0.3):
            for record in images.list_by_owner(user.name, None, 50)[0]:
                if record.status == "processing":
                    images.mark_ready(record.id)

    stand_in = threading.Thread(target=indexing_stage, daemon=True)
    stand_in.start()
    try:
        out, lines = _run(hook_api, user, _few(tmp_path / "direct", 700), tmp_path, "direct", "--wait",
                          "--wait-timeout", "120")
    finally:
        stop.set()
        stand_in.join()
    assert {line["status"] for line in lines} == {"uploaded"}, lines
    assert "ready: 3 ready" in out, out
    _, lines = _run(hook_api, user, _few(tmp_path / "post", 800), tmp_path, "post")
    assert {line["status"] for line in lines} == {"uploaded"}, lines
    _, again = _run(hook_api, user, tmp_path / "direct", tmp_path, "post")
    assert {line["status"] for line in again} == {"duplicate"}, again  # the bulk check found them all
    records, _ = images.list_by_owner(user.name, None, 10)
    assert len(records) == 6
