#!/usr/bin/env bash
# Builds wheels of the project and its pinned dependencies on the host (PyPI is
# reachable here, not from inside a build), for an offline install in the image.
set -euo pipefail
context=$1
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/pip
# The page's npm libraries (a no-op when the checkout has them already).
bash "$context/src/ingest-api/ingest_api/web/vendor.sh" "$context/src/ingest-api/ingest_api/web"
python3 -m pip wheel -q --cache-dir "$cache" --wheel-dir "$context/wheels" "$context/src"
# The tagging model, exported once on the host by ./darkroom's install
# (python -m streams.classify.export); the image carries the .onnx, not torch.
model=${DARKROOM_TAGGING_MODEL_PATH:-${XDG_CACHE_HOME:-$HOME/.cache}/darkroom/models/efficientnet-lite0.onnx}
if [ ! -f "$model" ]; then
  echo "prepare: no tagging model at $model; run python -m streams.classify.export" >&2
  exit 1
fi
cp "$model" "$context/efficientnet-lite0.onnx"
