"""Connector settings from an explicit DARKROOM_* mapping. Apart from
engines.py, so what runs inside the app image (the bootstrap Job) needs
none of the stack's Docker tooling."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)


def settings_from_env(cls: type[S], env: dict[str, str]) -> S:
    """A connector's settings from an explicit DARKROOM_* mapping (not os.environ)."""
    prefix = cls.model_config["env_prefix"]
    values: dict[str, Any] = {k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix)}
    return cls(**values)
