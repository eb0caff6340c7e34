"""Spatial memory: the map a run builds from its own steps (`explored`), the minimap a model reads
(`minimap`), and the paths `navigate_to` walks (`navigate`). Pure data and planning: nothing here touches the
emulator (`animus.agent.pad` does)."""
