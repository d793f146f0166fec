#!/bin/sh
# Install the Debian packages eseal needs to build, test and run.
# Prints what it installs; exits non-zero with the list when it cannot.
# SPDX-License-Identifier: AGPL-3.0-or-later
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libssl-dev openssl libmupdf-dev mupdf-tools libfreetype-dev libharfbuzz-dev
libjbig2dec0-dev libjpeg-dev libopenjp2-7-dev libgumbo-dev libmujs-dev zlib1g-dev
libpng-dev libbrotli-dev libbz2-dev
libzip-dev libxml2-dev libsqlite3-dev sqlite3 libpq-dev libmicrohttpd-dev libjansson-dev
libargon2-dev liboath-dev libcurl4-openssl-dev libcmocka-dev
fonts-noto-cjk poppler-utils qpdf curl libnss3-tools unzip zip jq python3"
# The browser tests drive Debian's chromium with playwright-core (npm).
PKGS="$PKGS chromium"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# node and npm may come from elsewhere than Debian: install them only when missing.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "eseal: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "eseal: cannot install packages (not root, no sudo). Please install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; } >&2; then
	echo "eseal: apt-get failed. Please install:$missing" >&2
	exit 1
fi
