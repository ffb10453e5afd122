#!/usr/bin/env bash
# Builds wheels of the project and its pinned dependencies on the host (PyPI is
# reachable here, not from inside a build), for an offline install in the image.
set -euo pipefail
context=$1
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/pip
python3 -m pip wheel -q --cache-dir "$cache" --wheel-dir "$context/wheels" "$context/src"
