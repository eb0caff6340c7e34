"""How the screen changed between two moments, from the visible tile ids (`animus.games.screen.visible_tiles`)."""

from __future__ import annotations

import numpy as np

from animus.games.screen import HEIGHT, WIDTH, screen_hash

WHOLESALE = 0.1  # share of the visible tiles that differ when the screen changes wholesale (AQ's doors: 11-27%)
SPAN = 2 / 3  # a wholesale change spans this share of the rows and of the columns (a text box spans a third)
QUIET = 0.04  # a step changes at most this share of the visible tiles (unless it scrolls the screen)
SCROLLED = 0.9  # share of the overlap that matches a shifted screen for a change to be a scroll
SHIFT = 2  # the largest scroll tried, in tiles each way


def wholesale(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether the screen changed wholesale from `before` to `after` (360 tile ids each): a tenth of the tiles or
    more differ, all over the screen (the changes span two thirds of its rows and of its columns), and `after`
    is not `before` scrolled. A new map does that; a step (even a scrolling one) does not, nor does a text box or
    a menu drawn over a part of the screen. A blank screen (the LCD off) is no change: what comes next is not
    known yet."""
    differ = (before != after).reshape(HEIGHT, WIDTH)
    if np.count_nonzero(differ) < WHOLESALE * before.size or not before.any() or not after.any():
        return False
    rows, columns = np.flatnonzero(differ.any(axis=1)), np.flatnonzero(differ.any(axis=0))
    if rows[-1] - rows[0] + 1 < SPAN * HEIGHT or columns[-1] - columns[0] + 1 < SPAN * WIDTH:
        return False
    return not scrolled(before, after)


def scrolled(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether `after` is `before` shifted by up to SHIFT tiles each way (most of the overlap the same)."""
    a, b = before.reshape(HEIGHT, WIDTH), after.reshape(HEIGHT, WIDTH)
    for dy in range(-SHIFT, SHIFT + 1):
        for dx in range(-SHIFT, SHIFT + 1):
            if dx or dy:
                moved = b[max(-dy, 0) : HEIGHT - max(dy, 0), max(-dx, 0) : WIDTH - max(dx, 0)]
                kept = a[max(dy, 0) : HEIGHT + min(dy, 0), max(dx, 0) : WIDTH + min(dx, 0)]
                if np.count_nonzero(moved == kept) >= SCROLLED * moved.size:
                    return True
    return False


def place(tiles: np.ndarray) -> str:
    """A coarse key of a screen: its tile-id histogram in steps of 4, which a player walking over one map keeps
    (the same tiles, elsewhere) and a new map or a dialog changes."""
    return screen_hash((np.bincount(tiles, minlength=256) // 4).astype(np.uint8).tobytes())


def key(tiles: np.ndarray) -> str:
    """The screen's identity: `animus.games.screen.screen_hash` of its tile ids, as `screens_seen` counts them."""
    return screen_hash(tiles.tobytes())
