"""The session stack's containers under a test's control: the API and one
worker per stage run from the app image (as `Stack.start_services` runs
them, with more users and no restart policy, so a killed process stays dead
until the test starts it), and the faults themselves: kill -9, pause,
restart, network disconnect.

Only containers named after this session's stack prefix are ever touched.
An engine restarted by Docker comes back on a new random host port: the
control reads it, tells Kafka its new host address (its entrypoint waits
for that file on every start) and updates the settings in os.environ, so
every client made afterwards dials the new port.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from dataclasses import dataclass, field

import docker
import httpx
from devstack import engines, images
from devstack.stack import STACK_LABEL, Stack
from docker.models.containers import Container

from connectors.accounts import Accounts, secret_hash
from connectors.cassandra import Cassandra
from connectors.settings import CassandraSettings

WORKER_PREFIX = "worker-"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Users:
    """Made-up users with an API key each (every scope), one per scenario, so
    each scenario's images, documents and objects are its own (the owner is
    in every key). Made in the accounts tables, as the bootstrap makes `dev`."""

    keys: dict[str, str] = field(default_factory=dict)  # user -> key

    def key(self, user: str) -> str:
        return self.keys.setdefault(user, f"dk_{secrets.token_urlsafe(24)}")

    def provision(self) -> None:
        db = Cassandra(CassandraSettings())
        try:
            accounts = Accounts(db)
            for user, key in self.keys.items():
                accounts.create_user(user, None)
                accounts.add_key(secret_hash(key), f"{user}-suite", user, "test suite", key[:8],
                                 frozenset({"upload", "read"}))
        finally:
            db.close()


# Suites post far more than a person would: the API's per-minute limits out of the way.
UNLIMITED = {"DARKROOM_API_UPLOADS_PER_MINUTE": "1000000", "DARKROOM_API_READS_PER_MINUTE": "1000000"}


class StackControl:
    def __init__(self, client: docker.DockerClient, stack: Stack, extra_env: dict[str, str] | None = None):
        self.client, self.stack = client, stack
        self.extra_env = {**UNLIMITED, **(extra_env or {})}
        self.api_port = _free_port()  # fixed, so a restarted API keeps its address
        self.api_url = f"http://localhost:{self.api_port}"
        self.users = Users()  # the API's users besides dev, when the caller made some

    # -- names --------------------------------------------------------------

    def name(self, service_or_engine: str) -> str:
        return f"{self.stack.prefix}-{service_or_engine}"

    def container(self, service_or_engine: str) -> Container:
        return self.client.containers.get(self.name(service_or_engine))

    @staticmethod
    def workers() -> tuple[engines.Service, ...]:
        return tuple(s for s in engines.services() if s.command[0] == "worker")

    # -- services -------------------------------------------------------------

    def run_service(self, service: engines.Service, name: str | None = None,
                    env: dict[str, str] | None = None) -> Container:
        """Start one service of the app image on the stack's network (replacing
        a container of the same name)."""
        name = name or service.name
        with contextlib.suppress(docker.errors.NotFound):
            self.container(name).remove(force=True)
        environment = {**engines.inside_env(self.stack.env(self.stack.addresses)), **self.extra_env,
                       **(env or {})}
        options: dict = {}
        if service.port:
            options["ports"] = {f"{service.port}/tcp": ("127.0.0.1", self.api_port)}
        else:
            options["healthcheck"] = {"test": ["NONE"]}  # the image's asks the API
        return self.client.containers.run(
            images.APP.tag, list(service.command), name=self.name(name), detach=True,
            network=self.stack.network, environment=environment,
            labels={STACK_LABEL: self.stack.prefix}, restart_policy={"Name": "no"}, init=True,
            # Known on the network by the service's name, as Stack.start_services does
            # (tusd's hooks call `api`, nginx's /t/ calls `render`).
            networking_config={self.stack.network: self.client.api.create_endpoint_config(
                aliases=[service.name])},
            # Docker's DNS forwards a name it does not know (a stopped engine's alias) to
            # the host's resolvers, which this machine cannot reach: 10 s per lookup. A
            # closed local resolver answers at once, as a reachable one would.
            # And the resolver gives up after a second, not 5 s twice per lookup.
            dns=["127.0.0.1"], dns_opt=["timeout:1", "attempts:1"], **options)

    def start_services(self) -> None:
        images.build_image(self.client, images.APP)
        for service in (engines.API, *self.workers()):
            self.run_service(service)
        self.wait_api()

    def stop_services(self) -> None:
        for container in self.client.containers.list(
                all=True, filters={"label": f"{STACK_LABEL}={self.stack.prefix}"}):
            if container.name.removeprefix(f"{self.stack.prefix}-") in self.service_names():
                container.remove(force=True)

    def service_names(self) -> set[str]:
        names = {engines.API.name, *(s.name for s in self.workers())}
        extra = {c.name.removeprefix(f"{self.stack.prefix}-") for c in self.client.containers.list(
            all=True, filters={"label": f"{STACK_LABEL}={self.stack.prefix}"})}
        return names | {n for n in extra if n.startswith(WORKER_PREFIX)}

    def wait_api(self, timeout_s: float = 120) -> float:
        """Seconds until the API answers /readyz with 200."""
        try:
            return engines.wait_ready(self.api_url, timeout_s)
        except TimeoutError as exc:
            logs = self.container("api").logs(tail=30).decode(errors="replace")
            raise TimeoutError(f"{exc}: {logs}") from None

    def ensure_all(self) -> None:
        """Undo what a scenario may have left: every engine running and on the
        network, extra workers gone, every service running, the API ready."""
        self.ensure_engines()
        for name in self.service_names():
            container = self.container(name)
            if name.startswith(WORKER_PREFIX) and name.endswith("-2"):
                container.remove(force=True)
            elif container.attrs["State"]["Paused"]:
                container.unpause()
            elif container.status != "running":
                container.start()
        self.wait_api()

    def ensure_engines(self) -> None:
        network = self.client.networks.get(self.stack.network)
        network.reload()
        attached = {c.name for c in network.containers}
        for engine in engines.ALL:
            container = self.container(engine.name)
            if container.attrs["State"]["Paused"]:
                container.unpause()
            if container.status != "running":
                self.start_engine(engine.name)
            else:
                self.refresh(engine.name, started=False)
            if container.name not in attached:
                self.connect(engine.name)
        for engine in engines.ALL:
            self.wait_engine(engine.name)

    def delivery_probe(self, timeout_s: float = 120) -> float:
        """Seconds until nginx serves a public object again."""
        from connectors.minio import ObjectStore
        from connectors.settings import MinioSettings

        variants = ObjectStore(MinioSettings()).variants
        key = "public/faults-probe.txt"
        variants.put(key, b"probe", "text/plain")
        started = time.monotonic()
        while True:
            url = f"{self.stack.addresses['nginx']}/{variants.name}/{key}"
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"nginx does not serve {url}")
            time.sleep(0.2)

    # -- faults ---------------------------------------------------------------

    def kill(self, name: str) -> None:
        """kill -9 of the container's main process (the worker itself)."""
        self.container(name).kill(signal="SIGKILL")

    def start(self, name: str) -> None:
        self.container(name).start()

    def pause(self, name: str) -> None:
        self.container(name).pause()

    def unpause(self, name: str) -> None:
        self.container(name).unpause()

    def disconnect(self, name: str) -> None:
        self.client.networks.get(self.stack.network).disconnect(self.container(name), force=True)

    def connect(self, name: str) -> None:
        aliases = [name] if any(e.name == name for e in engines.ALL) else None
        self.client.networks.get(self.stack.network).connect(self.container(name), aliases=aliases)

    def restart(self, name: str, timeout_s: int = 10) -> None:
        """docker restart (SIGTERM, SIGKILL after `timeout_s`); an engine's new
        host port is taken up at once."""
        self.container(name).restart(timeout=timeout_s)
        if any(e.name == name for e in engines.ALL):
            self.refresh(name)

    def stop_engine(self, name: str) -> None:
        self.container(name).stop(timeout=10)

    def start_engine(self, name: str) -> None:
        self.container(name).start()
        self.refresh(name)

    def refresh(self, engine_name: str, started: bool = True) -> str:
        """Read the engine's host port again, tell Kafka its host address when
        it has just `started` (the entrypoint waits for it; a file written
        while it runs would be read, stale, at its next start), and point the
        DARKROOM_* settings in os.environ at it. Returns the address."""
        engine = next(e for e in engines.ALL if e.name == engine_name)
        container = self.container(engine_name)
        deadline = time.monotonic() + 30
        while True:
            container.reload()
            bound = (container.ports or {}).get(f"{engine.port}/tcp")
            if bound:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{engine_name} has no host port")
            time.sleep(0.2)
        address = engine.address(int(bound[0]["HostPort"]))
        if engine.host_address and started:
            container.exec_run(["sh", "-c", f"echo {address} > {engine.host_address.path}"])
        self.stack.addresses[engine_name] = address
        os.environ.update(engine.settings_env(engine.points_at(address)))
        return address

    def wait_engine(self, engine_name: str, timeout_s: float = 180) -> None:
        engine = next(e for e in engines.ALL if e.name == engine_name)
        engine.ready(dict(os.environ), timeout_s)

    # -- what the processes do ---------------------------------------------------

    def state(self, name: str) -> dict:
        container = self.container(name)
        state = container.attrs["State"]
        return {"running": state["Running"], "restarts": container.attrs["RestartCount"],
                "exit_code": state["ExitCode"], "oom_killed": state["OOMKilled"]}

    def rss(self, name: str) -> dict[str, int]:
        """RSS in bytes of each process in the container, by `pid command`."""
        try:
            top = self.container(name).top(ps_args="-o pid,rss,args")
        except docker.errors.APIError:
            return {}  # stopped or paused
        return {f"{row[0]} {row[2][:60]}": int(row[1]) * 1024 for row in top.get("Processes") or []}

    def logs(self, name: str, tail: int = 40) -> str:
        return self.container(name).logs(tail=tail).decode(errors="replace")
