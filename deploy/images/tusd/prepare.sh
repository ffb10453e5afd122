#!/usr/bin/env bash
# Builds tusd (the tus org's resumable-upload server) from the Go module proxy
# into the build context given as $1 (through ../go-module.sh). The binary is
# cached under $DARKROOM_CACHE: a cold build takes about 3.5 minutes on an idle machine.
set -euo pipefail
context=$1
version=${VERSION:-v2.10.1}
# The module's own hash, pinned (see ../go-module.sh).
case $version in
  v2.10.1) module_sum=h1:hO312j4rT0unhaF4Ga7izNaYGbPOKI2kVIXbKgtv1W8= ;;
  *) echo "prepare.sh: no module hash known for tusd $version; add it here" >&2; exit 1 ;;
esac
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/tusd
bin=$cache/tusd-$version
if [ ! -x "$bin" ]; then
  source "$(dirname "$0")/../go-module.sh"
  go_module_source github.com/tus/tusd/v2 "$version" "$module_sum" "$cache"
  (cd "$src" && go build -trimpath -o "$bin.tmp" \
     -ldflags "-s -w -X github.com/tus/tusd/v2/cmd/tusd/cli.VersionName=$version" ./cmd/tusd)
  mv "$bin.tmp" "$bin"
fi
cp "$bin" "$context/tusd"
