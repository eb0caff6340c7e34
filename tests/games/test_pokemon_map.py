"""The Pokémon Red profile's map tables on synthetic memory laid out as pret/pokered documents it
(docs/pokemon-red-map.md): where the player is and faces, which cells on screen are walkable, where NPCs stand.
Then the loader's one-line refusals of broken [map], [collision] and [sprites] tables."""

from __future__ import annotations

import dataclasses

import pytest

from animus.errors import ProfileError
from animus.games import load_profile
from animus.games.loader import parse_profile
from animus.games.profile import Profile
from animus.games.spatial import OPEN, WALL, Collision, Spot, Sprites
from tests.games.fakes import FakeMemory, profile_toml

TILE_MAP = 0xC3A0  # wTileMap, 20 x 18
COLLISION_PTR = 0xD530  # wTilesetCollisionPtr
CUR_MAP, Y_COORD, X_COORD = 0xD35E, 0xD361, 0xD362  # wCurMap, wYCoord, wXCoord
FACING = 0xC109  # wSpritePlayerStateData1FacingDirection
IN_BATTLE, FONT_LOADED = 0xD057, 0xCFC4  # wIsInBattle, wFontLoaded
SPRITES1, SPRITES2 = 0xC100, 0xC200  # wSpriteStateData1, wSpriteStateData2: 16 entries of 0x10 bytes
OVERWORLD_COLL = 0x1735  # Overworld_Coll in ROM bank 0 (pokered.sym)
CAVERN_COLL = 0x17AC  # Cavern_Coll
# data/tilesets/collision_tile_ids.asm: the Overworld and Cavern tilesets' walkable tiles, each list ended by 0xFF.
OVERWORLD = [0x00, 0x10, 0x1B, 0x20, 0x21, 0x23, 0x2C, 0x2D, 0x2E, 0x30, 0x31, 0x33, 0x39, 0x3C, 0x3E, 0x52, 0x54,
             0x58, 0x5B]  # fmt: skip
CAVERN = [0x05, 0x15, 0x18, 0x1A, 0x20, 0x21, 0x22, 0x2A, 0x2D, 0x30]
GRASS, TREE = 0x2C, 0x0F  # 0x2C is in the Overworld list, 0x0F is in none of the two
X, Y = 5, 7  # the player's cell in the tests


@pytest.fixture
def red() -> Profile:
    return load_profile("pokemon-red")


def image(facing: int = 0x04, pointer: int = OVERWORLD_COLL) -> FakeMemory:
    """A 64 KiB image: Pallet Town (map 0) with the player at (X, Y) facing `facing`, the two walkable lists in ROM,
    the tileset's pointer, no battle, no text box, and a screen of trees with no sprites."""
    memory = FakeMemory()
    memory.put(OVERWORLD_COLL, [*OVERWORLD, 0xFF])
    memory.put(CAVERN_COLL, [*CAVERN, 0xFF])
    memory.put(COLLISION_PTR, [pointer & 0xFF, pointer >> 8])
    memory.put(CUR_MAP, [0x00])
    memory.put(Y_COORD, [Y, X])
    memory.put(FACING, [facing])
    memory.put(TILE_MAP, [TREE] * 360)
    return memory


def screen_tile(dx: int, dy: int, corner: tuple[int, int] = (0, 1)) -> int:
    """The wTileMap offset of one of the four tiles of the cell (dx, dy) cells from the player's: `corner` (0 or 1
    in each direction) picks it, the lower-left (0, 1) by default. The player's cell is columns 8-9, rows 8-9."""
    return (8 + 2 * dy + corner[1]) * 20 + 8 + 2 * dx + corner[0]


def paint(memory: FakeMemory, dx: int, dy: int, lower_left: int, others: int) -> None:
    """Cell (dx, dy) from the player's: `lower_left` on its collision tile, `others` on its three other tiles."""
    for corner in ((0, 0), (1, 0), (0, 1), (1, 1)):
        memory.put(TILE_MAP + screen_tile(dx, dy, corner), [lower_left if corner == (0, 1) else others])


def put_sprite(memory: FakeMemory, slot: int, picture: int, x: int, y: int, image_index: int = 0x10) -> None:
    """Sprite entry `slot`: its picture id, image index and map cell, stored as the game stores it (cell + 4)."""
    memory.put(SPRITES1 + slot * 0x10, [picture, 1, image_index])
    memory.put(SPRITES2 + slot * 0x10 + 4, [y + 4, x + 4])


def collision(red: Profile) -> Collision:
    assert red.collision is not None
    return red.collision


def sprites(red: Profile) -> Sprites:
    assert red.sprites is not None
    return red.sprites


# --- locate -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("byte", "word"), [(0x00, "down"), (0x04, "up"), (0x08, "left"), (0x0C, "right")])
def test_locate_gives_map_cell_name_and_facing(red: Profile, byte: int, word: str) -> None:
    spot = red.locate(image(facing=byte))
    assert spot == Spot(0, X, Y, word, "PALLET TOWN")
    assert spot.cell == (X, Y)


def test_locate_reads_x_from_d362_and_y_from_d361(red: Profile) -> None:
    memory = image()
    memory.put(CUR_MAP, [0x33])
    memory.put(Y_COORD, [20, 3])
    spot = red.locate(memory)
    assert spot is not None and (spot.map, spot.x, spot.y, spot.name) == (0x33, 3, 20, "VIRIDIAN FOREST")


def test_a_facing_byte_that_is_no_direction_gives_none(red: Profile) -> None:
    spot = red.locate(image(facing=0x02))
    assert spot is not None and spot.facing is None


@pytest.mark.parametrize(("address", "value"), [(IN_BATTLE, 1), (IN_BATTLE, 2), (IN_BATTLE, 0xFF), (FONT_LOADED, 1)])
def test_off_the_map_in_a_battle_or_with_a_text_box(red: Profile, address: int, value: int) -> None:
    memory = image()
    memory.put(address, [value])
    assert red.locate(memory) is None
    memory.put(address, [0])
    assert red.locate(memory) is not None


# --- sight ------------------------------------------------------------------------------------------------------


def sight(red: Profile, memory: FakeMemory) -> dict[tuple[int, int], str]:
    return collision(red).sight(memory, red.values(memory), (X, Y))


def test_sight_covers_the_screen_and_nothing_else(red: Profile) -> None:
    seen = sight(red, image())
    # The screen is 10 cells wide (columns 0-19) and 9 tall (rows 0-17): 4 cells left, 5 right, 4 up, 4 down.
    expected = {(X + dx, Y + dy) for dx in range(-4, 6) for dy in range(-4, 5)} - {(X, Y)}
    assert set(seen) == expected and len(seen) == 89
    for absent in ((X - 5, Y), (X + 6, Y), (X, Y - 5), (X, Y + 5), (X, Y)):
        assert absent not in seen
    assert set(seen.values()) == {WALL}  # trees everywhere


def test_sight_follows_the_pointer_to_the_walkable_list(red: Profile) -> None:
    memory = image()
    paint(memory, 0, -1, GRASS, GRASS)  # up: a listed tile
    paint(memory, 1, 0, TREE, TREE)  # right: not listed
    paint(memory, -4, 4, 0x00, 0x00)  # the lower-left corner of the screen
    paint(memory, 5, -4, 0x5B, 0x5B)  # the upper-right corner
    seen = sight(red, memory)
    assert seen[(X, Y - 1)] == OPEN and seen[(X + 1, Y)] == WALL
    assert seen[(X - 4, Y + 4)] == OPEN and seen[(X + 5, Y - 4)] == OPEN
    assert sum(kind == OPEN for kind in seen.values()) == 3
    # Every id of the Overworld list is walkable; the ids between them are not.
    for tile in range(256):
        paint(memory, 0, 1, tile, tile)
        assert sight(red, memory)[(X, Y + 1)] == (OPEN if tile in OVERWORLD else WALL), hex(tile)


def test_sight_reads_the_list_the_pointer_holds_now(red: Profile) -> None:
    memory = image()
    paint(memory, 0, -1, 0x05, 0x05)  # Cavern floor; not in the Overworld list
    paint(memory, 0, 1, GRASS, GRASS)  # in the Overworld list only
    assert (sight(red, memory)[(X, Y - 1)], sight(red, memory)[(X, Y + 1)]) == (WALL, OPEN)
    memory.put(COLLISION_PTR, [CAVERN_COLL & 0xFF, CAVERN_COLL >> 8])
    assert (sight(red, memory)[(X, Y - 1)], sight(red, memory)[(X, Y + 1)]) == (OPEN, WALL)


def test_the_list_ends_at_ff(red: Profile) -> None:
    memory = image()
    memory.put(OVERWORLD_COLL + len(OVERWORLD) + 1, [0x0F])  # after the end byte: not part of the list
    assert set(sight(red, memory).values()) == {WALL}


def test_the_lower_left_tile_decides_a_cell(red: Profile) -> None:
    memory = image()
    paint(memory, 0, 1, GRASS, TREE)  # below: walkable by its lower-left tile only
    paint(memory, -1, 0, TREE, GRASS)  # left: blocked by its lower-left tile, the three others walkable
    seen = sight(red, memory)
    assert seen[(X, Y + 1)] == OPEN and seen[(X - 1, Y)] == WALL


@pytest.mark.parametrize(("dx", "dy", "column", "row"), [(0, 1, 8, 11), (0, -1, 8, 7), (-1, 0, 6, 9), (1, 0, 10, 9)])
def test_the_cells_next_to_the_player_are_the_tiles_the_game_checks(
    red: Profile, dx: int, dy: int, column: int, row: int
) -> None:
    """_GetTileAndCoordsInFrontOfPlayer reads wTileMap at (8, 11) facing down, (8, 7) up, (6, 9) left and (10, 9)
    right: each is the collision tile of the cell next to the player on that side."""
    memory = image()
    memory.put(TILE_MAP + row * 20 + column, [GRASS])
    seen = sight(red, memory)
    assert seen[(X + dx, Y + dy)] == OPEN
    assert [cell for cell, kind in seen.items() if kind == OPEN] == [(X + dx, Y + dy)]


def test_a_wrong_anchor_misclassifies(red: Profile) -> None:
    """The test can fail: anchored on the upper-left tile (8, 8), the same screen reads the other way round."""
    memory = image()
    paint(memory, 0, 1, GRASS, TREE)
    paint(memory, -1, 0, TREE, GRASS)
    upper = dataclasses.replace(collision(red), anchor=(8, 8))
    seen = upper.sight(memory, red.values(memory), (X, Y))
    assert seen[(X, Y + 1)] == WALL and seen[(X - 1, Y)] == OPEN
    shifted = dataclasses.replace(collision(red), anchor=(9, 9))  # the lower-right tile
    assert shifted.sight(memory, red.values(memory), (X, Y))[(X, Y + 1)] == WALL


def test_sight_reads_wtilemap_not_vram(red: Profile) -> None:
    memory = image()
    paint(memory, 0, -1, GRASS, GRASS)
    memory.put(0x9800, [GRASS] * 0x400)  # the background map in VRAM says grass everywhere: not read
    assert sight(red, memory)[(X, Y - 1)] == OPEN and sight(red, memory)[(X + 1, Y)] == WALL


# --- sprites ----------------------------------------------------------------------------------------------------


def test_sprites_are_at_their_map_cells_and_empty_slots_and_the_player_are_skipped(red: Profile) -> None:
    memory = image()
    put_sprite(memory, 0, 0x01, X, Y)  # the player
    put_sprite(memory, 1, 0x05, 3, 6)
    put_sprite(memory, 2, 0x00, 9, 9, image_index=0xFF)  # an empty slot with stale bytes
    memory.put(SPRITES2 + 2 * 0x10 + 4, [13, 13])
    put_sprite(memory, 3, 0x0B, 20, 2, image_index=0xFF)  # hidden (an item ball picked up) or off screen: left out
    put_sprite(memory, 15, 0x3D, 0, 0)  # the last slot, at the map's corner (stored 4, 4)
    assert sprites(red).cells(memory) == ((3, 6), (0, 0))
    assert dataclasses.replace(sprites(red), hidden=None).cells(memory) == ((3, 6), (20, 2), (0, 0))


def test_the_player_entry_is_skipped_whatever_it_holds(red: Profile) -> None:
    memory = image()
    put_sprite(memory, 0, 0x01, X, Y)
    assert sprites(red).cells(memory) == ()
    assert dataclasses.replace(sprites(red), first=0).cells(memory) == ((X, Y),)  # what first = 1 leaves out


def test_stored_4_4_is_the_maps_corner(red: Profile) -> None:
    """CheckBoulderCoords (home/map_objects.asm) subtracts 4 from both: "sprite coordinates are offset by 4"."""
    memory = image()
    memory.put(SPRITES1 + 0x10, [0x05])
    memory.put(SPRITES2 + 0x10 + 4, [4, 4])
    memory.put(SPRITES1 + 0x20, [0x05])
    memory.put(SPRITES2 + 0x20 + 4, [4 + 9, 4 + 2])  # MapY first, then MapX
    assert sprites(red).cells(memory) == ((0, 0), (2, 9))


def test_two_sprites_on_one_cell_are_listed_once(red: Profile) -> None:
    memory = image()
    put_sprite(memory, 1, 0x05, 3, 6)
    put_sprite(memory, 2, 0x06, 3, 6)
    assert sprites(red).cells(memory) == ((3, 6),)


# --- loader errors ----------------------------------------------------------------------------------------------

MAP_FIELD = """
[fields.m]
address = 0xC002
type = "u8"
map = "m"

[fields.f]
address = 0xC003
type = "u8"
map = "f"

[maps.m]
"0" = "HOME"

[maps.f]
"0" = "down"
"4" = "up"
"8" = "left"
"12" = "right"
"""
POSITION = '[position]\nfields = ["m", "x", "y"]\n'


def refused(extra: str, position: str = POSITION) -> str:
    with pytest.raises(ProfileError) as info:
        parse_profile(profile_toml(extra=MAP_FIELD + position + extra), "t.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_good_tables_load() -> None:
    extra = (
        '[map]\nname = "m"\nfacing = "f"\n'
        "[collision]\ncell = 2\nplayer = [8, 9]\npointer = 0xD530\nbuffer = 0xC3A0\n"
        "[sprites]\ncount = 16\nstride = 16\nfirst = 1\npresent = 0xC100\nx = 0xC205\ny = 0xC204\noffset = -4\n"
    )
    profile = parse_profile(profile_toml(extra=MAP_FIELD + POSITION + extra), "t.toml")
    assert profile.collision is not None and profile.collision.anchor == (8, 9) and not profile.collision.fixed
    assert profile.sprites == Sprites(16, 16, 1, 0xC100, 0xC205, 0xC204, -4)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[map]\nfacing = "x"\n', "[map] facing 'x' is not a number field whose map names up, down, left and right"),
        ('[map]\nfacing = "m"\n', "[map] facing 'm' is not a number field whose map names"),
        ('[map]\nname = "x"\n', "[map] name 'x' is not a text field or a number field with a map"),
        ('[map]\nname = "nope"\n', "[map] name 'nope' is not a text field"),
        ('[map]\nfacing = "f"\nwhere = "m"\n', "unknown key 'where' in [map]"),
        ("[map]\nfacing = 3\n", "'facing' in [map] must be a str"),
    ],
)
def test_bad_map_tables(table: str, expected: str) -> None:
    assert expected in refused(table)


COLLISION = "[collision]\ncell = 2\n"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (COLLISION + "pointer = 0xD530\n", "needs exactly one of origin"),
        (COLLISION + "player = [8, 9]\norigin = [0, 0]\npointer = 0xD530\n", "needs exactly one of origin"),
        (COLLISION + "player = [8, 9]\n", "names 0 sources of walkable tiles (none)"),
        (COLLISION + "player = [8, 9]\npointer = 0xD530\nwalkable_ids = [1]\n", "names 2 sources"),
        ("[collision]\ncell = 3\nplayer = [8, 9]\npointer = 0xD530\n", "[collision] cell = 3"),
        (COLLISION + "player = [20, 9]\npointer = 0xD530\n", "player = [20, 9] is not within the screen"),
        (COLLISION + "player = [8]\npointer = 0xD530\n", "player = [8] is not within the screen"),
        (COLLISION + "player = [8, 9]\npointer = 0x10000\n", "'pointer' in [collision] is 65536"),
        (COLLISION + "player = [8, 9]\nwalkable_ids = [256]\n", "[collision] walkable_ids must be a list of tile"),
        (COLLISION + 'player = [8, 9]\nwalkable = ["grass"]\n', "names 'grass', which is not a [tiles.classes]"),
        (COLLISION + 'player = [8, 9]\ntileset = "nope"\n', "tileset 'nope' is not a number field"),
        (COLLISION + 'player = [8, 9]\ntileset = "m"\n[collision.tilesets]\nzero = [1]\n', "key 'zero'"),
        (COLLISION + "player = [8, 9]\nwalkable_ids = [1]\n[collision.tilesets]\n0 = [1]\n", "but no tileset field"),
        (COLLISION + "player = [8, 9]\npointer = 0xD530\nbuffer = 0xFF00\n", "'buffer' in [collision] is 65280"),
        (COLLISION + "player = [8, 9]\npointer = 0xD530\nsize = [10, 9]\n", "size applies to a fixed screen"),
        (COLLISION + "player = [8, 9]\npointer = 0xD530\nanchor = [8, 9]\n", "unknown key 'anchor' in [collision]"),
    ],
)
def test_bad_collision_tables(table: str, expected: str) -> None:
    assert expected in refused(table)


SPRITES = "[sprites]\ncount = 16\nstride = 16\n"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("[sprites]\nstride = 16\npresent = 0xC100\nx = 0xC205\ny = 0xC204\n", "missing key 'count' in [sprites]"),
        (SPRITES + "present = 0xC100\nx = 0xC205\n", "missing key 'y' in [sprites]"),
        (SPRITES + "first = 16\npresent = 0xC100\nx = 0xC205\ny = 0xC204\n", "'first' in [sprites] is 16"),
        (SPRITES + "present = 0xC100\nx = 0xFF10\ny = 0xC204\n", "'x' in [sprites] is 65296, it must be from 0"),
        (SPRITES + "present = 0xC100\nx = 0xC205\ny = 0xC204\noffset = -256\n", "'offset' in [sprites] is -256"),
        (SPRITES + "present = 0xC100\nx = 0xC205\ny = 0xC204\nsize = 2\n", "unknown key 'size' in [sprites]"),
        ("[sprites]\ncount = 0\nstride = 16\npresent = 0\nx = 0\ny = 0\n", "'count' in [sprites] is 0"),
    ],
)
def test_bad_sprites_tables(table: str, expected: str) -> None:
    assert expected in refused(table)


def test_the_tables_need_a_map_position() -> None:
    for table in ('[map]\nfacing = "f"\n', COLLISION + "player = [8, 9]\npointer = 0xD530\n",
                  SPRITES + "present = 0xC100\nx = 0xC205\ny = 0xC204\n"):  # fmt: skip
        assert "[map], [collision] and [sprites] need a map position" in refused(table, position="")


@pytest.mark.parametrize("name", ["map", "collision", "sprites"])
def test_a_table_that_is_not_a_table(name: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(f"{name} = 3\n" + profile_toml(extra=MAP_FIELD + POSITION), "t.toml")
    assert f"[{name}] must be a table" in str(info.value) and "\n" not in str(info.value)
