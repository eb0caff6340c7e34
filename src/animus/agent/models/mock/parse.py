"""Reading an observation text into a `View`: what kind of screen it is and the facts printed on it.

Only conventions the text itself explains are used: "Mode:", "Area:", "You are at x=, y=", a row-numbered text
map with its "Legend:" line, "Dialog text on screen:", menus that name their cursor, "press START", "Items:",
"HP n/m", "Milestones reached:" and "Screen id:". Nothing here knows any particular game.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from animus.agent.models.mock import minimap

Pos = tuple[int, int]

# Buttons that move the cursor or the player, with the step each one makes on a text map.
MOVES: dict[str, Pos] = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}
FACING = MOVES  # "facing up" means the tile one step up

# Menu options an aggressive player never picks.
_TIMID = {"RUN", "FLEE", "ESCAPE", "QUIT", "CANCEL", "BACK", "NO"}

_ROW = re.compile(r"^\s*(\d+) (\S+)$")
_AT = re.compile(r"You are at x=(\d+), y=(\d+)(?:, facing (\w+))?")
_ITEMS = re.compile(r"Items: (.+?)\.(?:\s|$)")
_MILESTONES = re.compile(r"Milestones reached: (\d+)")
_SCREEN = re.compile(r"Screen id: ([0-9a-fA-F]+)")
_MODE = re.compile(r"Mode: ([^.\n]+)")
# Health: a health word, then "n/m", "n of m" or "n out of m" (plain English, not one profile's phrasing).
_HP = re.compile(
    r"\b(?:HP|health|hit points|life|vigou?r|vitality|stamina|energy)\b:?\s*(\d+)\s*(?:/|of|out of)\s*(\d+)", re.I
)
# Possessions written as "name yes/no" or "name: yes" anywhere, or "a/b/c: yes/no/yes".
_HAVE = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*[:=]?\s+(yes|no)\b", re.I)
_HAVE_LIST = re.compile(r"([A-Za-z]+(?:/[A-Za-z]+)+)\s*[:=]\s*((?:yes|no)(?:/(?:yes|no))+)\b", re.I)


@dataclass(frozen=True)
class Menu:
    """A menu: its options in order, the one under the cursor, and the button that selects each (if said)."""

    options: tuple[str, ...]
    cursor: str | None
    keys: dict[str, str] = field(default_factory=dict)

    def choice(self) -> str | None:
        """The aggressive option: the first one that is not a way out (RUN, FLEE, ...)."""
        bold = [o for o in self.options if o.upper() not in _TIMID]
        return bold[0] if bold else (self.options[0] if self.options else None)


@dataclass(frozen=True)
class View:
    """The facts of one observation. `kind` is map, dialog, menu, start, screen or other."""

    kind: str
    mode: str = ""
    area: str | None = None
    pos: Pos | None = None
    facing: str | None = None
    grid: tuple[str, ...] = ()
    legend: dict[str, str] = field(default_factory=dict)
    dialog: tuple[str, ...] = ()
    menu: Menu | None = None
    milestones: int = 0
    items: str = ""
    screen: str | None = None
    hp: tuple[int, int] | None = None  # (now, max), when the text shows "HP n/m"
    warps: dict[Pos, str] = field(default_factory=dict)  # from the minimap: this map's warps and where they lead
    elsewhere: dict[tuple[str, Pos], str] = field(default_factory=dict)  # other maps' warps: (map, cell) -> map

    @property
    def hurt(self) -> bool:
        """The player has lost health it could get back."""
        return self.hp is not None and self.hp[0] < self.hp[1]

    @property
    def epoch(self) -> str:
        """A short signature of progress: milestones reached and items held (`m3+2`: 3 milestones, 2 items).

        It changes whenever the game moves on, and it is short because every area's note repeats it."""
        held = len([i for i in self.items.split(",") if i])
        return f"m{self.milestones}" + (f"+{held}" if held else "")

    @property
    def faced(self) -> Pos | None:
        """The tile the player faces, if the text says where the player is and which way it looks."""
        if self.pos is None or self.facing not in FACING:
            return None
        dx, dy = FACING[self.facing]
        return self.pos[0] + dx, self.pos[1] + dy

    def tile(self, p: Pos) -> str:
        """The map character at `p`, or '#' (blocking) outside the map."""
        x, y = p
        if 0 <= y < len(self.grid) and 0 <= x < len(self.grid[y]):
            return self.grid[y][x]
        return "#"

    def is_door(self, ch: str) -> bool:
        return "door" in self.legend.get(ch, "")

    def walkable(self, ch: str) -> bool:
        """Tiles the legend does not call blocking (floor, doors) and the player's own tile."""
        if ch == "@":
            return True
        desc = self.legend.get(ch)
        return desc is not None and "block" not in desc

    def usable(self, ch: str) -> bool:
        """Blocking tiles the legend says to use with A (people, wells, signs, ...)."""
        desc = self.legend.get(ch, "")
        return "block" in desc and bool(re.search(r"\bA to\b|press A", desc))


def parse(text: str) -> View:
    """Read one observation text. Unknown layouts give kind "other" (the policy then presses A or START).

    Where the harness shows its minimap, the map's name, the player's cell and facing and the warps come from
    it, whatever words the profile's state text uses; the text map (with its legend) gives the things on the
    screen, and without one the minimap's own cells stand in for it."""
    text, shown = minimap.split(text)
    explored = minimap.read(shown)
    mode = m.group(1).strip() if (m := _MODE.search(text)) else ""
    milestones = int(m.group(1)) if (m := _MILESTONES.search(text)) else 0
    items = _items(m.group(1)) if (m := _ITEMS.search(text)) else _possessions(text)
    hp = (int(m.group(1)), int(m.group(2))) if (m := _HP.search(text)) else None
    common = {"mode": mode, "milestones": milestones, "items": items, "hp": hp}
    if (m := _SCREEN.search(text)) and "Map," not in text:
        return View("screen", screen=m.group(1)[:8].lower(), **common)  # type: ignore[arg-type]
    area = _area(text)
    pos, facing = None, None
    if m := _AT.search(text):
        pos, facing = (int(m.group(1)), int(m.group(2))), m.group(3)
    grid = _grid(text)
    legend = _legend(text)
    dialog = _dialog(text)
    place: dict[str, object] = {"area": area, "pos": pos, "facing": facing, "grid": grid, "legend": legend}
    if explored is not None:
        place.update(area=explored.name, pos=explored.pos, facing=explored.facing or facing)
        place.update(warps=explored.warps, elsewhere=explored.elsewhere)
        if not grid:
            place.update(grid=explored.grid, legend=explored.legend)
            grid = explored.grid
        pos = explored.pos
    if dialog or re.search(r"dialog is open", text, re.I):
        return View("dialog", dialog=dialog, **place, **common)  # type: ignore[arg-type]
    menu = _menu(text)
    if menu is not None:
        return View("menu", menu=menu, **place, **common)  # type: ignore[arg-type]
    if grid and pos is not None:
        return View("map", **place, **common)  # type: ignore[arg-type]
    if re.search(r"press start", text, re.I):
        return View("start", **place, **common)  # type: ignore[arg-type]
    return View("other", **place, **common)  # type: ignore[arg-type]


def _possessions(text: str) -> str:
    """Without an "Items:" line: every "name yes" (held) the text states, in order (e.g. "sword: yes",
    "keys bronze/silver: yes/no")."""
    held: list[str] = []
    for names, answers in _HAVE_LIST.findall(text):
        words, marks = names.split("/"), answers.lower().split("/")
        held += [w for w, a in zip(words, marks, strict=False) if a == "yes"]
    text = _HAVE_LIST.sub(" ; ", text)
    held += [name.strip().split()[-1] for name, answer in _HAVE.findall(text) if answer.lower() == "yes"]
    return ",".join(dict.fromkeys(held))


def _items(text: str) -> str:
    """`key no, badge yes` -> `badge`: the items held, or the raw list when it is not in that form."""
    pairs = re.findall(r"(\w[\w ]*?) (yes|no)\b", text)
    if pairs:
        return ",".join(name.strip() for name, have in pairs if have == "yes")
    return re.sub(r"\s+", "", text)[:24]


def _area(text: str) -> str | None:
    m = re.search(r"^Area: ([^(\n.]+)", text, re.M)
    return m.group(1).strip() if m else None


def _grid(text: str) -> tuple[str, ...]:
    """The rows of a row-numbered text map ("  3 #..@..#"), in order from row 0; () if there is none."""
    rows: list[str] = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if m and int(m.group(1)) == len(rows) and (not rows or len(m.group(2)) == len(rows[0])):
            rows.append(m.group(2))
        elif rows:
            break
    return tuple(rows) if len(rows) >= 2 else ()


def _legend(text: str) -> dict[str, str]:
    """`Legend: . floor | # wall (blocks) | ...` -> {".": "floor", "#": "wall (blocks)", ...}."""
    m = re.search(r"^Legend: (.+)$", text, re.M)
    if not m:
        return {}
    legend: dict[str, str] = {}
    for part in m.group(1).split(" | "):
        part = part.strip()
        if len(part) >= 3 and part[1] == " ":
            legend[part[0]] = part[2:].strip()
    return legend


def _dialog(text: str) -> tuple[str, ...]:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().lower().startswith("dialog text on screen"):
            out = []
            for row in lines[i + 1 :]:
                if not row.lstrip().startswith("|"):
                    break
                out.append(row.lstrip()[1:].strip())
            return tuple(o for o in out if o)
    return ()


def _menu(text: str) -> Menu | None:
    """A menu named in words ("Menu: FIGHT or RUN; the cursor is on FIGHT. UP selects FIGHT") or drawn with '>'."""
    m = re.search(r"Menu: ([^;.\n]+)", text)
    if m:
        options = tuple(o.strip() for o in re.split(r",| or ", m.group(1)) if o.strip())
        cursor = c.group(1) if (c := re.search(r"cursor is on (\w+)", text)) else None
        keys = {opt: key.lower() for key, opt in re.findall(r"\b(UP|DOWN|LEFT|RIGHT) selects (\w+)", text, re.I)}
        return Menu(options, cursor, keys)
    drawn = [ln for ln in text.splitlines() if re.search(r">\s*[A-Z]{2,}", ln) and "Map," not in ln]
    if drawn:
        drawn_options: list[str] = []
        drawn_cursor = None
        for ln in drawn:
            for mark, word in re.findall(r"(>?)\s*([A-Z][A-Z]+)", ln):
                drawn_options.append(word)
                if mark:
                    drawn_cursor = word
        return Menu(tuple(drawn_options), drawn_cursor)
    return None
