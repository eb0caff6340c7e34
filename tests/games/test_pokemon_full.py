"""The Pokémon Red profile's full reading on synthetic memory images of the documented layout (pret/pokered):
a full party, the bag, a battle, the start menu, a YES/NO box, a text box, every milestone, ROM pinning."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from animus.games import Tracker, choose_profile, load_profile
from animus.games.profile import Profile
from tests.games.fakes import BUFFER, FakeMemory, draw_box, encode

RED_SHA256 = "5ca7ba01642a3b27b0cc0b5349b52792795b62d3ed977e98a09390659af96b7b"
BLUE_SHA256 = "2a951313c2640e8c2cb21f25d1db019ae6245d9c7121f754fa61afd7bee6452d"


@pytest.fixture
def red() -> Profile:
    return load_profile("pokemon-red")


def mon(species: int, level: int, hp: int, max_hp: int, moves: list[tuple[int, int]], status: int = 0) -> bytes:
    """One 44-byte party_struct: species, HP (big-endian), status, types, moves, experience, PP, level, max HP."""
    raw = bytearray(44)
    raw[0], raw[3], raw[4], raw[5], raw[6], raw[33] = species, level, status, 0x14, 0x00, level
    raw[1:3] = hp.to_bytes(2, "big")
    raw[14:17] = (level**3).to_bytes(3, "big")
    raw[34:36] = max_hp.to_bytes(2, "big")
    for slot, (move, pp) in enumerate(moves):
        raw[8 + slot], raw[29 + slot] = move, pp
    return bytes(raw)


PARTY = [  # (nickname, species, level, hp, max hp, moves with PP, status)
    ("CHARMANDER", 0xB0, 12, 30, 35, [(0x0A, 35), (0x2D, 0x40 | 40)], 0),
    ("PIDGEY", 0x24, 9, 0, 28, [(0x21, 35)], 0),
    ("SPARKY", 0x54, 10, 25, 29, [(0x54, 30), (0x2D, 40), (0x56, 20)], 0x40),
    ("ZZZ", 0x99, 7, 20, 24, [(0x21, 35), (0x49, 10), (0x16, 10), (0x4B, 25)], 3),
    ("BURNT", 0xA5, 5, 10, 19, [(0x21, 35)], 0x10),
    ("ICE", 0xB1, 5, 11, 20, [(0x21, 35)], 0x20),
]


def full(memory: FakeMemory) -> None:
    """A save with six Pokémon, four kinds of items and money."""
    memory.put(0xD158, [*encode("ASH"), 0x50])
    memory.put(0xD34A, [*encode("GARY"), 0x50])
    memory.put(0xD163, [6, *(s for _, s, *_ in PARTY), 0xFF])
    for i, (nick, species, level, hp, max_hp, moves, status) in enumerate(PARTY):
        memory.put(0xD16B + 44 * i, mon(species, level, hp, max_hp, moves, status))
        memory.put(0xD2B5 + 11 * i, [*encode(nick), 0x50])
    memory.put(0xD31D, [4, 0x04, 5, 0x14, 3, 0x46, 1, 0xC9, 1, 0xFF])
    memory.put(0xD347, [0x01, 0x23, 0x45])
    memory.put(0xD35E, [0x28, 0, 0, 4, 6])  # OAK'S LAB, y 4, x 6
    memory.put(0xC109, [0x0C])  # facing right


def records(profile: Profile, memory: FakeMemory, name: str) -> list[dict[str, object]]:
    value = profile.read(memory).value(name)
    assert isinstance(value, tuple)
    return [dict(record) for record in value]


def test_a_full_party_every_field(red: Profile) -> None:
    memory = FakeMemory()
    full(memory)
    party = records(red, memory, "party")
    assert [p["nick"] for p in party] == [nick for nick, *_ in PARTY]
    assert [p["species"] for p in party] == [0xB0, 0x24, 0x54, 0x99, 0xA5, 0xB1]
    first = party[0]
    assert (first["level"], first["hp"], first["max_hp"], first["exp"], first["type1"]) == (12, 30, 35, 1728, 0x14)
    moves = [dict(m) for m in first["moves"]]  # type: ignore[attr-defined]
    assert moves == [{"move": 0x0A, "pp": 35}, {"move": 0x2D, "pp": 40}], "PP Ups (top bits) are masked off"
    assert [len(p["moves"]) for p in party] == [2, 1, 3, 4, 1, 1]  # type: ignore[arg-type]
    text = red.read(memory).text
    assert "Player: ASH, rival: GARY. Money: 12345." in text
    assert "Map: OAK'S LAB (map id 40), x=6, y=4, facing right." in text
    assert "Party (6):\n  1. CHARMANDER (CHARMANDER) L12 HP 30/35 OK, moves: SCRATCH 35 PP, GROWL 40 PP\n" in text
    assert "  2. PIDGEY (PIDGEY) L9 HP 0/28 OK, moves: TACKLE 35 PP\n" in text
    assert "  3. SPARKY (PIKACHU) L10 HP 25/29 paralyzed, moves: THUNDERSHOCK 30 PP, GROWL 40 PP, THUNDER WAVE" in text
    assert "  4. ZZZ (BULBASAUR) L7 HP 20/24 asleep, moves: TACKLE 35 PP, LEECH SEED 10 PP, VINE WHIP 10 PP, " in text
    assert "5. BURNT (RATTATA) L5 HP 10/19 burned" in text and "6. ICE (SQUIRTLE) L5 HP 11/20 frozen" in text
    assert "Bag: POKé BALL x5, POTION x3, OAK's PARCEL x1, TM01 x1." in text


def test_an_empty_party_and_bag_and_garbage_counts(red: Profile) -> None:
    memory = FakeMemory()
    text = red.read(memory).text
    assert "Party (0): none\nBag: empty." in text
    memory.put(0xD163, [0xFF])  # what RAM holds before the game sets it: at most 6 are read
    memory.put(0xD31D, [0xFF])
    assert len(records(red, memory, "party")) == 6 and len(records(red, memory, "bag")) == 20


def test_a_battle_shows_the_enemy_and_the_fighter(red: Profile) -> None:
    memory = FakeMemory()
    full(memory)
    memory.put(0xD057, [1])
    memory.put(0xCFE5, [0x70, 0x00, 0x0E, 0, 0x08])  # WEEDLE, HP 14, poisoned
    memory.put(0xCFF3, [3, 0x00, 0x0F])
    memory.put(0xD014, [0xB0, 0x00, 0x1E])
    memory.put(0xD022, [12, 0x00, 0x23])
    state = red.read(memory)
    assert "In a wild battle. Enemy: WEEDLE L3 HP 14/15 poisoned. Yours: CHARMANDER L12 HP 30/35." in state.text
    assert state.position == (), "a battle is off the map"
    memory.put(0xD057, [2])
    assert "In a trainer battle." in red.read(memory).text
    memory.put(0xD057, [0])
    assert "battle" not in red.read(memory).text


def start_menu(memory: FakeMemory, item: int) -> None:
    """The start menu as DrawStartMenu leaves it in wTileMap: box at column 10, items at column 12, ▶ at 11."""
    for row in range(16):
        memory.put(BUFFER + row * 20 + 10, [0x7C] + [0x7F] * 8 + [0x7C])
    memory.put(BUFFER + 10, [0x79] + [0x7A] * 8 + [0x7B])
    for i, word in enumerate(["POK\u00e9DEX", "POK\u00e9MON", "ITEM", "ASH", "SAVE", "OPTION", "EXIT"]):
        codes = [0xBA if c == "\u00e9" else encode(c)[0] for c in word]
        memory.put(BUFFER + (2 + 2 * i) * 20 + 11, [0xED if i == item else 0x7F, *codes])
    memory.put(0xCC26, [item])
    memory.put(0xCFC4, [1])


def test_the_start_menu_and_its_cursor(red: Profile) -> None:
    memory = FakeMemory()
    full(memory)
    start_menu(memory, 2)
    state = red.read(memory)
    assert (
        "The start menu is open (▶ marks the cursor, item 2 from the top): POKéDEX | POKéMON | ▶ITEM | ASH | SAVE | "
        "OPTION | EXIT" in state.text
    )
    assert state.position == (), "the start menu is off the map"
    memory.put(0xCFC4, [0])  # the box's tiles linger in RAM, but no menu is open
    assert "start menu" not in red.read(memory).text


def test_a_yes_no_box_and_a_text_box(red: Profile) -> None:
    memory = FakeMemory()
    full(memory)
    draw_box(memory, ["Save the game?"])
    memory.put(BUFFER + 7 * 20 + 14, [0x79, 0x7A, 0x7A, 0x7A, 0x7A, 0x7B])
    memory.put(BUFFER + 8 * 20 + 15, [0x7F, *encode("YES")])
    memory.put(BUFFER + 10 * 20 + 15, [0xED, *encode("NO")])
    memory.put(0xCC26, [1])
    memory.put(0xCFC4, [1])
    state = red.read(memory)
    assert "A YES/NO choice is open; the cursor is on NO." in state.text
    assert state.dialog == "Save the game?" and "Dialog text on screen:\n  | Save the game?" in state.text
    assert "start menu" not in state.text


# Each milestone with the memory that reaches it (flags: byte, bit; maps: the map id; party and badges).
FLAGS = {
    "followed_oak": (0xD747, 0),
    "got_starter": (0xD74B, 2),
    "battled_rival": (0xD74B, 3),
    "got_parcel": (0xD74E, 1),
    "delivered_parcel": (0xD74E, 0),
    "got_pokedex": (0xD74B, 5),
    "beat_brock": (0xD755, 7),
    "beat_misty": (0xD75E, 7),
    "got_ss_ticket": (0xD7F2, 4),
    "got_hm01": (0xD803, 0),
    "thunder_badge": (0xD773, 7),
    "rainbow_badge": (0xD77C, 1),
    "soul_badge": (0xD792, 1),
    "marsh_badge": (0xD7B3, 1),
    "volcano_badge": (0xD79A, 1),
    "earth_badge": (0xD751, 1),
    "beat_lance": (0xD866, 6),
    "champion": (0xD867, 1),
}
MAPS = {"visited_viridian": 0x01, "visited_forest": 0x33, "visited_pewter": 0x02, "visited_cerulean": 0x03,
        "visited_vermilion": 0x05, "visited_mt_moon": 0x3C}  # fmt: skip
BADGES = {"boulder_badge": 0x01, "cascade_badge": 0x02, "all_badges": 0xFF}


def test_every_milestone_is_reached_by_its_own_memory_and_nothing_else(red: Profile) -> None:
    covered = {*FLAGS, *MAPS, *BADGES, "caught_pokemon"}
    assert covered == {m.id for m in red.milestones}, "every milestone has a case here"
    base = FakeMemory()
    base.put(0xD35E, [0x00])  # Pallet Town, nothing done
    assert red.holds(red.read(base), 0) == ()
    for mid in red.milestones:
        memory = FakeMemory()
        if mid.id in FLAGS:
            address, bit = FLAGS[mid.id]
            memory.put(address, [1 << bit])
        elif mid.id in MAPS:
            memory.put(0xD35E, [MAPS[mid.id]])
        elif mid.id in BADGES:
            memory.put(0xD356, [BADGES[mid.id]])
        else:
            memory.put(0xD163, [2])
        held = set(red.holds(red.read(memory), 0))
        expected = {mid.id}
        if mid.id == "all_badges":
            expected |= {"boulder_badge", "cascade_badge"} | {k for k in FLAGS if k.endswith("_badge")}
        assert held == expected, mid.id
    tracker = Tracker(red)
    memory = FakeMemory()
    memory.put(0xD74B, [0b0010_1100])
    assert [m.id for m in tracker.update(red.read(memory))] == ["got_starter", "battled_rival", "got_pokedex"]


def test_the_names_cover_every_map_species_move_and_item() -> None:
    text = (resources.files("animus.games") / "profiles" / "pokemon-red-names.toml").read_text(encoding="utf-8")
    maps = tomllib.loads(text)["maps"]
    assert len(maps["species"]) == 151 and len(maps["move"]) == 165 and len(maps["map"]) >= 220
    assert maps["species"]["0x99"] == "BULBASAUR" and maps["move"]["0xA5"] == "STRUGGLE"
    assert maps["map"]["0x00"] == "PALLET TOWN" and maps["map"]["0xF7"] == "AGATHA'S ROOM"
    assert maps["item"]["0xC4"] == "HM01" and maps["item"]["0xFA"] == "TM50"


def test_known_dumps_match_by_sha256_and_a_title_alone_gets_a_notice(red: Profile) -> None:
    assert set(red.sha256) == {RED_SHA256, BLUE_SHA256}
    assert choose_profile("POKEMON RED", RED_SHA256) == (red, None)
    assert choose_profile("ANYTHING", BLUE_SHA256) == (red, None), "a known dump is recognised by its hash"
    profile, notice = choose_profile("POKEMON BLUE", "1" * 64)
    assert profile is red and notice is not None and "\n" not in notice
    assert "by its title only" in notice and "Japanese" in notice and "--game pokemon-red" in notice
    assert choose_profile("POKEMON BLUE", "1" * 64, "pokemon-red") == (red, None), "--game says it is the game"
