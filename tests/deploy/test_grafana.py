"""The Grafana dashboard asks only for metrics Darkroom exports: a renamed
metric would leave a panel silently empty."""

from __future__ import annotations

import json
import re

from devstack.images import ROOT
from prometheus_client import REGISTRY

import streams.control  # noqa: F401 - registers the paused gauge
import streams.observability.api  # noqa: F401 - registers the API's metrics
import streams.observability.worker  # noqa: F401 - registers the lag gauges
import streams.runner  # noqa: F401 - registers the stages' metrics

DASHBOARD = ROOT / "deploy" / "grafana" / "darkroom.json"


def _exported() -> set[str]:
    names = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        names.update(sample.name for sample in metric.samples)
    return names


def test_every_metric_the_dashboard_asks_for_is_exported():
    dashboard = json.loads(DASHBOARD.read_text())
    asked = {name for panel in dashboard["panels"] for target in panel.get("targets", [])
             for name in re.findall(r"\bdarkroom_[a-z_]+", target["expr"])}
    assert asked, "the dashboard asks for nothing"
    exported = _exported() | {f"{name}_total" for name in _exported()}  # counters' samples
    histograms = {f"{name}_bucket" for name in _exported()}
    assert asked - exported - histograms == set()
