#!/bin/sh
# Build PKMN LAYOUT, the Pokémon-layout test cartridge, with SDCC (sm83):
#   build.sh OUT.gb
#   MAPDIR=DIR build.sh OUT.gb     also keep the linker's .map and .noi in DIR
# 32 KiB, no MBC (cartridge type 0x00), DMG. The C globals go at 0xDA00 (--data-loc), above every Pokémon Red
# address the cartridge writes (the highest is wTilesetCollisionPtr, 0xD530); the stack grows down from 0xDFFF.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pokecart.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

cp "$HERE/crt0.s" "$TMP/crt0.s"
sdasgb -plosgff -o "$TMP/crt0.rel" "$TMP/crt0.s"
sdcc -msm83 --std-c11 -c -o "$TMP/pokecart.rel" "$HERE/pokecart.c"
sdcc -msm83 --std-c11 -c -o "$TMP/video.rel" "$HERE/video.c"
sdcc -msm83 --no-std-crt0 --code-loc 0x0200 --data-loc 0xDA00 -o "$TMP/pokecart.ihx" \
    "$TMP/crt0.rel" "$TMP/pokecart.rel" "$TMP/video.rel"
makebin -Z -yN -yt 0x00 -yn "PKMN LAYOUT" "$TMP/pokecart.ihx" "$OUT"
if [ -n "${MAPDIR:-}" ]; then
    mkdir -p "$MAPDIR"
    cp "$TMP/pokecart.map" "$TMP/pokecart.noi" "$MAPDIR/"
fi
