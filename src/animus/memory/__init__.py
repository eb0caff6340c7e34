"""Long-term memory: the notes a model keeps (and, later, the running summary)."""

from animus.memory.notes import Notes

__all__ = ["Notes"]
