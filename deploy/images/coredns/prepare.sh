#!/usr/bin/env bash
# CoreDNS, built once from the Go module proxy with the plugins a cluster's
# DNS uses (../k8s/build-go-tool.sh), into the build context given as $1.
set -euo pipefail
cp "$(bash "$(dirname "$0")/../k8s/build-go-tool.sh" coredns)" "$1/coredns"
