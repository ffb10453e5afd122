"""The stages, found rather than listed: a module of the `streams` package
that declares a stage (`streams.runner.stage_app`) registers it on import,
as faust finds its agents. `python -m streams`, the bootstrap (which
creates each stage's dead-letter topic), the local stack (one worker per
stage) and the deploy/k8s consistency check all read `discover()`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import faust

import streams
from schemas import topics
from schemas.events import Event
from schemas.topics import Topic


@dataclass(frozen=True)
class Stage:
    name: str
    inputs: tuple[type[Event], ...]
    dead_letters: Topic
    app: faust.App

    @property
    def group(self) -> str:
        """The stage's consumer group: what ops scale and watch the lag of."""
        return str(self.app.conf.id)

    @property
    def input_topics(self) -> tuple[Topic, ...]:
        return tuple(event.TOPIC for event in self.inputs)


STAGES: dict[str, Stage] = {}


def register(stage: Stage) -> Stage:
    if stage.name in STAGES:
        raise ValueError(f"stage {stage.name} is declared twice")
    STAGES[stage.name] = stage
    return stage


def forget(name: str) -> None:
    """Undo a declaration (for tests that declare a stage of their own)."""
    stage = STAGES.pop(name, None)
    if stage is not None:
        topics.forget(stage.dead_letters.name)


def discover() -> dict[str, Stage]:
    """Import every module of the streams package, so each stage declares
    itself; returns the stages by name."""
    for module in pkgutil.iter_modules(streams.__path__):
        if not module.ispkg and not module.name.startswith("_"):
            importlib.import_module(f"streams.{module.name}")
    return dict(STAGES)
