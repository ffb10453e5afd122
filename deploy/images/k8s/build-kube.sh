#!/usr/bin/env bash
# Builds Kubernetes binaries from the Go module proxy (no release downloads are
# reachable here) and caches them under $DARKROOM_CACHE/k8s/kubernetes-<version>/.
# Usage: build-kube.sh BINARY...   (kube-apiserver kubectl kube-controller-manager
#        kube-scheduler kubelet kube-proxy); prints the folder that holds them.
#
# The module's go.mod points its 31 staging modules (k8s.io/api, client-go, ...)
# at ./staging, which the module zip does not carry: those replaces are dropped
# and the modules pinned to the matching v0.<minor>.<patch>, all of which the
# proxy serves. Cold: kube-apiserver and kubectl about 7 minutes, all six about
# 8.5 on an idle 2-core machine (2 GB peak); a binary that exists is never rebuilt.
set -euo pipefail
version=${KUBE_VERSION:-v1.35.4}
# The module's own hash, pinned (../go-module.sh); its go.sum does not list the staging modules.
case $version in
  v1.35.4) module_sum=h1:o/8dBC/pHVpYoGV4OAIytAlNPZbdYVTXJHoYvXC4qzM= ;;
  *) echo "build-kube.sh: no module hash known for Kubernetes $version; add it here" >&2; exit 1 ;;
esac
cache=${DARKROOM_CACHE:-/var/cache/darkroom}
bin=$cache/k8s/kubernetes-$version
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet kube-proxy)
missing=()
for name in "${wanted[@]}"; do [ -x "$bin/$name" ] || missing+=("./cmd/$name"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi

mkdir -p "$bin" "$cache/k8s"
# One Go cache for every cluster build (Kubernetes, KEDA, CoreDNS share client-go and friends).
source "$(dirname "$0")/../go-module.sh"
go_module k8s.io/kubernetes "$version" "$module_sum"
export GONOSUMDB=k8s.io  # the staging modules too
# A writable copy, kept so a later build of other binaries reuses its resolved go.mod.
src=$cache/k8s/src-$version
if [ ! -f "$src/.prepared" ]; then
  rm -rf "$src" && mkdir -p "$src"
  cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  rm -rf "$src/vendor" "$src"/go.work*
  minor=${version#v1.}
  python3 - "$src/go.mod" "v0.$minor" <<'PY'
import re, sys
path, staging = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"^\s*k8s\.io/\S+ => \./staging/src/k8s\.io/\S+\n", "", text, flags=re.M)
text = re.sub(r"^(\s*k8s\.io/\S+) v0\.0\.0$", rf"\1 {staging}", text, flags=re.M)
text = re.sub(r"^replace \(\s*\)\n", "", text, flags=re.M)
open(path, "w").write(text)
PY
  touch "$src/.prepared"
fi
pkg=k8s.io/component-base/version client=k8s.io/client-go/pkg/version
minor=${version#v1.}; minor=${minor%%.*}
flags="-s -w"
for p in $pkg $client; do
  flags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  flags+=" -X $p.buildDate=1970-01-01T00:00:00Z"
done
(cd "$src" && go build -tags providerless -trimpath -ldflags "$flags" -o "$bin/" "${missing[@]}") >&2
echo "$bin"
