#!/usr/bin/env bash
# Builds KEDA's operator and metrics adapter from the Go module proxy and caches
# them, with KEDA's own install manifests (config/), under
# $DARKROOM_CACHE/k8s/keda-<version>/. Prints that folder.
# Cold: about 12 minutes for the operator and 2 for the adapter (2.8 GB peak).
set -euo pipefail
version=${KEDA_VERSION:-v2.21.0}
case $version in
  v2.21.0) module_sum=h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps= ;;
  *) echo "build-keda.sh: no module hash known for KEDA $version; add it here" >&2; exit 1 ;;
esac
cache=${DARKROOM_CACHE:-/var/cache/darkroom}
out=$cache/k8s/keda-$version
if [ -x "$out/keda" ] && [ -x "$out/keda-adapter" ] && [ -d "$out/config" ]; then echo "$out"; exit 0; fi

export GOPATH=$cache/go/gopath GOMODCACHE=$cache/go/gopath/pkg/mod GOCACHE=$cache/go/gocache
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GONOSUMDB=github.com/kedacore
mkdir -p "$out"
read -r dir sum < <(go mod download -json "github.com/kedacore/keda/v2@$version" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Dir"], d["Sum"])')
if [ "$sum" != "$module_sum" ]; then
  echo "build-keda.sh: github.com/kedacore/keda/v2@$version hash $sum, expected $module_sum" >&2
  exit 1
fi
src=$(mktemp -d "$cache/k8s/keda-src.XXXXXX")
trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
cp -r "$dir/." "$src/" && chmod -R u+w "$src"
flags="-s -w -X=github.com/kedacore/keda/v2/version.Version=${version#v} -X=github.com/kedacore/keda/v2/version.GitCommit=$version"
(cd "$src" && go build -trimpath -ldflags "$flags" -o "$out/keda.tmp" ./cmd/operator \
   && go build -trimpath -ldflags "$flags" -o "$out/keda-adapter.tmp" ./cmd/adapter) >&2
rm -rf "$out/config" && cp -r "$src/config" "$out/config"
mv "$out/keda.tmp" "$out/keda" && mv "$out/keda-adapter.tmp" "$out/keda-adapter"
echo "$out"
