"""What `darkroom upload` sends and what it remembers between runs.

Files: the paths given, folders walked (sorted, hidden entries skipped),
each sniffed from its first bytes (schemas/media.py, the API's own rule),
so a non-image is skipped without a request. Hashes are SHA-256, as the
API's dedup keys.

The journal: JSON lines beside the run (`.darkroom-upload/<digest of the
arguments>.jsonl` in the working directory), appended as things happen and
flushed at once: a file's hash, its tus upload URL as soon as the upload
exists, and its outcome. Run again with the same arguments, the last line
of each file wins: done files are not sent again, a half-sent one resumes
from the offset the server has. A line is about a file only while its size
and modification time are still the ones it recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from schemas import media

HASH_CHUNK = 1024 * 1024
# Outcomes of a file, as the report lists them.
UPLOADED, DUPLICATE, REFUSED, FAILED, SKIPPED = "uploaded", "duplicate", "refused", "failed", "skipped"
DONE = frozenset({UPLOADED, DUPLICATE, REFUSED, SKIPPED})  # never sent again; FAILED is retried


@dataclass
class Item:
    path: Path
    size: int
    mtime_ns: int
    mime_type: str | None = None  # None: not an image (skipped)
    sha256: str | None = None
    url: str | None = None  # its tus upload, once created
    status: str | None = None
    image_id: str | None = None
    reason: str | None = None
    sent: int = field(default=0)  # bytes sent by this run (the resume cost)

    @property
    def key(self) -> str:
        return str(self.path)

    def report(self) -> dict[str, object]:
        return {"path": self.key, "id": self.image_id, "status": self.status, "reason": self.reason}


def walk(paths: Iterable[str]) -> Iterator[Path]:
    """Every file under `paths`, in a stable order; hidden entries skipped."""
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")


def examine(path: Path) -> Item:
    """Size, time and format of one file (its first bytes only)."""
    stat = path.stat()
    item = Item(path, stat.st_size, stat.st_mtime_ns)
    with path.open("rb") as file:
        head = file.read(media.SNIFF_BYTES)
    try:
        item.mime_type = media.sniff(head).mime_type
    except media.UnknownFormat:
        item.status, item.reason = SKIPPED, "empty file" if not head else "not an image"
    return item


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def journal_path(folder: Path, identity: dict[str, object]) -> Path:
    """Where a run with these arguments keeps its journal."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return folder / ".darkroom-upload" / f"{digest}.jsonl"


class Journal:
    """Append-only JSON lines; each line about one file (its path, size and mtime)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def load(self) -> dict[str, dict[str, object]]:
        """What earlier runs learnt, per path: their lines merged, later ones winning."""
        known: dict[str, dict[str, object]] = {}
        if not self.path.exists():
            return known
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            known.setdefault(str(entry.get("path")), {}).update(entry)
        return known

    def note(self, item: Item, **facts: object) -> None:
        line = {"path": item.key, "size": item.size, "mtime_ns": item.mtime_ns, **facts}
        with self._lock:
            self._file.write(json.dumps(line) + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def recall(item: Item, known: dict[str, object] | None) -> None:
    """Take over what the journal knows of `item`, if it is about these bytes."""
    if not known or known.get("size") != item.size or known.get("mtime_ns") != item.mtime_ns:
        return
    item.sha256 = item.sha256 or _text(known.get("sha256"))
    item.url = _text(known.get("url"))
    if known.get("status") in DONE:
        item.status, item.image_id = _text(known.get("status")), _text(known.get("id"))
        item.reason = _text(known.get("reason"))


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
