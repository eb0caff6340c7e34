"""`scripted:PATH`: replays a file of replies, one per step. Useful for tests, demos and reference runs.

Two formats, chosen by extension:
- `.jsonl`: one reply per line, `{"text": "...", "tool_calls": [{"name": "press_buttons", "input": {...}}]}`,
  optionally with `"usage": {"input_tokens": N, "output_tokens": N}` (the reply then reports that usage, which
  budgets and pricing count); blank lines and lines starting with `#` are skipped.
- anything else: a walkthrough (the format of cartridge/walkthrough.txt): one line `BUTTON [xN]` per reply, which
  becomes `press_buttons(buttons=[BUTTON] * N)`.
Step N replays reply N. When the script runs out, the run ends with status done.
"""

from __future__ import annotations

import json
from pathlib import Path

from animus.agent.models import plain_summary
from animus.agent.types import Reply, Request, ToolCall, Usage
from animus.config import RunConfig
from animus.emulator.constants import BUTTONS
from animus.errors import ModelError, StopRun

Script = list[tuple[str, list[tuple[str, dict[str, object]]], Usage]]  # (text, [(tool name, input)], usage)


class ScriptedModel:
    """Replies with line N of its script at step N."""

    sends_images = False

    def __init__(self, argument: str | None, config: RunConfig) -> None:
        if not argument:
            raise ModelError("the scripted model needs a file: --model scripted:PATH (.jsonl, or a walkthrough).")
        self.path = Path(argument)
        self.name = f"scripted:{argument}"
        self.script = read_script(self.path)

    def respond(self, request: Request) -> Reply:
        if request.purpose != "act":
            return plain_summary(request, self.name)
        if request.step > len(self.script):
            raise StopRun("done", f"the script {self.path.name} has no reply for step {request.step}")
        text, calls, usage = self.script[request.step - 1]
        tool_calls = tuple(ToolCall(f"call_{request.step}_{i}", n, dict(a)) for i, (n, a) in enumerate(calls))
        stop = "tool_use" if tool_calls else "end_turn"
        return Reply(text=text, tool_calls=tool_calls, usage=usage, stop_reason=stop, model=self.name)


def read_script(path: Path) -> Script:
    """Parse a script file; raise `ModelError` naming the file and line for anything malformed."""
    if not path.is_file():
        raise ModelError(f"script not found: {path}. Give --model scripted:PATH an existing file.")
    lines = path.read_text(encoding="utf-8").splitlines()
    script = _jsonl(path, lines) if path.suffix == ".jsonl" else _walkthrough(path, lines)
    if not script:
        raise ModelError(f"script {path} has no replies.")
    return script


def read_walkthrough(path: Path) -> list[list[str]]:
    """A walkthrough's presses, a list of button names per line (`DOWN x3` -> ["down", "down", "down"])."""
    return _walkthrough_lines(path, path.read_text(encoding="utf-8").splitlines())


def _walkthrough(path: Path, lines: list[str]) -> Script:
    return [
        (f"{buttons[0]} x{len(buttons)}", [("press_buttons", {"buttons": buttons})], Usage())
        for buttons in _walkthrough_lines(path, lines)
    ]


def _walkthrough_lines(path: Path, lines: list[str]) -> list[list[str]]:
    presses: list[list[str]] = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        button = words[0].lower()
        count = 1
        if len(words) == 2 and words[1][:1] in "xX" and words[1][1:].isdigit():
            count = int(words[1][1:])
        elif len(words) != 1:
            raise ModelError(f"{path}:{number}: expected `BUTTON` or `BUTTON xN`, got {line.strip()!r}.")
        if button not in BUTTONS or count < 1:
            raise ModelError(f"{path}:{number}: unknown button {words[0]!r}; use one of {', '.join(BUTTONS)}.")
        presses.append([button] * count)
    return presses


def _jsonl(path: Path, lines: list[str]) -> Script:
    script: Script = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
            calls = [(str(c["name"]), dict(c.get("input", {}))) for c in item.get("tool_calls", [])]
            script.append((str(item.get("text", "")), calls, Usage(**item.get("usage", {}))))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelError(
                f"{path}:{number}: not a reply object ({exc}); write "
                '{"text": "...", "tool_calls": [{"name": "press_buttons", "input": {"buttons": ["a"]}}]}.'
            ) from None
    return script
