"""Parser for the Animus Quest world description (art/maps.txt, art/text.txt).

Shared by tools/gen_data.py (emits C data for the ROM) and solve.py (finds the
shortest walkthrough).  Standard library only.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
ART = os.path.join(os.path.dirname(HERE), "art")

W, H = 20, 14

# Background tile ids (see README.md).
TILE = {
    ".": 0x80,  # floor
    "#": 0x81,  # wall
    "T": 0x82,  # tree
    "R": 0x83,  # rock
    "~": 0x84,  # water
    "D": 0x85,  # door
    "N": 0x86,  # npc
    "G": 0x87,  # guardian
    "W": 0x88,  # well
    "X": 0x89,  # gate
    "A": 0x8A,  # altar / sign
    "@": 0x80,  # player start (floor)
}
WALKABLE = {".", "D", "@"}

AREAS = ["HOUSE", "VILLAGE", "FOREST", "GATE", "CAVE", "SHRINE"]

# Interaction scripts, in id order (id 0 = none).
SCRIPTS = [
    "NONE",
    "MOTHER",
    "ELDER",
    "VILLAGER1",
    "VILLAGER2",
    "SIGN",
    "WELL_MUD",
    "WELL_KEY",
    "GATE",
    "GUARDIAN",
    "PRIESTESS",
    "ALTAR",
]

# Facing codes as stored in RAM.
DOWN, UP, LEFT, RIGHT = 0, 1, 2, 3
DELTA = {DOWN: (0, 1), UP: (0, -1), LEFT: (-1, 0), RIGHT: (1, 0)}
DIR_NAME = {DOWN: "DOWN", UP: "UP", LEFT: "LEFT", RIGHT: "RIGHT"}


class Area:
    def __init__(self, idx, key):
        self.idx = idx
        self.key = key
        self.name = ""
        self.rows = []
        self.doors = []  # (x, y, dest_area, arrive_x, arrive_y, facing)
        self.talks = []  # (x, y, script_name)
        self.start = None

    def tile(self, x, y):
        return self.rows[y][x]


def load_areas(path=None):
    path = path or os.path.join(ART, "maps.txt")
    areas = []
    cur = None
    raw_doors = []
    with open(path, encoding="ascii") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        line = line.rstrip()
        if cur is not None and len(cur.rows) < H and line and not line.startswith("NAME"):
            if len(line) != W:
                raise ValueError("maps.txt:%d: row must be %d chars" % (n, W))
            for ch in line:
                if ch not in TILE:
                    raise ValueError("maps.txt:%d: bad tile %r" % (n, ch))
            cur.rows.append(line)
            continue
        if not line or line.startswith("#"):
            continue
        words = line.split()
        cmd = words[0]
        if cmd == "AREA":
            idx, key = int(words[1]), words[2]
            if idx != len(areas) or AREAS[idx] != key:
                raise ValueError("maps.txt:%d: areas out of order" % n)
            cur = Area(idx, key)
            areas.append(cur)
        elif cmd == "NAME":
            cur.name = line[5:].strip()
        elif cmd == "DOOR":
            x, y, dest, dx, dy = int(words[1]), int(words[2]), words[3], int(words[4]), int(words[5])
            raw_doors.append((cur, x, y, AREAS.index(dest), dx, dy, n))
        elif cmd == "TALK":
            if words[3] not in SCRIPTS:
                raise ValueError("maps.txt:%d: unknown script" % n)
            cur.talks.append((int(words[1]), int(words[2]), words[3]))
        elif cmd == "START":
            cur.start = (int(words[1]), int(words[2]))
        else:
            raise ValueError("maps.txt:%d: unknown command %s" % (n, cmd))
    if len(areas) != len(AREAS):
        raise ValueError("maps.txt: expected %d areas" % len(AREAS))
    for a in areas:
        if len(a.rows) != H:
            raise ValueError("area %s: needs %d rows" % (a.key, H))
        if len(a.name) > 18:
            raise ValueError(f"area {a.key}: name too long")
    for a, x, y, dest, dx, dy, n in raw_doors:
        if a.tile(x, y) != "D":
            raise ValueError("maps.txt:%d: no door at %d,%d" % (n, x, y))
        b = areas[dest]
        if b.tile(dx, dy) != "D":
            raise ValueError("maps.txt:%d: no door at destination" % n)
        arrivals = []
        for face, (ddx, ddy) in DELTA.items():
            ax, ay = dx + ddx, dy + ddy
            if 0 <= ax < W and 0 <= ay < H and b.tile(ax, ay) in (".", "@"):
                arrivals.append((ax, ay, face))
        if len(arrivals) != 1:
            raise ValueError("maps.txt:%d: destination door needs exactly one floor neighbour" % n)
        ax, ay, face = arrivals[0]
        a.doors.append((x, y, dest, ax, ay, face))
    for a in areas:
        for y, row in enumerate(a.rows):
            for x, ch in enumerate(row):
                if ch == "D" and not any(d[0] == x and d[1] == y for d in a.doors):
                    raise ValueError("area %s: door %d,%d leads nowhere" % (a.key, x, y))
                if ch in "NGWXA" and not any(t[0] == x and t[1] == y for t in a.talks):
                    raise ValueError("area %s: tile %d,%d has no script" % (a.key, x, y))
    return areas


def load_dialogs(path=None):
    """Return an ordered list of (name, pages, on_close); pages = [(line1, line2)]."""
    path = path or os.path.join(ART, "text.txt")
    dialogs = []
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@"):
                dialogs.append((line[1:].strip(), []))
                continue
            parts = line.split("|")
            if len(parts) > 2:
                raise ValueError("text.txt:%d: at most two lines per page" % n)
            parts = [p.rstrip() for p in parts] + [""] * (2 - len(parts))
            for p in parts:
                if len(p) > 18:
                    raise ValueError("text.txt:%d: line longer than 18 chars: %r" % (n, p))
                for ch in p:
                    if not (0x20 <= ord(ch) <= 0x5F):
                        raise ValueError("text.txt:%d: bad char %r" % (n, ch))
            dialogs[-1][1].append(tuple(parts))
    for name, pages in dialogs:
        if not pages:
            raise ValueError(f"dialog {name} has no pages")
    return dialogs
