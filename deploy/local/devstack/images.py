"""Builds every container image Darkroom runs, on this machine.

No image registry is reachable, so the bases come from debootstrap and each
engine's image from its package registry (Maven Central, the Go module proxy,
Debian, PyPI). Each image carries a label with the hash of its sources, so an
unchanged image is never rebuilt and a changed one always is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from devstack import log

ROOT = Path(__file__).resolve().parents[3]
IMAGES_DIR = ROOT / "deploy" / "images"
HASH_LABEL = "org.darkroom.source-hash"


@dataclass(frozen=True)
class Base:
    tag: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class Image:
    name: str  # folder under deploy/images/
    tag: str
    version: str  # handed to prepare.sh and the Dockerfile as VERSION
    base: Base
    # Extra source trees that go into the image besides its folder.
    sources: tuple[str, ...] = field(default=())


BASE_JAVA = Base("darkroom/base-java:bookworm", ("openjdk-17-jre-headless", "procps"))
BASE_NGINX = Base("darkroom/base-nginx:bookworm",
                  ("nginx-light", "libnginx-mod-http-cache-purge", "libnginx-mod-http-js"))
BASE_PYTHON = Base("darkroom/base-python:bookworm", ("python3", "python3-venv"))
BASE_PLAIN = Base("darkroom/base:bookworm", ())

KAFKA = Image("kafka", "darkroom/kafka:4.3.1", "4.3.1", BASE_JAVA)
CASSANDRA = Image("cassandra", "darkroom/cassandra:5.0.9", "5.0.9", BASE_JAVA)
ELASTICSEARCH = Image("elasticsearch", "darkroom/elasticsearch:8.19.21", "8.19.21", BASE_JAVA)
MINIO = Image("minio", "darkroom/minio:2025-09-07", "RELEASE.2025-09-07T16-13-09Z", BASE_PLAIN)
NGINX = Image("nginx", "darkroom/nginx:1.22.1", "1.22.1", BASE_NGINX)
TUSD = Image("tusd", "darkroom/tusd:2.10.1", "v2.10.1", BASE_PLAIN)
APP = Image(
    "darkroom", "darkroom/app:dev", "dev", BASE_PYTHON,
    sources=("pyproject.toml", "README.md", "connectors", "schemas", "streams", "ingest-api", "deploy/local"),
)


def _tree_hash(paths: list[Path], extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for top in paths:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _current(client: docker.DockerClient, tag: str, source_hash: str) -> bool:
    try:
        image = client.images.get(tag)
    except ImageNotFound:
        return False
    return (image.labels or {}).get(HASH_LABEL) == source_hash


def _run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{(result.stdout + result.stderr)[-3000:]}")


_base_locks: dict[str, threading.Lock] = {}


def _base_hash(base: Base) -> str:
    return _tree_hash([IMAGES_DIR / "base"], " ".join(base.packages))


def build_base(client: docker.DockerClient, base: Base) -> None:
    with _base_locks.setdefault(base.tag, threading.Lock()):
        source_hash = _base_hash(base)
        if _current(client, base.tag, source_hash):
            return
        log.step(f"building {base.tag} with debootstrap (a minute or more)")
        _run(["bash", str(IMAGES_DIR / "base" / "build.sh"), base.tag,
              f"{HASH_LABEL}={source_hash}", *base.packages])


def build_image(client: docker.DockerClient, image: Image) -> None:
    folder = IMAGES_DIR / image.name
    source_hash = _tree_hash([folder, *(ROOT / s for s in image.sources)],
                             _base_hash(image.base) + image.version)
    if _current(client, image.tag, source_hash):
        return
    log.step(f"building {image.tag}")
    with tempfile.TemporaryDirectory(prefix=f"darkroom-{image.name}-") as context:
        shutil.copytree(folder, context, dirs_exist_ok=True)
        for source in image.sources:
            src, dst = ROOT / source, Path(context) / "src" / source
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        prepare = folder / "prepare.sh"
        if prepare.exists():  # downloads and compiles on the host, beside the base's debootstrap
            _run(["bash", str(prepare), context], env={**os.environ, "VERSION": image.version})
        build_base(client, image.base)
        # The legacy builder: this dockerd has no buildx plugin.
        _run(["docker", "build", "-q", "-t", image.tag,
              "--build-arg", f"BASE={image.base.tag}", "--build-arg", f"VERSION={image.version}",
              "--label", f"{HASH_LABEL}={source_hash}", context],
             env={**os.environ, "DOCKER_BUILDKIT": "0"})
    log.step(f"built {image.tag}")


def build_all(client: docker.DockerClient, images: tuple[Image, ...]) -> None:
    """Build what is missing, several at once: the slow parts (the MinIO
    compile, Maven downloads, debootstrap) wait on different things."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(build_image, client, image) for image in images]:
            future.result()
