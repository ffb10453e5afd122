"""What the Kubernetes commands and tests run, found or made on this machine:
binaries built from the Go module proxy by deploy/images/k8s/ (cached under
$DARKROOM_CACHE/k8s, outside the checkout, built once), Debian packages
installed when missing, and the cluster's own images (KEDA, CoreDNS, the
pause container) built like every other image (devstack/images.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from devstack import images, log

SCRIPTS = images.IMAGES_DIR / "k8s"
CACHE = Path(os.environ.get("DARKROOM_CACHE", "/var/cache/darkroom"))  # as the build scripts read it
KUBE_VERSION = "v1.35.4"
KEDA_VERSION = "v2.21.0"
CONTROL_PLANE = ("kube-apiserver", "kubectl")
NODE = ("kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy")

# The cluster's own images, built from the binaries above (deploy/images/<name>/).
PAUSE = images.Image("pause", "darkroom/pause:3.10", "3.10", images.BASE_PLAIN)
# Their binaries come from the build scripts: a change there rebuilds them too.
COREDNS = images.Image("coredns", "darkroom/coredns:1.15.0", "v1.15.0", images.BASE_PLAIN,
                       sources=("deploy/images/k8s",))
KEDA = images.Image("keda", "darkroom/keda:2.21.0", KEDA_VERSION, images.BASE_PLAIN,
                    sources=("deploy/images/k8s",))
CLUSTER_IMAGES = (PAUSE, COREDNS, KEDA)

# Debian packages unpacked into the cache rather than installed: no service
# of theirs is registered or started, and the system is left as it was.
UNPACKED = ("etcd-server", "containernetworking-plugins", "conntrack")
# Commands the node needs from the system (Debian's docker.io brings them all).
SYSTEM = {"containerd": "containerd", "ctr": "containerd", "runc": "runc", "iptables": "iptables",
          "ip": "iproute2", "openssl": "openssl"}


class ToolError(RuntimeError):
    """A tool could not be built or installed; the message says why."""


def _timed_build(what: str, command: list[str]) -> str:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolError(f"building {what} failed:\n{result.stderr[-3000:]}")
    took = time.monotonic() - started
    if took > 5:
        log.step(f"built {what} in {took:.0f} s (cached for the next run)")
    return result.stdout.strip().splitlines()[-1]


def kube(names: tuple[str, ...] = CONTROL_PLANE + NODE) -> Path:
    """The folder holding the Kubernetes binaries `names`, building the missing ones."""
    cache = CACHE / "k8s" / f"kubernetes-{KUBE_VERSION}"
    if not all((cache / name).exists() for name in names):
        log.step(f"building {', '.join(n for n in names if not (cache / n).exists())} {KUBE_VERSION} from "
                 "the Go module proxy (minutes, once)")
    return Path(_timed_build("Kubernetes", ["bash", str(SCRIPTS / "build-kube.sh"), *names]))


def kubectl() -> Path:
    return kube(("kubectl",)) / "kubectl"


def keda() -> Path:
    """KEDA's operator, adapter and install manifests (config/)."""
    return Path(_timed_build("KEDA", ["bash", str(SCRIPTS / "build-keda.sh")]))


def go_tool(name: str) -> Path:
    """kubeconform or coredns."""
    return Path(_timed_build(name, ["bash", str(SCRIPTS / "build-go-tool.sh"), name]))


def module_dir(module: str, version: str) -> Path:
    """A Go module's source from the proxy (read-only), for files it ships:
    Kubernetes' OpenAPI document, KEDA's CRDs."""
    cache = CACHE / "go" / "gopath"
    env = {**os.environ, "GOPATH": str(cache), "GOMODCACHE": str(cache / "pkg" / "mod"),
           "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GONOSUMDB": "k8s.io,github.com/kedacore"}
    result = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True,
                            text=True, env=env, cwd="/")
    if result.returncode != 0:
        raise ToolError(f"go mod download {module}@{version}: {result.stderr[-2000:]}")
    return Path(json.loads(result.stdout)["Dir"])


def unpacked(package: str) -> Path:
    """The root of Debian's `package` unpacked under the cache (downloaded once)."""
    cache = CACHE / "k8s" / "debs"
    root = cache / package
    if (root / ".unpacked").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    log.step(f"unpacking Debian's {package} into {root}")
    download = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
    if download.returncode != 0:  # the package lists may be missing on a fresh machine
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, text=True)
        download = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
    debs = sorted(cache.glob(f"{package}_*.deb"))
    if download.returncode != 0 or not debs:
        raise ToolError(f"apt-get download {package} failed:\n{download.stderr[-2000:]}")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    (root / ".unpacked").touch()
    return root


def etcd() -> Path:
    return unpacked("etcd-server") / "usr" / "bin" / "etcd"


def cni_plugins() -> Path:
    return unpacked("containernetworking-plugins") / "usr" / "lib" / "cni"


def conntrack() -> Path:
    return unpacked("conntrack") / "usr" / "sbin"


def ensure_commands(*commands: str) -> None:
    """Install the Debian packages of `commands` that are missing (as root)."""
    missing = sorted({SYSTEM[c] for c in commands if not shutil.which(c)})
    if not missing:
        return
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise ToolError(f"missing {', '.join(missing)}: install these Debian packages, or run as root")
    log.step(f"installing Debian's {', '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    result = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ToolError(f"apt-get install {' '.join(missing)} failed:\n{result.stderr[-2000:]}")
