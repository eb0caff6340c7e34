#!/bin/sh
# Build Animus Quest 2 with SDCC (Debian package "sdcc", 4.2.0).
#
#   cartridge/build.sh [OUT]          default OUT: src/animus/emulator/roms/animus_quest.gb
#   VOCAB=alt cartridge/build.sh OUT  the same game with another vocabulary (vocab_alt.c)
#   MAPDIR=dir cartridge/build.sh OUT also keep the linker .map/.noi/.ihx files in dir
#
# Everything is built in a temporary directory; the tree is left untouched.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-"$(cd "$HERE/.." && pwd)/src/animus/emulator/roms/animus_quest.gb"}
VOCAB=${VOCAB:-std}
case "$VOCAB" in
    std|alt) ;;
    *) echo "VOCAB must be std or alt" >&2; exit 2 ;;
esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/animus2_build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

PYTHON=${PYTHON:-python3}
"$PYTHON" -B "$HERE/tools/gen_data.py" "$TMP"

CFLAGS="-msm83 --std-c11 --opt-code-speed -I$TMP -I$HERE"
RELS=""
for src in main video text area gen place battle "vocab_$VOCAB"; do
    sdcc $CFLAGS -c -o "$TMP/$src.rel" "$HERE/$src.c"
    RELS="$RELS $TMP/$src.rel"
done
sdcc $CFLAGS -c -o "$TMP/gen_tiles.rel" "$TMP/gen_tiles.c"
cp "$HERE/crt0.s" "$TMP/crt0.s"
sdasgb -plosgff -o "$TMP/crt0.rel" "$TMP/crt0.s"

# crt0 must come first: it fixes the order of the areas.  RAM for the linker starts at 0xD000:
# 0xC000-0xCFFF is the fixed RAM map and the world block.
sdcc -msm83 --no-std-crt0 --code-loc 0x0200 --data-loc 0xD000 \
    -o "$TMP/animus.ihx" "$TMP/crt0.rel" $RELS "$TMP/gen_tiles.rel"

[ -n "${MAPDIR:-}" ] && mkdir -p "$MAPDIR" && cp "$TMP"/animus.* "$MAPDIR/"
makebin -Z -yN -yn ANIMUSQUEST2 "$TMP/animus.ihx" "$TMP/animus.gb"

mkdir -p "$(dirname "$OUT")"
cp "$TMP/animus.gb" "$OUT"
if [ -n "${MAPDIR:-}" ]; then
    mkdir -p "$MAPDIR"
    cp "$TMP/animus.map" "$TMP/animus.noi" "$TMP/animus.ihx" "$MAPDIR/"
fi
echo "built $OUT ($(wc -c < "$OUT") bytes)"
