"""PKMN LAYOUT end to end: the cartridge built from `tests/games/pokecart/` with SDCC, driven through its
walkthrough by `animus.emulator.GameBoy`, leaves Pokémon Red's memory layout scene by scene: the raw bytes at
the addresses of pret/pokered's WRAM (big-endian HP, BCD money, Gen-1 text, event flags), the screen buffer the
game composes, the sprite table and the collision list; the pokemon-red profile reads all of it, and `animus run
--game pokemon-red` with the scripted model reaches the story's milestones in order.

Skipped only when SDCC is not installed (pokecart_rom.build).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from animus.agent.models.scripted import read_walkthrough
from animus.emulator import GameBoy, read_rom
from animus.games import load_profile
from animus.games.spatial import OPEN, WALL
from tests.games.pokecart_rom import (
    BLANK,
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    COLLISION_PTR,
    CUR_MAP,
    CURRENT_MENU_ITEM,
    CURSOR,
    ENEMY_MON,
    FACING,
    FLOOR,
    FONT_LOADED,
    HORIZONTAL,
    IN_BATTLE,
    NPC_CELLS,
    OUTSIDE,
    SCENES,
    SPRITES1,
    SPRITES2,
    TILE_MAP,
    TITLE,
    TOP_LEFT,
    TOP_MENU_ITEM_X,
    TOP_MENU_ITEM_Y,
    TOP_RIGHT,
    VERTICAL,
    WALKTHROUGH,
    X_COORD,
    Y_COORD,
    expected,
    text,
)
from tests.games.pokecart_rom import (
    WALL as WALL_TILE,
)

HOLD, WAIT = 10, 120  # the pokemon-red profile's press: hold 10 frames, then wait 120
DOWN, UP, LEFT, RIGHT = 0x00, 0x04, 0x08, 0x0C  # wSpritePlayerStateData1FacingDirection
STEP = {"down": (0, 1, DOWN), "up": (0, -1, UP), "left": (-1, 0, LEFT), "right": (1, 0, RIGHT)}
BG_MAP = 0x9800
POKEMON_RAM = 0x1A00  # 0xC000-0xD9FF: the cartridge's own globals start at 0xDA00, its stack ends at 0xDFFF


@dataclass(frozen=True)
class Snapshot:
    """The whole address space after one press of the walkthrough."""

    button: str
    scene: int  # the scene the script is in after the press: the A presses so far, up to the last scene
    memory: bytes

    def read(self, address: int, length: int = 1) -> bytes:  # as GameBoy.read: a profile reads it
        return self.memory[address : address + length]

    def byte(self, address: int) -> int:
        return self.memory[address]

    def tile(self, col: int, row: int) -> int:
        return self.memory[TILE_MAP + row * 20 + col]

    def tiles(self, col: int, row: int, length: int) -> bytes:
        return self.read(TILE_MAP + row * 20 + col, length)

    @property
    def cell(self) -> tuple[int, int]:
        return self.byte(X_COORD), self.byte(Y_COORD)


def presses() -> list[str]:
    return [button for line in read_walkthrough(WALKTHROUGH) for button in line]


def play(rom: Path, hold: int = HOLD, wait: int = WAIT) -> tuple[list[Snapshot], str, str]:
    """The walkthrough from power-on: a snapshot after every press, then the final RAM and frame hashes."""
    snapshots = []
    scene = 0
    with GameBoy(rom) as gb:
        for button in presses():
            gb.press(button, hold_frames=hold, wait_frames=wait)
            if button == "a":
                scene = min(scene + 1, len(SCENES) - 1)
            snapshots.append(Snapshot(button, scene, gb.read(0, 0x10000)))
        return snapshots, gb.ram_hash(), gb.frame_hash()


@pytest.fixture(scope="module")
def walked(pokecart: Path) -> list[Snapshot]:
    return play(pokecart)[0]


def first_in(walked: list[Snapshot], scene: int) -> Snapshot:
    """The snapshot right after the A press that entered `scene`."""
    return next(s for s in walked if s.scene == scene)


def assert_text_box(snap: Snapshot, lines: tuple[str, ...]) -> None:
    """The standard text box (rows 12-17) with `lines` on rows 14 and 16 from column 1, in wTileMap and VRAM."""
    assert snap.tiles(0, 12, 20) == bytes([TOP_LEFT, *[HORIZONTAL] * 18, TOP_RIGHT])
    for row in range(13, 17):
        assert (snap.tile(0, row), snap.tile(19, row)) == (VERTICAL, VERTICAL)
    assert snap.tiles(0, 17, 20) == bytes([BOTTOM_LEFT, *[HORIZONTAL] * 18, BOTTOM_RIGHT])
    for row, line in zip((14, 16), (*lines, ""), strict=False):
        assert snap.tiles(1, row, 18) == text(line).ljust(18, bytes([BLANK])), (row, line)
    for row in range(12, 18):  # copied to the background map, 32 tiles a row
        assert snap.read(BG_MAP + row * 32, 20) == snap.tiles(0, row, 20)


def assert_sprites(snap: Snapshot) -> None:
    """The player in entry 0 and the room's one other character in entry 1, cells + 4; entries 2-15 empty."""
    x, y = snap.cell
    assert (snap.byte(SPRITES1), snap.byte(SPRITES1 + 2)) == (1, 0)
    assert (snap.byte(SPRITES2 + 4), snap.byte(SPRITES2 + 5)) == (y + 4, x + 4)
    npc_x, npc_y = NPC_CELLS[snap.byte(CUR_MAP)]
    assert snap.byte(SPRITES1 + 0x10) != 0 and snap.byte(SPRITES1 + 0x12) == 0
    assert (snap.byte(SPRITES2 + 0x14), snap.byte(SPRITES2 + 0x15)) == (npc_y + 4, npc_x + 4)
    assert snap.read(SPRITES1 + 0x20, 0xE0) == bytes(0xE0) and snap.read(SPRITES2 + 0x20, 0xE0) == bytes(0xE0)


def test_the_header_names_no_real_game(pokecart: Path) -> None:
    _, info = read_rom(pokecart)
    assert info.title == TITLE
    assert (info.cartridge_type, info.cgb, info.size) == (0x00, "dmg", 32 * 1024)


def test_the_walkthrough_visits_every_scene_once_in_order(walked: list[Snapshot]) -> None:
    entered = [s.scene for s in walked if s.button == "a"]
    assert entered[: len(SCENES) - 1] == list(range(1, len(SCENES)))
    assert entered[len(SCENES) - 1 :] == [len(SCENES) - 1]  # the last A: nothing more happens
    assert walked[-1].read(0, 0xDF00) == walked[-2].read(0, 0xDF00)  # the stack aside


@pytest.mark.parametrize("scene", range(len(SCENES)), ids=[s.name for s in SCENES])
def test_each_scene_leaves_its_bytes(walked: list[Snapshot], pokecart: Path, scene: int) -> None:
    """Every byte the script has set by the scene, raw: HP u16 big-endian, money BCD, names in the Gen-1 charset."""
    if scene == 0:
        with GameBoy(pokecart) as gb:
            gb.tick(30)
            snap = Snapshot("", 0, gb.read(0, 0x10000))
    else:
        snap = first_in(walked, scene)
    want = expected(scene)
    wrong = {hex(a): (snap.read(a, len(v)).hex(), v.hex()) for a, v in want.items() if snap.read(a, len(v)) != v}
    assert not wrong, f"scene {scene} {SCENES[scene].name}: address: (found, expected) {wrong}"
    info = SCENES[scene]
    if info.at is not None:
        assert (snap.byte(CUR_MAP), *snap.cell) == info.at
    assert snap.byte(FONT_LOADED) & 1 == info.font_bit
    assert snap.byte(IN_BATTLE) == (0 if info.screen != "battle" else want[IN_BATTLE][0])
    if info.screen != "battle":
        assert snap.read(ENEMY_MON, 29) == bytes(29)  # the whole enemy block is clear outside battle
    if info.lines:
        assert_text_box(snap, info.lines)
    else:
        assert snap.tile(0, 12) != TOP_LEFT
    if info.screen in ("walk", "text", "menu", "yesno"):
        assert snap.tiles(8, 8, 2) + snap.tiles(8, 9, 2) == bytes([FLOOR] * 4)  # the player stands on floor
        assert_sprites(snap)


def test_a_fresh_game_is_in_pallet_town_facing_down(pokecart: Path) -> None:
    with GameBoy(pokecart) as gb:
        gb.tick(30)
        assert gb.read(CUR_MAP)[0] == 0x00 and gb.read(Y_COORD, 2) == bytes([6, 5]) and gb.read(FACING)[0] == DOWN
        assert gb.read(0xD164) == b"\xff" and gb.read(0xD31E) == b"\xff"  # no Pokémon, no items
        assert gb.read(0xD747, 0x140) == bytes(0x140)  # no event flag at all


def test_the_collision_list_has_the_floor_and_not_the_walls(walked: list[Snapshot]) -> None:
    snap = walked[0]
    pointer = int.from_bytes(snap.read(COLLISION_PTR, 2), "little")
    assert 0x0150 <= pointer < 0x4000  # ROM bank 0, as the game's lists
    listed = snap.read(pointer, 64)
    walkable = listed[: listed.index(0xFF)]
    standing = snap.tile(8, 9)  # the lower-left tile of the player's cell, the one the game checks
    assert standing == FLOOR and FLOOR in walkable
    assert WALL_TILE not in walkable and OUTSIDE not in walkable


def test_walking_moves_one_cell_and_walls_and_people_stop_it(walked: list[Snapshot]) -> None:
    """Every d-pad press in a walking scene turns the player; it moves one cell unless a wall or the other
    character is there. The walkthrough walks in scenes 0 and 8 and bumps into both."""
    moved: dict[int, int] = {}
    blocked: set[str] = set()
    for before, after in itertools.pairwise(walked):
        if after.button not in STEP or SCENES[after.scene].screen != "walk":
            continue
        dx, dy, facing = STEP[after.button]
        assert after.byte(FACING) == facing
        x, y = before.cell
        target = (x + dx, y + dy)
        # The target cell's lower-left tile, as seen from before the press: col 8 + 2 dx, row 9 + 2 dy.
        tile = before.tile(8 + 2 * dx, 9 + 2 * dy)
        npc = NPC_CELLS[before.byte(CUR_MAP)]
        if tile == FLOOR and target != npc:
            assert after.cell == target
            moved[after.scene] = moved.get(after.scene, 0) + 1
        else:
            assert after.cell == (x, y), (after.button, before.cell, tile)
            blocked.add("npc" if target == npc else "wall")
    assert moved.get(0, 0) >= 3 and moved.get(8, 0) >= 3
    assert blocked == {"npc", "wall"}


def test_the_screen_scrolls_with_the_player(walked: list[Snapshot]) -> None:
    """At (1, 6) in Pallet Town the wall at x = 0 is the cell left of the player, and outside beyond it."""
    snap = next(s for s in walked if s.scene == 0 and s.cell == (1, 6))
    assert snap.tile(6, 9) == WALL_TILE and snap.tile(4, 9) == OUTSIDE and snap.tile(10, 9) == FLOOR
    assert snap.tile(6, 8) == snap.tile(7, 8) == snap.tile(7, 9) == WALL_TILE  # 2x2 tiles a cell


def test_the_d_pad_does_nothing_while_a_text_box_is_open(walked: list[Snapshot]) -> None:
    press = next(i for i, s in enumerate(walked) if s.scene == 1 and s.button == "left")
    assert walked[press].read(0xC000, 0x1F00) == walked[press - 1].read(0xC000, 0x1F00)  # the stack aside


def test_the_start_menu(walked: list[Snapshot]) -> None:
    snap = first_in(walked, 7)
    assert snap.tiles(10, 0, 10) == bytes([TOP_LEFT, *[HORIZONTAL] * 8, TOP_RIGHT])
    assert (snap.tile(10, 15), snap.tile(19, 15)) == (BOTTOM_LEFT, BOTTOM_RIGHT)
    items = ["POKéDEX", "POKéMON", "ITEM", "RED", "SAVE", "OPTION", "EXIT"]
    for i, label in enumerate(items):
        assert snap.tiles(12, 2 + 2 * i, len(label)) == text(label)
    assert (snap.byte(TOP_MENU_ITEM_Y), snap.byte(TOP_MENU_ITEM_X), snap.byte(CURRENT_MENU_ITEM)) == (2, 11, 0)
    cursors = [(s.byte(CURRENT_MENU_ITEM), [s.tile(11, 2 + 2 * i) for i in range(7)]) for s in walked if s.scene == 7]
    assert [item for item, _ in cursors] == [0, 1, 2, 1, 2]
    for item, column in cursors:  # one cursor, on the current item's row
        assert column == [CURSOR if i == item else BLANK for i in range(7)]


def test_the_yes_no_box_keeps_its_cursor_within_two_items(walked: list[Snapshot]) -> None:
    snap = first_in(walked, 11)
    assert (snap.tile(14, 7), snap.tile(19, 7), snap.tile(14, 11), snap.tile(19, 11)) == (
        TOP_LEFT,
        TOP_RIGHT,
        BOTTOM_LEFT,
        BOTTOM_RIGHT,
    )
    assert snap.tiles(16, 8, 3) == text("YES") and snap.tiles(16, 10, 2) == text("NO")
    seen = [(s.byte(CURRENT_MENU_ITEM), s.tile(15, 8), s.tile(15, 10)) for s in walked if s.scene == 11]
    assert seen == [(0, CURSOR, BLANK), (1, BLANK, CURSOR), (1, BLANK, CURSOR), (0, CURSOR, BLANK)]


def test_a_press_while_the_cartridge_starts_is_harmless(pokecart: Path) -> None:
    """Held through start-up (which takes about 15 frames) or over before it ends: no scene change."""
    for hold in (4, 40):
        with GameBoy(pokecart) as gb:
            gb.press("a", hold_frames=hold, wait_frames=30)
            assert gb.read(FONT_LOADED)[0] & 1 == 0 and gb.read(TILE_MAP + 12 * 20)[0] != TOP_LEFT
            assert gb.read(CUR_MAP)[0] == 0x00 and gb.read(Y_COORD, 2) == bytes([6, 5])


def test_every_change_is_complete_within_three_frames(pokecart: Path, walked: list[Snapshot]) -> None:
    """The walkthrough with one-frame presses: the Pokémon memory is final three frames after a press begins
    (one frame held, two released), the screen one frame later; and every press still counts."""
    with GameBoy(pokecart) as gb:
        gb.tick(30)
        for button in presses():
            gb.press(button, hold_frames=1, wait_frames=2)
            ram = gb.read(0xC000, POKEMON_RAM)
            gb.tick(1)
            screen = gb.read(BG_MAP, 18 * 32)
            gb.tick(20)
            assert gb.read(0xC000, POKEMON_RAM) == ram and gb.read(BG_MAP, 18 * 32) == screen, button
        assert gb.read(0xC000, POKEMON_RAM) == walked[-1].read(0xC000, POKEMON_RAM)


def test_the_same_presses_give_the_same_memory(pokecart: Path) -> None:
    """Twice with the profile's timing, and once with the tests' 4/12: the same RAM at the end (the presses are
    counted on their first frame, whatever their length), and the same screen for the same timing."""
    first = play(pokecart)
    second = play(pokecart)
    quick = play(pokecart, hold=4, wait=12)
    assert first[1:] == second[1:]
    assert quick[1] == first[1]
    assert [s.memory for s in first[0]] == [s.memory for s in second[0]]


def test_the_pokemon_red_profile_reads_it(walked: list[Snapshot]) -> None:
    """The profile's own reading: fields, position, dialog, collision and the other character, milestones."""
    red = load_profile("pokemon-red")
    start = next(s for s in walked if s.scene == 0 and s.cell == (1, 6))
    state = red.read(start)
    assert (state.value("player_name"), state.value("money"), state.value("badges")) == ("RED", 3000, 0)
    spot = red.locate(start)
    assert spot is not None and (spot.x, spot.y, spot.facing, spot.name) == (1, 6, "left", "PALLET TOWN")
    assert red.collision is not None and red.sprites is not None
    sight = red.collision.sight(start, red.values(start), (1, 6))
    assert (sight[(0, 6)], sight[(2, 6)], sight[(1, 5)]) == (WALL, OPEN, OPEN)
    assert red.sprites.cells(start) == ((2, 5),)

    oak = first_in(walked, 1)
    assert red.read(oak).dialog == "OAK: Hey! Wait!\nDon't go out!"
    assert red.locate(oak) is None  # a text box is open: off the map

    battle = first_in(walked, 4)
    assert red.read(battle).value("in_battle") == 2 and red.locate(battle) is None

    end = walked[-1]
    held = set(red.holds(red.read(end), 0))
    assert {"followed_oak", "got_starter", "battled_rival", "got_parcel", "delivered_parcel", "got_pokedex"} <= held
    assert {"visited_pewter", "beat_brock", "boulder_badge"} <= held
    assert red.read(end).value("money") == 4386
