#!/usr/bin/env bash
# Fetches Mosquitto 2.0.21 (Debian bookworm-backports, the broker a Sở installs today) into
# .deps/mosquitto-2.0.21/ without installing it: Debian's own 2.0.11 stays the system broker,
# and the tests run the broker-facing cases on both (2.0.12 and later enforce max_keepalive,
# 2.0.11 does not). Uses a private apt list directory, so the machine's apt sources are not
# changed. Safe to run again: does nothing when the binary is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.0.21
PACKAGE_VERSION="${VERSION}-1~bpo12+1"
DEST=".deps/mosquitto-${VERSION}"
[ -x "$DEST/usr/sbin/mosquitto" ] && { echo "mosquitto ${VERSION}: present in $DEST"; exit 0; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"
cat >"$work/backports.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(-o "Dir::Etc::sourcelist=$work/backports.sources" -o Dir::Etc::sourceparts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" download -qq "mosquitto=${PACKAGE_VERSION}")
mkdir -p "$DEST"
dpkg-deb -x "$work"/mosquitto_*.deb "$DEST"
if ldd "$DEST/usr/sbin/mosquitto" | grep -q "not found"; then
  echo "mosquitto ${VERSION}: a library is missing:" >&2
  ldd "$DEST/usr/sbin/mosquitto" | grep "not found" >&2
  exit 1
fi
echo "mosquitto ${VERSION}: $("$DEST/usr/sbin/mosquitto" -h | head -1) in $DEST"
