"""Bad input to every `animus` command ends in one clear `error:` line on stderr and exit code 2, never a traceback.

`CASES` is the table: one row per command line, with the words its error line must contain. Paths in a row are
placeholders (`{run}`, `{tmp}`, ...) filled from the `work` fixture: a finished mock run of Animus Quest and files
written next to it (configs, profiles and plans named after the problem they carry).

Click refuses an unknown option, a missing argument or a value of the wrong type itself, before Animus runs: its
usage error is several lines (usage, hint, then `Error: ...`) and exits 2. Those rows are marked `USAGE`; for them
the test checks the exit code, the last line and the absence of a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLASSIC, CLASSIC_CONFIG, animus_env, retitled
from tests.helpers import WRAPPER_TITLES

USAGE = "Error:"  # the first of a row's words: click's own usage error (see the module docstring)

# Profile `when` expressions that try to reach outside the expression language.
ESCAPES = {
    "attribute": "x.__class__",
    "call": "__import__('os').system('true')",
    "dunder-name": "__builtins__",
    "method-call": "x.bit_count()",
    "huge-exponent": "2**10**10",
    "huge-shift": "1 << 10**10",
    "huge-literal": "x == " + "9" * 400,
    "deep-parens": "(" * 200 + "x" + ")" * 200,
    "deep-not": "not " * 100 + "x",
    "deep-brackets": "[" * 5000 + "]" * 5000,
    "long": "x == 1 or " * 200 + "x == 1",
    "lambda": "(lambda: 1)()",
    "subscript": "x[0]",
    "string": "'a' * 10**9",
    "walrus": "(y := 1)",
    "comprehension": "[z for z in range(10**9)]",
    "null-byte": "x\x00",
    "syntax-warning": "x == 1if x else 2",  # Python's parser warns on stderr about "1if"
}

PROFILE = """[game]
id = "bad"
name = "Bad"
titles = []

[fields.x]
address = 0xC000
type = "u8"

[[milestone]]
id = "m1"
label = "First"
when = {when}

[state]
template = "x={{x}}"
"""

PROFILES = {
    "unknown-field": PROFILE.format(when='"x == 1"') + "\n[game2]\nid = 1\n",
    "unknown-key": PROFILE.format(when='"x == 1"').replace('type = "u8"', 'type = "u8"\ncolour = "red"'),
    "wrong-type": PROFILE.format(when='"x == 1"').replace("address = 0xC000", 'address = "here"'),
    "bad-address": PROFILE.format(when='"x == 1"').replace("address = 0xC000", "address = 0x1FFFF"),
    "bad-toml": "[game\nid = ",
    "binary": "\udcff",  # written as the byte 0xFF: not UTF-8
    "empty": "",
    **{f"expr-{name}": PROFILE.format(when=repr(text).replace("\\x00", "\\u0000")) for name, text in ESCAPES.items()},
}

CONFIGS = {
    "bad-toml": "budget = {",
    "unknown-key": "[budget]\nsteps = 5\nlaps = 3\n",
    "wrong-type": '[budget]\nsteps = "many"\n',
    "negative": "[tools]\nhold_frames = -4\n",
    "section-as-value": "tools = 3\n",
    "binary": "\udcff",
}

PLAN = '[[run]]\nlabel = "a"\nmodel = "mock"\n'
# name -> (plan text, a word its error must contain)
PLANS = {
    "bad-toml": ("steps = [", "not valid TOML"),
    "binary": ("\udcff", "UTF-8"),
    "empty": ("", "[[run]]: missing"),
    "unknown-key": ("laps = 3\n" + PLAN, "laps: unknown key"),
    "unknown-run-key": (PLAN + "colour = 1\n", "colour: unknown key"),
    "negative-steps": ("steps = -5\n" + PLAN, "steps: Input should be greater than or equal to 1"),
    "zero-steps": ("steps = 0\n" + PLAN, "steps: Input should be greater than or equal to 1"),
    "huge-steps": ("steps = 9223372036854775807\n" + PLAN, "budget.steps"),
    "negative-seed": ("seeds = [-1]\n" + PLAN, "seeds must be 0 or more"),
    "repeated-seed": ("seeds = [1, 1]\n" + PLAN, "each seed once"),
    "seeds-not-ints": ('seeds = ["one"]\n' + PLAN, "seeds #1"),
    "no-runs": ("steps = 5\n", "[[run]]: missing"),
    "twin-labels": (PLAN + PLAN, "used twice"),
    "unknown-model": (CLASSIC_CONFIG + PLAN.replace('"mock"', '"nosuch"'), "nosuch"),
    "bad-config": ("[config]\nlaps = 3\n" + PLAN, "laps: unknown key"),
    "sets-seed": ("[config]\nseed = 3\n" + PLAN, "seed comes from the plan"),
    "zero-limit": ("[limits]\nmax_concurrent_calls = 0\n" + PLAN, "max_concurrent_calls"),
    "missing-rom": ('[config]\nrom = "/nonexistent/x.gb"\n' + PLAN, "ROM not found"),
    "escaping-profile": (CLASSIC_CONFIG + 'game = "{tmp}/profile-expr-attribute.toml"\n' + PLAN, "attribute access"),
}

MAX_MESSAGE = 1500  # characters in an error line: a long input is named, not repeated whole
BIG = "9" * 30  # more than any 64-bit integer: SQLite cannot hold it

# (command line, words the error line must contain). One row per case.
CASES: list[tuple[str, tuple[str, ...]]] = [
    # -- run: paths
    ("run --rom {tmp}/missing.gb", ("ROM not found",)),
    ("run --rom {tmp}", ("is a directory",)),
    ("run --rom {tmp}/text.gb", ("not a multiple of 16 KiB",)),
    ("run --rom {tmp}/random.gb", ("bad header checksum",)),
    ("run --rom {tmp}/empty.gb", ("ROM file is empty",)),
    ("run --config {tmp}/missing.toml", ("config file not found",)),
    ("run --config {tmp}", ("is a directory",)),
    ("run --rom {classic} --game {tmp}/missing.toml", ("does not exist",)),
    ("run --rom {classic} --game nosuch", ("unknown game profile 'nosuch'",)),
    ("run --rom {classic} --game {tmp}", ("cannot be read",)),
    ("run --rom {classic} --model nosuch", ("nosuch",)),
    ("run --rom {classic} --model scripted:{tmp}/missing.txt", ("missing.txt",)),
    ("run --rom {classic} --start-state {tmp}/missing.state", ("start state not found",)),
    ("run --rom {classic} --start-state {tmp}/random.gb", ("not a save state",)),
    ("run --runs-dir {tmp}/text.gb", (USAGE, "is a file")),
    ("run --rom {classic} --name ../escape", ("bad run name",)),
    ("run --rom {classic} --name {run_name} --runs-dir {runs}", ("already exists",)),
    # -- run: options and numbers
    ("run --bogus", (USAGE, "No such option")),
    ("run --steps many", (USAGE, "not a valid integer")),
    ("run --steps -5", ("budget.steps", "greater than or equal to 1")),
    ("run --steps 0", ("budget.steps",)),
    (f"run --steps {BIG}", ("budget.steps", "less than or equal to")),
    (f"run --seed {BIG}", ("seed", "less than or equal to")),
    (f"run --max-tokens {BIG}", ("budget.max_tokens",)),
    ("run --max-tokens -1", ("budget.max_tokens",)),
    ("run --max-minutes -1", ("budget.max_minutes",)),
    ("run --max-minutes nan", ("budget.max_minutes",)),
    ("run --max-cost inf", ("budget.max_cost", "finite")),
    ("run --max-cost 0", ("budget.max_cost",)),
    ("run --branches 0", ("branching.branches",)),
    ("run --branches 1000", ("branching.branches",)),
    ("run --horizon -1", ("branching.horizon",)),
    ("run --rom {classic} --scorer nosuch", ("nosuch",)),
    ("run --model openai:gpt-x --base-url notaurl", ("model.base_url 'notaurl'", "http://")),
    ("run --model anthropic:x --base-url ftp://127.0.0.1/v1", ("model.base_url", "http://")),
    ("run --base-url http://", ("model.base_url", "with a host")),
    ("run --set nonsense", ("key=value",)),
    ("run --set =3", ("key=value",)),
    ("run --set budget.laps=3", ("budget.laps", "unknown key")),
    ("run --set tools.hold_frames=abc", ("tools.hold_frames",)),
    ("run --set tools.hold_frames=100000", ("tools.hold_frames",)),
    ("run --set budget=3 --set budget.steps=4", ("budget",)),
    (f"run --set record.keyframe_every={BIG}", ("record.keyframe_every",)),
    ("run --set model.image_scale=-2", ("model.image_scale",)),
    # -- run: bad TOML, unknown fields, escaping profiles
    *[(f"run --config {{tmp}}/config-{name}.toml", ("config",)) for name in CONFIGS],
    ("run --rom {classic} --game {tmp}/profile-unknown-field.toml", ("unknown key 'game2'",)),
    ("run --rom {classic} --game {tmp}/profile-unknown-key.toml", ("unknown key 'colour'",)),
    ("run --rom {classic} --game {tmp}/profile-wrong-type.toml", ("'address'", "must be an integer")),
    ("run --rom {classic} --game {tmp}/profile-bad-address.toml", ("'address'", "from 0 to")),
    ("run --rom {classic} --game {tmp}/profile-bad-toml.toml", ("invalid TOML",)),
    ("run --rom {classic} --game {tmp}/profile-binary.toml", ("UTF-8",)),
    ("run --rom {classic} --game {tmp}/profile-empty.toml", ("missing [game] table",)),
    *[(f"run --rom {{classic}} --game {{tmp}}/profile-expr-{name}.toml", ("'m1'", "rejected")) for name in ESCAPES],
    # -- resume
    ("resume nosuch --runs-dir {runs}", ("no run 'nosuch'",)),
    ("resume {tmp}", ("no run",)),
    ("resume {run} --steps -1", ("budget.steps",)),
    (f"resume {{run}} --steps {BIG}", ("budget.steps",)),
    ("resume {run} --max-cost -1", ("budget.max_cost",)),
    ("resume {run} --steps many", (USAGE, "not a valid integer")),
    ("resume {run} --bogus", (USAGE, "No such option")),
    ("resume", (USAGE, "Missing argument")),
    # -- runs
    ("runs --runs-dir {tmp}/text.gb", (USAGE, "is a file")),
    ("runs --bogus", (USAGE, "No such option")),
    ("runs extra", (USAGE, "unexpected extra argument")),
    # -- show
    ("show nosuch --runs-dir {runs}", ("no run 'nosuch'",)),
    ("show {tmp}/text.gb", ("no run",)),
    ("show {run} extra", (USAGE, "unexpected extra argument")),
    ("show --bogus {run}", (USAGE, "No such option")),
    # -- note
    ("note nosuch key text --runs-dir {runs}", ("no run 'nosuch'",)),
    ("note {run} key", (USAGE, "give either TEXT, or --forget")),
    ("note {run} key text --forget", (USAGE, "give either TEXT, or --forget")),
    ("note {run}", (USAGE, "Missing argument")),
    ("note {run} key {huge_text}", ("note", "characters")),
    ("note {run} '' text", ("key",)),
    # -- chart
    ("chart nosuch -o {tmp}/c.png --runs-dir {runs}", ("nosuch",)),
    ("chart {run} -o {tmp}/c.txt", ("c.txt",)),
    ("chart {run} -o {tmp}", ("cannot write a chart", "(no extension)")),
    ("chart {run} -o {tmp}/dir.png", ("cannot write a chart", "is a directory")),
    ("chart {run} -o {tmp}/text.gb/c.png", ("cannot write the chart", "check the path")),
    ("chart {run}", (USAGE, "Missing option")),
    ("chart {run} -o {tmp}/c.png --x bogus", (USAGE, "Invalid value")),
    ("chart {run} -o {tmp}/c.png --kind bogus", (USAGE, "Invalid value")),
    ("chart -o {tmp}/c.png --runs-dir {tmp}/empty-dir", ("no runs",)),
    # -- replay
    ("replay nosuch --runs-dir {runs}", ("no run 'nosuch'",)),
    ("replay {run} --port -1", (USAGE, "--port")),
    ("replay {run} --port 70000", (USAGE, "--port")),
    ("replay {run} --port http", (USAGE, "--port")),
    ("replay {run} --host 999.1.1.1", ("cannot listen", "check --host")),
    ("replay {run} --rom {tmp}/missing.gb", ("ROM not found",)),
    ("replay {run} --rom {tmp}/retitled.gb", ("is not the ROM this run played",)),
    ("replay {run} --bogus", (USAGE, "No such option")),
    # -- frame
    ("frame nosuch 1 -o {tmp}/f.png --runs-dir {runs}", ("no run 'nosuch'",)),
    ("frame {run} -1 -o {tmp}/f.png", (USAGE, "No such option")),  # click reads -1 as an option
    ("frame {run} -o {tmp}/f.png -- -1", ("step -1",)),
    ("frame {run} 999999 -o {tmp}/f.png", ("step 999999",)),
    (f"frame {{run}} {BIG} -o {{tmp}}/f.png", ("step",)),
    ("frame {run} one -o {tmp}/f.png", (USAGE, "not a valid integer")),
    ("frame {run} 1 -o {tmp}/f.txt", ("PNG",)),
    ("frame {run} 1 -o {tmp}/text.gb/f.png", ("cannot write the frame", "check the path")),
    ("frame {run} 1 -o {tmp}/dir.png", ("cannot write the frame", "is a directory")),
    ("frame {run} 1 -o {tmp}/f.png --scale 0", (USAGE, "--scale")),
    ("frame {run} 1 -o {tmp}/f.png --scale -3", (USAGE, "--scale")),
    ("frame {run} 1 -o {tmp}/f.png --rom {tmp}/text.gb", ("16 KiB",)),
    ("frame {run} 1 -o {tmp}/f.png --rom {tmp}/retitled.gb", ("is not the ROM this run played",)),
    # -- clip
    ("clip nosuch --from 0 --to 1 -o {tmp}/c.gif --runs-dir {runs}", ("no run 'nosuch'",)),
    ("clip {run} --from 5 --to 2 -o {tmp}/c.gif", ("--from 5 --to 2",)),
    ("clip {run} --from -3 --to 2 -o {tmp}/c.gif", ("--from -3",)),
    ("clip {run} --from 0 --to 999999 -o {tmp}/c.gif", ("--to 999999",)),
    (f"clip {{run}} --from 0 --to {BIG} -o {{tmp}}/c.gif", ("--to",)),
    ("clip {run} --from 0 --to 2 -o {tmp}/c.avi", ("unknown clip format",)),
    ("clip {run} --from 0 --to 2 -o {tmp}/text.gb/c.gif", ("cannot write the clip", "check the path")),
    ("clip {run} --from 0 --to 2 -o {tmp}/dir.png", ("cannot write the clip", "is a directory")),
    ("clip {run} --from 0 --to 2 -o {tmp}/c.gif --fps 0", (USAGE, "--fps")),
    ("clip {run} --from 0 --to 2 -o {tmp}/c.gif --scale -1", (USAGE, "--scale")),
    ("clip {run} --to 2 -o {tmp}/c.gif", (USAGE, "Missing option")),
    # -- verify
    ("verify nosuch --runs-dir {runs}", ("no run 'nosuch'",)),
    ("verify {run} --rom {tmp}/missing.gb", ("ROM not found",)),
    ("verify {run} --rom {tmp}/random.gb", ("bad header checksum",)),
    ("verify {run} --rom {tmp}/retitled.gb", ("is not the ROM this run played",)),
    ("verify {run} --bogus", (USAGE, "No such option")),
    # -- export
    ("export nosuch -o {tmp}/e.jsonl --runs-dir {runs}", ("no run 'nosuch'",)),
    ("export {run} -o {tmp}/text.gb/e.jsonl", ("cannot write the export", "check the path")),
    ("export {run} -o {tmp}", ("cannot write the export", "is a directory")),
    ("export {run}", (USAGE, "Missing option")),
    # -- compact
    ("compact nosuch --runs-dir {runs}", ("no run 'nosuch'",)),
    ("compact {run} --every 0", ("--every must be at least 1",)),
    ("compact {run} --every -5", ("--every must be at least 1",)),
    ("compact {run} --every ten", (USAGE, "not a valid integer")),
    ("compact {tmp}", ("no run",)),
    # -- catalogues
    ("games extra", (USAGE, "unexpected extra argument")),
    ("games --bogus", (USAGE, "No such option")),
    ("models extra", (USAGE, "unexpected extra argument")),
    ("models --bogus", (USAGE, "No such option")),
    # -- rom info
    ("rom info {tmp}/missing.gb", ("ROM not found",)),
    ("rom info {tmp}", ("is a directory",)),
    ("rom info {tmp}/text.gb", ("not a multiple of 16 KiB",)),
    ("rom info {tmp}/random.gb", ("bad header checksum",)),
    ("rom info a b", (USAGE, "unexpected extra argument")),
    ("rom bogus", (USAGE, "No such command")),
    ("bogus", (USAGE, "No such command")),
    # -- fleet
    ("fleet {tmp}/missing.toml", ("not found",)),
    ("fleet {tmp}", ("a directory",)),
    ("fleet {tmp}/plan-bad-toml.toml --workers 0", ("--workers",)),
    ("fleet {tmp}/plan-unknown-model.toml --workers -3", ("--workers",)),
    ("fleet {tmp}/plan-unknown-model.toml --max-restarts -1", ("--max-restarts",)),
    ("fleet {tmp}/plan-unknown-model.toml --max-cost -5", ("--max-cost",)),
    ("fleet {tmp}/plan-unknown-model.toml --max-cost nan", ("--max-cost",)),
    ("fleet {tmp}/plan-unknown-model.toml --max-cost inf", ("--max-cost inf", "leave --max-cost out")),
    ("fleet {tmp}/plan-unknown-model.toml --backend bogus", (USAGE, "Invalid value")),
    ("fleet {tmp}/plan-ok.toml --address 127.0.0.1:6379", ("--address", "--backend ray")),
    ("fleet {tmp}/plan-unknown-model.toml --workers two", (USAGE, "not a valid integer")),
    ("fleet {tmp}/plan-ok.toml --runs-dir {tmp}/text.gb", ("--runs-dir", "is a file")),
    ("fleet", (USAGE, "Missing argument")),
    *[(f"fleet {{tmp}}/plan-{name}.toml --runs-dir {{tmp}}/fleet", (words,)) for name, (_, words) in PLANS.items()],
]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, quest_bytes: bytes) -> Iterator[dict[str, str]]:
    """The placeholders of `CASES`: a finished run and the bad files the rows name."""
    from animus.config import load_config
    from animus.runs.runner import start_run

    tmp = tmp_path_factory.mktemp("bad")
    runs = tmp / "runs"
    end = start_run(load_config(overrides={"rom": CLASSIC, "model": "mock"}, sets=("budget.steps=12",)), runs, "r")
    assert end.steps == 12
    (tmp / "text.gb").write_text("this is not a ROM\n" * 1000)
    (tmp / "random.gb").write_bytes(bytes((i * 7919 + 13) % 256 for i in range(32 * 1024)))
    (tmp / "empty.gb").write_bytes(b"")
    (tmp / "retitled.gb").write_bytes(retitled(quest_bytes, "OTHER GAME"))
    (tmp / "empty-dir").mkdir()
    (tmp / "dir.png").mkdir()
    (tmp / "plan-ok.toml").write_text(CLASSIC_CONFIG + PLAN)
    plans = {name: text for name, (text, _) in PLANS.items()}
    for prefix, table in (("profile", PROFILES), ("config", CONFIGS), ("plan", plans)):
        for name, text in table.items():
            data = text.replace("{tmp}", str(tmp)).encode("utf-8", "surrogateescape")
            (tmp / f"{prefix}-{name}.toml").write_bytes(data)
    yield {
        "tmp": str(tmp),
        "runs": str(runs),
        "run": str(end.run_dir),
        "run_name": "r",
        "huge_text": "n" * 10_000,
        "classic": CLASSIC,  # `--rom {classic}`: the cases that get as far as reading the ROM play the classic
    }


def animus_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "animus", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=animus_env(), cwd=cwd)


def words_of(line: str, work: dict[str, str]) -> list[str]:
    import shlex

    return [w.format(**work) for w in shlex.split(line)]


@pytest.mark.parametrize(("line", "words"), CASES, ids=[line for line, _ in CASES])
def test_bad_input_is_one_error_line_and_exit_2(line: str, words: tuple[str, ...], work: dict[str, str]) -> None:
    tmp = Path(work["tmp"])
    before = sorted(p.name for p in (tmp / "runs").iterdir())
    result = animus_cli(words_of(line, work), cwd=tmp)
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout, err
    assert result.returncode == 2, (result.returncode, err, result.stdout[-500:])
    lines = [x for x in err.splitlines() if x.strip()]
    if words[0] == USAGE:
        assert lines and lines[-1].startswith("Error: "), err
        message, expected = lines[-1], words[1:]
    else:
        errors = [x for x in lines if x.startswith("error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], err
        assert all(x.startswith("notice: ") for x in lines[:-1]), err  # nothing else on stderr
        message, expected = errors[0], words
    assert not (tmp / "fleet").exists(), "a refused plan created its runs dir"
    for word in expected:
        assert word in message, (word, message)
    assert len(message) < MAX_MESSAGE, f"an error line of {len(message)} characters"
    assert sorted(p.name for p in (tmp / "runs").iterdir()) == before, "bad input created a run"


@pytest.mark.parametrize("title", sorted(WRAPPER_TITLES))
def test_a_rom_titled_like_a_pyboy_game_wrapper_runs_quietly_or_is_refused(
    title: str, tmp_path: Path, quest_bytes: bytes
) -> None:
    import animus

    rom = tmp_path / "game.gb"
    rom.write_bytes(retitled(quest_bytes, title))
    runs = tmp_path / "runs"
    result = animus_cli(["run", "--rom", str(rom), "--steps", "5", "--runs-dir", str(runs), "--name", "w"], tmp_path)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    if WRAPPER_TITLES[title] == "runs":
        assert result.returncode == 0, result.stderr
        assert all(x.startswith("notice: ") for x in lines), result.stderr  # nothing from the wrapper
        with animus.open_run(runs / "w") as run:
            assert run.meta.rom_title == title and run.status == "done" and run.totals().steps == 5
    else:
        assert result.returncode == 2
        assert [x for x in lines if x.startswith("error: ")] == lines[-1:], result.stderr
        assert "PyBoy could not start" in lines[-1] and repr(title) in lines[-1]
        assert not (runs / "w").exists(), "a refused ROM left a run behind"
