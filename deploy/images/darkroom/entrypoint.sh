#!/usr/bin/env bash
# `api` serves the ingest API; `worker <stage>` runs one stream stage; `render`
# answers transform URLs behind nginx (the render service, ingest-api/render);
# `bootstrap` creates what the engines need (a Kubernetes Job) and
# `wait-bootstrap` waits until that is done for this image (an init container).
set -euo pipefail
case "${1:-api}" in
  # Not `-m`: run as __main__, the module would register its metrics a second time when
  # ingest_api.main imports it (prometheus_client refuses: DuplicateTimeseries).
  api) exec python3 -c 'from streams.observability.api import serve; serve()' ;;  # uvicorn on DARKROOM_API_PORT (8000), JSON logs
  worker) exec python3 -m streams "${@:2}" ;;
  render) exec uvicorn render.main:app --host 0.0.0.0 --port "${DARKROOM_RENDER_PORT:-8000}" --no-access-log ;;
  bootstrap) exec python3 -m devstack.k8s_bootstrap run ;;
  wait-bootstrap) exec python3 -m devstack.k8s_bootstrap wait ;;
  *) exec "$@" ;;
esac
