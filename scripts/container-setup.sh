#!/usr/bin/env bash
# What the image test needs (tests/test_image.py): Podman and Buildah, Debian's packages,
# which build and run images without a daemon, and a base image made without a registry:
# Debian 12 with its Python 3.11, by debootstrap from the Debian mirror apt uses, imported
# into Podman (../shared/design/CONTAINERS.md has the recipe and the obstacles it meets).
#
# Podman's configuration and storage, and the base, are kept in UBP_CONTAINER_CACHE
# (default /var/cache/ubp/containers), outside the repository, so that a second run (a new
# clone too) reuses the base and the image's cached layers. The base is keyed by what makes
# it (suite, mirror, packages, architecture, debootstrap's version): change one and a new
# base is made.
#
# Prints `KEY=VALUE` lines for the test (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
# UBP_IMAGE_BASE) on stdout and exits 0; otherwise prints why the image test cannot run on
# stdout (for its skip message) and exits 1. Installs the packages when missing (apt-get,
# as root or through sudo). Its chatter goes to var/container-setup.log.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
log=var/container-setup.log
: > "$log"
CACHE=${UBP_CONTAINER_CACHE:-/var/cache/ubp/containers}
SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,ca-certificates

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  as_root=(false)
fi

# catatonit: the init of `podman run --init` (Python as PID 1 would ignore SIGTERM).
missing=()
for tool in podman:podman buildah:buildah debootstrap:debootstrap runc:runc /usr/libexec/podman/catatonit:catatonit; do
  command -v "${tool%%:*}" >/dev/null || [ -x "/usr/sbin/${tool%%:*}" ] || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "no Podman here (${missing[*]} missing) and no apt-get to install it"
    exit 1
  fi
  if [ "${as_root[0]:-}" = false ]; then
    echo "installing ${missing[*]} needs root: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  if ! { "${as_root[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y \
      --no-install-recommends "${missing[@]}"; } >> "$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "apt-get install ${missing[*]} failed (the log is in $log)"
    exit 1
  fi
fi
if [ "$(id -u)" -ne 0 ]; then
  # Rootless Podman needs subordinate ids set up for the user; debootstrap needs root anyway.
  echo "the image test runs as root (debootstrap, and Podman's storage in $CACHE); this is $(id -un)"
  exit 1
fi

# Configuration by environment, not by editing the system's files (CONTAINERS.md, step 2):
# runc, as crun refuses this kernel's hybrid cgroups; cgroupfs; and the limits root here
# already has, as it cannot raise them (any --ulimit flag would replace the whole list).
mkdir -p "$CACHE/storage" "$CACHE/run" "$CACHE/base"
cat > "$CACHE/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$CACHE/run"
EOF
cat > "$CACHE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_STORAGE_CONF=$CACHE/storage.conf CONTAINERS_CONF=$CACHE/containers.conf

# The mirror apt is configured with (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}
arch=$(dpkg --print-architecture)
key=$(printf '%s\n' "$SUITE" "$mirror" "$BASE_PACKAGES" "$arch" "$(dpkg-query -W -f='${Version}' debootstrap)" \
  | sha256sum | cut -c1-16)
base=localhost/ubp-base:$SUITE-$key
if ! podman image exists "$base" 2>>"$log"; then
  tarball=$CACHE/base/$SUITE-$key.tar
  if [ ! -s "$tarball" ]; then
    rootfs=$(mktemp -d "$CACHE/base/rootfs.XXXXXX")
    if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$mirror" >> "$log" 2>&1; then
      rm -rf "$rootfs"
      tail -n 20 "$log" >&2
      echo "debootstrap of Debian $SUITE from $mirror failed (the log is in $log)"
      exit 1
    fi
    # apt's lists and caches are not wanted in a base: the image's own apt-get update fetches them.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
  fi
  if ! podman import "$tarball" "$base" >> "$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "podman import of $tarball failed (the log is in $log)"
    exit 1
  fi
fi
echo "CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
echo "CONTAINERS_CONF=$CONTAINERS_CONF"
echo "UBP_IMAGE_BASE=$base"
