"""Starts and stops a stack of the engines in engines.py through testcontainers.

Two flavours of the same definitions:
- the long-lived stack of `./darkroom up`: containers `darkroom-<engine>`,
  fixed host ports, named volumes kept across `down`/`up`;
- a throwaway stack for a test session: its own name prefix, random host
  ports, data in the containers only, everything removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import docker
from docker.errors import NotFound
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from devstack import engines, images, log
from devstack.engines import Engine

STACK_LABEL = "org.darkroom.stack"
STATE_DIR = Path(os.environ.get("DARKROOM_STATE", "/var/lib/darkroom"))


class StackError(RuntimeError):
    """An engine did not come up; the message names it and shows its log."""


def _joined(network: str) -> Network:
    # testcontainers' Network would create the network; the stack makes its own
    # (labelled, kept across runs) and only needs containers to join it by name.
    return cast(Network, SimpleNamespace(name=network))


# The secrets a stack makes for itself, as the variables that carry them, and
# how each is made. The local stack keeps them in STATE_DIR (one file each).
SECRETS: dict[str, Callable[[], str]] = {
    "DARKROOM_MINIO_SECRET_KEY": lambda: secrets.token_urlsafe(24),
    "DARKROOM_API_DEV_API_KEY": lambda: secrets.token_urlsafe(24),
    "DARKROOM_API_JWT_SECRET": lambda: secrets.token_urlsafe(32),
    # Two keys, as during a rotation: the first signs, both verify.
    "DARKROOM_DELIVERY_SIGNING_KEYS": lambda: ",".join(f"{kid}:{secrets.token_urlsafe(32)}"
                                                       for kid in ("k2", "k1")),
    "DARKROOM_DELIVERY_PURGE_TOKEN": lambda: secrets.token_urlsafe(24),
    "DARKROOM_DELIVERY_ORIGIN_SECRET": lambda: secrets.token_urlsafe(24),
}
# Files of the first releases, kept so an existing local stack keeps its data.
_FILES = {"DARKROOM_MINIO_SECRET_KEY": "minio-secret", "DARKROOM_API_DEV_API_KEY": "dev-api-key"}


def _kept_secret(name: str) -> str:
    path = STATE_DIR / _FILES.get(name, name.removeprefix("DARKROOM_").lower())
    if not path.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(SECRETS[name]())
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Stack:
    prefix: str
    persistent: bool
    secrets: dict[str, str]  # SECRETS' values for this stack
    addresses: dict[str, str] = field(default_factory=dict)  # filled by start()

    @classmethod
    def local(cls) -> Stack:
        """The stack of `./darkroom up`; its secrets are made once and kept."""
        return cls("darkroom", persistent=True, secrets={name: _kept_secret(name) for name in SECRETS})

    @classmethod
    def throwaway(cls) -> Stack:
        return cls(f"darkroom-test-{secrets.token_hex(3)}", persistent=False,
                   secrets={name: make() for name, make in SECRETS.items()})

    @property
    def api_key(self) -> str:
        """The dev user's key (the bootstrap makes it a key of the user `dev`)."""
        return self.secrets["DARKROOM_API_DEV_API_KEY"]

    @property
    def network(self) -> str:
        return f"{self.prefix}-net"

    def container_name(self, engine: Engine[Any]) -> str:
        return f"{self.prefix}-{engine.name}"

    # -- starting -------------------------------------------------------

    def _container(self, engine: Engine[Any]) -> DockerContainer:
        container = (
            DockerContainer(engine.image.tag)
            .with_name(self.container_name(engine))
            # The alias is how other containers find the engine (nginx dials minio:9000).
            .with_network(_joined(self.network))
            .with_network_aliases(engine.name)
            # init: PID 1 reaps what health checks leave behind (a zombie engine once
            # piled up 139 stuck `runc init` processes and starved the machine).
            .with_kwargs(mem_limit=engine.mem_limit, labels={STACK_LABEL: self.prefix}, init=True)
        )
        for key, value in engine.env.items():
            container.with_env(key, value)
        for env, secret in engine.secrets.items():
            container.with_env(env, self.secrets[secret])
        if self.persistent:
            container.with_bind_ports(engine.port, engine.host_port)
            container.with_volume_mapping(f"{self.prefix}-{engine.name}-data", engine.data_dir, "rw")
            if engine.host_address:
                container.with_env(engine.host_address.env, engine.address(engine.host_port))
        else:
            container.with_exposed_ports(engine.port)
        return container

    def _ensure_network(self, client: docker.DockerClient) -> None:
        if not client.networks.list(names=[self.network]):
            client.networks.create(self.network, driver="bridge", labels={STACK_LABEL: self.prefix})

    def _start_engine(self, client: docker.DockerClient, engine: Engine[Any]) -> str:
        """Start the engine's container unless it runs; return its host address."""
        name = self.container_name(engine)
        try:
            existing = client.containers.get(name)
            if existing.status != "running":
                existing.remove(force=True)
                raise NotFound(name)
        except NotFound:
            self._container(engine).start()
            existing = client.containers.get(name)
        if self.persistent:
            host_port = engine.host_port
        else:
            existing.reload()
            host_port = int(existing.ports[f"{engine.port}/tcp"][0]["HostPort"])
            if engine.host_address:
                # The engine waits for the address the host dials before it starts.
                told = f"echo {engine.address(host_port)} > {engine.host_address.path}"
                existing.exec_run(["sh", "-c", told])
        return engine.address(host_port)

    def start(self, client: docker.DockerClient) -> dict[str, str]:
        """Build what is missing, start every engine in parallel and wait
        until each answers. Returns the host address of each engine."""
        images.build_all(client, engines.images_to_build(app=False))
        self._ensure_network(client)
        log.step(f"starting {', '.join(e.name for e in engines.ALL)}")
        with ThreadPoolExecutor(len(engines.ALL)) as pool:
            futures = {e.name: pool.submit(self._start_engine, client, e) for e in engines.ALL}
            addresses = {name: f.result() for name, f in futures.items()}
        self.wait_ready(client, addresses)
        self.addresses = addresses
        if self.persistent:
            self._save(addresses)
        return addresses

    def env(self, addresses: dict[str, str]) -> dict[str, str]:
        return engines.client_env(addresses, self.secrets)

    def wait_ready(self, client: docker.DockerClient, addresses: dict[str, str]) -> dict[str, str]:
        """Wait for every engine in parallel; name the one that failed and show its log."""
        env = self.env(addresses)
        versions: dict[str, str] = {}
        with ThreadPoolExecutor(len(engines.ALL)) as pool:
            futures = [(e, pool.submit(e.ready, env)) for e in engines.ALL]
            for engine, future in futures:
                try:
                    versions[engine.name] = future.result()
                    log.step(f"{engine.name} ready at {addresses[engine.name]}")
                except Exception as exc:  # noqa: BLE001 - any failure ends in the same report
                    raise StackError(self._failure_report(client, engine, exc)) from exc
        return versions

    def _failure_report(self, client: docker.DockerClient, engine: Engine[Any], exc: Exception) -> str:
        try:
            logs = client.containers.get(self.container_name(engine)).logs(tail=40).decode(errors="replace")
        except NotFound:
            logs = "(no container)"
        return f"{engine.name} did not become ready: {exc}\n--- end of its log ---\n{logs}"

    def start_services(self, client: docker.DockerClient, addresses: dict[str, str],
                       services: tuple[engines.Service, ...] | None = None,
                       extra_env: dict[str, str] | None = None) -> dict[str, str]:
        """Run `services` (the API and one worker per stage unless told) from
        the app image on the stack's network (replacing older ones: the image
        may have changed), each known there by its name (tusd calls `api`).
        `extra_env` adds settings (a benchmark's limits). Returns the host
        address of each service that has a port."""
        images.build_image(client, images.APP)
        env = {**engines.inside_env(self.env(addresses)), **(extra_env or {})}
        found = {}
        for service in engines.services() if services is None else services:
            name = f"{self.prefix}-{service.name}"
            with contextlib.suppress(NotFound):
                client.containers.get(name).remove(force=True)
            container = (
                DockerContainer(images.APP.tag)
                .with_name(name)
                .with_command(list(service.command))
                .with_network(_joined(self.network))
                .with_network_aliases(service.name)
                .with_kwargs(labels={STACK_LABEL: self.prefix}, restart_policy={"Name": "unless-stopped"},
                             init=True,
                             # The image's health check asks the API; a worker serves no HTTP
                             # (its health is its consumer group's lag), so it has none.
                             **({} if service.port else {"healthcheck": {"test": ["NONE"]}}))
            )
            for key, value in env.items():
                container.with_env(key, value)
            if service.port:
                if self.persistent:
                    container.with_bind_ports(service.port, service.default_host_port)
                else:
                    container.with_exposed_ports(service.port)
            container.start()
            if service.port:
                found[service.name] = f"http://localhost:{container.get_exposed_port(service.port)}"
        return found

    # -- state and stopping ---------------------------------------------

    def _save(self, addresses: dict[str, str]) -> None:
        (STATE_DIR / "addresses.json").write_text(json.dumps(addresses, indent=2))

    def save_services(self, found: dict[str, str]) -> None:
        (STATE_DIR / "services.json").write_text(json.dumps(found, indent=2))

    def saved_services(self) -> dict[str, str]:
        path = STATE_DIR / "services.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def saved_addresses(self) -> dict[str, str]:
        path = STATE_DIR / "addresses.json"
        if path.exists():
            return json.loads(path.read_text())
        return {e.name: e.address(e.host_port) for e in engines.ALL}

    def stop(self, client: docker.DockerClient, wipe: bool = False) -> None:
        """Remove the stack's containers and network; volumes too when wiping
        (a throwaway stack keeps no volumes anyway)."""
        for container in client.containers.list(all=True, filters={"label": f"{STACK_LABEL}={self.prefix}"}):
            container.remove(force=True, v=True)
        for network in client.networks.list(filters={"label": f"{STACK_LABEL}={self.prefix}"}):
            network.remove()
        if wipe:
            for engine in engines.ALL:
                with contextlib.suppress(NotFound):
                    client.volumes.get(f"{self.prefix}-{engine.name}-data").remove(force=True)
