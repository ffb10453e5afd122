#!/bin/bash
# Fills the nginx.conf template from the environment and execs nginx in the
# foreground. Extra arguments go to nginx (e.g. "-t" to only check the config).
set -euo pipefail

run=/run/darkroom-nginx
cache=/var/cache/nginx-darkroom

: "${MINIO_UPSTREAM:=minio:9000}"
: "${CACHE_MAX_SIZE:=1g}"
: "${CACHE_INACTIVE:=30d}"
: "${CACHE_DEFAULT_TTL:=1h}"
: "${PURGE_ALLOW:=127.0.0.1 ::1 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16}"
: "${NGINX_WORKER_PROCESSES:=1}"
: "${NGINX_ERROR_LOG_LEVEL:=warn}"
if [ -z "${NGINX_RESOLVER:-}" ]; then
  # Docker writes its embedded DNS (127.0.0.11) here on user-defined networks.
  NGINX_RESOLVER=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
  NGINX_RESOLVER=${NGINX_RESOLVER:-127.0.0.11}
  case $NGINX_RESOLVER in *:*) NGINX_RESOLVER="[$NGINX_RESOLVER]" ;; esac
fi

# Values are pasted into the config: refuse anything that could end a directive.
for name in MINIO_UPSTREAM CACHE_MAX_SIZE CACHE_INACTIVE CACHE_DEFAULT_TTL PURGE_ALLOW \
            NGINX_WORKER_PROCESSES NGINX_ERROR_LOG_LEVEL NGINX_RESOLVER; do
  case ${!name} in
    *[\;\{\}\$\"\'\\@\|]* | "") echo "entrypoint: bad value for $name: '${!name}'" >&2; exit 64 ;;
  esac
done

mkdir -p "$run" "$cache/objects" "$cache/tmp"
for path in $PURGE_ALLOW; do printf 'allow %s;\n' "$path"; done > "$run/purge-allow.conf"
sed -e "s|@MINIO_UPSTREAM@|$MINIO_UPSTREAM|g" \
    -e "s|@CACHE_MAX_SIZE@|$CACHE_MAX_SIZE|g" \
    -e "s|@CACHE_INACTIVE@|$CACHE_INACTIVE|g" \
    -e "s|@CACHE_DEFAULT_TTL@|$CACHE_DEFAULT_TTL|g" \
    -e "s|@NGINX_RESOLVER@|$NGINX_RESOLVER|g" \
    -e "s|@NGINX_WORKER_PROCESSES@|$NGINX_WORKER_PROCESSES|g" \
    -e "s|@NGINX_ERROR_LOG_LEVEL@|$NGINX_ERROR_LOG_LEVEL|g" \
    /etc/darkroom-nginx/nginx.conf.template > "$run/nginx.conf"

exec nginx -e stderr -c "$run/nginx.conf" -g 'daemon off;' "$@"
