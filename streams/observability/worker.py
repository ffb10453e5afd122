"""A stage worker's HTTP endpoint for operators and Kubernetes, on
`DARKROOM_WORKER_HTTP_PORT` (8081), served from the worker's own event loop:

- `/metrics`: Prometheus text. The runner's counters and histograms
  (streams/runner.py), `darkroom_stage_lag` for the partitions this worker
  holds (so a sum over the workers is the stage's lag, never counted twice),
  `darkroom_stage_assigned_partitions` and `darkroom_stage_paused`.
- `/healthz` (liveness): answered by the event loop, so a loop that is stuck
  stops answering and Kubernetes restarts the worker.
- `/readyz` (readiness): 200 once the consumer has its assignment, 503 before
  that and while the group rebalances.

Where the port is taken (two workers on one host, outside Kubernetes) the
worker serves on a free port instead and logs which.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

import faust
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors import groups
from connectors.settings import KafkaSettings
from streams.observability import logs

log = logging.getLogger(__name__)

LAG = Gauge("darkroom_stage_lag", "Records the stage's group has not committed yet, per partition "
            "this worker holds", ["stage", "topic", "partition"])
ASSIGNED = Gauge("darkroom_stage_assigned_partitions", "Partitions this worker holds", ["stage"])


class WorkerHttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_WORKER_", extra="ignore")
    http_host: str = "0.0.0.0"  # probes and Prometheus reach the pod from outside
    http_port: int = 8081
    lag_interval_s: float = 15.0  # how often the lag gauge is read from Kafka


def assignment(app: faust.App) -> set[Any]:
    """The partitions the worker's consumer holds; empty before it started."""
    try:
        return set(app.consumer.assignment())
    except Exception:  # noqa: BLE001 - faust raises its own "not started" before the thread runs
        return set()


def routes(app: faust.App) -> web.Application:
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        held = assignment(app)
        ready = bool(held) and not app.rebalancing
        return web.json_response({"ready": ready, "partitions": len(held)}, status=200 if ready else 503)

    server = web.Application()
    server.router.add_get("/metrics", metrics)
    server.router.add_get("/healthz", healthz)
    server.router.add_get("/readyz", readyz)
    return server


async def serve(app: faust.App, settings: WorkerHttpSettings) -> web.AppRunner:
    runner = web.AppRunner(routes(app), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        port = settings.http_port
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        site = web.TCPSite(runner, settings.http_host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.warning("port %d is taken: metrics and probes on port %d", settings.http_port, port)
    log.info("metrics and probes on http://%s:%d", settings.http_host, port)
    return runner


async def refresh_lag(app: faust.App, stage: str, reader: groups.OffsetReader, topics: list[str],
                      shown: set[tuple[str, int]]) -> None:
    """Set the lag gauge of the partitions held now, and drop those let go."""
    held = {(tp.topic, tp.partition) for tp in assignment(app)}
    ASSIGNED.labels(stage).set(len(held))
    offsets = await asyncio.to_thread(reader.read, topics) if held else []
    for entry in offsets:
        if (entry.topic, entry.partition) in held:
            LAG.labels(stage, entry.topic, str(entry.partition)).set(entry.lag)
    for topic, partition in shown - held:
        LAG.remove(stage, topic, str(partition))
    shown.clear()
    shown.update(held)


def install(app: faust.App, stage: str, topics: list[str]) -> None:
    """JSON logs for the worker, and its endpoint and lag gauge, started with it."""
    app.conf.logging_config = logs.dict_config(f"worker-{stage}")
    settings = WorkerHttpSettings()
    group = str(app.conf.id)
    shown: set[tuple[str, int]] = set()
    readers: list[groups.OffsetReader] = []  # one, made at the first reading, kept for the process

    @app.task
    async def endpoint() -> None:
        await serve(app, settings)

    @app.timer(settings.lag_interval_s)
    async def lag() -> None:
        try:
            if not readers:
                readers.append(groups.OffsetReader(KafkaSettings(), group))
            await refresh_lag(app, stage, readers[0], topics, shown)
        except Exception:  # noqa: BLE001 - a missed reading must not stop the worker
            log.warning("%s: could not read the lag", stage, exc_info=True)
