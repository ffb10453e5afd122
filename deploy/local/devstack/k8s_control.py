"""A Kubernetes control plane as plain processes: etcd (Debian's) and
kube-apiserver (built from the Go module proxy), and, for a whole cluster,
the controller manager and the scheduler. Everything they write lives in one
folder; each process is remembered by its pid file there, so `stop()` ends
exactly the processes it started.

The manifest check (tests/deploy/test_k8s_manifests.py) runs etcd and the
apiserver alone on free loopback ports; `./darkroom k8s up` runs the whole
control plane on the node's address (devstack/k8s_cluster.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack import k8s_pki, k8s_tools

SERVICE_RANGE = "10.96.0.0/16"
POD_RANGE = "10.244.0.0/16"
DAEMONS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")  # in start order


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Daemon:
    """One long-running process, its log and pid file in `folder`. Started
    again when its command line or one of its `configs` changed."""

    name: str
    argv: list[str]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    configs: tuple[Path, ...] = ()

    @property
    def pid_file(self) -> Path:
        return self.folder / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "logs" / f"{self.name}.log"

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps(self.argv).encode())
        for config in self.configs:
            digest.update(config.read_bytes() if config.exists() else b"")
        return digest.hexdigest()[:16]

    def start(self) -> None:
        if self.running():
            if self._recorded()[2] == self._fingerprint():
                return
            self.stop()  # changed since it started: start it afresh
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env={**os.environ, **self.env},
                                       start_new_session=True)
        # The command too: a pid is reused once its process ended, so a pid is
        # believed only while it still runs the command it was started with.
        self.pid_file.write_text(f"{process.pid}\n{self.argv[0]}\n{self._fingerprint()}\n")
        for _ in range(100):  # until the fork has become the command (or died)
            if self.running() or process.poll() is not None:
                break
            time.sleep(0.02)

    def _recorded(self) -> tuple[int, str, str]:
        pid, command, fingerprint = [*self.pid_file.read_text().split("\n"), "", ""][:3]
        return int(pid), command, fingerprint

    def pid(self) -> int | None:
        """The pid of the process start() started, while it runs."""
        try:
            pid, command, _ = self._recorded()
            running = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except (OSError, ValueError):
            return None
        return pid if running == command else None

    def running(self) -> bool:
        return self.pid() is not None

    def stop(self, grace_s: float = 15) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.running():
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"


@dataclass
class ControlPlane:
    folder: Path
    address: str  # where the apiserver listens and what it advertises
    port: int
    etcd_port: int
    etcd_peer_port: int
    node_name: str | None = None  # a whole cluster: its node gets a kubelet certificate

    @classmethod
    def on_loopback(cls, folder: Path) -> ControlPlane:
        """An apiserver alone on free loopback ports (for checking manifests)."""
        return cls(folder, "127.0.0.1", free_port(), free_port(), free_port())

    @property
    def server(self) -> str:
        return f"https://{self.address}:{self.port}"

    @property
    def pki(self) -> k8s_pki.Pki:
        return k8s_pki.Pki(self.folder / "pki")

    @property
    def kubeconfig(self) -> Path:
        return self.pki.kubeconfig("admin")

    def daemons(self, whole: bool) -> list[Daemon]:
        kube = k8s_tools.kube(k8s_tools.CONTROL_PLANE + (k8s_tools.NODE if whole else ()))
        pki = self.pki.folder
        etcd = Daemon("etcd", [
            str(k8s_tools.etcd()), "--name", "darkroom", "--data-dir", str(self.folder / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{self.etcd_peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.etcd_peer_port}",
            "--initial-cluster", f"darkroom=http://127.0.0.1:{self.etcd_peer_port}",
            "--log-level", "warn"], self.folder)
        apiserver = Daemon("kube-apiserver", [
            str(kube / "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
            f"--bind-address={self.address}", f"--advertise-address={self.address}",
            f"--secure-port={self.port}", f"--service-cluster-ip-range={SERVICE_RANGE}",
            f"--client-ca-file={pki}/ca.crt", f"--tls-cert-file={pki}/apiserver.crt",
            f"--tls-private-key-file={pki}/apiserver.key",
            f"--service-account-key-file={pki}/sa.pub", f"--service-account-signing-key-file={pki}/sa.key",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
            f"--kubelet-client-certificate={pki}/apiserver-kubelet-client.crt",
            f"--kubelet-client-key={pki}/apiserver-kubelet-client.key",
            # The aggregation layer, for KEDA's external metrics API.
            f"--requestheader-client-ca-file={pki}/front-proxy-ca.crt",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--requestheader-group-headers=X-Remote-Group", "--requestheader-username-headers=X-Remote-User",
            f"--proxy-client-cert-file={pki}/front-proxy-client.crt",
            f"--proxy-client-key-file={pki}/front-proxy-client.key",
            "--enable-aggregator-routing=true", "--profiling=false", "--event-ttl=1h",
            # The node's name resolves nowhere: reach the kubelet (logs, exec) by its address.
            "--kubelet-preferred-address-types=InternalIP"], self.folder)
        daemons = [etcd, apiserver]
        if whole:
            daemons += [
                Daemon("kube-controller-manager", [
                    str(kube / "kube-controller-manager"),
                    f"--kubeconfig={self.pki.kubeconfig('controller-manager')}",
                    f"--authentication-kubeconfig={self.pki.kubeconfig('controller-manager')}",
                    f"--authorization-kubeconfig={self.pki.kubeconfig('controller-manager')}",
                    "--bind-address=127.0.0.1",
                    f"--service-account-private-key-file={pki}/sa.key", f"--root-ca-file={pki}/ca.crt",
                    f"--cluster-signing-cert-file={pki}/ca.crt", f"--cluster-signing-key-file={pki}/ca.key",
                    "--use-service-account-credentials=true", "--leader-elect=false",
                    f"--service-cluster-ip-range={SERVICE_RANGE}", f"--cluster-cidr={POD_RANGE}",
                    "--allocate-node-cidrs=false", "--controllers=*,-cloud-node-lifecycle"], self.folder),
                Daemon("kube-scheduler", [
                    str(kube / "kube-scheduler"), f"--kubeconfig={self.pki.kubeconfig('scheduler')}",
                    f"--authentication-kubeconfig={self.pki.kubeconfig('scheduler')}",
                    f"--authorization-kubeconfig={self.pki.kubeconfig('scheduler')}",
                    "--bind-address=127.0.0.1", "--leader-elect=false"], self.folder),
            ]
        return daemons

    def start(self, whole: bool = False, timeout_s: float = 120) -> None:
        """Certificates (once), then etcd and the apiserver (and, `whole`, the
        controller manager and scheduler); returns once the apiserver is ready."""
        addresses = sorted({self.address, "127.0.0.1", "10.96.0.1"})
        k8s_pki.make(self.pki.folder, self.server, addresses, self.node_name)
        daemons = self.daemons(whole)
        for daemon in daemons[:2]:
            daemon.start()
        self.wait_ready(timeout_s, daemons[:2])
        for daemon in daemons[2:]:
            daemon.start()

    def wait_ready(self, timeout_s: float, daemons: list[Daemon]) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            for daemon in daemons:
                if not daemon.running():
                    raise RuntimeError(f"{daemon.name} exited:\n{daemon.tail()}")
            try:
                response = httpx.get(f"{self.server}/readyz", verify=self.tls(), timeout=3)
                if response.status_code == 200:
                    return
                last = response.text[-500:]
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"kube-apiserver not ready in {timeout_s:.0f} s: {last}\n{daemons[-1].tail()}")

    def tls(self) -> ssl.SSLContext:
        """Trusts the cluster's CA and shows the admin's certificate."""
        context = ssl.create_default_context(cafile=str(self.pki.path("ca.crt")))
        context.load_cert_chain(str(self.pki.path("admin.crt")), str(self.pki.path("admin.key")))
        return context

    def stop(self) -> None:
        """Stop what start() started, the apiserver before etcd."""
        for name in reversed(DAEMONS):
            Daemon(name, [], self.folder).stop()

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        command = [str(k8s_tools.kubectl()), f"--kubeconfig={self.kubeconfig}", *args]
        result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=timeout_s)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args[:4])} failed: {result.stderr[-3000:]}")
        return result


@contextlib.contextmanager
def apiserver_alone(folder: Path) -> Iterator[ControlPlane]:
    """etcd and kube-apiserver on free loopback ports, stopped afterwards."""
    plane = ControlPlane.on_loopback(folder)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
