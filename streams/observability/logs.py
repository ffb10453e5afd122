"""Structured logs: one JSON object per line on stderr, for a log shipper
(Fluent Bit, Vector, Promtail) to index without parsing prose.

Every line carries the time, level, logger, service and message, and the
context it was written in: a stage's runner binds the record it is on
(`bind(image_id=..., event_id=..., topic=..., partition=..., offset=...)`)
and every line written while that record is processed, in its task or in
the threads it starts (`asyncio.to_thread` copies the context), carries
those fields. A call may also pass them as `extra={"image_id": ...}`.

`DARKROOM_LOG_FORMAT=text` gives plain lines for a person at a terminal.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

# Fields a line may carry besides its message, from the bound context or `extra`.
FIELDS = ("stage", "image_id", "event_id", "topic", "partition", "offset", "request_id")

_bound: ContextVar[dict[str, object]] = ContextVar("darkroom_log_fields", default={})  # noqa: B039 - never mutated


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_LOG_", extra="ignore")
    format: str = "json"  # json (for shippers) or text (for a terminal)
    level: str = "INFO"


def bind(**fields: object) -> None:
    """Carry `fields` on every line written from here on in this context (a
    task, and the threads it starts); a None value drops the field."""
    merged = {**_bound.get(), **fields}
    _bound.set({k: v for k, v in merged.items() if v is not None})


def bound() -> dict[str, object]:
    return dict(_bound.get())


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "darkroom") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        entry.update(_bound.get())
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines, with the bound fields at the end."""

    def __init__(self, service: str = "darkroom") -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        given = {n: record.__dict__[n] for n in FIELDS if record.__dict__.get(n) is not None}
        fields = {**_bound.get(), **given}
        return line + "".join(f" {k}={v}" for k, v in fields.items())


def dict_config(service: str, settings: LogSettings | None = None) -> dict[str, Any]:
    """A logging.config dictionary: every logger, the servers' own included
    (uvicorn, faust, aiokafka), writes through the one formatter."""
    settings = settings or LogSettings()
    formatter = JsonFormatter if settings.format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"darkroom": {"()": formatter, "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "darkroom",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": settings.level.upper(), "handlers": ["stderr"]},
        # uvicorn configures these with handlers of its own before the app loads;
        # the Elasticsearch client says every request at INFO.
        "loggers": {**{name: {"handlers": [], "propagate": True}
                       for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
                    "elastic_transport": {"level": "WARNING"}},
    }


def configure(service: str) -> None:
    logging.config.dictConfig(dict_config(service))
