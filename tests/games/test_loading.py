"""Loading profiles: built-ins, files, the errors a broken profile gives, choosing a profile for a ROM."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from animus.emulator import read_rom
from animus.errors import ProfileError
from animus.games import GameState, builtin_profiles, choose_profile, load_profile
from animus.games.loader import parse_profile
from tests.conftest import CLASSIC
from tests.games.fakes import FakeMemory, one_line_error, profile_toml


def test_builtins_load_with_their_names_and_sources() -> None:
    profiles = builtin_profiles()
    assert [p.id for p in profiles] == ["animus-quest", "animus-quest-classic", "pokemon-red", "generic"]
    for profile in profiles:
        assert profile.path == f"builtin:{profile.id}"
        own = hashlib.sha256(profile.source.encode()).hexdigest()
        # A profile's hash is its text's; one that includes data files hashes those too.
        assert (profile.content_hash == own) is (not profile.included)
        assert load_profile(profile.id) is profile
    assert [name for name, _ in builtin_profiles()[2].included] == ["pokemon-red-names.toml"]


def test_a_profile_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(profile_toml())
    profile = load_profile(str(path))
    assert (profile.id, profile.name, profile.titles, profile.path) == ("test-game", "Test", ("TEST",), str(path))
    assert [m.id for m in profile.milestones] == ["m1"]
    memory = FakeMemory()
    memory.put(0xC000, [7, 0x34, 0x12])
    state = profile.read(memory)
    assert state.values == (("x", 7), ("y", 0x1234))
    assert state.text == "x=7 y=4660"
    assert state.position is None and state.dialog == ""
    assert profile.holds(state, 0) == ("m1",)


def test_unknown_builtin_name_lists_the_valid_ones() -> None:
    with pytest.raises(ProfileError) as info:
        load_profile("pokemon-blue")
    message = str(info.value)
    assert "'pokemon-blue'" in message
    assert all(name in message for name in ("animus-quest", "animus-quest-classic", "pokemon-red", "generic"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(str(tmp_path / "nope.toml"))


def test_toml_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    source = profile_toml().replace('type = "u8"', 'type = "u8', 1)
    message = one_line_error(source, tmp_path)
    line = source.splitlines().index('type = "u8') + 1
    assert message.startswith(f"{tmp_path / 'p.toml'}:{line}: invalid TOML")


def test_unknown_field_type(tmp_path: Path) -> None:
    message = one_line_error(profile_toml().replace('"u16le"', '"s16"'), tmp_path)
    assert "unknown type 's16'" in message
    assert "u8, s8, u16le, u16be, s16le, s16be, u24le, u24be, s24le, s24be, bcd, bit, bytes, text" in message


def test_milestone_with_an_unknown_field(tmp_path: Path) -> None:
    message = one_line_error(profile_toml(when="hp == 0"), tmp_path)
    assert "milestone 'm1'" in message and "unknown name 'hp'" in message and "'hp == 0'" in message


def test_missing_game_id(tmp_path: Path) -> None:
    message = one_line_error(profile_toml(game='name = "Test"'), tmp_path)
    assert "missing key 'id' in [game]" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[game]", "[gaem]"), "unknown key 'gaem'"),
        (("address = 0xC000", "adress = 0xC000"), "unknown key 'adress' in [fields.x]"),
        (("address = 0xC000", 'address = "C000"'), "'address' in [fields.x] must be an integer"),
        (("address = 0xC000", "address = 0x10000"), "'address' in [fields.x] is 65536"),
        (("[state]", "[status]"), "unknown key 'status'"),
        (('template = "x={x} y={y}"', 'template = "{x.__class__}"'), "stray '{'"),
        (('template = "x={x} y={y}"', 'template = "{z}"'), "unknown placeholder {z}"),
        (('template = "x={x} y={y}"', 'template = "{x:map}"'), "needs the field 'x' to have a map"),
        (('id = "m1"', 'id = "M 1"'), "milestone id 'M 1'"),
    ],
)
def test_other_profile_errors(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert expected in one_line_error(profile_toml().replace(*change), tmp_path)


def test_position_tiles_and_dialog_are_checked(tmp_path: Path) -> None:
    assert "not a field" in one_line_error(profile_toml(extra='[position]\nfields = ["x", "z"]'), tmp_path)
    bad_tiles = '[tiles]\nplayer = ["x", "y"]\n[tiles.classes]\nlava = [1]\n'
    assert "tile class 'lava' has no one-character legend" in one_line_error(profile_toml(extra=bad_tiles), tmp_path)
    bad_dialog = "[dialog]\naddress = 0xFFF0\nrows = [0, 1]\nwidth = 18\nstride = 18\n"
    assert "past 0xFFFF" in one_line_error(profile_toml(extra=bad_dialog), tmp_path)


def test_template_braces_and_formats() -> None:
    extra = '[maps.names]\n"7" = "SEVEN"\n'
    source = profile_toml(extra=extra).replace('type = "u8"', 'type = "u8"\nmap = "names"', 1)
    source = source.replace('template = "x={x} y={y}"', 'template = "{{x}} {x} {x:map} {x:hex} {y:map}"')
    with pytest.raises(ProfileError, match="needs the field 'y' to have a map"):
        parse_profile(source, "t.toml")
    profile = parse_profile(source.replace(" {y:map}", " {y}"), "t.toml")
    memory = FakeMemory()
    memory.put(0xC000, [7])
    assert profile.read(memory).text == "{x} 7 SEVEN 0x07 0"
    memory.put(0xC000, [8])
    assert profile.read(memory).text == "{x} 8 8 0x08 0"


def test_game_state_json_round_trip() -> None:
    state = GameState(values=(("map", 1), ("name", "RED")), text="t\nü", position=(1, "ab"), screen="00ff", dialog="")
    assert GameState.from_json(state.to_json()) == state
    assert state.value("name") == "RED"
    with pytest.raises(KeyError):
        state.value("nope")
    assert (
        GameState.from_json(GameState(values=(), text="", position=None, screen="", dialog="").to_json()).position
        is None
    )
    with pytest.raises(ProfileError, match="not valid"):
        GameState.from_json('{"values": 3}')


def test_choose_the_bundled_rom(quest_rom: Path) -> None:
    info = read_rom(quest_rom)[1]
    profile, notice = choose_profile(info.title, info.sha256)
    assert profile.id == CLASSIC and notice is None
    assert info.sha256 in profile.sha256, "the profile must list the bundled ROM's sha256"
    rebuilt = choose_profile(info.title, "0" * 64)
    assert rebuilt == (profile, None), "a rebuilt ROM still matches by title"


def test_choose_by_title_and_the_generic_fallback() -> None:
    assert choose_profile("POKEMON RED", "1" * 64)[0].id == "pokemon-red"
    assert choose_profile("pokemon blue ", "1" * 64)[0].id == "pokemon-red"
    assert choose_profile("ANIMUSQUEST2", "1" * 64)[0].id == "animus-quest", "the long-world quest, by its title"
    profile, notice = choose_profile("SOME GAME", "2" * 64)
    assert profile.id == "generic"
    assert notice is not None and "'SOME GAME'" in notice and "--game" in notice and "\n" not in notice


def test_a_requested_profile_wins(tmp_path: Path, quest_rom: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(profile_toml())
    info = read_rom(quest_rom)[1]
    profile, notice = choose_profile(info.title, info.sha256, requested=str(path))
    assert profile.id == "test-game" and notice is None
    assert choose_profile("SOME GAME", "2" * 64, requested="animus-quest")[0].id == "animus-quest"
    assert choose_profile(info.title, info.sha256, requested="animus-quest")[0].id == "animus-quest"
