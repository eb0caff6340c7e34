"""PKMN LAYOUT, the Pokémon-layout test cartridge in `tests/games/pokecart/`: its build, and what each of its
scenes must leave in memory, at Pokémon Red (English) addresses.

`build` runs the cartridge's build.sh (SDCC), skipping the test when SDCC is not installed. `SCENES` lists the
16 scenes of its script (pokecart/README.md) with the bytes each one sets; `expected(n)` is what memory holds
after scene n, every earlier scene's writes included. The position and facing are left out of it: walking
changes them (the scenes that warp set them, and `Scene.at` says where); so is wCurrentMenuItem, which a menu
scene sets to 0 and the presses in it move.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CART = Path(__file__).resolve().parent / "pokecart"
WALKTHROUGH = CART / "walkthrough.txt"
TITLE = "PKMN LAYOUT"
TOOLS = ("sdcc", "sdasgb", "makebin")

# Pokémon Red (English) work RAM.
TILE_MAP = 0xC3A0  # wTileMap, 20x18 tile ids
SPRITES1, SPRITES2 = 0xC100, 0xC200  # wSpriteStateData1/2: 16 entries of 0x10 bytes
FACING = 0xC109
TOP_MENU_ITEM_Y, TOP_MENU_ITEM_X, CURRENT_MENU_ITEM, MAX_MENU_ITEM = 0xCC24, 0xCC25, 0xCC26, 0xCC28
FONT_LOADED = 0xCFC4
ENEMY_MON = 0xCFE5
BATTLE_MON = 0xD014
IN_BATTLE = 0xD057
PLAYER_NAME = 0xD158
PARTY_COUNT = 0xD163  # then wPartySpecies 0xD164
PARTY_MON1 = 0xD16B
PARTY_MON_OT = 0xD273
PARTY_MON_NICKS = 0xD2B5
NUM_BAG_ITEMS = 0xD31D  # then wBagItems 0xD31E
MONEY = 0xD347
RIVAL_NAME = 0xD34A
BADGES = 0xD356
CUR_MAP, Y_COORD, X_COORD = 0xD35E, 0xD361, 0xD362
COLLISION_PTR = 0xD530
EVENT_FLAGS = 0xD747

# The event flags the script sets, as (byte, bit).
FOLLOWED_OAK = (0xD747, 0)
GOT_STARTER = (0xD74B, 2)
BEAT_RIVAL_LAB = (0xD74B, 3)
GOT_POKEDEX = (0xD74B, 5)
GOT_PARCEL = (0xD74E, 1)
DELIVERED_PARCEL = (0xD74E, 0)
BEAT_BROCK = (0xD755, 7)

# Tile ids: the cartridge's own map tiles, and Pokémon Red's box tiles and cursor.
FLOOR, WALL, OUTSIDE = 0x30, 0x31, 0x32
TOP_LEFT, HORIZONTAL, TOP_RIGHT, VERTICAL, BOTTOM_LEFT, BOTTOM_RIGHT = range(0x79, 0x7F)
BLANK, CURSOR, TERMINATOR = 0x7F, 0xED, 0x50

# The rooms' other characters: map id -> their cell (sprite entry 1).
NPC_CELLS = {0x00: (2, 5), 0x28: (5, 3), 0x01: (7, 2), 0x33: (3, 3), 0x02: (5, 2)}


def build(out: Path) -> Path:
    """Build the ROM into `out` with pokecart/build.sh; skip the calling test when SDCC is not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"SDCC is not installed ({', '.join(missing)} missing; apt-get install sdcc)")
    done = subprocess.run(
        ["sh", str(CART / "build.sh"), str(out)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"build.sh failed:\n{done.stdout}{done.stderr}"
    return out


def text(s: str) -> bytes:
    """`s` in the Gen-1 charset (the letters, digits and punctuation the cartridge uses)."""
    special = {" ": 0x7F, "!": 0xE7, "?": 0xE6, ".": 0xE8, ":": 0x9C, "'": 0xE0, "é": 0xBA}
    out = bytearray()
    for c in s:
        if "A" <= c <= "Z":
            out.append(0x80 + ord(c) - ord("A"))
        elif "a" <= c <= "z":
            out.append(0xA0 + ord(c) - ord("a"))
        elif "0" <= c <= "9":
            out.append(0xF6 + ord(c) - ord("0"))
        else:
            out.append(special[c])
    return bytes(out)


def name(s: str) -> bytes:
    """An 11-byte name buffer: the text, then terminators."""
    return text(s).ljust(11, bytes([TERMINATOR]))


def u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def flag_bytes(*flags: tuple[int, int]) -> dict[int, bytes]:
    """The event flag bytes 0xD747-0xD756 with `flags` set and every other bit clear."""
    image = bytearray(16)
    for address, bit in flags:
        image[address - EVENT_FLAGS] |= 1 << bit
    return {EVENT_FLAGS: bytes(image)}


def mon(base: int, species: int, hp: int, max_hp: int, level: int, moves: bytes) -> dict[int, bytes]:
    """A battle struct's fields the script sets (wEnemyMon 0xCFE5, wBattleMon 0xD014: the same layout)."""
    return {
        base: bytes([species]),
        base + 1: u16(hp),
        base + 8: moves,
        base + 14: bytes([level]),
        base + 15: u16(max_hp),
    }


NO_ENEMY = {address: bytes(len(value)) for address, value in mon(ENEMY_MON, 0, 0, 0, 0, bytes(4)).items()}


def party_mon(hp: int, max_hp: int, level: int, status: int, exp: int, pp: bytes) -> dict[int, bytes]:
    """Party mon 1 (0xD16B, 44 bytes): the fields the script sets. The statistics never change."""
    return {
        PARTY_MON1: bytes([0xB0]),  # CHARMANDER
        PARTY_MON1 + 1: u16(hp),
        PARTY_MON1 + 3: bytes([level, status, 0x14, 0x14]),  # box level, status, types (fire, fire)
        PARTY_MON1 + 8: bytes([0x0A, 0x2D, 0, 0]),  # SCRATCH, GROWL
        PARTY_MON1 + 14: exp.to_bytes(3, "big"),
        PARTY_MON1 + 29: pp,
        PARTY_MON1 + 33: bytes([level]) + u16(max_hp),
        PARTY_MON1 + 36: u16(11) + u16(10) + u16(12) + u16(11),  # attack, defense, speed, special
    }


@dataclass(frozen=True)
class Scene:
    """One scene of the script: what it shows and the memory it sets."""

    name: str
    screen: str  # walk, text, battle, menu, yesno
    lines: tuple[str, ...] = ()  # the text box's lines, rows 14 and 16
    sets: dict[int, bytes] = field(default_factory=dict)
    at: tuple[int, int, int] | None = None  # (map, x, y) for a scene that warps

    @property
    def font_bit(self) -> int:
        """wFontLoaded bit 0: a text box or a menu open, outside battle."""
        return int(self.screen in ("text", "menu", "yesno"))


SCENES: list[Scene] = [
    Scene(
        "boot",
        "walk",
        sets={
            PARTY_COUNT: bytes([0, 0xFF]),
            NUM_BAG_ITEMS: bytes([0, 0xFF]),
            MONEY: bytes([0x00, 0x30, 0x00]),
            PLAYER_NAME: name("RED"),
            RIVAL_NAME: name("BLUE"),
            BADGES: b"\x00",
            IN_BATTLE: b"\x00",
            **flag_bytes(),
            **NO_ENEMY,
        },
        at=(0x00, 5, 6),
    ),
    Scene("oak_stops_you", "text", ("OAK: Hey! Wait!", "Don't go out!")),
    Scene("followed_oak", "walk", sets=flag_bytes(FOLLOWED_OAK), at=(0x28, 5, 10)),
    Scene(
        "got_starter",
        "text",
        ("OAK: Take this", "CHARMANDER!"),
        sets={
            **flag_bytes(FOLLOWED_OAK, GOT_STARTER),
            PARTY_COUNT: bytes([1, 0xB0, 0xFF]),
            **party_mon(19, 19, 5, 0, 135, bytes([35, 40, 0, 0])),
            PARTY_MON_OT: name("RED"),
            PARTY_MON_NICKS: name("CHARMANDER"),
        },
    ),
    Scene(
        "rival_battle",
        "battle",
        ("BLUE wants", "to fight!"),
        sets={
            IN_BATTLE: b"\x02",
            **mon(ENEMY_MON, 0xB1, 20, 20, 5, bytes([0x21, 0x27, 0, 0])),
            **mon(BATTLE_MON, 0xB0, 19, 19, 5, bytes([0x0A, 0x2D, 0, 0])),
        },
    ),
    Scene(
        "exchange",
        "battle",
        ("CHARMANDER used", "SCRATCH!"),
        sets={
            ENEMY_MON + 1: u16(12),
            BATTLE_MON + 1: u16(16),
            **party_mon(16, 19, 5, 0x08, 135, bytes([34, 40, 0, 0])),
        },
    ),
    Scene(
        "won_rival",
        "walk",
        sets={
            IN_BATTLE: b"\x00",
            **NO_ENEMY,
            **flag_bytes(FOLLOWED_OAK, GOT_STARTER, BEAT_RIVAL_LAB),
            **party_mon(16, 19, 5, 0, 175, bytes([34, 40, 0, 0])),
        },
    ),
    Scene("start_menu", "menu", sets={TOP_MENU_ITEM_Y: bytes([2, 11]), MAX_MENU_ITEM: b"\x06"}),
    Scene("viridian", "walk", sets={NUM_BAG_ITEMS: bytes([1, 0x14, 1, 0xFF])}, at=(0x01, 5, 6)),
    Scene(
        "got_parcel",
        "text",
        ("Here is OAK's", "PARCEL."),
        sets={
            **flag_bytes(FOLLOWED_OAK, GOT_STARTER, BEAT_RIVAL_LAB, GOT_PARCEL),
            NUM_BAG_ITEMS: bytes([2, 0x14, 1, 0x46, 1, 0xFF]),
        },
    ),
    Scene(
        "delivered_parcel",
        "walk",
        sets={
            **flag_bytes(FOLLOWED_OAK, GOT_STARTER, BEAT_RIVAL_LAB, GOT_PARCEL, DELIVERED_PARCEL, GOT_POKEDEX),
            NUM_BAG_ITEMS: bytes([1, 0x14, 1, 0xFF]),
            MONEY: bytes([0x00, 0x30, 0x00]),
        },
        at=(0x28, 5, 10),
    ),
    Scene("save_prompt", "yesno", ("Save the game?",), sets={TOP_MENU_ITEM_Y: bytes([8, 15]), MAX_MENU_ITEM: b"\x01"}),
    Scene(
        "wild_battle",
        "battle",
        ("Wild WEEDLE", "appeared!"),
        sets={IN_BATTLE: b"\x01", **mon(ENEMY_MON, 0x70, 14, 14, 3, bytes([0x28, 0x51, 0, 0]))},
        at=(0x33, 5, 6),
    ),
    Scene(
        "pewter",
        "walk",
        sets={IN_BATTLE: b"\x00", **NO_ENEMY, **party_mon(21, 21, 6, 0, 240, bytes([34, 40, 0, 0]))},
        at=(0x02, 5, 6),
    ),
    Scene(
        "boulder_badge",
        "text",
        ("Received the", "BOULDERBADGE!"),
        sets={
            **flag_bytes(
                FOLLOWED_OAK, GOT_STARTER, BEAT_RIVAL_LAB, GOT_PARCEL, DELIVERED_PARCEL, GOT_POKEDEX, BEAT_BROCK
            ),
            BADGES: b"\x01",
            MONEY: bytes([0x00, 0x43, 0x86]),
        },
    ),
    Scene("the_end", "walk"),
]


def expected(n: int) -> dict[int, bytes]:
    """The memory (address -> bytes) after scene `n`: every scene's writes up to it, later ones winning."""
    out: dict[int, bytes] = {}
    for scene in SCENES[: n + 1]:
        out.update(scene.sets)
        if scene.at is not None:
            out[CUR_MAP] = bytes([scene.at[0]])
    return out
