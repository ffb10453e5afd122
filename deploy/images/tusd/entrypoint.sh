#!/usr/bin/env bash
# tusd for Darkroom: tus 1.0 at /files/, writing straight into MinIO's
# originals bucket under the staging prefix Darkroom expires
# (TUSD_S3_OBJECT_PREFIX), and calling the API's hooks for every decision.
# One instance serves: its upload locks are held in its own memory.
#
#   TUSD_S3_ENDPOINT, TUSD_S3_BUCKET, TUSD_S3_OBJECT_PREFIX   where the bytes go
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION      MinIO's credentials
#   TUSD_HOOKS_URL       the API's POST /v1/uploads/tus/hooks
#   TUSD_BEHIND_PROXY    true when a proxy in front sets X-Forwarded-* (upload URLs follow it)
set -euo pipefail
: "${TUSD_S3_ENDPOINT:?the MinIO URL, e.g. http://minio:9000}"
: "${TUSD_HOOKS_URL:?the API hooks URL, e.g. http://api:8000/v1/uploads/tus/hooks}"
: "${AWS_SECRET_ACCESS_KEY:?the MinIO secret key}"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-darkroom} AWS_REGION=${AWS_REGION:-us-east-1}
args=(
  -host 0.0.0.0 -port "${TUSD_PORT:-8080}" -base-path /files/
  -s3-endpoint "$TUSD_S3_ENDPOINT"
  -s3-bucket "${TUSD_S3_BUCKET:-darkroom-originals}"
  -s3-object-prefix "${TUSD_S3_OBJECT_PREFIX:-staging/tus/}"
  -hooks-http "$TUSD_HOOKS_URL"
  -hooks-http-forward-headers Authorization
  -hooks-enabled-events pre-create,post-finish,pre-terminate,post-terminate
  # The hand-off reads a large original back before it answers post-finish.
  -hooks-http-timeout "${TUSD_HOOKS_TIMEOUT:-60s}"
  # Staged uploads are never served back: originals leave only through the API.
  -disable-download
  # No MD5/SHA-256 of every part for the S3 signature: the API hashes the whole
  # file at the hand-off anyway, and MinIO sits on the same private network.
  -s3-disable-content-hashes="${TUSD_S3_DISABLE_CONTENT_HASHES:-true}"
  -log-format json -show-startup-logs=false
)
if [ -n "${TUSD_MAX_SIZE:-}" ]; then args+=(-max-size "$TUSD_MAX_SIZE"); fi
if [ "${TUSD_BEHIND_PROXY:-false}" = true ]; then args+=(-behind-proxy); fi
exec /usr/local/bin/tusd "${args[@]}" "$@"
