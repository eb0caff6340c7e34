#!/bin/sh
# Build the Animus Quest ROM with SDCC (Debian package "sdcc", 4.2.0).
#
#   cartridge/classic/build.sh [OUT]
#
# OUT defaults to src/animus/emulator/roms/animus_quest_classic.gb in the project.
# Everything is built in a temporary directory; set MAPDIR=dir to keep the
# linker .map/.noi/.ihx files there.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-"$(cd "$HERE/../.." && pwd)/src/animus/emulator/roms/animus_quest_classic.gb"}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/animus_build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

PYTHON=${PYTHON:-python3}
"$PYTHON" -B "$HERE/tools/gen_data.py" "$TMP"

CFLAGS="-msm83 --std-c11 -I$TMP -I$HERE"
for src in main video text battle; do
    sdcc $CFLAGS -c -o "$TMP/$src.rel" "$HERE/$src.c"
done
for src in gen_tiles gen_world; do
    sdcc $CFLAGS -c -o "$TMP/$src.rel" "$TMP/$src.c"
done
cp "$HERE/crt0.s" "$TMP/crt0.s"
sdasgb -plosgff -o "$TMP/crt0.rel" "$TMP/crt0.s"

# crt0 must come first: it fixes the order of the areas.
sdcc -msm83 --no-std-crt0 --code-loc 0x0200 --data-loc 0xC100 \
    -o "$TMP/animus.ihx" \
    "$TMP/crt0.rel" "$TMP/main.rel" "$TMP/video.rel" "$TMP/text.rel" \
    "$TMP/battle.rel" "$TMP/gen_tiles.rel" "$TMP/gen_world.rel"

makebin -Z -yN -yn ANIMUSQUEST "$TMP/animus.ihx" "$TMP/animus.gb"

mkdir -p "$(dirname "$OUT")"
cp "$TMP/animus.gb" "$OUT"
if [ -n "${MAPDIR:-}" ]; then
    mkdir -p "$MAPDIR"
    cp "$TMP/animus.map" "$TMP/animus.noi" "$TMP/animus.ihx" "$MAPDIR/"
fi
echo "built $OUT ($(wc -c < "$OUT") bytes)"
