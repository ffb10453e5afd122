"""The faust application every stage runs in: one app per stage, so each stage
is its own consumer group and scales on its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

import faust

from connectors.settings import KafkaSettings


def make_app(stage: str, settings: KafkaSettings | None = None) -> faust.App:
    settings = settings or KafkaSettings()
    return faust.App(
        f"darkroom-{stage}",  # the consumer group id
        broker=f"kafka://{settings.bootstrap}",
        web_enabled=False,  # no HTTP port per worker; health comes from consumer lag
        # The stages keep no tables, but faust still makes this folder (one level,
        # no parents): not in the working directory, which the image's user cannot write.
        datadir=Path(tempfile.gettempdir()) / f"darkroom-faust-{stage}",
        # Fast rebalances: ops add and remove workers while a stage runs.
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_rebalance_timeout=10,
        topic_allow_declare=False,  # topics are declared once, in schemas/, and bootstrapped
        # Records reach the agents as bytes: the stages parse them with the event models, so
        # a value that is not JSON is dead-lettered instead of crashing the agent in faust's codec.
        key_serializer="raw",
        value_serializer="raw",
        topic_disable_leader=True,
        producer_acks=-1,
    )
