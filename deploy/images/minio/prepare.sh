#!/usr/bin/env bash
# Builds the MinIO server from source through the Go module proxy (../go-module.sh)
# and puts it into the build context given as $1.
# The binary is cached under $DARKROOM_CACHE: a cold build takes about 7 minutes on an
# idle machine (over an hour on 2 busy cores).
set -euo pipefail
context=$1
tag=${VERSION:-RELEASE.2025-09-07T16-13-09Z}
# The proxy does not serve MinIO's non-semver tags, so each tag maps to the pseudo-version of
# its commit; the module's own hash is pinned too (see ../go-module.sh).
case $tag in
  RELEASE.2025-09-07T16-13-09Z)
    module_version=v0.0.0-20250907161309-07c3a429bfed
    module_sum=h1:deu0m9BiyqnMbGWfJi1PpVyotSXlDnTmRIme1cUXnxo= ;;
  *) echo "prepare.sh: no pseudo-version known for MinIO $tag; add it here" >&2; exit 1 ;;
esac
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/minio
bin=$cache/minio-$tag
if [ ! -x "$bin" ]; then
  source "$(dirname "$0")/../go-module.sh"
  go_module_source github.com/minio/minio "$module_version" "$module_sum" "$cache"
  (cd "$src" && go build -trimpath -o "$bin.tmp" \
     -ldflags "-s -w -X github.com/minio/minio/cmd.Version=$tag -X github.com/minio/minio/cmd.ReleaseTag=$tag" .)
  mv "$bin.tmp" "$bin"
fi
cp "$bin" "$context/minio"
