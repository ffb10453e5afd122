# Sourced by the scripts that build Go programs from the Go module proxy (no
# release binaries are reachable here): deploy/images/{minio,tusd}/prepare.sh
# and deploy/images/k8s/build-*.sh. `go install module@version` is no help:
# the proxy refuses version lists.

# go_module MODULE VERSION H1_SUM
#   Downloads MODULE@VERSION into the one module cache under $DARKROOM_CACHE/go
#   and sets $dir to its (read-only) source. sum.golang.org is not reachable,
#   so each caller pins its module's own hash, checked here; the build then
#   checks the dependencies against the module's go.sum.
go_module() {
  local module=$1 version=$2 want=$3 sum
  local cache=${DARKROOM_CACHE:-/var/cache/darkroom}/go
  export GOPATH=$cache/gopath GOMODCACHE=$cache/gopath/pkg/mod GOCACHE=$cache/gocache
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GONOSUMDB=$module
  read -r dir sum < <(go mod download -json "$module@$version" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Dir"], d["Sum"])')
  if [ "$sum" != "$want" ]; then
    echo "$(basename "$0"): $module@$version hash $sum, expected $want" >&2
    exit 1
  fi
}

# go_module_source MODULE VERSION H1_SUM SCRATCH
#   go_module, then sets $src to a writable copy of the source in SCRATCH,
#   removed when the calling script exits.
go_module_source() {
  go_module "$1" "$2" "$3"
  mkdir -p "$4"
  src=$(mktemp -d "$4/src.XXXXXX")
  trap 'chmod -R u+w "$src"; rm -rf "$src"' EXIT
  cp -r "$dir/." "$src/" && chmod -R u+w "$src"
}
