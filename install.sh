#!/usr/bin/env bash
# Installs rocklet on a Debian-family host. Idempotent; run as root: sudo ./install.sh
#
#   - Debian packages rocklet needs at run time (crun, iproute2, nftables, util-linux, ...)
#   - builds the TypeScript sources into one bundle and installs the CLI as /usr/local/bin/rocklet
#     (code in /usr/local/lib/rocklet, production dependencies only)
#   - systemd units from units/, tmpfiles rule for /run/rocklet
#   - /etc/pods, /etc/rocklet (+ trustedkeys/) and /var/lib/rocklet with safe modes
#   - /etc/rocklet/policy.json (signature policy of Docker/OCI images) when there is none
#   - starts the daemon: rocklet.service (systemctl enable --now) where PID 1 is systemd, else
#     rocklet's private systemd (`rocklet host start`); waits for READY and prints `rocklet pods`.
#     Run again, it upgrades in place: only the daemon restarts, it adopts the running pods.
#
# Every prerequisite (root, Node.js, packages, the package mirrors, the npm registry and the build)
# is checked or done before anything is installed: a failure leaves the machine as it was.
#
# Environment: PREFIX (default /usr/local), ROCKLET_SKIP_APT=1 to skip package installation,
# ROCKLET_SKIP_BUILD=1 to install an already built checkout (dist/, build/Release, node_modules),
# ROCKLET_NO_START=1 to install without starting the daemon.
set -euo pipefail

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "$(readlink -f "$0")")"
PREFIX=${PREFIX:-/usr/local}
LIBDIR=$PREFIX/lib/rocklet
BINDIR=$PREFIX/bin
RUNTIME_PACKAGES=(crun iproute2 nftables util-linux ca-certificates xz-utils bzip2)
PID1=$(cat /proc/1/comm 2>/dev/null || echo unknown)
# Where PID 1 is not systemd, rocklet boots its own (src/host): systemd and dbus must be installed.
[ "$PID1" = systemd ] || RUNTIME_PACKAGES+=(systemd dbus)
# node-gyp builds rocklet's native helper (native/linux-sys.c: mount, umount, namespaces) in `npm ci`.
BUILD_PACKAGES=(g++ make python3)

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo ./install.sh)"

# Node.js 20 or newer: Debian 12's own nodejs is 18, so we do not install it ourselves.
NODE=$(command -v node || true)
[ -n "$NODE" ] || die "Node.js 20 or newer is required and 'node' is not on PATH (install it from nodejs.org or NodeSource)"
NODE_MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js 20 or newer is required; found $("$NODE" --version) at $NODE"
command -v npm >/dev/null || die "npm is required (it comes with Node.js)"

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

if [ "${ROCKLET_SKIP_APT:-0}" != 1 ]; then
  command -v apt-get >/dev/null || die "apt-get not found: install ${RUNTIME_PACKAGES[*]} ${BUILD_PACKAGES[*]} yourself and rerun with ROCKLET_SKIP_APT=1"
  mapfile -t MISSING < <(missing_packages "${RUNTIME_PACKAGES[@]}" "${BUILD_PACKAGES[@]}")
  if [ "${#MISSING[@]}" -gt 0 ]; then
    say "Debian packages to install: ${MISSING[*]}"
    # Download everything first: without the mirrors nothing is installed (no half install).
    apt-get update -qq --error-on=any >/dev/null 2>&1 \
      || die "cannot reach the package mirrors (apt-get update failed) to install ${MISSING[*]}; nothing was changed. Fix the network or apt sources, or install them yourself and rerun with ROCKLET_SKIP_APT=1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only --no-install-recommends "${MISSING[@]}" >/dev/null 2>&1 \
      || die "cannot download ${MISSING[*]} from the package mirrors; nothing was changed. Fix the network or apt sources, or install them yourself and rerun with ROCKLET_SKIP_APT=1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null \
      || die "apt-get install ${MISSING[*]} failed (see above); rocklet itself was not installed"
  else
    say "Debian packages present: ${RUNTIME_PACKAGES[*]} ${BUILD_PACKAGES[*]}"
  fi
fi

if [ "${ROCKLET_SKIP_BUILD:-0}" = 1 ]; then
  [ -f dist/rocklet/main.js ] && [ -f build/Release/linux_sys.node ] || die "ROCKLET_SKIP_BUILD=1 but this checkout is not built (npm ci && npm run build)"
  say "using the existing build (dist/rocklet, build/Release)"
else
  say "building (npm ci with the native helper, tsc, esbuild)"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed (is the npm registry reachable?); nothing was installed"
  npm run --silent build || die "the build failed; nothing was installed"
fi

# Stage the new version beside the old one and swap, so a failed install never leaves half a tree.
say "installing to $LIBDIR"
install -d -m 0755 "$PREFIX/lib"
STAGE=$(mktemp -d "$PREFIX/lib/.rocklet-stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/dist"
# Only the bundle runs (package.json "bin"); dist/src and dist/test are the build's inputs and tests.
cp -a dist/rocklet "$STAGE/dist/rocklet"
# The native helper built by npm ci above; the CLI finds it at <libdir>/build/Release.
mkdir -p "$STAGE/build/Release"
cp build/Release/linux_sys.node "$STAGE/build/Release/"
cp package.json package-lock.json README.md "$STAGE/"
(cd "$STAGE" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error) \
  || die "npm ci --omit=dev failed in the staging dir (is the npm registry reachable?); the installed version is unchanged"
chmod -R go-w "$STAGE"
chmod 0755 "$STAGE"
if [ -d "$LIBDIR" ]; then mv "$LIBDIR" "$LIBDIR.old.$$"; fi
mv "$STAGE" "$LIBDIR"
trap - EXIT
rm -rf "$LIBDIR.old.$$"

# A wrapper with Node's absolute path, so units and sudo work whatever PATH they have.
install -d -m 0755 "$BINDIR"
WRAPPER=$(mktemp "$BINDIR/.rocklet.XXXXXX")
printf '#!/bin/sh\nexec %s %s/dist/rocklet/main.js "$@"\n' "$NODE" "$LIBDIR" >"$WRAPPER"
chmod 0755 "$WRAPPER"
mv -f "$WRAPPER" "$BINDIR/rocklet"

say "creating directories"
install -d -m 0755 -o root -g root /etc/pods /etc/rocklet /etc/rocklet/trustedkeys \
  /etc/rocklet/trustedkeys/root.d /etc/rocklet/trustedkeys/prefix.d
install -d -m 0700 -o root -g root /var/lib/rocklet
# The signature policy of Docker/OCI images (README "Signature policy"): written once, never
# over an operator's own. Registries are refused until named (rocklet trust --type=…).
if [ ! -e /etc/rocklet/policy.json ]; then
  say "writing the default signature policy /etc/rocklet/policy.json (images from registries need an entry: rocklet trust --type=...)"
  install -m 0644 -o root -g root etc/policy.json /etc/rocklet/policy.json
fi

say "installing systemd units"
install -d -m 0755 /etc/systemd/system /usr/lib/tmpfiles.d
for unit in units/*.service units/*.timer; do
  [ -e "$unit" ] || continue
  install -m 0644 "$unit" "/etc/systemd/system/$(basename "$unit")"
done
install -m 0644 units/rocklet.tmpfiles /usr/lib/tmpfiles.d/rocklet.conf

if [ "${ROCKLET_NO_START:-0}" = 1 ]; then
  say "not starting the daemon (ROCKLET_NO_START=1)"
elif [ "$PID1" = systemd ]; then
  systemctl daemon-reload
  systemd-tmpfiles --create /usr/lib/tmpfiles.d/rocklet.conf
  systemctl enable rocklet.service
  # Type=notify: start/restart return once the daemon reported READY (its first reconcile).
  if systemctl is-active --quiet rocklet.service; then
    say "upgrading in place: restarting rocklet.service (its pods keep running; the daemon adopts them)"
    systemctl restart rocklet.service
  else
    systemctl start rocklet.service
  fi
  say "rocklet.service is enabled and running (it reported READY); its pods:"
  "$BINDIR/rocklet" pods || true
else
  install -d -m 0755 /run/rocklet
  # PID 1 is not systemd (containers, CI runners, WSL): rocklet's own private systemd runs
  # rocklet.service (`rocklet host start`); every rocklet command finds it.
  if "$BINDIR/rocklet" host status >/dev/null 2>&1; then
    say "upgrading in place: restarting rocklet.service in rocklet's private systemd (its pods keep running)"
    "$BINDIR/rocklet" systemctl restart rocklet.service
  else
    say "PID 1 is '$PID1', not systemd: starting rocklet's private systemd with rocklet.service (rocklet host start)"
    "$BINDIR/rocklet" host start
  fi
  say "the daemon is running (it reported READY); its pods:"
  "$BINDIR/rocklet" pods || true
fi

say "done: $("$BINDIR/rocklet" version | head -n 1)"
