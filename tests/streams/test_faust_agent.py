import os
import subprocess
import sys
import uuid

import pytest

from connectors import groups, kafka
from connectors.settings import KafkaSettings
from schemas.topics import Topic

pytestmark = pytest.mark.integration


def test_faust_agent_consumes_a_topic_in_its_own_group():
    settings = KafkaSettings()
    run = uuid.uuid4().hex[:8]
    source = Topic(f"test.echo.in.{run}", "k", "test", partitions=2)
    sink = Topic(f"test.echo.out.{run}", "k", "test", partitions=2)
    kafka.ensure_topics(settings, [source, sink])
    producer = kafka.producer(settings)
    for i in range(10):
        producer.produce(source.name, key=f"k{i}", value=f"hello {i}")
    producer.flush(10)

    env = {**os.environ, "ECHO_STAGE": f"echo-{run}", "ECHO_SOURCE": source.name, "ECHO_SINK": sink.name}
    worker = subprocess.Popen(
        [sys.executable, "-m", "faust", "-A", "tests.streams.faust_echo", "worker", "-l", "warn",
         "--without-web"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        consumer = kafka.consumer(settings, group=f"reader-{run}")
        consumer.subscribe([sink.name])
        received = {}
        for _ in range(240):  # the worker needs a few seconds to join its group
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                received[message.key().decode()] = message.value().decode()
            if len(received) == 10:
                break
        consumer.close()
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert received == {f"k{i}": f"HELLO {i}" for i in range(10)}, output.decode()[-2000:]
    # The agent committed what it consumed, in the stage's own consumer group.
    assert groups.lag(settings, f"darkroom-echo-{run}", [source.name]) == 0
