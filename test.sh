#!/usr/bin/env bash
# Runs rocklet's full test suite. Run as root on a Debian-family machine: sudo ./test.sh
# Installs what the tests need first (Debian packages, npm ci), then runs `npm test`
# (build, lint, unit and end-to-end tests against a private systemd, crun, a local
# docker-registry and gpg). Extra arguments go to `node --test`.
set -euo pipefail

say() { printf 'test.sh: %s\n' "$*"; }
die() { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "$(readlink -f "$0")")"
[ "$(id -u)" -eq 0 ] || die "the end-to-end tests boot a private systemd and need root (try: sudo ./test.sh)"
command -v node >/dev/null || die "Node.js 20 or newer is required"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "Node.js 20 or newer is required; found $(node --version)"

# What the tests use: a private systemd + dbus-daemon, crun, namespaces and nft, busybox as the
# universal payload, docker-registry/skopeo/umoci (+ htpasswd from apache2-utils) for registry tests, gpg for signatures;
# g++/make/python3 for node-gyp, which `npm ci` runs to build rocklet's native helper; zsh and
# fish for the completion tests (an interactive zsh pressing Tab, fish's complete -C) and
# cloud-init for `cloud-init schema` of the provisioning examples, which skip without them.
TEST_PACKAGES=(systemd dbus util-linux iproute2 nftables crun busybox-static docker-registry skopeo umoci
  gnupg curl openssl ca-certificates xz-utils bzip2 tar psmisc procps g++ make python3 apache2-utils
  zsh fish cloud-init)

missing=()
for p in "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  # Packages must never start services here (docker-registry would listen on :5000 with
  # Debian's default config); a policy-rc.d we add is removed again afterwards.
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && added_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$added_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ ! -f build/Release/linux_sys.node ] || [ native/linux-sys.c -nt build/Release/linux_sys.node ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

exec npm test --silent -- "$@"
