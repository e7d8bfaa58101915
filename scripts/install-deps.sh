#!/usr/bin/env bash
# Installs every Debian 12 package Tally needs to build, test and benchmark.
# Idempotent: runs `apt-get update` once per invocation, only when something is missing.
set -euo pipefail

BUILD_PKGS="build-essential autoconf autoconf-archive automake libtool pkg-config
  libevent-dev libyaml-dev libcurl4-openssl-dev libjson-c-dev zlib1g-dev
  libxxhash-dev"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev curl python3 victoria-metrics
  iproute2 procps nodejs python3-statsd clang-format
  docker.io busybox-static monitoring-plugins-basic"

want="$BUILD_PKGS"
if [ "${1:-}" = "--test" ]; then
	want="$BUILD_PKGS $TEST_PKGS"
fi

# npm: this image's nodejs already ships it; a stock Debian nodejs needs the npm package.
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1; then
	want="$want npm"
fi

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
