"""`./darkroom k8s up|status|down`: the local Kubernetes cluster
(devstack/k8s_cluster.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from devstack import k8s_tools, log
from devstack.k8s_cluster import Cluster, ClusterError


def register(commands: Any) -> None:
    k8s = commands.add_parser("k8s", help="a real single-node Kubernetes cluster running deploy/k8s")
    actions = k8s.add_subparsers(dest="k8s_command", required=True)
    up = actions.add_parser("up", help="build (once), start the cluster with KEDA, apply overlays/local, "
                                       "wait for the API")
    up.add_argument("--no-build", action="store_true",
                    help="take the images as they are (build only missing ones)")
    status = actions.add_parser("status", help="the cluster, each Deployment (ready/desired), the API")
    status.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    down = actions.add_parser("down", help="stop everything `up` started and remove the cluster's state")
    down.add_argument("--wipe", action="store_true", help="also the certificates and the node's image store")


def run(args: argparse.Namespace) -> int:
    cluster = Cluster()
    try:
        if args.k8s_command == "up":
            found = cluster.up(build=not args.no_build)
            log.step("k8s: up; `./darkroom k8s status` shows it, `./darkroom k8s down` stops it")
            for step, seconds in cluster.timings.items():
                print(f"{seconds:7.1f} s  {step}", file=sys.stderr)
            print(f"API      {found['api']}")
            print(f"dev key  {found['dev_api_key']}")
            return 0
        if args.k8s_command == "status":
            return _status(cluster, args.json)
        cluster.down(wipe=args.wipe)
        log.step("k8s: down" + ("; its certificates and images removed too" if args.wipe else ""))
        return 0
    except (ClusterError, k8s_tools.ToolError, RuntimeError) as exc:
        print(f"darkroom k8s {args.k8s_command}: {exc}", file=sys.stderr)
        return 1


def _status(cluster: Cluster, as_json: bool) -> int:
    report = cluster.status()
    healthy = bool(report["cluster"]["healthy"]) and bool(report["api"]["healthy"])
    if as_json:
        print(json.dumps(report, indent=2))
        return 0 if healthy else 1
    state = report["cluster"]
    mark = "up  " if state["healthy"] else "DOWN"
    print(f"{mark} cluster  {state['version'] or '-'}  {state['address']}")
    for name, replicas in sorted(report["deployments"].items()):
        mark = "up  " if replicas["ready"] >= replicas["desired"] > 0 else "    "
        print(f"{mark} {name:<44} {replicas['ready']}/{replicas['desired']}")
    api = report["api"]
    print(f"{'up  ' if api['healthy'] else 'DOWN'} api      {api['address']}")
    return 0 if healthy else 1
