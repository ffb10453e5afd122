"""A tiny faust worker for the tests: upper-cases each record of one topic
into another. Run as `faust -A tests.streams.faust_echo worker`."""

import os

from streams.app import make_app

app = make_app(os.environ["ECHO_STAGE"])
source = app.topic(os.environ["ECHO_SOURCE"], key_type=bytes, value_type=bytes)
sink = app.topic(os.environ["ECHO_SINK"], key_type=bytes, value_type=bytes)


@app.agent(source)
async def echo(stream):
    async for key, value in stream.items():
        await sink.send(key=key, value=value.upper())
