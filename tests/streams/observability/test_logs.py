"""JSON log lines carry the context they were written in."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from streams.observability import logs


def _logger(stream: io.StringIO, formatter: logging.Formatter) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_a_line_carries_the_bound_image_and_event_and_what_extra_adds():
    stream = io.StringIO()
    logger = _logger(stream, logs.JsonFormatter("worker-resize"))

    async def one_record(image_id: str) -> None:
        logs.bind(stage="resize", image_id=image_id, event_id=f"e-{image_id}", offset=7)
        await asyncio.to_thread(logger.info, "rendered %d sizes", 5)  # a thread carries the context too
        logger.warning("done", extra={"topic": "darkroom.image.uploaded"})

    async def both() -> None:
        await asyncio.gather(one_record("a"), one_record("b"))  # two actors, two contexts

    asyncio.run(both())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {(line["image_id"], line["event_id"]) for line in lines} == {("a", "e-a"), ("b", "e-b")}
    first = next(line for line in lines if line["message"] == "rendered 5 sizes")
    assert first["service"] == "worker-resize" and first["level"] == "info" and first["offset"] == 7
    assert all(line["topic"] == "darkroom.image.uploaded" for line in lines if line["message"] == "done")


def test_binding_none_drops_a_field_and_exceptions_are_kept():
    stream = io.StringIO()
    logger = _logger(stream, logs.JsonFormatter())

    async def run() -> None:
        logs.bind(image_id="x", event_id="y")
        logs.bind(event_id=None)
        try:
            raise ValueError("broken")
        except ValueError:
            logger.exception("failed")

    asyncio.run(run())
    [line] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert line["image_id"] == "x" and "event_id" not in line
    assert "ValueError: broken" in line["exception"]


def test_text_lines_for_a_terminal_end_with_the_fields():
    stream = io.StringIO()
    logger = _logger(stream, logs.TextFormatter())

    async def run() -> None:
        logs.bind(image_id="x")
        logger.info("hello")

    asyncio.run(run())
    assert stream.getvalue().rstrip().endswith("hello image_id=x")


def test_the_config_sends_uvicorns_loggers_through_the_one_formatter():
    config = logs.dict_config("api", logs.LogSettings(format="json", level="warning"))
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"] == {"handlers": [], "propagate": True}
    assert config["formatters"]["darkroom"]["()"] is logs.JsonFormatter
