#!/usr/bin/env bash
# `api` serves the ingest API; `worker <stage>` runs one stream stage.
set -euo pipefail
case "${1:-api}" in
  api) exec uvicorn ingest_api.main:app --host 0.0.0.0 --port "${DARKROOM_API_PORT:-8000}" ;;
  worker) exec python3 -m streams "${@:2}" ;;
  *) exec "$@" ;;
esac
