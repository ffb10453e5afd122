#!/usr/bin/env bash
# Compiles the pause program (pause.go, standard library only) into the build
# context given as $1.
set -euo pipefail
context=$1
cd "$(dirname "$0")"
CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOWORK=off \
  GOCACHE=${DARKROOM_CACHE:-/var/cache/darkroom}/go/gocache \
  go build -trimpath -ldflags "-s -w" -o "$context/pause" .
