"""What a profile says about space: the map's name and facing fields, what the screen shows of the map's
collision (`[collision]`), and where other characters stand (`[sprites]`). The explored-map memory
(`animus.spatial`) is built from these and from the steps the player takes; none of them is required.

Coordinates are the game's movement grid: the cells the profile's x and y fields count in. A cell is `cell` x
`cell` screen tiles of 8x8 pixels (1 for Animus Quest, 2 for Pokémon's 16x16 blocks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from animus.games.screen import HEIGHT, WIDTH, Memory, visible_tiles

Cell = tuple[int, int]
OPEN, WALL, WARP = "open", "wall", "warp"  # what a seen cell is: walkable, blocking, or a warp (walkable)
MAX_LIST = 256  # the longest list of walkable tile ids read through a pointer


@dataclass(frozen=True)
class Spot:
    """Where the player stands on the map: the map's id, the cell, the way it faces (up, down, left, right, or
    None when the profile does not say) and the map's name ("" when the profile names none)."""

    map: int | str
    x: int
    y: int
    facing: str | None = None
    name: str = ""

    @property
    def cell(self) -> Cell:
        return self.x, self.y

    def same_place(self, other: Spot | None) -> bool:
        return other is not None and (other.map, other.x, other.y) == (self.map, self.x, self.y)


@dataclass(frozen=True)
class MapNames:
    """`[map]`: which fields name the map and tell which way the player faces (both optional)."""

    name: str | None = None  # a text field, or a number field with a [maps] table
    facing: str | None = None  # a number field whose [maps] table names up, down, left and right


@dataclass(frozen=True)
class Collision:
    """`[collision]`: which screen tiles show walkable cells, so cells are known before they are walked.

    The tile that decides a cell is its collision tile: for map cell (x, y) it is screen tile
    `anchor + (x, y) * cell` with `fixed` (the screen shows the map from its corner: one-screen areas), or
    `anchor + ((x, y) - player) * cell` without (the screen scrolls with the player, `anchor` being the collision
    tile of the player's own cell). Walkable tiles are the ids in `walkable`, or the ids listed in memory at the
    address held in the little-endian `pointer` (ended by `end`), or per tileset (`tileset` field -> ids)."""

    cell: int
    anchor: Cell
    fixed: bool
    walkable: frozenset[int] = frozenset()
    warps: frozenset[int] = frozenset()
    pointer: int | None = None
    end: int = 0xFF
    tileset: str | None = None
    tilesets: tuple[tuple[int, frozenset[int]], ...] = ()
    buffer: int | None = None  # a 20-column screen buffer in memory to read tiles from, instead of the screen
    size: Cell | None = None  # with `fixed`: the map's columns and rows (the rest of the screen is no map)

    def walkable_ids(self, memory: Memory, values: Mapping[str, object]) -> frozenset[int]:
        """The walkable tile ids now: from the pointer or the tileset when the profile uses one."""
        if self.pointer is not None:
            low, high = memory.read(self.pointer, 2)
            listed = memory.read(low | high << 8, MAX_LIST)
            end = listed.find(bytes([self.end]))
            return frozenset(listed[: end if end >= 0 else MAX_LIST])
        if self.tileset is not None:
            current = values.get(self.tileset)
            return next((ids for tileset, ids in self.tilesets if tileset == current), frozenset())
        return self.walkable

    def screen(self, memory: Memory) -> bytes:
        """The 20x18 tile ids the collision is read from."""
        if self.buffer is not None:
            return memory.read(self.buffer, WIDTH * HEIGHT)
        return visible_tiles(memory)

    def sight(self, memory: Memory, values: Mapping[str, object], player: Cell) -> dict[Cell, str]:
        """Every map cell on screen with what it is (OPEN, WALL or WARP), the player's own cell left out."""
        tiles = self.screen(memory)
        walkable = self.walkable_ids(memory, values)
        ax, ay = self.anchor
        ox, oy = (ax, ay) if self.fixed else (ax - player[0] * self.cell, ay - player[1] * self.cell)
        out: dict[Cell, str] = {}
        first_x, first_y = -(ox // self.cell), -(oy // self.cell)  # the first cells whose tile is on screen
        for y in range(first_y, first_y + HEIGHT // self.cell + 1):
            row = oy + y * self.cell
            if not 0 <= row < HEIGHT:
                continue
            for x in range(first_x, first_x + WIDTH // self.cell + 1):
                col = ox + x * self.cell
                if not 0 <= col < WIDTH or (x, y) == player:
                    continue
                if self.size is not None and not (0 <= x < self.size[0] and 0 <= y < self.size[1]):
                    continue
                tile = tiles[row * WIDTH + col]
                out[(x, y)] = WARP if tile in self.warps else OPEN if tile in walkable else WALL
        return out


@dataclass(frozen=True)
class Sprites:
    """`[sprites]`: a table of `count` entries `stride` bytes apart, each a character on the map when its
    `present` byte is not 0 (and, with `hidden = (address, value)`, its byte there is not `value`); its cell is the
    bytes at `x` and `y` plus `offset`. Entries before `first` (the player's own) are skipped."""

    count: int
    stride: int
    first: int
    present: int
    x: int
    y: int
    offset: int = 0
    hidden: tuple[int, int] | None = None

    def cells(self, memory: Memory) -> tuple[Cell, ...]:
        """The cells characters stand on now, in table order, each once."""
        out: list[Cell] = []
        for i in range(self.first, self.count):
            at = i * self.stride
            if memory.read(self.present + at)[0] == 0:
                continue
            if self.hidden is not None and memory.read(self.hidden[0] + at)[0] == self.hidden[1]:
                continue
            cell = (memory.read(self.x + at)[0] + self.offset, memory.read(self.y + at)[0] + self.offset)
            if cell not in out:
                out.append(cell)
        return tuple(out)
