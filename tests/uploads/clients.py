"""Unmodified tus clients, run as their users run them: tuspy (PyPI, in the
project's environment) and tus-js-client on Node (npm, installed once under
$DARKROOM_CACHE/npm, outside the checkout). Each script paces its requests
(a pause before each PATCH, through the clients' own options) so that a
test can kill it half way, and prints one line per event:

    start <offset> <url>    (tuspy: the offset it resumes from, 0 when new)
    resume <url>            (tus-js-client found a previous upload)
    offset <bytes>          (bytes the server has, after each request)
    done <url>
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TUS_JS_VERSION = "4.3.1"
CACHE = (Path(os.environ.get("DARKROOM_CACHE", "/var/cache/darkroom")) / "npm"
         / f"tus-js-client-{TUS_JS_VERSION}")

TUSPY = r"""
import sys, time
from tusclient.client import TusClient
from tusclient.storage.filestorage import FileStorage

endpoint, key, path, storage, pause, sha256 = sys.argv[1:7]
client = TusClient(endpoint, headers={"Authorization": f"Bearer {key}"})
uploader = client.uploader(path, chunk_size=1024 * 1024, store_url=True, url_storage=FileStorage(storage),
                           metadata={"filename": "big.jpg", "filetype": "image/jpeg", "sha256": sha256})
print("start", uploader.offset, uploader.url, flush=True)
while uploader.offset < uploader.get_file_size():
    time.sleep(float(pause))
    uploader.upload_chunk()
    print("offset", uploader.offset, flush=True)
print("done", uploader.url, flush=True)
"""

TUS_JS = r"""
// `node -e` leaves no script path in argv: the arguments start at 1.
const tus = require('tus-js-client');
const fs = require('fs');
const [endpoint, key, path, storage, pause, parallel] = process.argv.slice(1);
const upload = new tus.Upload(fs.createReadStream(path), {
  endpoint,
  chunkSize: 1024 * 1024,
  headers: { Authorization: `Bearer ${key}` },
  metadata: { filename: 'big.jpg', filetype: 'image/jpeg' },
  urlStorage: new tus.FileUrlStorage(storage),
  parallelUploads: Number(parallel),
  retryDelays: [0, 500, 1000, 2000],
  onBeforeRequest: (req) => req.getMethod() === 'PATCH'
    ? new Promise((resolve) => setTimeout(resolve, Number(pause))) : undefined,
  onChunkComplete: (size, accepted) => console.log(`offset ${accepted}`),
  onSuccess: () => console.log(`done ${upload.url}`),
  onError: (error) => { console.log(`error ${error}`); process.exit(1); },
});
upload.findPreviousUploads().then((previous) => {
  if (previous.length) {
    console.log(`resume ${previous[0].uploadUrl}`);
    upload.resumeFromPreviousUpload(previous[0]);
  }
  upload.start();
});
"""


def tus_js_dir() -> Path:
    """tus-js-client from npm, installed once (Node and npm from Debian when the machine has none)."""
    if not (CACHE / "node_modules" / "tus-js-client" / "package.json").exists():
        if shutil.which("npm") is None:
            subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "nodejs", "npm"],
                           check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_text('{"private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--cache", str(CACHE.parent / "cache"),
                        f"tus-js-client@{TUS_JS_VERSION}"], cwd=CACHE, check=True, capture_output=True)
    return CACHE


def tuspy(endpoint: str, key: str, path: Path, storage: Path, pause_s: float,
          sha256: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", TUSPY, endpoint, key, str(path), str(storage),
                             str(pause_s), sha256], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def tus_js(endpoint: str, key: str, path: Path, storage: Path, pause_s: float,
           parallel: int = 1) -> subprocess.Popen:
    folder = tus_js_dir()
    storage.touch(exist_ok=True)  # FileUrlStorage locks the file, so it must exist
    return subprocess.Popen(["node", "-e", TUS_JS, endpoint, key, str(path), str(storage),
                             str(int(pause_s * 1000)), str(parallel)], cwd=folder,
                            env={**os.environ, "NODE_PATH": str(folder / "node_modules")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_until(process: subprocess.Popen, offset: int | None = None, timeout_s: float = 120) -> list[str]:
    """Read its lines; kill it (SIGKILL, as a crash) once the server has `offset` bytes,
    else wait for the end. The lines read."""
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.strip())
        if offset is not None and line.startswith("offset ") and int(line.split()[1]) >= offset:
            process.kill()
            break
    process.wait(timeout=timeout_s)
    if offset is None and process.returncode != 0:
        raise AssertionError(f"client failed: {lines[-5:]} {process.stderr.read() if process.stderr else ''}")
    return lines
