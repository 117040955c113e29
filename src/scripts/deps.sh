#!/bin/sh
# deps.sh — `make deps`: the Debian 12 packages the shop builds, runs and is tested with.
PACKAGES="build-essential pkg-config libcurl4-openssl-dev libcjson-dev libsodium-dev
libmicrohttpd-dev libfcgi-dev spawn-fcgi nginx-light libcmocka-dev valgrind wrk curl jq openssl
chromium"
# The test tools need node and npm; a machine that has them (any source) keeps its own.
command -v npm > /dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
if [ "$(id -u)" != 0 ]; then
	echo "deps: installing packages needs root. Run: sudo make deps" >&2
	echo "deps: or: sudo apt-get install -y" $PACKAGES >&2
	exit 1
fi
set -e
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! dpkg -s $PACKAGES > /dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $PACKAGES
fi
echo "deps: all packages are installed"
