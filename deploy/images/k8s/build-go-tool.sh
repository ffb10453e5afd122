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

mkdir -p "$(dirname "$bin")"
source "$(dirname "$0")/../go-module.sh"
go_module_source "$module" "$version" "$module_sum" "$cache/k8s"
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
