"""The certificates and kubeconfigs of a private cluster, made with openssl
once per cluster folder: a cluster CA, the apiserver's serving certificate,
one client certificate per component (each with the identity its default
RBAC role names), a front-proxy CA for the aggregation layer (KEDA's external
metrics API) and the service-account signing key."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

DAYS = "3650"

# Component -> (common name, organization) of its client certificate.
CLIENTS = {
    "admin": ("darkroom-admin", "system:masters"),
    "controller-manager": ("system:kube-controller-manager", ""),
    "scheduler": ("system:kube-scheduler", ""),
    "kube-proxy": ("system:kube-proxy", ""),
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters"),
}


@dataclass(frozen=True)
class Pki:
    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    def kubeconfig(self, component: str) -> Path:
        return self.folder / f"{component}.kubeconfig"


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr[-1000:]}")


def _ca(folder: Path, name: str, subject: str) -> None:
    if not (folder / f"{name}.crt").exists():
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.crt", "-days", DAYS, "-subj", f"/CN={subject}", cwd=folder)


def _signed(folder: Path, name: str, ca: str, subject: str, extensions: str) -> None:
    if (folder / f"{name}.crt").exists():
        return
    (folder / f"{name}.ext").write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=folder)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", DAYS, "-extfile", f"{name}.ext", cwd=folder)


def _client(common_name: str, organization: str) -> tuple[str, str]:
    subject = f"/CN={common_name}" + (f"/O={organization}" if organization else "")
    return subject, ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=clientAuth\n")


def make(folder: Path, server: str, addresses: list[str], node_name: str | None = None) -> Pki:
    """Everything a cluster reached at `server` (https://ip:port) needs; the
    apiserver's certificate names `addresses` and the in-cluster names."""
    folder.mkdir(parents=True, exist_ok=True)
    _ca(folder, "ca", "darkroom-k8s-ca")
    _ca(folder, "front-proxy-ca", "darkroom-k8s-front-proxy-ca")
    names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
             "kubernetes.default.svc.cluster.local"]
    alt = ",".join([*(f"IP:{a}" for a in addresses), *(f"DNS:{n}" for n in names)])
    _signed(folder, "apiserver", "ca", "/CN=kube-apiserver",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
            f"extendedKeyUsage=serverAuth\nsubjectAltName={alt}\n")
    _signed(folder, "front-proxy-client", "front-proxy-ca", *_client("front-proxy-client", ""))
    clients = dict(CLIENTS)
    if node_name:
        clients["kubelet"] = (f"system:node:{node_name}", "system:nodes")
    for component, (common_name, organization) in clients.items():
        _signed(folder, component, "ca", *_client(common_name, organization))
    if not (folder / "sa.key").exists():
        _openssl("genrsa", "-out", "sa.key", "2048", cwd=folder)
        _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=folder)
    pki = Pki(folder)
    for component in clients:
        write_kubeconfig(pki.kubeconfig(component), server, folder / "ca.crt", folder / f"{component}.crt",
                         folder / f"{component}.key")
    for path in folder.glob("*.key"):
        path.chmod(0o600)
    return pki


def write_kubeconfig(path: Path, server: str, ca: Path, cert: Path, key: Path) -> None:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "darkroom",
        "clusters": [{"name": "darkroom", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": "darkroom", "user": {"client-certificate": str(cert), "client-key": str(key)}}],
        "contexts": [{"name": "darkroom", "context": {"cluster": "darkroom", "user": "darkroom"}}],
    }
    path.write_text(yaml.safe_dump(config))
