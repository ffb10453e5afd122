#!/bin/bash
# Fills the nginx.conf template from the environment and execs nginx in the
# foreground. Extra arguments go to nginx (e.g. "-t" to only check the config).
set -euo pipefail

run=/run/darkroom-nginx
cache=/var/cache/nginx-darkroom

: "${MINIO_UPSTREAM:=minio:9000}"
: "${RENDER_UPSTREAM:=render:8000}"
: "${VARIANTS_BUCKET:=darkroom-variants}"
: "${CACHE_MAX_SIZE:=1g}"
: "${CACHE_INACTIVE:=30d}"
: "${CACHE_DEFAULT_TTL:=1h}"
: "${CACHE_NOT_FOUND_TTL:=5s}"
: "${NGINX_WORKER_PROCESSES:=auto}"
: "${NGINX_ERROR_LOG_LEVEL:=warn}"
if [ -z "${NGINX_RESOLVER:-}" ]; then
  # Docker writes its embedded DNS (127.0.0.11) here on user-defined networks.
  NGINX_RESOLVER=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
  NGINX_RESOLVER=${NGINX_RESOLVER:-127.0.0.11}
  case $NGINX_RESOLVER in *:*) NGINX_RESOLVER="[$NGINX_RESOLVER]" ;; esac
fi

# Secrets the API and the bootstrap share with nginx (no defaults: required).
PURGE_TOKEN=${DARKROOM_DELIVERY_PURGE_TOKEN:-}
ORIGIN_SECRET=${DARKROOM_DELIVERY_ORIGIN_SECRET:-}
: "${DARKROOM_DELIVERY_SIGNING_KEYS:?DARKROOM_DELIVERY_SIGNING_KEYS is required}"

# Values are pasted into the config: refuse anything that could end a directive.
for name in MINIO_UPSTREAM RENDER_UPSTREAM VARIANTS_BUCKET CACHE_MAX_SIZE CACHE_INACTIVE CACHE_DEFAULT_TTL CACHE_NOT_FOUND_TTL \
            NGINX_WORKER_PROCESSES NGINX_ERROR_LOG_LEVEL NGINX_RESOLVER PURGE_TOKEN ORIGIN_SECRET; do
  case ${!name} in
    *[\;\{\}\$\"\'\\@\|]* | "") echo "entrypoint: bad value for $name: '${!name}'" >&2; exit 64 ;;
  esac
done

mkdir -p "$run" "$cache/objects" "$cache/tmp"
for template in nginx proxy; do
  sed -e "s|@MINIO_UPSTREAM@|$MINIO_UPSTREAM|g" \
      -e "s|@RENDER_UPSTREAM@|$RENDER_UPSTREAM|g" \
      -e "s|@VARIANTS_BUCKET@|$VARIANTS_BUCKET|g" \
      -e "s|@CACHE_MAX_SIZE@|$CACHE_MAX_SIZE|g" \
      -e "s|@CACHE_INACTIVE@|$CACHE_INACTIVE|g" \
      -e "s|@CACHE_DEFAULT_TTL@|$CACHE_DEFAULT_TTL|g" \
      -e "s|@CACHE_NOT_FOUND_TTL@|$CACHE_NOT_FOUND_TTL|g" \
      -e "s|@NGINX_RESOLVER@|$NGINX_RESOLVER|g" \
      -e "s|@NGINX_WORKER_PROCESSES@|$NGINX_WORKER_PROCESSES|g" \
      -e "s|@NGINX_ERROR_LOG_LEVEL@|$NGINX_ERROR_LOG_LEVEL|g" \
      -e "s|@PURGE_TOKEN@|$PURGE_TOKEN|g" \
      -e "s|@ORIGIN_SECRET@|$ORIGIN_SECRET|g" \
      "/etc/darkroom-nginx/$template.conf.template" > "$run/$template.conf"
done
chmod 0600 "$run/nginx.conf"

exec nginx -e stderr -c "$run/nginx.conf" -g 'daemon off;' "$@"
