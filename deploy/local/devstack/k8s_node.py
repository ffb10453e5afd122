"""The cluster's one node, as processes on this machine: a private containerd
(its own root, state and socket, beside Docker's), the kubelet and kube-proxy
(built from the Go module proxy), and pod networking with Debian's CNI
plugins (a bridge, host-local addresses, portmap).

Everything stays inside the machine: the node's address is a private one on
the loopback interface (the kubelet refuses 127.0.0.1), pods and Services use
ranges of their own, NodePorts open on the node's address only, pods cannot
route past the host (an iptables rule), and containerd's pulls go to a closed
port (no registry is reachable: images are imported from Docker instead).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack import k8s_tools
from devstack.k8s_control import POD_RANGE, Daemon

NODE_IP = "10.213.0.1"  # deploy/k8s/overlays/local names it too (NodePorts, Kafka's host listener)
NODE_NAME = "darkroom-node"
BRIDGE = "darkroom-k8s0"
POD_SUBNET = "10.244.0.0/24"  # the one node's share of POD_RANGE
CLUSTER_DNS = "10.96.0.10"
CLOSED_PROXY = "http://127.0.0.1:9"
RULE_COMMENT = "darkroom-k8s"
# Pods may reach each other across the bridge (Docker's FORWARD policy drops
# what nothing accepts), and nothing past it.
FORWARD_RULES = (["-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"],
                 ["-i", BRIDGE, "!", "-o", BRIDGE, "-j", "DROP"])


@dataclass(frozen=True)
class Node:
    folder: Path  # the cluster's state folder
    pki: Path

    @property
    def socket(self) -> Path:
        return self.folder / "containerd" / "containerd.sock"

    def _write_configs(self, pause_image: str) -> None:
        cni = self.folder / "cni"
        (cni / "net.d").mkdir(parents=True, exist_ok=True)
        (cni / "net.d" / "10-darkroom.conflist").write_text(json.dumps({
            "cniVersion": "0.4.0", "name": "darkroom",
            "plugins": [
                {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False, "hairpinMode": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": POD_SUBNET}]],
                          "routes": [{"dst": "0.0.0.0/0"}], "dataDir": str(cni / "networks")}},
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ]}, indent=2))
        containerd = self.folder / "containerd"
        containerd.mkdir(exist_ok=True)
        (containerd / "config.toml").write_text(f"""version = 2
root = "{containerd}/root"
state = "{containerd}/state"
[grpc]
  address = "{self.socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause_image}"
  # Pods' network namespaces under the state folder, so `down` finds them all.
  netns_mounts_under_state_dir = true
  # The kubelet asks for OOM scores below containerd's own, which this kind of
  # host refuses (no CAP_SYS_RESOURCE): keep them at containerd's.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{k8s_tools.cni_plugins()}"
    conf_dir = "{cni}/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "{containerd}/opt"
""")
        (self.folder / "resolv.conf").write_text("# pods resolve through the cluster DNS only\n")
        (self.folder / "kubelet.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
            "address": NODE_IP, "readOnlyPort": 0, "healthzBindAddress": "127.0.0.1",
            "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                               "x509": {"clientCAFile": str(self.pki / "ca.crt")}},
            "authorization": {"mode": "Webhook"},
            # This host: cgroup v1, swap allowed, no systemd.
            "cgroupDriver": "cgroupfs", "failCgroupV1": False, "failSwapOn": False,
            "clusterDNS": [CLUSTER_DNS], "clusterDomain": "cluster.local",
            "resolvConf": str(self.folder / "resolv.conf"),
            # Images are imported, never pulled: never collect them, never evict for disk.
            "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
            "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%",
                             "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
            "containerRuntimeEndpoint": f"unix://{self.socket}",
            "podLogsDir": str(self.folder / "pod-logs"),
            "serializeImagePulls": False, "maxPods": 110,
        }))
        (self.folder / "kube-proxy.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(self.pki / "kube-proxy.kubeconfig")},
            "mode": "iptables", "clusterCIDR": POD_RANGE, "hostnameOverride": NODE_NAME,
            "nodePortAddresses": [f"{NODE_IP}/32"],
            "metricsBindAddress": "127.0.0.1:10249", "healthzBindAddress": "127.0.0.1:10256",
            "conntrack": {"maxPerCore": 0},  # leave the host's conntrack table size alone
        }))

    def daemons(self) -> list[Daemon]:
        kube = k8s_tools.CACHE / "k8s" / f"kubernetes-{k8s_tools.KUBE_VERSION}"
        proxy = {"HTTP_PROXY": CLOSED_PROXY, "HTTPS_PROXY": CLOSED_PROXY, "NO_PROXY": ""}
        return [
            Daemon("containerd", ["containerd", "--config", str(self.folder / "containerd" / "config.toml")],
                   self.folder, env=proxy, configs=(self.folder / "containerd" / "config.toml",)),
            Daemon("kubelet", [
                str(kube / "kubelet"), f"--config={self.folder / 'kubelet.yaml'}",
                f"--kubeconfig={self.pki / 'kubelet.kubeconfig'}", f"--node-ip={NODE_IP}",
                f"--hostname-override={NODE_NAME}", f"--root-dir={self.folder / 'kubelet'}",
                f"--cert-dir={self.folder / 'kubelet' / 'pki'}", "--v=1"], self.folder,
                configs=(self.folder / "kubelet.yaml",)),
            Daemon("kube-proxy", [str(kube / "kube-proxy"), f"--config={self.folder / 'kube-proxy.yaml'}"],
                   self.folder, env={"PATH": f"{k8s_tools.conntrack()}:/usr/sbin:/usr/bin:/sbin:/bin"},
                   configs=(self.folder / "kube-proxy.yaml",)),
        ]

    def start(self, pause_image: str) -> None:
        k8s_tools.ensure_commands("containerd", "ctr", "runc", "iptables", "ip")
        add_address()
        self._write_configs(pause_image)
        for daemon in self.daemons():
            daemon.start()
            if daemon.name == "containerd":
                self.wait_containerd()

    def wait_containerd(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.ctr("version", check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError(f"containerd did not answer:\n{self.daemons()[0].tail()}")

    def ctr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["ctr", "--address", str(self.socket), "--namespace", "k8s.io", *args],
                                capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args[:3])}: {result.stderr[-2000:]}")
        return result

    def stop(self) -> None:
        """Stop the node's processes, then every pod's container they left
        running, then containerd; undo the mounts, network and rules."""
        daemons = {d.name: d for d in self.daemons()}
        daemons["kube-proxy"].stop()
        daemons["kubelet"].stop()
        if daemons["containerd"].running():
            for task in self.ctr("tasks", "ls", "-q", check=False).stdout.split():
                self.ctr("tasks", "kill", "--signal", "SIGKILL", task, check=False)
            for task in self.ctr("tasks", "ls", "-q", check=False).stdout.split():
                self.ctr("tasks", "delete", "--force", task, check=False)
            for container in self.ctr("containers", "ls", "-q", check=False).stdout.split():
                self.ctr("containers", "delete", container, check=False)
        daemons["containerd"].stop()
        unmount_below(self.folder)
        remove_network()
        remove_cgroups()


def add_address() -> None:
    shown = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    if f" {NODE_IP}/32 " not in shown:
        subprocess.run(["ip", "addr", "add", f"{NODE_IP}/32", "dev", "lo"], check=True)


def block_egress() -> None:
    """Pods reach each other and the host, never past it. Inserted first
    (Docker and kube-proxy add their own FORWARD rules); again after a
    restart of either only if missing."""
    for rule in reversed(FORWARD_RULES):
        spec = ["FORWARD", *rule[:-2], "-m", "comment", "--comment", RULE_COMMENT, *rule[-2:]]
        if subprocess.run(["iptables", "-C", *spec], capture_output=True).returncode != 0:
            subprocess.run(["iptables", "-I", spec[0], "1", *spec[1:]], check=True)


def remove_network() -> None:
    for rule in FORWARD_RULES:
        spec = ["FORWARD", *rule[:-2], "-m", "comment", "--comment", RULE_COMMENT, *rule[-2:]]
        while subprocess.run(["iptables", "-D", *spec], capture_output=True).returncode == 0:
            pass
    kube = k8s_tools.CACHE / "k8s" / f"kubernetes-{k8s_tools.KUBE_VERSION}" / "kube-proxy"
    if kube.exists():  # kube-proxy's own chains (KUBE-SERVICES, KUBE-NODEPORTS, ...)
        subprocess.run([str(kube), "--cleanup"], capture_output=True)
    subprocess.run(["ip", "link", "delete", BRIDGE], capture_output=True)
    subprocess.run(["ip", "addr", "del", f"{NODE_IP}/32", "dev", "lo"], capture_output=True)


def unmount_below(folder: Path) -> None:
    """The kubelet's volume mounts and containerd's sandbox mounts under `folder`, deepest first."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(str(folder) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True)


def remove_cgroups() -> None:
    """The kubelet's cgroups (kubepods), empty once their processes ended."""
    for top in Path("/sys/fs/cgroup").glob("*/kubepods"):
        for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts),
                             reverse=True) + [top]:
            with contextlib.suppress(OSError):  # still in use: left alone
                folder.rmdir()
