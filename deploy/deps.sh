#!/bin/sh
# Installs the Debian 12 packages Kartoteka needs to build, test, fuzz and
# benchmark, when any is missing.  Safe to run again: it does nothing when
# everything is present.  Runs `apt-get update` once, only when it has to
# install something.
set -eu

PKGS="build-essential pkg-config g++ libzmq3-dev liblmdb-dev lmdb-utils
libmsgpack-dev libsodium-dev libjansson-dev libutf8proc-dev
libphonenumber-dev libprotobuf-dev libicu-dev libboost-dev libstemmer-dev
clang libclang-rt-14-dev faketime tzdata"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
