#!/usr/bin/env bash
# Makes a Debian bookworm root file system with debootstrap and imports it as
# a Docker image. It stands in for debian:bookworm-slim, which cannot be pulled
# here; a user with a registry can swap in `FROM debian:bookworm-slim` plus the
# same apt packages. Usage: build.sh IMAGE_TAG LABEL [PACKAGE ...]
set -euo pipefail
tag=$1 label=$2; shift 2
include=$(IFS=,; echo "ca-certificates,$*")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${DARKROOM_CACHE:-/var/cache/darkroom}/debs
mkdir -p "$cache"
root=$(mktemp -d /var/tmp/darkroom-rootfs.XXXXXX)
# debootstrap mounts /proc and /sys inside the root; never delete through a mount.
cleanup() {
  local rc=$?
  umount -R "$root/proc" "$root/sys" 2>/dev/null || true
  rm -rf --one-file-system "$root"
  exit $rc
}
trap cleanup EXIT
debootstrap --variant=minbase --cache-dir="$cache" --include="$include" bookworm "$root" "$mirror" >/dev/null
# Keep the image lean: package lists, docs and man pages are not needed at run time.
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin
tar -C "$root" --one-file-system -c . | docker import --change "LABEL $label" --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
