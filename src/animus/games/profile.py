"""`Profile`: a validated game profile that reads a `GameState` from memory and tells which milestones hold.

Profiles are built by `animus.games.loader.parse_profile` from TOML; everything that can be wrong with one is
found there, so `read` and `holds` never raise on a loaded profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from animus.errors import ProfileError
from animus.games.expr import Evaluator
from animus.games.fields import Field
from animus.games.records import Records
from animus.games.screen import Dialog, Memory, Tiles, screen_hash, visible_tiles
from animus.games.spatial import Collision, MapNames, Spot, Sprites
from animus.games.state import GameState, Milestone, Value
from animus.games.template import Part, Slot, mentions, render

# Names a template or position may use that no field provides.
SPECIALS = ("tilemap", "around", "screen")
SCREEN = "screen"
SCREENS_SEEN = "screens_seen"
# The position while the profile's `[position] overworld` does not hold (a battle, a menu, a text box): the
# watchdog holds its position clocks for it (`animus.agent.watchdog`). Stored as [] in a step's state JSON.
OFF_MAP: tuple[()] = ()
# Reads of fields closer than this are merged into one memory read, since each read has a fixed cost.
_SPAN_GAP = 64


@dataclass(frozen=True)
class WorldSetting:
    """`[world]`: a game that generates its world from a number the harness writes at start-up.

    Before the first step the harness runs the game until `ready` holds (at most `max_frames` frames), then
    writes the number into `field` (a u8 or u16le field): the run's start state holds it.
    """

    field: Field
    ready: Evaluator
    ready_text: str
    max_frames: int

    def encode(self, world: int) -> bytes:
        """`world` as the bytes of `field` (little-endian); `OverflowError` when it does not fit."""
        return world.to_bytes(self.field.size, "little")


@dataclass(frozen=True)
class Section:
    """A part of the state text shown only while `when` holds."""

    when: Evaluator
    parts: tuple[Part, ...]


class Profile:
    """A game profile, built once by `load_profile`: what to read from memory and what it means."""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        titles: tuple[str, ...],
        sha256: tuple[str, ...],
        fields: tuple[Field | Records, ...],
        maps: Mapping[str, Mapping[int, str]],
        milestones: tuple[tuple[Milestone, Evaluator], ...],
        template: tuple[Part, ...],
        sections: tuple[Section, ...],
        position: tuple[str, ...] | None,
        tiles: Tiles | None,
        dialog: Dialog | None,
        source: str,
        content_hash: str,
        path: str,
        overworld: Evaluator | None = None,
        defaults: Mapping[str, Mapping[str, int]] | None = None,
        world: WorldSetting | None = None,
        map_names: MapNames | None = None,
        collision: Collision | None = None,
        sprites: Sprites | None = None,
        prompt: str = "",
        title_notice: str = "",
        included: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.titles = titles
        self.sha256 = sha256
        # What a ROM matched by its title alone, not by one of `sha256`, risks ("" when the title is enough).
        self.title_notice = title_notice
        self.milestones = tuple(m for m, _ in milestones)
        self.source = source
        self.included = included  # (file name, text) of each data file `include`d; `content_hash` covers them
        self.content_hash = content_hash
        self.path = path
        self.fields = fields
        self.position_fields = position
        self.overworld = overworld
        # Per-game defaults of config keys, under the user's settings (`animus.games.defaults`).
        self.defaults: Mapping[str, Mapping[str, int]] = defaults or {}
        self.tiles = tiles
        self.dialog = dialog
        self.world = world
        self.map_names = map_names or MapNames()
        self.collision = collision
        self.sprites = sprites
        self.prompt = prompt  # `[prompt]`: what the system prompt adds about this game ("" for none)
        self._checks = milestones
        self._template = template
        self._sections = sections
        self._names = {f.name: maps[f.map] for f in fields if f.map is not None}
        self._spans, self._slots = _plan_reads(fields)
        # Arrays of records are decoded after the plain fields, since their count may be one of those.
        self._records = tuple(i for i, f in enumerate(fields) if isinstance(f, Records))
        self._tiles_used = any(mentions(p, SPECIALS) for p in (template, *(s.parts for s in sections)))
        placed = position or ()
        self._map_fields = None if len(placed) < 3 or SCREEN in placed[:3] else (placed[0], placed[1], placed[2])
        # What `locate` reads, after every press: the number fields (the position, the overworld expression's,
        # the facing) and the map's name field, not the text and bytes fields a state text needs.
        spot_names = {f.name for f in fields if f.numeric} | {self.map_names.name} - {None}
        self._spot_fields = tuple(f for f in fields if f.name in spot_names and isinstance(f, Field))
        self._spot_spans, self._spot_slots = _plan_reads(self._spot_fields)

    @property
    def map_fields(self) -> tuple[str, str, str] | None:
        """The (map id, x, y) fields: the first three `[position] fields`, when none of them is the screen hash.
        None for a profile without a map position (`generic`): no map memory, minimap or navigate_to there."""
        return self._map_fields

    def __repr__(self) -> str:
        return f"Profile(id={self.id!r}, path={self.path!r})"

    def read(self, memory: Memory, hide: frozenset[str] = frozenset()) -> GameState:
        """Read every field, the visible screen and the dialog from `memory`, and build the state text.

        `hide` leaves parts out of the text (the run's channels that are off): "state" (the template's own text),
        "text_map" (the {tilemap} and {around} drawn from tiles) and "dialog" (the dialog block)."""
        values = self.values(memory)
        tiles = visible_tiles(memory)
        screen = screen_hash(tiles)
        dialog = self.dialog.read(memory) if self.dialog is not None else ""
        position = None
        if self.position_fields is not None:
            position = tuple(screen if n == SCREEN else values[n] for n in self.position_fields)
            if self.overworld is not None and not self.overworld(values):
                position = OFF_MAP
        return GameState(
            values=tuple(values.items()),
            text=self._text(values, tiles, dialog, screen, hide),
            position=position,
            screen=screen,
            dialog=dialog,
        )

    def values(self, memory: Memory) -> dict[str, Value]:
        """Every field's value, in profile order."""
        chunks = [memory.read(start, length) for start, length in self._spans]
        values: dict[str, Value] = {}
        for field, (span, offset) in zip(self.fields, self._slots, strict=True):
            if not isinstance(field, Records):
                values[field.name] = field.decode(chunks[span][offset : offset + field.size])
        for index in self._records:
            field, (span, offset) = self.fields[index], self._slots[index]
            assert isinstance(field, Records)
            values[field.name] = field.decode(chunks[span][offset : offset + field.size], values)
        return {f.name: values[f.name] for f in self.fields} if self._records else values

    def locate(self, memory: Memory) -> Spot | None:
        """Where the player stands on the map, or None: off the map (`[position] overworld` does not hold), or a
        profile without a map position."""
        if self.map_fields is None:
            return None
        chunks = [memory.read(start, length) for start, length in self._spot_spans]
        values: dict[str, Value] = {}
        for field, (span, offset) in zip(self._spot_fields, self._spot_slots, strict=True):
            values[field.name] = field.decode(chunks[span][offset : offset + field.size])
        return self.spot(values)

    def stored_spot(self, state: str) -> Spot | None:
        """The `Spot` of a step's stored state (`GameState.to_json`); None off the map, for a damaged state or
        one that another profile wrote (a field this one reads is missing)."""
        try:
            return self.spot(dict(GameState.from_json(state).values))
        except (ProfileError, KeyError):
            return None

    def spot(self, values: Mapping[str, Value]) -> Spot | None:
        """The `Spot` of field `values` (see `locate`)."""
        if self.map_fields is None or (self.overworld is not None and not self.overworld(values)):
            return None
        key, x, y = (values[n] for n in self.map_fields)
        if not isinstance(x, int) or not isinstance(y, int) or isinstance(key, tuple):
            return None
        names = self.map_names
        name = ""
        if names.name is not None:
            value = values[names.name]
            name = self._names[names.name].get(value, "") if isinstance(value, int) else str(value)
        elif self.map_fields[0] in self._names and isinstance(key, int):
            name = self._names[self.map_fields[0]].get(key, "")
        facing = None
        if names.facing is not None and isinstance(value := values[names.facing], int):
            facing = self._names[names.facing].get(value)
        return Spot(key, x, y, facing, name.strip())

    def holds(self, state: GameState, screens_seen: int) -> tuple[str, ...]:
        """Ids of the milestones whose `when` holds for `state` and `screens_seen`, in profile order."""
        return self._holding(state, screens_seen, frozenset())

    def _holding(self, state: GameState, screens_seen: int, skip: frozenset[str]) -> tuple[str, ...]:
        env: dict[str, Value] = dict(state.values)
        env[SCREENS_SEEN] = screens_seen
        return tuple(m.id for m, when in self._checks if m.id not in skip and when(env))

    def _text(self, values: dict[str, Value], tiles: bytes, dialog: str, screen: str, hide: frozenset[str]) -> str:
        chosen = [self._template] + [s.parts for s in self._sections if s.when(values)]
        if "state" in hide:  # only the placeholders drawn from the screen are left (when their channel is on)
            chosen = [tuple(p for p in parts if isinstance(p, Slot) and p.name in SPECIALS) for parts in chosen]
        specials: dict[str, str] = {}
        if "text_map" in hide:
            specials = dict.fromkeys(SPECIALS, "")
        elif self.tiles is not None and self._tiles_used:
            player = self._player(values)
            specials = {"tilemap": self.tiles.render(tiles, player), "around": self.tiles.around(tiles, player)}
        else:
            specials = dict.fromkeys(SPECIALS, "")
        specials["screen"] = screen
        lines = [render(parts, values, specials).strip("\n") for parts in chosen]
        text = "\n".join(line for line in lines if line)
        if dialog and self.dialog is not None and "dialog" not in hide:
            shown = "\n".join(f"  | {line}" for line in dialog.splitlines())
            text += f"\nDialog text on screen:\n{shown}" + (f"\n{self.dialog.hint}" if self.dialog.hint else "")
        return text

    def _player(self, values: dict[str, Value]) -> tuple[int, int] | None:
        if self.tiles is None or self.tiles.player is None:
            return None
        x, y = (values[n] for n in self.tiles.player)
        return (x, y) if isinstance(x, int) and isinstance(y, int) else None


def _plan_reads(fields: tuple[Field | Records, ...]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Merge nearby fields into few reads: the (start, length) spans and, per field, (span index, offset)."""
    spans: list[tuple[int, int]] = []
    for field in sorted(fields, key=lambda f: f.address):
        end = field.address + field.size
        if spans and field.address - (spans[-1][0] + spans[-1][1]) <= _SPAN_GAP:
            start = spans[-1][0]
            spans[-1] = (start, max(spans[-1][1], end - start))
        else:
            spans.append((field.address, field.size))
    slots = []
    for field in fields:
        for index, (start, length) in enumerate(spans):
            if start <= field.address and field.address + field.size <= start + length:
                slots.append((index, field.address - start))
                break
    return spans, slots
