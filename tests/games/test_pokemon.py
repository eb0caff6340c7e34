"""The Pokémon Red profile on a synthetic memory image: flags (lowest bit first), badges, money, maps, dialog."""

from __future__ import annotations

import pytest

from animus.games import Tracker, load_profile
from animus.games.fields import decode_text
from animus.games.profile import Profile
from tests.games.fakes import BUFFER, FakeMemory, draw_box, encode


@pytest.fixture
def red() -> Profile:
    return load_profile("pokemon-red")


def test_got_starter_is_bit_2_of_d74b_counted_from_the_lowest_bit(red: Profile) -> None:
    memory = FakeMemory()
    memory.put(0xD74B, [1 << 2])
    state = red.read(memory)
    assert state.value("got_starter") == 1
    assert "got_starter" in red.holds(state, 0)
    assert "got_pokedex" not in red.holds(state, 0)


def test_bit_5_of_d74b_is_the_pokedex_not_the_starter(red: Profile) -> None:
    memory = FakeMemory()
    memory.put(0xD74B, [1 << 5])
    held = red.holds(red.read(memory), 0)
    assert "got_starter" not in held
    assert "got_pokedex" in held
    # Counting from the most significant bit would have read 0x20 as bit 2.
    assert red.read(memory).value("got_starter") == 0


def test_badges_money_party_and_map_names(red: Profile) -> None:
    memory = FakeMemory()
    memory.put(0xD356, [0b0000_0011])
    memory.put(0xD347, [0x01, 0x23, 0x45])
    memory.put(0xD163, [2])
    memory.put(0xD35E, [0x33])
    memory.put(0xD361, [5, 9])
    memory.put(0xD158, [*encode("ASH"), 0x50, *encode("JUNK")])
    state = red.read(memory)
    assert state.value("money") == 12345
    assert state.value("player_name") == "ASH"
    held = red.holds(state, 0)
    assert "boulder_badge" in held and "cascade_badge" in held and "thunder_badge" not in held
    assert "visited_forest" in held
    assert state.position == (0x33, 9, 5)
    assert "Map: VIRIDIAN FOREST (map id 51), x=9, y=5, facing down." in state.text
    assert "Money: 12345." in state.text and "Badges byte: 0x03" in state.text and "Player: ASH," in state.text
    assert "battle" not in state.text
    memory.put(0xD35E, [0x0B])  # an unused map id: no name, the number is shown
    memory.put(0xD057, [2])
    text = red.read(memory).text
    assert "Map: 11 (map id 11)" in text and "In a trainer battle." in text


def test_milestones_are_in_game_order_and_the_last_is_champion(red: Profile) -> None:
    ids = [m.id for m in red.milestones]
    assert ids[:2] == ["followed_oak", "got_starter"] and ids[-1] == "champion"
    assert ids.index("got_pokedex") < ids.index("beat_brock") < ids.index("beat_misty") < ids.index("beat_lance")
    tracker = Tracker(red)
    memory = FakeMemory()
    memory.put(0xD867, [0b10])
    assert [m.id for m in tracker.update(red.read(memory))] == ["champion"]
    assert tracker.finished


def test_dialog_is_read_from_the_screen_buffer(red: Profile) -> None:
    memory = FakeMemory()
    memory.put(BUFFER + 14 * 20 + 1, encode("NOT A BOX"))
    assert red.read(memory).dialog == ""
    draw_box(memory, ["OAK: Hey! Wait!", "Don't go out!"])
    memory.put(BUFFER + 16 * 20 + 18, [0xEE])  # the "more" arrow
    state = red.read(memory)
    assert state.dialog == "OAK: Hey! Wait!\nDon't go out!"
    assert "Dialog text on screen:" in state.text and "press A to continue" in state.text


def test_gen1_charset() -> None:
    assert decode_text(bytes([*encode("Hi, PROF.OAK 42!"), 0x50, 0x80]), "pokemon") == "Hi, PROF.OAK 42!"
    assert decode_text(bytes([0x80, 0x00, 0x81]), "pokemon") == "A?B"
    assert decode_text(bytes([0x9A, 0x9C, 0xE1, 0xE2, 0xBD]), "pokemon") == "(:PKMN's"
