#!/usr/bin/env bash
# Builds the CMTP container images from ./Containerfile (what `make images`
# calls), with podman or docker, whichever works here.
#
#   scripts/images.sh [TARGET...]     default: keyserver mailstore gateway relay cli
#
# Environment:
#   CMTP_IMAGE_PREFIX  image name prefix           (default: cmtp-   -> cmtp-keyserver)
#   CMTP_IMAGE_TAG     tag                         (default: dev)
#   CMTP_BASE_IMAGE    Debian 12 image of the build stage (default: docker.io/library/debian:12)
#   CMTP_ENGINE        podman or docker            (default: the first that works)
#   CMTP_ISOLATION     podman's build isolation    (default: chroot, which needs no
#                      cgroup delegation and so also works inside containers and CI
#                      sandboxes; oci for the usual runtime isolation)
#
# When CMTP_BASE_IMAGE is neither present nor pullable (no registry reachable)
# and debootstrap is installed, a minimal bookworm image is bootstrapped from
# the Debian mirror and imported as localhost/cmtp-debian:12.
# The relay target is skipped (with a notice) while services/relay defines no
# cmtp-relay executable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${CMTP_IMAGE_PREFIX:-cmtp-}"
TAG="${CMTP_IMAGE_TAG:-dev}"
BASE="${CMTP_BASE_IMAGE:-docker.io/library/debian:12}"
# The Debian mirror this machine's apt uses (debootstrap's own default if none).
MIRROR="${CMTP_DEBIAN_MIRROR:-$(grep -hoE '(URIs:|^deb) +https?://[^ ]+/debian/?( |$)' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
  grep -oE 'https?://[^ ]+' | head -n 1 || true)}"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(keyserver mailstore gateway relay cli)

log() { echo "images: $*" >&2; }
die() { log "$*"; exit 1; }

ENGINE="${CMTP_ENGINE:-}"
if [ -z "$ENGINE" ]; then
  for candidate in podman docker; do
    if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then
      ENGINE="$candidate"
      break
    fi
  done
fi
[ -n "$ENGINE" ] || die "neither podman nor docker works here (docker needs a running engine; apt-get install podman)"

image_exists() {
  if [ "$ENGINE" = podman ]; then podman image exists "$1"; else docker image inspect "$1" >/dev/null 2>&1; fi
}

if ! image_exists "$BASE" && ! "$ENGINE" pull "$BASE" >/dev/null 2>&1; then
  LOCAL_BASE="localhost/cmtp-debian:12"
  if image_exists "$LOCAL_BASE"; then
    log "$BASE cannot be pulled; using $LOCAL_BASE"
  else
    command -v debootstrap >/dev/null ||
      die "$BASE cannot be pulled and debootstrap is missing (apt-get install debootstrap)"
    [ "$(id -u)" -eq 0 ] || die "bootstrapping $LOCAL_BASE needs root"
    log "$BASE cannot be pulled; bootstrapping $LOCAL_BASE from ${MIRROR:-the default mirror of debootstrap} (a few minutes)"
    rootfs="$(mktemp -d)"
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" ${MIRROR:+"$MIRROR"} >/dev/null
    rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
    tar -C "$rootfs" -c . | "$ENGINE" import - "$LOCAL_BASE" >/dev/null
    rm -rf "$rootfs"
    trap - EXIT
  fi
  BASE="$LOCAL_BASE"
fi

relay_defined() {
  grep -Eq 'add_executable\(\s*cmtp-relay' "$ROOT/services/relay/CMakeLists.txt" 2>/dev/null
}

built=()
for target in "${TARGETS[@]}"; do
  case "$target" in
    keyserver|mailstore|gateway|cli) ;;
    relay)
      if ! relay_defined; then
        log "skipping relay: services/relay defines no cmtp-relay executable yet"
        continue
      fi ;;
    *) die "unknown target $target (keyserver mailstore gateway relay cli)" ;;
  esac
  name="${PREFIX}${target}:${TAG}"
  log "building $name with $ENGINE (base $BASE)"
  # Host networking: the build stage's apt-get reaches the Debian mirror the
  # way the host does.
  extra=()
  [ "$ENGINE" = podman ] && extra+=(--isolation "${CMTP_ISOLATION:-chroot}")
  "$ENGINE" build "${extra[@]}" --network host -f "$ROOT/Containerfile" --target "$target" \
    --build-arg "BASE_IMAGE=$BASE" -t "$name" "$ROOT"
  built+=("$name")
done
log "built: ${built[*]:-nothing}"
