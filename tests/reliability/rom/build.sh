#!/bin/sh
# Build Sketchpad, the reliability tests' third-party cartridge, with SDCC (sm83):
#   build.sh OUT.gb
# MBC1 + RAM + battery (cartridge type 0x03), one 8 KiB RAM bank, two 16 KiB ROM banks.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sketchpad.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

cp "$HERE/crt0.s" "$TMP/crt0.s"
sdasgb -plosgff -o "$TMP/crt0.rel" "$TMP/crt0.s"
sdcc -msm83 --std-c11 -c -o "$TMP/sketchpad.rel" "$HERE/sketchpad.c"
sdcc -msm83 --no-std-crt0 --code-loc 0x0200 --data-loc 0xC000 -o "$TMP/sketchpad.ihx" \
    "$TMP/crt0.rel" "$TMP/sketchpad.rel"
makebin -Z -yN -yt 0x03 -ya 1 -yn SKETCHPAD "$TMP/sketchpad.ihx" "$OUT"
