"""Animus: a sandbox for agents that play Game Boy games."""

__version__ = "0.1.0"
