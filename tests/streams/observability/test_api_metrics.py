"""The API's /metrics: requests counted by route template, never by path."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from streams.observability import api


def test_requests_are_counted_by_route_and_status_and_served_at_metrics():
    app = FastAPI()
    api.install(app)

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    client = TestClient(app)
    for thing_id in ("a", "b", "c"):
        assert client.get(f"/v1/things/{thing_id}", headers={"X-Request-ID": "r-1"}).status_code == 200
    assert client.get("/nowhere").status_code == 404
    text = client.get("/metrics").text
    assert 'darkroom_api_requests_total{method="GET",route="/v1/things/{thing_id}",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    bucket = 'darkroom_api_request_seconds_bucket{le="0.005",method="GET",route="/v1/things/{thing_id}"}'
    assert bucket in text
    assert "darkroom_api_requests_in_flight" in text
    assert "/v1/things/a" not in text  # a path would make one series per image
