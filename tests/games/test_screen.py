"""`visible_tiles` on a synthetic memory: scrolling with wrap-around, the tile map select, the window layer."""

from __future__ import annotations

from animus.games import visible_tiles
from animus.games.screen import screen_hash
from tests.games.fakes import FakeMemory

LCD_ON, MAP_9C00, WINDOW_ON, WINDOW_9C00 = 0x80, 0x08, 0x20, 0x40


def tile(row: int, col: int) -> int:
    return (row * 7 + col * 3) & 0xFF


def memory_with_map(base: int = 0x9800, lcdc: int = LCD_ON | 0x11) -> FakeMemory:
    memory = FakeMemory()
    memory.put(base, [tile(r, c) for r in range(32) for c in range(32)])
    memory.put(0xFF40, [lcdc])
    return memory


def expected(top: int, left: int) -> bytes:
    return bytes(tile((top + r) % 32, (left + c) % 32) for r in range(18) for c in range(20))


def test_unscrolled_screen_is_the_top_left_of_the_map() -> None:
    tiles = visible_tiles(memory_with_map())
    assert len(tiles) == 360
    assert tiles == expected(0, 0)


def test_scroll_moves_the_view_and_wraps_around() -> None:
    memory = memory_with_map()
    memory.put(0xFF42, [8])  # SCY: one tile down
    memory.put(0xFF43, [16])  # SCX: two tiles right
    assert visible_tiles(memory) == expected(1, 2)
    memory.put(0xFF42, [8 * 30])
    memory.put(0xFF43, [8 * 25])
    tiles = visible_tiles(memory)
    assert tiles == expected(30, 25)
    assert tiles[0] == tile(30, 25) and tiles[19] == tile(30, 12) and tiles[2 * 20] == tile(0, 25)


def test_lcdc_bit_3_selects_the_9c00_map() -> None:
    memory = memory_with_map(0x9C00, LCD_ON | MAP_9C00)
    assert visible_tiles(memory) == expected(0, 0)


def test_lcd_off_shows_nothing() -> None:
    memory = memory_with_map(lcdc=0x11)
    assert visible_tiles(memory) == bytes(360)


def test_window_covers_the_background_from_wx_wy() -> None:
    memory = memory_with_map(lcdc=LCD_ON | WINDOW_ON | WINDOW_9C00)
    memory.put(0x9C00, [0xE0 + c for c in range(32)] + [0xF0 + c % 16 for c in range(32)])
    memory.put(0xFF4A, [16 * 8])  # WY: the window starts at row 16
    memory.put(0xFF4B, [7 + 4 * 8])  # WX - 7: from column 4
    tiles = visible_tiles(memory)
    assert tiles[: 16 * 20] == expected(0, 0)[: 16 * 20]
    assert tiles[16 * 20 : 16 * 20 + 4] == expected(0, 0)[16 * 20 : 16 * 20 + 4]
    assert tiles[16 * 20 + 4 : 17 * 20] == bytes(0xE0 + c for c in range(16))
    assert tiles[17 * 20 + 4] == 0xF0


def test_screen_hash_is_short_and_stable() -> None:
    a = screen_hash(expected(0, 0))
    assert len(a) == 16 and a == screen_hash(expected(0, 0)) != screen_hash(expected(1, 0))
