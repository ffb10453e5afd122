#!/usr/bin/env bash
# `api` serves the ingest API; `worker <stage>` runs one stream stage;
# `bootstrap` creates what the engines need (a Kubernetes Job) and
# `wait-bootstrap` waits until that is done for this image (an init container).
set -euo pipefail
case "${1:-api}" in
  api) exec uvicorn ingest_api.main:app --host 0.0.0.0 --port "${DARKROOM_API_PORT:-8000}" ;;
  worker) exec python3 -m streams "${@:2}" ;;
  bootstrap) exec python3 -m devstack.k8s_bootstrap run ;;
  wait-bootstrap) exec python3 -m devstack.k8s_bootstrap wait ;;
  *) exec "$@" ;;
esac
