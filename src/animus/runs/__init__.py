"""Runs: the store (one SQLite database per run directory), starting and resuming, listing and reading."""
