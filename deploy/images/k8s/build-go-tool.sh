#!/usr/bin/env bash
# Builds a small Go tool the cluster needs from the Go module proxy and caches
# it under $DARKROOM_CACHE/k8s/<tool>-<version>/. Prints the binary's path.
# Usage: build-go-tool.sh kubeconform|coredns
#   kubeconform  validates manifests offline (about 1 minute cold)
#   coredns      the cluster's DNS, with only the plugins a cluster needs
#                compiled in (about 3 minutes cold instead of 10)
set -euo pipefail
tool=$1
case $tool in
  kubeconform) module=github.com/yannh/kubeconform version=v0.8.0 package=./cmd/kubeconform
               module_sum=h1:loDYd3a3spjIFrauqW67CDKF55Oo9R6uvC8AvpVd4ug= ;;
  coredns) module=github.com/coredns/coredns version=v1.15.0 package=.
           module_sum=h1:OBT+OEyHVdUiVxPhrNlC5XZVq3RkSxzQXfZQ76gm5ck= ;;
  *) echo "build-go-tool.sh: unknown tool $tool" >&2; exit 2 ;;
esac
cache=${DARKROOM_CACHE:-/var/cache/darkroom}
bin=$cache/k8s/$tool-$version/$tool
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

export GOPATH=$cache/go/gopath GOMODCACHE=$cache/go/gopath/pkg/mod GOCACHE=$cache/go/gocache
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GONOSUMDB=$module
mkdir -p "$(dirname "$bin")"
read -r dir sum < <(go mod download -json "$module@$version" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Dir"], d["Sum"])')
if [ "$sum" != "$module_sum" ]; then
  echo "build-go-tool.sh: $module@$version hash $sum, expected $module_sum" >&2
  exit 1
fi
src=$(mktemp -d "$cache/k8s/$tool-src.XXXXXX")
trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
cp -r "$dir/." "$src/" && chmod -R u+w "$src"
if [ "$tool" = coredns ]; then
  # The plugins a cluster's DNS uses (the kubeadm Corefile's), so the cloud
  # providers' SDKs are never compiled. The Corefile is in devstack/k8s_addons.py.
  python3 - "$src/core/plugin/zplugin.go" <<'PY'
import re, sys
keep = {"errors", "health", "ready", "kubernetes", "cache", "loop", "reload", "loadbalance", "log",
        "forward", "metrics"}
path = sys.argv[1]
text = open(path).read()
def wanted(match):
    return match.group(0) if match.group(1) in keep else ""
text = re.sub(r'^\s*_ "github\.com/coredns/(?:coredns/plugin|caddy)/(\w+)"\n', wanted, text, flags=re.M)
open(path, "w").write(text)
PY
fi
(cd "$src" && go build -trimpath -ldflags "-s -w" -o "$bin.tmp" "$package") >&2
mv "$bin.tmp" "$bin"
echo "$bin"
