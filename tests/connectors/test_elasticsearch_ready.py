"""Waiting for Elasticsearch, without one: a node that takes connections but
is too busy to answer (a loaded machine, a node still starting) is waited
for, not given up on at the first timed-out request."""

from __future__ import annotations

import socket
import threading

import pytest

from connectors import elasticsearch
from connectors.settings import ElasticsearchSettings


def test_a_node_that_does_not_answer_yet_is_waited_for_until_the_deadline():
    held: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def accept_and_say_nothing() -> None:
            while True:
                try:
                    held.append(server.accept()[0])
                except OSError:
                    return

        threading.Thread(target=accept_and_say_nothing, daemon=True).start()
        settings = ElasticsearchSettings(url=f"http://127.0.0.1:{server.getsockname()[1]}",
                                         request_timeout_s=0.2)
        with pytest.raises(TimeoutError):  # not the first request's ConnectionTimeout
            elasticsearch.wait_ready(settings, timeout_s=1.5)
    for connection in held:
        connection.close()
