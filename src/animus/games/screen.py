"""What the screen shows: visible background tile ids, a text map drawn from them, dialog text from a buffer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from animus.games.fields import decode_text

WIDTH, HEIGHT = 20, 18
LCDC, SCY, SCX, WY, WX = 0xFF40, 0xFF42, 0xFF43, 0xFF4A, 0xFF4B

# Legend characters for the usual tile classes; a profile can override or extend them in [tiles.legend].
DEFAULT_LEGEND = {
    "wall": "#",
    "floor": ".",
    "door": "D",
    "npc": "N",
    "water": "~",
    "well": "W",
    "gate": "X",
    "sign": "A",
    "altar": "A",
    "guardian": "G",
    "player": "@",
    "border": "+",
    "font": ":",
    "unknown": "?",
}


class Memory(Protocol):
    """Anything that reads bytes of the Game Boy's address space; `animus.emulator.GameBoy` is one."""

    def read(self, address: int, length: int = 1) -> bytes: ...


def visible_tiles(memory: Memory) -> bytes:
    """The 20x18 background tile ids the screen shows now: 360 bytes, row-major, top-left first.

    The background map (0x9800 or 0x9C00 by LCDC bit 3) is scrolled by SCY/SCX with wrap-around at 32 tiles, and
    where LCDC bit 5 is on the window layer (map by LCDC bit 6) covers it from (WX - 7, WY). Scroll and window
    positions count in whole tiles (the tile under each cell's top-left pixel). With the LCD off (LCDC bit 7
    clear) nothing is shown: 360 zero bytes.
    """
    lcdc, _stat, scy, scx = memory.read(LCDC, 4)  # LCDC, STAT, SCY, SCX are adjacent: one read
    if not lcdc & 0x80:
        return bytes(WIDTH * HEIGHT)
    base = 0x9C00 if lcdc & 0x08 else 0x9800
    top, left = scy // 8, scx // 8
    # Read only the rows on screen when they do not wrap past row 31 (the usual case), else the whole map.
    if top + HEIGHT <= 32:
        bg, first = memory.read(base + top * 32, HEIGHT * 32), top
    else:
        bg, first = memory.read(base, 1024), 0
    out = bytearray()
    for row in range(HEIGHT):
        at = ((top + row) % 32 - first) * 32
        line = bg[at : at + 32]
        start = left % 32
        out += (line[start:] + line[:start])[:WIDTH]
    if lcdc & 0x20:
        wy, wx = memory.read(WY)[0], memory.read(WX)[0] - 7
        if wy < 144 and wx < 160:
            win = memory.read(0x9C00 if lcdc & 0x40 else 0x9800, 1024)
            for row in range(HEIGHT):
                for col in range(WIDTH):
                    wrow, wcol = (row * 8 - wy) // 8, (col * 8 - wx) // 8
                    if row * 8 >= wy and col * 8 >= wx:
                        out[row * WIDTH + col] = win[(wrow % 32) * 32 + wcol % 32]
    return bytes(out)


def screen_hash(tiles: bytes) -> str:
    """A short (64-bit) hex digest of visible tile ids: equal screens give equal hashes."""
    return hashlib.blake2b(tiles, digest_size=8).hexdigest()


@dataclass(frozen=True)
class Tiles:
    """How to draw a text map: tile id -> legend character, the map's screen rows, the player's x/y fields."""

    chars: bytes  # 256 entries: tile id -> legend character (ASCII), for bytes.translate
    classes: tuple[tuple[str, str, str], ...]  # (class, char, note) in the order the profile lists them
    top: int
    height: int
    player: tuple[str, str] | None

    def rows(self, tiles: bytes, player: tuple[int, int] | None) -> list[str]:
        """The map rows as strings of exactly 20 characters, '@' at the player when it is on the map."""
        rows = [
            tiles[(self.top + r) * WIDTH : (self.top + r + 1) * WIDTH].translate(self.chars).decode("ascii")
            for r in range(self.height)
        ]
        if player is not None:
            x, y = player
            if 0 <= y < self.height and 0 <= x < WIDTH:
                rows[y] = rows[y][:x] + "@" + rows[y][x + 1 :]
        return rows

    def render(self, tiles: bytes, player: tuple[int, int] | None) -> str:
        """The text map: a header that says how to read it, column numbers, numbered rows, the legend."""
        rows = self.rows(tiles, player)
        where = f"; @ = you at x={player[0]}, y={player[1]}" if player is not None else ""
        lines = [
            f"Map, {WIDTH} columns x {self.height} rows (x = column from 0 at left, y = row from 0 at top{where}):",
            ("   " + "".join(str(c // 10) if c % 10 == 0 else " " for c in range(WIDTH))).rstrip(),
            "   " + "".join(str(c % 10) for c in range(WIDTH)),
        ]
        lines += [f"{y:2d} {row}" for y, row in enumerate(rows)]
        return "\n".join([*lines, self.legend(rows)])

    def legend(self, rows: list[str]) -> str:
        """One line naming each character the rows use, in the profile's class order."""
        used = set("".join(rows))
        parts, seen = [], set()
        for name, char, note in self.classes:
            if char in used and char not in seen:
                seen.add(char)
                parts.append(f"{char} {note or name}")
        if "?" in used and "?" not in seen:
            parts.append("? unknown tile")
        return "Legend: " + " | ".join(parts)

    def around(self, tiles: bytes, player: tuple[int, int] | None) -> str:
        """One line: the class of the tile on each side of the player."""
        if player is None:
            return ""
        x, y = player
        by_char = {char: name for name, char, _ in reversed(self.classes)}
        parts = []
        for word, dx, dy in (("up", 0, -1), ("down", 0, 1), ("left", -1, 0), ("right", 1, 0)):
            nx, ny = x + dx, y + dy
            if 0 <= nx < WIDTH and 0 <= ny < self.height:
                char = chr(self.chars[tiles[(self.top + ny) * WIDTH + nx]])
                parts.append(f"{word} ({nx},{ny}) {by_char.get(char, 'unknown')}")
            else:
                parts.append(f"{word} edge of the map")
        return "Next to you: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Dialog:
    """Where dialog text lives: rows of a row-major character buffer in memory, shown only when markers match."""

    address: int
    stride: int
    rows: tuple[int, ...]
    column: int
    width: int
    charset: str
    markers: tuple[tuple[int, int, int], ...]  # (column, row, byte) that must all match for a dialog to be open
    hint: str

    def read(self, memory: Memory) -> str:
        """The dialog text now, one line per non-blank row, or "" when none is open."""
        for col, row, value in self.markers:
            if memory.read(self.address + row * self.stride + col)[0] != value:
                return ""
        lines = []
        for row in self.rows:
            raw = memory.read(self.address + row * self.stride + self.column, self.width)
            line = decode_text(raw, self.charset).strip()
            if line:
                lines.append(line)
        return "\n".join(lines)
