"""Files for the upload tests, made on the fly."""

from __future__ import annotations

import os
import random
from pathlib import Path

from tests.ingest_api import samples


def big_jpeg(size_bytes: int, seed: int = 0) -> bytes:
    """A real JPEG padded after its end marker with random bytes up to `size_bytes`:
    decoders stop at the marker, and every byte still has to travel and be hashed."""
    head = samples.noisy_jpeg((640, 480), seed=seed)
    return head + random.Random(seed).randbytes(size_bytes - len(head))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def corrupt_jpeg(seed: int) -> bytes:
    """JPEG's magic number, then nothing a decoder can read."""
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(300)


def folder_of_photos(root: Path, good: int, copies: int) -> dict[str, list[Path]]:
    """`good` distinct small photos, `copies` of some of them under other names, and bad files
    of every kind: the paths by what they are."""
    made: dict[str, list[Path]] = {"good": [], "copy": [], "corrupt": [], "huge": [], "empty": [], "text": []}
    for i in range(good):
        made["good"].append(write(root / f"day{i % 4}" / f"img_{i:04d}.jpg", samples.noisy_jpeg((96, 72), i)))
    for i in range(copies):
        source = made["good"][i * 7 % good]
        made["copy"].append(write(root / "copies" / f"copy_{i:03d}.jpg", source.read_bytes()))
    for i in range(4):
        made["corrupt"].append(write(root / "broken" / f"cut_{i}.jpg", corrupt_jpeg(i)))
    for i in range(2):
        huge = samples.png_header_only(20000 + i, 20000)
        made["huge"].append(write(root / "broken" / f"huge_{i}.png", huge))
    for i in range(2):
        made["empty"].append(write(root / "broken" / f"empty_{i}.jpg", b""))
    for i in range(2):
        made["text"].append(write(root / "notes" / f"note_{i}.txt", f"not a photo {i}\n".encode()))
    os.sync()
    return made
