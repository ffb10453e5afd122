"""`darkroom upload PATH...` (also the console script `darkroom-upload`):
a folder of photos into Darkroom, with progress, resumably.

    walk the paths -> sniff each file (non-images skipped) -> hash
    -> ask the API which hashes it has (POST /v1/images/check, 1,000 at a
       time): those are duplicates, never sent
    -> send the rest N at a time (tus by default: resumable; --via direct
       or post for the other doors), refusals reported, transient errors
       retried with backoff
    -> a summary, and a report (JSON lines: path, id, status, reason)
    -> with --wait, follow the images until they are ready

Killed and run again with the same arguments, it carries on from its
journal (devstack/upload_files.py): nothing done is sent again, a half-sent
file resumes from the server's offset. It talks to the local stack by
default, to any Darkroom API with --api URL --key KEY (or DARKROOM_API_URL
and DARKROOM_API_KEY).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from devstack.upload_doors import DOORS, Api, Door, Fields, Refused, Transient, open_door
from devstack.upload_files import (
    DONE,
    DUPLICATE,
    FAILED,
    REFUSED,
    SKIPPED,
    UPLOADED,
    Item,
    Journal,
    examine,
    journal_path,
    recall,
    sha256_of,
    walk,
)

CHECK_BATCH = 1000  # the API's DARKROOM_API_CHECK_MAX_HASHES default
FIRST_DELAY_S, MAX_DELAY_S = 1.0, 60.0
OUTCOMES = (UPLOADED, DUPLICATE, REFUSED, FAILED, SKIPPED)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="darkroom upload", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (walked) to upload")
    p.add_argument("--album", help="upload into this album (its id)")
    p.add_argument("--tags", help="comma-separated tags for every photo")
    p.add_argument("--visibility", choices=("public", "unlisted", "private"))
    p.add_argument("--concurrency", type=int, default=4, help="files sent at once (default 4)")
    p.add_argument("--report", type=Path, help="where to write the JSON-lines report "
                                               "(default: beside the journal)")
    p.add_argument("--wait", action="store_true", help="follow the uploaded images until they are ready")
    p.add_argument("--wait-timeout", type=float, default=900, help="seconds --wait waits at most")
    p.add_argument("--api", default=os.environ.get("DARKROOM_API_URL"),
                   help="the API's URL (default: DARKROOM_API_URL, else the local stack's)")
    p.add_argument("--key", default=os.environ.get("DARKROOM_API_KEY"),
                   help="an API key with the upload scope (default: DARKROOM_API_KEY, else the local "
                        "stack's dev key)")
    p.add_argument("--via", choices=DOORS, default="tus",
                   help="tus (resumable, default), direct (presigned PUT) or post (POST /v1/images)")
    p.add_argument("--chunk-mb", type=float, default=8, help="tus PATCH size in MiB (default 8)")
    p.add_argument("--retries", type=int, default=8, help="tries of a file that meets transient errors")
    p.add_argument("--journal", type=Path, help="the journal file (default: .darkroom-upload/<digest>.jsonl "
                                                "in the working directory, one per set of arguments)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _where(args: argparse.Namespace) -> tuple[str, str]:
    if args.api and args.key:
        return args.api, args.key
    try:
        from devstack.stack import Stack  # the local stack: needs the dev tools (docker, testcontainers)
    except ImportError:
        raise SystemExit("darkroom upload: give --api URL and --key KEY (or DARKROOM_API_URL and "
                         "DARKROOM_API_KEY)") from None
    stack = Stack.local()
    return args.api or stack.saved_services().get("api", "http://localhost:18000"), args.key or stack.api_key


class RateColumn(ProgressColumn):
    """A task's rate in its own unit: MB/s for bytes, files/s for files."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "bytes")
        if task.speed is None:
            return Text("")
        if unit == "bytes":
            return Text(f"{filesize.decimal(int(task.speed))}/s")
        return Text(f"{task.speed:.1f} {unit}/s")


class Run:
    """One run over the files: the journal, the progress bars, the outcomes."""

    def __init__(self, args: argparse.Namespace, api: Api, journal: Journal, console: Console) -> None:
        self.args, self.api, self.journal, self.console = args, api, journal, console
        # Files and bytes in one display: counts for files, size, rate and time left for bytes.
        self.progress = Progress(
            TextColumn("{task.description:<7}"), BarColumn(), TextColumn("{task.fields[count]}"),
            RateColumn(), TimeRemainingColumn(), console=console, disable=args.quiet)
        self.files: TaskID = self.progress.add_task("files", total=0, count="", unit="files")
        self.bytes: TaskID = self.progress.add_task("bytes", total=0, count="", visible=False)

    def advance_files(self) -> None:
        self.progress.advance(self.files)
        task = self.progress.tasks[self.files]
        self.progress.update(self.files, count=f"{task.completed:.0f}/{task.total:.0f} files")

    def advance_bytes(self, n: int) -> None:
        self.progress.advance(self.bytes, n)
        task = self.progress.tasks[self.bytes]
        self.progress.update(self.bytes, count=f"{task.completed / 1e6:.1f}/{(task.total or 0) / 1e6:.1f} MB")

    def done(self, item: Item, status: str, reason: str | None = None) -> None:
        item.status, item.reason = status, reason
        self.journal.note(item, sha256=item.sha256, url=item.url, status=status, id=item.image_id,
                          reason=reason)
        self.advance_files()

    def send(self, door: Door, item: Item, advance: Callable[[int], None]) -> None:
        """Send one file until it has an outcome; a refusal is one, transient errors are retried."""
        for attempt in range(self.args.retries + 1):
            try:
                door.send(item, advance)
                assert item.status is not None
                self.done(item, item.status)
                return
            except Refused as exc:
                self.done(item, REFUSED, str(exc))
                return
            except Transient as exc:
                delay = exc.retry_after_s or min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** attempt)
                item.reason = str(exc)
                if attempt < self.args.retries:
                    time.sleep(delay * random.uniform(0.8, 1.2))
        self.done(item, FAILED, item.reason)


def _hash_all(run: Run, items: list[Item], pool: ThreadPoolExecutor) -> None:
    todo = [i for i in items if i.status is None and i.sha256 is None]
    task = run.progress.add_task("hashing", total=sum(i.size for i in todo), count="")

    def one(item: Item) -> None:
        item.sha256 = sha256_of(item.path)
        run.journal.note(item, sha256=item.sha256)
        run.progress.advance(task, item.size)

    list(pool.map(one, todo))
    run.progress.update(task, visible=False)


def _check(run: Run, items: list[Item]) -> None:
    """Mark what the API has already; hashes asked about in batches."""
    wanted = [i for i in items if i.status is None]
    hashes = list(dict.fromkeys(i.sha256 for i in wanted if i.sha256))
    found: dict[str, str] = {}
    for start in range(0, len(hashes), CHECK_BATCH):
        batch = hashes[start:start + CHECK_BATCH]
        found.update(_retrying(run, functools.partial(run.api.check, batch)))
    for item in wanted:
        if item.sha256 in found:
            item.image_id = found[item.sha256]
            run.done(item, DUPLICATE, "already uploaded")


def _retrying(run: Run, call: Callable[[], dict[str, str]]) -> dict[str, str]:
    for attempt in range(run.args.retries + 1):
        try:
            return call()
        except Transient as exc:
            if attempt == run.args.retries:
                raise SystemExit(f"darkroom upload: the API does not answer: {exc}") from None
            time.sleep(exc.retry_after_s or min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** attempt))
    raise AssertionError("unreachable")


def _send_all(run: Run, items: list[Item], pool: ThreadPoolExecutor) -> None:
    """Send one file per distinct hash; the others get its outcome (a second
    copy in the same run is a duplicate of the first)."""
    leaders: dict[str, Item] = {}
    followers: list[Item] = []
    for item in (i for i in items if i.status is None):
        assert item.sha256 is not None
        if leaders.setdefault(item.sha256, item) is not item:
            followers.append(item)
    run.progress.update(run.bytes, total=sum(i.size for i in leaders.values()), visible=True)
    run.advance_bytes(0)
    door = open_door(run.args.via, run.api, Fields(run.args.album, run.args.tags, run.args.visibility),
                     int(run.args.chunk_mb * 1024 * 1024),
                     lambda item: run.journal.note(item, sha256=item.sha256, url=item.url))
    list(pool.map(lambda item: run.send(door, item, run.advance_bytes), leaders.values()))
    for item in followers:
        leader = leaders[item.sha256 or ""]
        item.image_id = leader.image_id
        same = leader.status in (UPLOADED, DUPLICATE)
        run.done(item, DUPLICATE if same else leader.status or FAILED,
                 f"same bytes as {leader.path}" if same else leader.reason)


def _follow(run: Run, items: list[Item]) -> Counter[str]:
    """Wait until each uploaded image is ready (or failed); how many of each."""
    waiting = {i.image_id for i in items if i.status == UPLOADED and i.image_id}
    task = run.progress.add_task("ready", total=len(waiting), count="images", unit="images")
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + run.args.wait_timeout
    while waiting and time.monotonic() < deadline:
        for image_id in list(waiting):
            try:
                status = run.api.image_status(image_id)
            except (Transient, Refused):
                continue
            if status != "processing":
                seen[status] += 1
                waiting.discard(image_id)
                run.progress.advance(task)
        time.sleep(1 if waiting else 0)
    seen["still processing"] += len(waiting)
    return seen


def _summary(console: Console, items: list[Item], report: Path, journal: Path, started: float) -> None:
    counts = Counter(i.status for i in items)
    sent = sum(i.sent for i in items)
    console.print(f"darkroom upload: {len(items)} files in {time.monotonic() - started:.1f} s, "
                  f"{sent / 1e6:.1f} MB sent")
    table = Table()
    table.add_column("outcome")
    table.add_column("files", justify="right")
    for status in OUTCOMES:
        table.add_row(status, str(counts.get(status, 0)))
    console.print(table)
    reasons = Counter(i.reason for i in items if i.status in (REFUSED, FAILED))
    for reason, n in reasons.most_common():
        console.print(f"  {n} × {reason}")
    console.print(f"report: {report}\njournal: {journal}")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    console = Console(stderr=True)
    api_url, key = _where(args)
    items = [examine(p) for p in walk(args.paths)]
    identity = {"paths": [str(Path(p).resolve()) for p in args.paths], "api": api_url, "via": args.via,
                "album": args.album, "tags": args.tags, "visibility": args.visibility}
    journal = Journal(args.journal or journal_path(Path.cwd(), identity))
    known = journal.load()
    for item in items:
        recall(item, known.get(item.key))
    report = args.report or journal.path.with_suffix(".report.jsonl")
    api = Api(api_url, key)
    waited: Counter[str] | None = None
    try:
        current = Run(args, api, journal, console)
        with ThreadPoolExecutor(max(1, args.concurrency)) as pool, current.progress:
            current.progress.update(current.files, total=len(items),
                                    completed=sum(i.status in DONE for i in items) - 1)
            current.advance_files()  # shows the count
            _hash_all(current, items, pool)
            _check(current, items)
            _send_all(current, items, pool)
            waited = _follow(current, items) if args.wait else None
    finally:
        api.close()
        journal.close()
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("".join(json.dumps({**i.report(), "sent": i.sent}) + "\n" for i in items))
    _summary(Console(), items, report, journal.path, started)
    if waited is not None:
        Console().print("ready: " + ", ".join(f"{n} {s}" for s, n in waited.items()))
    return 0 if all(i.status in (UPLOADED, DUPLICATE, SKIPPED) for i in items) else 1


def main(argv: Sequence[str] | None = None) -> int:
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
