"""Emulator facts that code can use without starting (or importing) PyBoy."""

BUTTONS = ("a", "b", "start", "select", "up", "down", "left", "right")

# The regions `GameBoy.ram_hash` covers: work RAM and high RAM, as the CPU sees them. Together they hold every
# variable a game keeps; VRAM and OAM are covered by `frame_hash`.
RAM_HASH_REGIONS = ((0xC000, 0xE000), (0xFF80, 0xFFFF))
