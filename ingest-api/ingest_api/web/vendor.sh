#!/usr/bin/env bash
# Puts the page's browser libraries into static/vendor/ from the npm registry,
# at install or image-build time, so the page and /docs need no network when
# they run. `npm ci` installs exactly package-lock.json's versions and checks
# each tarball against its recorded integrity hash; lifecycle scripts are off.
# Does nothing when static/vendor/ already matches the lock file and this script.
set -euo pipefail
web=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
vendor=$web/static/vendor
wanted=$(cat "$web/package-lock.json" "$web/vendor.sh" | sha256sum | cut -c1-16)  # new files or versions
if [ "$(cat "$vendor/.lock-hash" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
  --cache "${DARKROOM_CACHE:-/var/cache/darkroom}/npm" >&2)
modules=$work/node_modules
rm -rf "$vendor" && mkdir -p "$vendor"
# The files the page loads, and nothing else.
cp "$modules/swagger-ui-dist/swagger-ui-bundle.js" "$modules/swagger-ui-dist/swagger-ui.css" \
   "$modules/swagger-ui-dist/favicon-32x32.png" "$vendor/"
cp "$modules/thumbhash/thumbhash.js" "$vendor/thumbhash.js"
cp "$modules/tus-js-client/dist/tus.min.js" "$vendor/tus.min.js"
# The image page's small map: Natural Earth's land at 1:110m, drawn offline.
cp "$modules/topojson-client/dist/topojson-client.min.js" "$modules/world-atlas/land-110m.json" "$vendor/"
for package in swagger-ui-dist thumbhash topojson-client tus-js-client world-atlas; do
  cp "$modules/$package/LICENSE"* "$vendor/LICENSE.$package" 2>/dev/null || true
done
echo "$wanted" > "$vendor/.lock-hash"
