"""Games with no text map (the generic profile): explore by screen ids, remembering what each button did.

Notes: `screens` = `id:letters ...` (the buttons tried on each screen, one letter each) and `links` =
`id.letter>id ...` (a button that led from one screen to another). On a screen it tries buttons it has not
tried there yet (START and A first, to get past title screens); when all are tried it heads, through known
links, for the nearest screen that still has untried buttons.
"""

from __future__ import annotations

import random
from collections import deque

from animus.agent.models.mock.parse import View

LETTERS = {"start": "s", "a": "a", "b": "b", "select": "e", "up": "u", "down": "d", "left": "l", "right": "r"}
BUTTON = {v: k for k, v in LETTERS.items()}
KEEP_SCREENS = 80  # newest screens kept in the notes; older ones are dropped to stay under the cap
KEEP_LINKS = 80


def order(rng: random.Random, links: dict[tuple[str, str], str]) -> list[str]:
    """Buttons in the order to try them on a screen: those that changed the screen most often so far first.

    With nothing learnt yet: START and A (they get past title screens and menus), then the d-pad in a seeded
    order, then B and SELECT.
    """
    pad = ["up", "down", "left", "right"]
    rng.shuffle(pad)
    base = ["start", "a", *pad, "b", "select"]
    wins = {b: sum(1 for (_, letter) in links if letter == LETTERS[b]) for b in base}
    return sorted(base, key=lambda b: (-wins[b], base.index(b)))


def explore(
    view: View, notes: dict[str, str], prev: tuple[View, list[str]] | None, limit: int, rng: random.Random
) -> tuple[list[str], str, dict[str, str]]:
    """(presses, reason, the `screens` and `links` notes as they should now read)."""
    assert view.screen is not None
    screens = _screens(notes.get("screens", ""))
    links = _links(notes.get("links", ""))
    here = view.screen
    new_screen = here not in screens and here not in set(links.values())
    if prev is not None and prev[0].kind == "screen" and len(prev[1]) == 1 and prev[0].screen is not None:
        letter = LETTERS.get(prev[1][0])
        if letter and prev[0].screen != here:
            links[(prev[0].screen, letter)] = here
    tried = screens.pop(here, set())
    untried = [b for b in order(rng, links) if LETTERS[b] not in tried]
    if untried:
        button = untried[0]
        why = f"screen {here} is {'new' if new_screen else 'known'}; {button.upper()} is untried here"
    else:
        button, why = _onward(here, screens, links, limit, rng)
    tried.add(LETTERS[button])
    screens[here] = tried  # most recent last, so the oldest are the ones dropped
    out = {
        "screens": " ".join(f"{s}:{''.join(sorted(t))}" for s, t in list(screens.items())[-KEEP_SCREENS:]),
        "links": " ".join(f"{s}.{b}>{d}" for (s, b), d in list(links.items())[-KEEP_LINKS:]),
    }
    return [button], why, out


def _onward(
    here: str, screens: dict[str, set[str]], links: dict[tuple[str, str], str], limit: int, rng: random.Random
) -> tuple[str, str]:
    """The first button of the shortest known way to a screen with untried buttons, or a random button."""
    if limit > 0:
        first: dict[str, str] = {}
        queue = deque([here])
        seen = {here}
        expanded = 0
        while queue and expanded < limit:
            s = queue.popleft()
            expanded += 1
            if s != here and len(screens.get(s, set())) < len(LETTERS):
                return BUTTON[first[s]], f"every button is tried here; heading for screen {s} (untried buttons)"
            for (src, letter), dst in sorted(links.items()):
                if src == s and dst not in seen:
                    seen.add(dst)
                    first[dst] = first.get(s, letter)
                    queue.append(dst)
    button = rng.choice(list(LETTERS))
    return button, f"every button is tried here and no known way onward; trying {button.upper()} at random"


def _screens(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for word in text.split():
        sid, _, letters = word.partition(":")
        out[sid] = set(letters)
    return out


def _links(text: str) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for word in text.split():
        src, _, dst = word.partition(">")
        sid, _, letter = src.partition(".")
        if sid and letter and dst:
            out[(sid, letter)] = dst
    return out
