#!/usr/bin/env bash
# KEDA's operator and metrics adapter, built once from the Go module proxy
# (../k8s/build-keda.sh), into the build context given as $1.
set -euo pipefail
built=$(bash "$(dirname "$0")/../k8s/build-keda.sh")
cp "$built/keda" "$built/keda-adapter" "$1/"
