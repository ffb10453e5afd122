"""Find a Docker engine, or start Darkroom's own one.

`DOCKER_HOST` (or the default socket) wins when something answers there. Where
nothing does and we are root on Debian, Debian's `docker.io` is installed and a
private `dockerd` is started with its own socket, a data root outside the
checkout (built images survive between runs), pulls that fail at once (no image
registry is reachable here, so waiting on one only hides a missing build), and
containers that cannot route out of the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
from docker.errors import DockerException

from devstack import log

STATE_DIR = Path(os.environ.get("DARKROOM_DOCKER_ROOT", "/var/lib/darkroom-docker"))
SOCKET = STATE_DIR / "docker.sock"
OWN_HOST = f"unix://{SOCKET}"
DEFAULT_HOST = "unix:///var/run/docker.sock"
# Pulls go to a closed loopback port, so a missing image fails in milliseconds.
CLOSED_PROXY = "http://127.0.0.1:9"


def _answers(host: str) -> bool:
    try:
        client = docker.DockerClient(base_url=host, timeout=5)
        client.ping()
        client.close()
        return True
    except DockerException:
        return False


def _install_docker() -> None:
    if shutil.which("dockerd"):
        return
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise SystemExit(
            "No Docker engine answers and this is not root on Debian: start one "
            "and point DOCKER_HOST at it."
        )
    log.step("installing Debian's docker.io")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends",
         "docker.io", "iptables", "debootstrap"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )


def _block_egress() -> None:
    """Containers may answer the host but never route past it."""
    rules = [["-i", "docker0", "!", "-o", "docker0"], ["-i", "br-+", "!", "-o", "br-+"]]
    for rule in rules:
        spec = ["DOCKER-USER", *rule, "-j", "DROP"]
        if subprocess.run(["iptables", "-C", *spec], capture_output=True).returncode != 0:
            subprocess.run(["iptables", "-I", *spec], check=True)


def _start_own_dockerd() -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HTTP_PROXY": CLOSED_PROXY, "HTTPS_PROXY": CLOSED_PROXY,
           "NO_PROXY": ""}
    with open(STATE_DIR / "dockerd.log", "ab") as logfile:  # dockerd keeps its own copy
        subprocess.Popen(
            ["dockerd", "--host", OWN_HOST, "--data-root", str(STATE_DIR / "data"),
             "--exec-root", str(STATE_DIR / "exec"), "--pidfile", str(STATE_DIR / "dockerd.pid")],
            stdout=logfile, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while not _answers(OWN_HOST):
        if time.monotonic() > deadline:
            tail = (STATE_DIR / "dockerd.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"dockerd did not start; end of its log:\n{tail}")
        time.sleep(0.3)


def candidate_hosts() -> list[str]:
    """Where to look for an engine, in order."""
    wanted = os.environ.get("DOCKER_HOST")
    return [wanted] if wanted else [DEFAULT_HOST, OWN_HOST]


def ensure_engine() -> str:
    """Return a DOCKER_HOST that answers, starting our own engine if needed."""
    wanted = os.environ.get("DOCKER_HOST")
    for host in candidate_hosts():
        if _answers(host):
            return host
    if wanted and wanted != OWN_HOST:
        raise SystemExit(f"DOCKER_HOST={wanted} does not answer.")
    _install_docker()
    log.step("starting Darkroom's own dockerd")
    _start_own_dockerd()
    _block_egress()
    return OWN_HOST


def client() -> docker.DockerClient:
    """A client of an engine that answers (ours, started when none does), with
    DOCKER_HOST exported for what else dials it: testcontainers, the docker CLI."""
    host = os.environ["DOCKER_HOST"] = ensure_engine()
    return docker.DockerClient(base_url=host)


def stop_own_engine() -> None:
    """Stop the dockerd that ensure_engine() started (its data root stays)."""
    pidfile = STATE_DIR / "dockerd.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip())
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
