"""Arrays of records, template loops and included data files, through loaded profiles on synthetic memory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from animus.games import GameState, load_profile
from animus.games.profile import Profile
from tests.conftest import run_animus
from tests.games.fakes import FakeMemory, one_line_error

HEAD = """
[game]
id = "roster"
name = "Roster"
titles = ["ROSTER"]

[fields.count]
address = 0xC000
type = "u8"

[fields.team]
address = 0xC100
type = "records"
count = "count"
max = 3
stride = 4

[fields.team.fields.kind]
offset = 0
type = "u8"
map = "kinds"

[fields.team.fields.hp]
offset = 1
type = "u16be"

[fields.team.fields.name]
offset = 0x100
stride = 5
type = "text"
size = 5

[fields.team.fields.slots]
offset = 3
type = "records"
count = 2
stride = 1
when = "move != 0"

[fields.team.fields.slots.fields.move]
offset = 0x80
type = "u8"
mask = 0x3F

[maps.kinds]
"1" = "cat"
"2" = "dog"
"""

TEMPLATE = (
    '\n[state]\ntemplate = "Team ({count}):{each team} {index}={name}/{kind:map}/{hp} '
    '[{each slots}{move}{sep},{else}-{end}]{sep};{else} nobody{end}"\n'
)


def roster(tmp_path: Path, template: str = TEMPLATE, extra: str = "") -> Profile:
    path = tmp_path / "roster.toml"
    path.write_text(HEAD + extra + template)
    return load_profile(str(path))


def memory_with_team(members: list[tuple[int, int, str, list[int]]]) -> FakeMemory:
    """`members` as (kind, hp, name, moves) at the layout above: records of 4 bytes at 0xC100 (kind, hp BE, and
    slot bytes at +3 whose moves sit 0x80 further on), names 5 bytes apart at 0xC200."""
    memory = FakeMemory()
    memory.put(0xC000, [len(members)])
    for i, (kind, hp, name, moves) in enumerate(members):
        memory.put(0xC100 + 4 * i, [kind, hp >> 8, hp & 0xFF])
        memory.put(0xC200 + 5 * i, list(name.encode().ljust(5, b"\0")))
        for j, move in enumerate(moves):
            memory.put(0xC100 + 4 * i + 3 + 0x80 + j, [move])
    return memory


def test_records_read_with_their_count_parallel_arrays_nesting_and_when(tmp_path: Path) -> None:
    profile = roster(tmp_path)
    memory = memory_with_team([(1, 300, "Tom", [5, 0x47]), (2, 7, "Rex", [0, 9])])
    state = profile.read(memory)
    team = state.value("team")
    assert team == (
        (("kind", 1), ("hp", 300), ("name", "Tom"), ("slots", ((("move", 5),), (("move", 7),)))),
        (("kind", 2), ("hp", 7), ("name", "Rex"), ("slots", ((("move", 9),),))),
    ), "hp is big-endian, names come from the parallel array, move 0 is left out, 0x47 & 0x3F is 7"
    assert state.text == "Team (2): 1=Tom/cat/300 [5,7]; 2=Rex/dog/7 [9]"
    assert GameState.from_json(state.to_json()) == state, "records survive the stored JSON"
    assert json.loads(state.to_json())["values"][1][0] == "team"


def test_a_count_past_max_reads_max_and_zero_shows_else(tmp_path: Path) -> None:
    profile = roster(tmp_path)
    memory = memory_with_team([(1, 1, "A", [1]), (1, 2, "B", [2]), (1, 3, "C", [3])])
    memory.put(0xC000, [0xFF])  # a count a game holds while it starts up: garbage
    assert len(profile.read(memory).value("team")) == 3  # type: ignore[arg-type]
    memory.put(0xC000, [0])
    assert profile.read(memory).text == "Team (0): nobody"


def test_inside_a_loop_a_sub_field_hides_a_field_of_the_same_name(tmp_path: Path) -> None:
    extra = '\n[fields.hp]\naddress = 0xC001\ntype = "u8"\n'
    template = '\n[state]\ntemplate = "hp {hp}:{each team} {hp}{end} then {hp}"\n'
    profile = roster(tmp_path, template, extra)
    memory = memory_with_team([(1, 40, "A", [])])
    memory.put(0xC001, [9])
    assert profile.read(memory).text == "hp 9: 40 then 9"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{each team}{name}", "not closed"),
        ("{count}{end}", "{end} without"),
        ("{each count}x{end}", "needs an array of records"),
        ("{team}", "show it with {each team}"),
        ("{each team}{name}{sep},{sep};{end}", "once inside"),
        ("{sep}", "once inside"),
        ("{index}", "unknown placeholder"),
        ("{each team}{each slots}{hp:map}{end}{end}", "needs the field 'hp' to have a map"),
    ],
)
def test_template_loops_are_checked_at_load(tmp_path: Path, template: str, words: str) -> None:
    message = one_line_error(HEAD + f"\n[state]\ntemplate = {template!r}\n", tmp_path)
    assert words in message, message


HOSTILE = [
    # huge counts
    ('count = 100000\nstride = 1\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "'count' in [fields.big] is 100000"),
    ('count = "n"\nmax = 70000\nstride = 1\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "'max' in"),
    ('count = 256\nstride = 65\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "spans 16576 bytes"),
    # deep nesting
    (
        'count = 2\nstride = 1\n[fields.big.fields.a]\noffset = 0\ntype = "records"\ncount = 2\nstride = 1\n'
        '[fields.big.fields.a.fields.b]\noffset = 0\ntype = "records"\ncount = 2\nstride = 1\n'
        '[fields.big.fields.a.fields.b.fields.c]\noffset = 0\ntype = "records"\ncount = 2\nstride = 1\n'
        '[fields.big.fields.a.fields.b.fields.c.fields.d]\noffset = 0\ntype = "u8"',
        "nests arrays of records 4 deep",
    ),
    # too many values in all (each array is within its own bounds)
    (
        'count = 200\nstride = 2\n[fields.big.fields.a]\noffset = 0\ntype = "records"\ncount = 40\nstride = 1\n'
        '[fields.big.fields.a.fields.v]\noffset = 0\ntype = "u8"',
        "read 8000 values",
    ),
    ('count = "title"\nmax = 2\nstride = 1\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "not a number field"),
    ('count = 2\nstride = 1\naddress = 0xFFFF\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "past 0xFFFF"),
    ('count = 2\nstride = 1\nsecret = 1\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "unknown key 'secret'"),
    ('count = 2\nstride = 1\nwhen = "__import__(\'os\')"\n[fields.big.fields.v]\noffset = 0\ntype = "u8"', "rejected"),
    ('count = 2\nstride = 1\n[fields.big.fields.end]\noffset = 0\ntype = "u8"', "field name 'end' is not allowed"),
]


@pytest.mark.parametrize(("body", "words"), HOSTILE)
def test_hostile_arrays_are_refused_at_load_with_one_line(tmp_path: Path, body: str, words: str) -> None:
    head = body if "address" in body else "address = 0xC000\n" + body
    source = (
        '[game]\nid = "h"\nname = "H"\ntitles = ["H"]\n[fields.n]\naddress = 0xC000\ntype = "u8"\n'
        '[fields.title]\naddress = 0xC001\ntype = "text"\nsize = 4\n'
        f'[fields.big]\ntype = "records"\n{head}\n[state]\ntemplate = "x"\n'
    )
    message = one_line_error(source, tmp_path)
    assert words in message, message


def test_a_nested_count_names_an_earlier_number_of_its_record(tmp_path: Path) -> None:
    source = HEAD.replace('count = 2\nstride = 1\nwhen = "move != 0"', 'count = "hp"\nmax = 2\nstride = 1')
    profile = roster(tmp_path, '\n[state]\ntemplate = "{each team}{each slots}{move}{end}{end}"\n', "")
    assert profile.read(memory_with_team([(1, 1, "A", [4, 5])])).text == "45"
    (tmp_path / "late.toml").write_text(source + '\n[state]\ntemplate = "x"\n')
    loaded = load_profile(str(tmp_path / "late.toml"))
    memory = memory_with_team([(1, 1, "A", [4, 5]), (1, 900, "B", [6, 7])])
    counts = [len(dict(record)["slots"]) for record in loaded.read(memory).value("team")]  # type: ignore[union-attr, arg-type]
    assert counts == [1, 2], "a count of 900 reads max (2) records"
    name_first = source.replace('count = "hp"', 'count = "name"')
    assert "name a number field of the record" in one_line_error(name_first + '[state]\ntemplate = "x"\n', tmp_path)


# -- included data files ------------------------------------------------------------------------------------------

NAMES = '[maps.kinds]\n"1" = "lynx"\n"2" = "wolf"\n'


def with_include(tmp_path: Path, include: str, names: str = NAMES, file: str = "names.toml") -> Path:
    (tmp_path / file).write_text(names)
    path = tmp_path / "roster.toml"
    path.write_text(f"include = [{include}]\n" + HEAD.split("[maps.kinds]")[0] + TEMPLATE)
    return path


def test_a_profile_takes_its_tables_from_an_included_file(tmp_path: Path) -> None:
    path = with_include(tmp_path, '"names.toml"')
    profile = load_profile(str(path))
    assert profile.read(memory_with_team([(2, 5, "X", [])])).text == "Team (1): 1=X/wolf/5 [-]"
    assert profile.included == (("names.toml", NAMES),)
    before = profile.content_hash
    (tmp_path / "names.toml").write_text(NAMES.replace("wolf", "hound"))
    assert load_profile(str(path)).content_hash != before, "the hash covers the included data"


def test_includes_can_chain(tmp_path: Path) -> None:
    (tmp_path / "more.toml").write_text('[maps.other]\n"0" = "zero"\n')
    path = with_include(tmp_path, '"names.toml"', 'include = ["more.toml"]\n' + NAMES)
    assert [name for name, _ in load_profile(str(path)).included] == ["names.toml", "more.toml"]


@pytest.mark.parametrize(
    ("include", "names", "words"),
    [
        ('"../names.toml"', NAMES, "not a plain .toml file name"),
        ('"/etc/names.toml"', NAMES, "not a plain .toml file name"),
        ('"sub/names.toml"', NAMES, "not a plain .toml file name"),
        ('"names.txt"', NAMES, "not a plain .toml file name"),
        ('"p.toml"', NAMES, "included twice (p.toml -> p.toml)"),
        ('"names.toml"', 'include = ["names.toml"]\n' + NAMES, "-> names.toml -> names.toml)"),
        ('"names.toml", "names.toml"', NAMES, "included twice"),
        ('"missing.toml"', NAMES, "cannot be read"),
        ('"names.toml"', NAMES + '[fields.x]\naddress = 0\ntype = "u8"\n', "holds only [maps.*] tables"),
        ('"names.toml"', NAMES + NAMES, "not valid TOML"),
        ('"names.toml"', "x = " + "[" * 5000 + "]" * 5000 + "\n", "nests too deeply"),
        ('"profile.toml"', NAMES, "the name a run gives its profile"),
        ("3", NAMES, "must be a list of file names"),
    ],
)
def test_hostile_includes_are_refused_at_load(tmp_path: Path, include: str, names: str, words: str) -> None:
    path = with_include(tmp_path, include, names)
    message = one_line_error(path.read_text(), tmp_path)
    assert words in message, message


def test_a_table_defined_twice_and_long_or_deep_chains_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kinds.toml").write_text(NAMES)
    path = with_include(tmp_path, '"names.toml", "kinds.toml"')
    assert "[maps.kinds] is defined twice (again in kinds.toml)" in one_line_error(path.read_text(), tmp_path)
    for i in range(4):  # a -> b -> c -> d -> e: deeper than 3
        (tmp_path / f"d{i}.toml").write_text(f'include = ["d{i + 1}.toml"]\n')
    (tmp_path / "d4.toml").write_text(NAMES)
    path = with_include(tmp_path, '"d0.toml"', (tmp_path / "d0.toml").read_text(), "d0.toml")
    assert "includes nest deeper than 3" in one_line_error(path.read_text(), tmp_path)
    many = ", ".join(f'"m{i}.toml"' for i in range(9))
    for i in range(9):
        (tmp_path / f"m{i}.toml").write_text(f'[maps.t{i}]\n"0" = "x"\n')
    assert "more than 8 included files" in one_line_error(with_include(tmp_path, many).read_text(), tmp_path)


def test_an_include_cannot_lead_out_of_the_folder_by_a_link_or_be_huge(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.toml").write_text(NAMES)
    home = tmp_path / "home"
    home.mkdir()
    os.symlink(outside / "secret.toml", home / "names.toml")
    (home / "p.toml").write_text('include = ["names.toml"]\n' + HEAD.split("[maps.kinds]")[0] + TEMPLATE)
    message = one_line_error((home / "p.toml").read_text(), home)
    assert "leads out of the profile's folder" in message
    (home / "names.toml").unlink()
    (home / "names.toml").write_text("# " + "x" * 2_100_000 + "\n" + NAMES)
    assert "is over 2 MB" in one_line_error((home / "p.toml").read_text(), home)


def test_animus_run_refuses_a_hostile_profile_with_exit_2_and_one_line(tmp_path: Path) -> None:
    path = with_include(tmp_path, '"../../etc/passwd.toml"')
    result = run_animus("run", "--game", str(path), "--steps", "1", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "not a plain .toml file name" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
